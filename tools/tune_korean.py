"""Measure the Korean decision on tuning files and search its two main settings.

Usage: python tools/tune_korean.py FILE [FILE ...] [--knowledge DIR] [--cache DIR] [--show]

Each FILE holds a `korean` section ({q, para}: answer from one of these paragraphs) and may hold
a `korean_off` section (questions the article does not answer: decline). Prints, for the
current KoreanSettings and for the best (lexical weight, threshold) pair that answers no
`korean_off` question, the share of Korean questions answered from a right paragraph.
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
from bot.core.matching.bilingual import KoreanMatcher, _gives
from bot.core.matching.semantic import SemanticModel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    parser.add_argument("--cache", type=Path, default=Path("data/cache"))
    parser.add_argument("--show", action="store_true", help="print every question's decision")
    args = parser.parse_args(argv)

    kb = load_knowledge(args.knowledge)
    matcher = KoreanMatcher(kb, SemanticModel(args.cache))
    on: list[tuple[str, set[int]]] = []
    off: list[str] = []
    for path in args.files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        on += [(item["q"], set(item["para"])) for item in data.get("korean", [])]
        off += list(data.get("korean_off", []))
    if not on:
        print("no `korean` section in the files", file=sys.stderr)
        return 1
    features = {}
    for question in [q for q, _ in on] + off:
        found = matcher.scores(question)
        if found is None:
            print("the model did not load", file=sys.stderr)
            return 1
        features[question] = found

    def outcome(question: str, weight: float, threshold: float) -> tuple[bool, int, float]:
        similarity, evidence, asks = features[question]
        combined = similarity + weight * evidence
        top = int(np.argmax(combined))
        entry = kb.entries[top]
        answered = combined[top] >= threshold and all(_gives(entry, k) for k in asks)
        return answered, top, float(combined[top])

    def rates(weight: float, threshold: float) -> tuple[float, int]:
        right = 0
        for question, paragraphs in on:
            answered, top, _ = outcome(question, weight, threshold)
            cited = {s.paragraph for s in kb.entries[top].sources}
            right += answered and bool(cited & paragraphs)
        wrong = sum(outcome(q, weight, threshold)[0] for q in off)
        return right / len(on), wrong

    current = matcher.settings
    rate, wrong = rates(current.lexical_weight, current.answer_threshold)
    print(
        f"current (weight {current.lexical_weight}, threshold {current.answer_threshold}): "
        f"korean {rate:.2f} of {len(on)}, korean_off answered {wrong} of {len(off)}"
    )
    best: tuple[float, float, float] | None = None
    for weight in np.arange(0.0, 1.01, 0.1):
        for threshold in np.arange(0.4, 1.4, 0.01):
            rate, wrong = rates(float(weight), float(threshold))
            if wrong == 0 and (best is None or rate > best[0]):
                best = (rate, float(weight), float(threshold))
    if best is not None:
        print(
            f"best with no korean_off answered: korean {best[0]:.2f} at weight "
            f"{best[1]:.1f}, threshold {best[2]:.2f}"
        )
    if args.show:
        settings = dataclasses.replace(current)
        for question, paragraphs in on:
            answered, top, score = outcome(
                question, settings.lexical_weight, settings.answer_threshold
            )
            cited = {s.paragraph for s in kb.entries[top].sources}
            mark = "right" if answered and cited & paragraphs else ("WRONG" if answered else "-")
            print(f"on  {mark:5} {score:.3f} {kb.entries[top].id:32} {question}")
        for question in off:
            answered, top, score = outcome(
                question, settings.lexical_weight, settings.answer_threshold
            )
            print(
                f"off {'ANSWERED' if answered else '-':8} {score:.3f} "
                f"{kb.entries[top].id:32} {question}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
