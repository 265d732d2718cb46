"""Measure the Korean decision on tuning files, and search its settings.

Usage: python tools/tune_korean.py FILE [FILE ...] [--knowledge DIR] [--cache DIR] [--show]

Each FILE holds a `korean` section ({q, para}: answer from one of these paragraphs) and may hold
a `korean_off` section (questions the article does not answer: decline). Prints, per file, the
share of Korean questions answered from a right paragraph and the Korean off-topic questions
answered, for the current KoreanSettings; then the (unknown weight, lexical weight, threshold)
that answers no `korean_off` question of any file and has the best worst-file rate.
Never run it on tests/data/heldout.yaml.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import yaml

from bot.core.loader import load_knowledge
from bot.core.matching.bilingual import KoreanMatcher, KoreanSettings, Scores
from bot.core.matching.semantic import SemanticModel
from bot.core.models import KnowledgeBase

UNKNOWN_WEIGHTS = (0.7, 1.0, 1.5, 2.0, 3.0, 4.0)
LEXICAL_WEIGHTS = np.round(np.arange(0.2, 1.21, 0.1), 1)
THRESHOLDS = np.round(np.arange(0.4, 1.3, 0.01), 2)

Features = tuple[KoreanMatcher, Scores]
Sets = dict[str, tuple[list[tuple[str, set[int]]], list[str]]]


def outcome(
    kb: KnowledgeBase, found: Features, weight: float, threshold: float
) -> tuple[bool, int]:
    """Whether the decision answers, and the entry it would answer with."""
    matcher, scores = found
    top, value, missing = matcher.choose(scores, weight)
    return value >= threshold and not missing and not scores.unnamed, top


def rates(
    kb: KnowledgeBase, sets: Sets, features: dict[str, Features], weight: float, threshold: float
) -> list[tuple[float, int]]:
    """Per file: the share answered from a right paragraph, and off-topic answered."""
    result = []
    for on, off in sets.values():
        right = 0
        for question, paragraphs in on:
            answered, top = outcome(kb, features[question], weight, threshold)
            cited = {s.paragraph for s in kb.entries[top].sources}
            right += answered and bool(cited & paragraphs)
        wrong = sum(outcome(kb, features[q], weight, threshold)[0] for q in off)
        result.append((right / len(on) if on else 1.0, wrong))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    parser.add_argument("--cache", type=Path, default=Path("data/cache"))
    parser.add_argument("--show", action="store_true", help="print every question's decision")
    args = parser.parse_args(argv)

    kb = load_knowledge(args.knowledge)
    model = SemanticModel(args.cache)
    sets: Sets = {}
    for path in args.files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        on = [(item["q"], set(item["para"])) for item in data.get("korean", [])]
        sets[str(path)] = (on, list(data.get("korean_off", [])))
    questions = [q for on, off in sets.values() for q in [*(q for q, _ in on), *off]]

    def features_for(settings: KoreanSettings) -> dict[str, Features] | None:
        matcher = KoreanMatcher(kb, model, settings)
        found = {q: matcher.scores(q) for q in questions}
        if any(f is None for f in found.values()):
            return None
        return {q: (matcher, f) for q, f in found.items() if f is not None}

    current = KoreanSettings()
    features = features_for(current)
    if features is None:
        print("the model did not load", file=sys.stderr)
        return 1
    print(
        f"current: unknown weight {current.unknown_weight}, lexical weight "
        f"{current.lexical_weight}, threshold {current.answer_threshold}"
    )
    for name, (rate, wrong) in zip(
        sets,
        rates(kb, sets, features, current.lexical_weight, current.answer_threshold),
        strict=True,
    ):
        print(
            f"  {name}: korean {rate:.2f} of {len(sets[name][0])}, "
            f"korean_off answered {wrong} of {len(sets[name][1])}"
        )

    best: tuple[float, float, float, float] | None = None
    for unknown in UNKNOWN_WEIGHTS:
        found = features_for(dataclasses.replace(current, unknown_weight=unknown))
        assert found is not None
        for weight in LEXICAL_WEIGHTS:
            for threshold in THRESHOLDS:
                result = rates(kb, sets, found, float(weight), float(threshold))
                if all(wrong == 0 for _, wrong in result):
                    worst = min(rate for rate, _ in result)
                    if best is None or worst > best[0]:
                        best = (worst, unknown, float(weight), float(threshold))
    if best is not None:
        print(
            f"best worst-file rate with no korean_off answered: {best[0]:.2f} at unknown weight "
            f"{best[1]}, lexical weight {best[2]}, threshold {best[3]}"
        )
    if args.show:
        for on, off in sets.values():
            for question, paragraphs in on:
                answered, top = outcome(
                    kb, features[question], current.lexical_weight, current.answer_threshold
                )
                cited = {s.paragraph for s in kb.entries[top].sources}
                mark = "right" if answered and cited & paragraphs else "WRONG" if answered else "-"
                print(f"on  {mark:8} {kb.entries[top].id:32} {question}")
            for question in off:
                answered, top = outcome(
                    kb, features[question], current.lexical_weight, current.answer_threshold
                )
                mark = "ANSWERED" if answered else "-"
                print(f"off {mark:8} {kb.entries[top].id:32} {question}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
