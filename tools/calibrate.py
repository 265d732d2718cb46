"""Fit the matcher's confidence calibration and show how thresholds trade off.

    .venv/bin/python tools/calibrate.py --fit tests/data/tune_a.yaml tests/data/tune_b.yaml \
        --depth 5 --check tests/data/dev.yaml

tune_a.yaml and tune_b.yaml were written from the article alone by a session that never saw
the FAQ; dev.yaml (the shared development set) is kept out of the fit and used to choose the
thresholds, as the unpublished judging set is in its style.

For every on-topic, meta and off-topic question of the fit files, the matcher's top entry
gives a feature vector and a label: 1 when answering with that entry would be right (a
source from an expected paragraph, or the expected text), else 0. A logistic regression
(L2-regularised, Newton's method) over those features is the calibration: paste the
printed weights into bot/core/matching/calibration.json. The sweep then shows, for each
threshold, the on-topic accuracy and off-topic decline rate on the fit files and on the check file.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.core.evaluation import EvalCase, load_eval_set
from bot.core.loader import load_knowledge
from bot.core.matcher import Matcher

ROOT = Path(__file__).resolve().parents[1]


def _samples(
    matcher: Matcher, cases: Sequence[EvalCase], depth: int
) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of the first `depth` candidates of every question."""
    rows: list[tuple[float, ...]] = []
    labels: list[float] = []
    for case in cases:
        if case.section == "chat_noise":
            continue
        entries, _ = matcher.rank(case.question)
        for candidate in entries[:depth]:
            entry = matcher.kb.entries[candidate.index]
            if case.section == "on_topic":
                right = any(s.paragraph in case.paragraphs for s in entry.sources)
            elif case.section == "meta":
                right = case.expect is not None and case.expect in entry.answer
            else:
                right = False
            rows.append(candidate.features)
            labels.append(1.0 if right else 0.0)
    return np.array(rows), np.array(labels)


def fit(
    x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50, negative_weight: float = 1.0
) -> np.ndarray:
    """Logistic regression weights (bias first) by Newton's method.

    negative_weight > 1 makes a wrong answer cost more than a missed one.
    """
    sample = np.where(y > 0, 1.0, negative_weight)
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(design.shape[1])
    penalty = l2 * np.eye(len(w))
    penalty[0, 0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ w))
        gradient = design.T @ (sample * (p - y)) + penalty @ w
        hessian = design.T @ (design * (sample * p * (1 - p))[:, None]) + penalty
        w -= np.linalg.solve(hessian, gradient)
    return w


def _sweep(matcher: Matcher, cases: Sequence[EvalCase], label: str) -> None:
    replies = [(c, matcher.rank(c.question)) for c in cases if c.section != "chat_noise"]
    print(f"\n{label}: threshold  on-topic  off-topic-declined  meta")
    for threshold in range(30, 91, 5):
        ok = {"on_topic": 0, "off_topic": 0, "meta": 0}
        total = {"on_topic": 0, "off_topic": 0, "meta": 0}
        for case, (entries, _) in replies:
            total[case.section] += 1
            top = entries[0] if entries else None
            answered = top is not None and top.confidence * 100 >= threshold
            entry = matcher.kb.entries[top.index] if top else None
            if case.section == "off_topic":
                ok["off_topic"] += not answered
            elif answered and entry is not None:
                if case.section == "on_topic":
                    ok["on_topic"] += any(s.paragraph in case.paragraphs for s in entry.sources)
                else:
                    ok["meta"] += bool(case.expect) and case.expect in entry.answer
        rates = [ok[k] / total[k] if total[k] else float("nan") for k in total]
        print(f"{'':8}{threshold:9d}  {rates[0]:8.1%}  {rates[1]:18.1%}  {rates[2]:5.1%}")


def main() -> None:
    """Fit on --fit files, report on them and on --check files."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", nargs="+", type=Path, required=True)
    parser.add_argument("--check", nargs="*", type=Path, default=[])
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--negative-weight", type=float, default=1.0)
    parser.add_argument(
        "--depth", type=int, default=1, help="candidates per question to learn from"
    )
    parser.add_argument(
        "--drop", default="", help="comma-separated feature indexes whose weight stays 0"
    )
    args = parser.parse_args()
    matcher = Matcher(load_knowledge(ROOT / "knowledge"))
    fit_cases = [c for f in args.fit for c in load_eval_set(f).cases]
    x, y = _samples(matcher, fit_cases, args.depth)
    dropped = {int(i) for i in args.drop.split(",") if i}
    kept = [i for i in range(x.shape[1]) if i not in dropped]
    fitted = fit(x[:, kept], y, args.l2, negative_weight=args.negative_weight)
    weights = np.zeros(x.shape[1] + 1)
    weights[0] = fitted[0]
    weights[[i + 1 for i in kept]] = fitted[1:]
    print(f"{len(y)} samples, {int(y.sum())} positive")
    print("CALIBRATION: tuple[float, ...] = (" + ", ".join(f"{w:.3f}" for w in weights) + ")")
    _sweep(matcher, fit_cases, "current calibration, fit files")
    for path in args.check:
        _sweep(matcher, load_eval_set(path).cases, f"current calibration, {path.name}")


if __name__ == "__main__":
    main()
