"""Fitting the calibration: a logistic regression over the features of ranked candidates.

Deterministic and independent of the weights in use: the candidates of a question are the
same whatever the calibration (they are picked by lexical evidence alone), and the `depth`
kept per question are chosen by a weight-free key (F1 plus similarity of the best phrasing,
then entry order). Newton's method from zero weights, to convergence. Wrong candidates that
the missing-detail check (details.py) declines anyway are left out: the two stages decide
together, and the confidence learns only what the check cannot see.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .calibration import Calibration
from .features import Features

if TYPE_CHECKING:
    from ..evaluation import EvalCase
    from .pipeline import Matcher

__all__ = ["FitOptions", "fit_calibration", "fit_weights", "samples"]

# Sections whose candidates are all wrong answers, and every section learnt from (chat noise,
# Korean and multi are not questions of lexical ranking).
_DECLINE = frozenset({"off_topic", "near_miss", "korean_off"})
_LEARNT = _DECLINE | {"on_topic", "meta"}
# Newton's method stops when no weight moves more than this (far below the 1e-3 the stored
# weights are compared at), or after _MAX_STEPS.
_TOLERANCE = 1e-10
_MAX_STEPS = 100


@dataclass(frozen=True, slots=True)
class FitOptions:
    """How a calibration is fitted; stored in its provenance."""

    depth: int = 5  # candidates per question to learn from
    l2: float = 1.0  # ridge penalty on every weight but the bias
    negative_weight: float = 1.0  # > 1: a wrong answer costs more than a missed one
    drop: tuple[str, ...] = ()  # features whose weight stays 0


def _label(matcher: Matcher, case: EvalCase, index: int) -> float:
    """1 when answering the case with that entry is right."""
    entry = matcher.kb.entries[index]
    if case.section == "on_topic":
        return float(any(s.paragraph in case.paragraphs for s in entry.sources))
    if case.section == "meta":
        return float(case.expect is not None and case.expect in entry.answer)
    return 0.0


def samples(
    matcher: Matcher, cases: Sequence[EvalCase], depth: int
) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of up to `depth` candidates of every question."""
    rows: list[Features] = []
    labels: list[float] = []
    for case in cases:
        if case.section not in _LEARNT:
            continue
        entries, _ = matcher.rank(case.question)
        kept = sorted(entries, key=lambda c: (-(c.features.f1 + c.features.similarity), c.index))
        for candidate in kept[:depth]:
            label = _label(matcher, case, candidate.index)
            # A wrong answer that the missing-detail check already declines is not the
            # confidence's to catch: learning it would only lower right answers' scores.
            if not label and matcher.lacks_detail(case.question, candidate) is not None:
                continue
            rows.append(candidate.features)
            labels.append(label)
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(Features._fields)), np.asarray(labels)


def fit_weights(x: np.ndarray, y: np.ndarray, options: FitOptions) -> tuple[float, Features]:
    """The bias and feature weights of an L2-regularised logistic regression."""
    kept = [i for i, name in enumerate(Features._fields) if name not in options.drop]
    sample = np.where(y > 0, 1.0, options.negative_weight)
    design = np.hstack([np.ones((len(x), 1)), x[:, kept]])
    w = np.zeros(design.shape[1])
    penalty = options.l2 * np.eye(len(w))
    penalty[0, 0] = 0.0
    for _ in range(_MAX_STEPS):
        p = 1 / (1 + np.exp(-design @ w))
        gradient = design.T @ (sample * (p - y)) + penalty @ w
        hessian = design.T @ (design * (sample * p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < _TOLERANCE:
            break
    weights = np.zeros(len(Features._fields))
    weights[kept] = w[1:]
    return float(w[0]), Features(*(round(float(v), 6) for v in weights))


def fit_calibration(
    matcher: Matcher, files: Sequence[Path], options: FitOptions, root: Path
) -> Calibration:
    """Fit on evaluation files; the result carries its provenance."""
    from ..evaluation import load_eval_set

    cases = [c for path in files for c in load_eval_set(path).cases]
    x, y = samples(matcher, cases, options.depth)
    bias, weights = fit_weights(x, y, options)
    provenance: dict[str, Any] = {
        "fit": [
            {"path": _relative(path, root), "sha256": _sha256(path.read_bytes())} for path in files
        ],
        "options": {**asdict(options), "drop": list(options.drop)},
        "samples": len(y),
        "positives": int(y.sum()),
        "knowledge_sha256": knowledge_digest(matcher),
        "revision": _revision(root),
    }
    return Calibration(round(bias, 6), weights, provenance)


def knowledge_digest(matcher: Matcher) -> str:
    """A hash of the entries and synonyms the candidates came from."""
    kb = matcher.kb
    text = repr(([e.model_dump(mode="json") for e in kb.entries], sorted(kb.synonyms.items())))
    return _sha256(text.encode())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _relative(path: Path, root: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else str(path)


def _revision(root: Path) -> str:
    """The git revision the fit ran at, '+dirty' when the tree had changes; 'unknown' if none."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")
