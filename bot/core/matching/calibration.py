"""Calibration: the stored logistic weights that turn a candidate's features into confidence.

The weights live in calibration.json beside this module, written by `tools/calibrate.py
--write` together with their provenance (fit files, options, sample count, git revision), so
the numbers in use can always be traced to the run that produced them and refitted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import KnowledgeError
from .features import Features

__all__ = ["CALIBRATION_FILE", "Calibration", "load_calibration"]

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True, slots=True)
class Calibration:
    """A bias and one weight per feature, by name."""

    bias: float
    weights: Features
    provenance: Mapping[str, Any] = field(default_factory=dict)
    _vector: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_vector", np.asarray(self.weights, dtype=np.float64))

    def confidences(self, matrix: np.ndarray) -> np.ndarray:
        """The confidence (0-1) of each row of features."""
        result: np.ndarray = 1 / (1 + np.exp(-(self.bias + matrix @ self._vector)))
        return result

    def confidence(self, features: Features) -> float:
        """The confidence (0-1) of one candidate."""
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1 / (1 + math.exp(-z))

    def to_json_dict(self) -> dict[str, Any]:
        """The stored form: bias, named weights, provenance."""
        return {
            "bias": self.bias,
            "weights": dict(self.weights._asdict()),
            "provenance": dict(self.provenance),
        }


def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    """Read stored weights; raise KnowledgeError naming the file and what is wrong."""
    name = str(path)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise KnowledgeError.single(name, f"cannot read calibration: {error}") from error
    if not isinstance(data, dict):
        raise KnowledgeError.single(name, "must be a JSON object with 'bias' and 'weights'")
    weights = data.get("weights")
    bias = data.get("bias")
    if not isinstance(weights, dict) or not isinstance(bias, int | float):
        raise KnowledgeError.single(name, "needs a number 'bias' and an object 'weights'")
    names = set(Features._fields)
    if set(weights) != names:
        missing, unknown = sorted(names - set(weights)), sorted(set(weights) - names)
        raise KnowledgeError.single(
            name, f"weights must name every feature once (missing {missing}, unknown {unknown})"
        )
    if not all(isinstance(v, int | float) for v in weights.values()):
        raise KnowledgeError.single(name, "every weight must be a number")
    provenance = data.get("provenance") or {}
    return Calibration(
        float(bias),
        Features(**{k: float(v) for k, v in weights.items()}),
        provenance if isinstance(provenance, dict) else {},
    )
