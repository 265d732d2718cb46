"""A deterministic stand-in for the sentence encoder, shared by the tests of the model paths."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class CountingEncoder:
    """A deterministic stand-in encoder that records every text it encodes."""

    model_id = "counting/1"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        rows = [np.random.default_rng(sum(map(ord, t))).normal(size=8) for t in texts]
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), 8)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
