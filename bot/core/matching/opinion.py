"""A second opinion from the multilingual encoder on an English question's lexical candidates.

Lexical ranking beats every embedding at ranking the whole FAQ (measured), so the encoder never
ranks it for an English question. The policy asks it only about the lexical top 5, and only
when the lexical decision is in a gray zone (see `Policy.decide`): an answer with a runner-up
close behind, or a decline whose top candidate is plausible. Then the question's similarity
to each candidate's closest phrasing can move a paraphrase ("heads up before america pulls the
trigger on atomic weapons") to the entry it restates.

Its vectors are the phrasings' vectors the Korean matcher also reads, through the same on-disk
cache; the question's own vector is computed once, on the first look, so a question the policy
decides lexically never runs the model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from ..models import KnowledgeBase
from .semantic import SemanticModel

__all__ = ["OPINION_MAX_CHARS", "SecondOpinion", "Similarity"]

# An English question is read up to this many characters by the encoder (a long question of
# about 30 words): its time grows with the length (~6 ms at 160 characters, ~19 ms at 600 on
# 2 busy cores), and a path that runs the model must stay under 10 ms.
OPINION_MAX_CHARS = 160

# Entry indexes -> the question's similarity to each entry's closest phrasing (cosine), or
# None when there is no model.
Similarity = Callable[[Sequence[int]], np.ndarray | None]


class SecondOpinion:
    """The encoder's similarity of a question to entries' phrasings, for one knowledge base."""

    def __init__(
        self, kb: KnowledgeBase, model: SemanticModel, shared: SecondOpinion | None = None
    ) -> None:
        """`shared`: the opinion of a knowledge base whose entries are the first of `kb`'s
        (the shipped FAQ, for a server's matcher): its vectors are used, not copied, and only
        the rest (the server's own entries) are read here."""
        self.kb = kb
        self._model = model
        self._shared = shared
        self._first = len(shared.kb.entries) if shared is not None else 0
        self._vectors: tuple[np.ndarray, np.ndarray] | None = None
        self._lock = threading.Lock()

    def _phrasings(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Each phrasing's entry (counted from the first entry not shared) and vector,
        through the disk cache, read on first use."""
        if self._vectors is None:
            with self._lock:
                if self._vectors is None:
                    entries = self.kb.entries[self._first :]
                    texts = [p for e in entries for p in e.phrasings]
                    vectors = self._model.encode_texts(texts)
                    if vectors is None:
                        return None
                    counts = [len(e.phrasings) for e in entries]
                    self._vectors = (np.repeat(np.arange(len(entries)), counts), vectors)
        return self._vectors

    def loaded(self) -> bool:
        """Whether the phrasings' vectors, shared ones included, are read (read them if not)."""
        shared = self._shared is None or self._shared.loaded()
        return shared and self._phrasings() is not None

    def about(self, question: str) -> Similarity:
        """The similarity of `question` to entries, encoded on the first call only."""
        found: list[np.ndarray | None] = []

        def similarity(indexes: Sequence[int]) -> np.ndarray | None:
            if not found:
                found.append(self._similarities(question[:OPINION_MAX_CHARS]))
            every = found[0]
            return None if every is None else every[np.asarray(indexes, dtype=np.int64)]

        return similarity

    def _similarities(self, question: str) -> np.ndarray | None:
        """Every entry's similarity to the question: that of its closest phrasing."""
        if self._phrasings() is None:
            return None
        query = self._model.encode_question(question)
        return None if query is None else self._scores(query)

    def _scores(self, query: np.ndarray) -> np.ndarray | None:
        """Every entry's similarity to a question's vector."""
        phrasings = self._phrasings()
        if phrasings is None:
            return None
        owners, vectors = phrasings
        best = np.full(len(self.kb.entries) - self._first, -1.0, dtype=np.float32)
        with self._model.one_thread():
            np.maximum.at(best, owners, vectors @ query)
        if self._shared is None:
            return best
        shared = self._shared._scores(query)
        return None if shared is None else np.concatenate([shared, best])
