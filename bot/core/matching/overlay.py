"""Two-tier matching: a server's own entries as a small overlay on the shared shipped index.

The shipped index is built once per process and shared by every server, never copied or
changed. A server's entries get an `Overlay`: their phrasings and answers indexed in a term
space of their own (the few stems they use), scored with the same features and calibration,
and merged with the shipped candidates as if both were one index. So memory grows with the
servers' entries, not with servers x FAQ, and an overlay of ten entries builds in a
millisecond or two.

Rarity (IDF) is the one thing the tiers share: a word's document frequency for a server is
the shipped one plus the server's phrasings that use it, over the shipped document count.
A word only the server's entries use is known to that server (and only to it) and weighs
what a rare word weighs; a word the server uses often weighs less there. The shipped IDF
array stays untouched: the few shipped phrasings and sentences whose words the overlay
re-weighs get a per-server correction of their IDF mass (`_MassPatch`).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..models import Entry
from ..text import normalize
from .analysis import CACHE_MAX, Analyser, Query, TypoCorrector, WordTable, analyse_question
from .features import Candidate, TierTerms, rank_entries, rank_sentences
from .index import FuzzyScan, Index, Postings, _text_terms, entry_body, idf

if TYPE_CHECKING:
    from .calibration import Calibration

__all__ = ["DEFAULT_OVERLAY_CACHE", "Overlay", "ShippedTier", "needs_full_index"]

# Servers whose matcher (overlay) stays built: about 20 KiB each with three entries, so
# 8192 hold at most ~170 MiB (see benchmarks/bench_scale.py). Here, not in the Library, so
# that the settings read it without importing the Library and its store.
DEFAULT_OVERLAY_CACHE = 8192


def needs_full_index(index: Index, synonyms: Mapping[str, str]) -> bool:
    """Whether a server's own synonyms would change how shipped texts are read.

    A server synonym applies to its questions and entries; when its first word also occurs in
    a shipped text or the article, that text would read differently for the server, so the
    shared index cannot serve it and the server gets an index of its own.
    """
    shipped = index.analyser.synonym_keys
    for key in synonyms:
        words = normalize(key).split()
        if words and tuple(words) not in shipped and words[0] in index.spellings:
            return True
    return False


class _SharedWords(WordTable):
    """A WordTable that takes the words the shipped index has read from it (their spelling
    and stems) instead of analysing them again: most of a server's words are the article's."""

    def __init__(
        self, index: Index, analyser: Analyser, term_id: dict[str, int], terms: list[str]
    ) -> None:
        super().__init__(analyser, term_id, terms)
        self._shipped = index.words
        self._shipped_terms = index.term_list

    def __missing__(self, word: str) -> int:
        known = self._shipped.get(word)
        if known is None:
            return super().__missing__(word)
        self.spelled.append(self._shipped.spelled[known])
        term_id, terms = self._term_id, self._terms
        own: list[int] = []
        for term in self._shipped.terms[known]:
            stem = self._shipped_terms[term]
            local = term_id.get(stem)
            if local is None:
                local = term_id[stem] = len(terms)
                terms.append(stem)
            own.append(local)
        self.terms.append(tuple(own))
        self[word] = index = len(self.spelled) - 1
        return index


class _MassPatch:
    """Per-server corrections to some rows' IDF mass, as sorted rows and their deltas."""

    def __init__(self, postings: Postings, terms: np.ndarray, deltas: np.ndarray) -> None:
        """`deltas[i]` is added to the mass of every row of `postings` containing `terms[i]`."""
        self.rows: np.ndarray
        self.deltas: np.ndarray
        if not len(terms):
            self.rows = np.zeros(0, dtype=np.int64)
            self.deltas = np.zeros(0)
            return
        slices = [postings.rows[postings.pointers[t] : postings.pointers[t + 1]] for t in terms]
        rows = np.concatenate(slices).astype(np.int64)
        values = np.repeat(deltas, [len(s) for s in slices])
        self.rows, inverse = np.unique(rows, return_inverse=True)
        self.deltas = np.bincount(inverse, weights=values, minlength=len(self.rows))

    def apply(self, rows: np.ndarray, mass: np.ndarray) -> np.ndarray:
        """`mass` (the shipped mass of `rows`, a copy) with the corrections added."""
        if self.rows.size and rows.size:
            position = np.minimum(np.searchsorted(self.rows, rows), self.rows.size - 1)
            hit = self.rows[position] == rows
            mass[hit] += self.deltas[position[hit]]
        return mass


class ShippedTier:
    """The shipped index as one server sees it: shared arrays, the server's IDF mass."""

    def __init__(self, index: Index, patch: _MassPatch) -> None:
        self._index = index
        self._patch = patch
        self.phrasings = index.phrasings
        self.docs = index.docs
        self.owner = index.owner
        self.offsets = index.offsets
        self.offset_array = index.offset_array
        self.all_fuzzy = index.all_fuzzy
        self.fuzzy_scan = index.fuzzy_scan

    @property
    def n_entries(self) -> int:
        """How many shipped entries there are."""
        return self._index.n_entries

    def mass_of(self, rows: np.ndarray) -> np.ndarray:
        """The IDF mass of those shipped phrasing rows, under the server's rarities."""
        return self._patch.apply(rows, self._index.mass_of(rows))

    def fuzzy_of(self, row: int) -> str:
        """A shipped phrasing's fuzzy text."""
        return self._index.fuzzy_of(row)

    def exact_among(self, query: Query, candidates: set[int]) -> int | None:
        """The shipped entry the question repeats word for word, if any."""
        return self._index.exact_among(query, candidates)

    def grounding(self, entries: Sequence[int], query: Query) -> list[float]:
        """The share of the question's weight each shipped entry's answer stands on."""
        return self._index.grounding(entries, query)


class Overlay:
    """One server's entries, indexed against the shared shipped index."""

    def __init__(self, index: Index, entries: tuple[Entry, ...], analyser: Analyser) -> None:
        self.shipped = index
        self.entries = entries
        self.analyser = analyser
        texts: list[str] = []
        is_phrasing: list[bool] = []
        owners: list[int] = []
        self.offsets = [0]
        for number, entry in enumerate(entries):
            phrasings = entry.phrasings
            texts.extend(phrasings)
            texts.append(entry_body(entry))
            is_phrasing.extend([True] * len(phrasings) + [False])
            owners.extend([number] * (len(phrasings) + 1))
            self.offsets.append(self.offsets[-1] + len(phrasings))
        # The overlay's own term space: only the stems its texts use.
        self.term_id: dict[str, int] = {}
        self.term_list: list[str] = []
        words = (
            _SharedWords(index, analyser, self.term_id, self.term_list)
            if analyser is index.analyser
            else WordTable(analyser, self.term_id, self.term_list)
        )
        pairs = _text_terms(texts, words, analyser) if texts else np.zeros(0, dtype=np.int64)
        n_terms = len(self.term_list)
        text_of_pair, term_of_pair = np.divmod(pairs, max(n_terms, 1))
        phrasing = np.asarray(is_phrasing, dtype=bool)
        owner = np.asarray(owners, dtype=np.int64)
        on_phrasing = phrasing[text_of_pair] if len(pairs) else np.zeros(0, dtype=bool)
        phrasing_row = np.cumsum(phrasing) - 1
        n_entries = len(entries)
        self.phrasings = Postings(
            phrasing_row[text_of_pair[on_phrasing]],
            term_of_pair[on_phrasing],
            self.offsets[-1],
            n_terms,
        )
        asked = Postings.unique(
            owner[text_of_pair[on_phrasing]], term_of_pair[on_phrasing], n_entries, n_terms
        )
        self.bodies = Postings(
            owner[text_of_pair[~on_phrasing]], term_of_pair[~on_phrasing], n_entries, n_terms
        )
        self.docs = Postings.unique(owner[text_of_pair], term_of_pair, n_entries, n_terms)
        self.offset_array = np.asarray(self.offsets, dtype=np.int64)
        sizes = self.offset_array[1:] - self.offset_array[:-1]
        self.owner = np.repeat(np.arange(n_entries, dtype=np.int32), sizes)

        # Rarity: the shipped document frequency plus the server's phrasings.
        shipped_id = np.asarray(
            [index.term_id.get(stem, -1) for stem in self.term_list], dtype=np.int64
        )
        in_shipped = shipped_id >= 0
        df = np.zeros(n_terms, dtype=np.int64)
        df[in_shipped] = index.df[shipped_id[in_shipped]]
        asked_df = asked.frequencies()
        self.idf = idf(index.n_docs, df + asked_df)
        self.phrasing_mass = self.phrasings.row_sums(self.idf)
        # The shipped terms whose rarity the server changes, and by how much.
        changed = np.flatnonzero(in_shipped & (asked_df > 0))
        shipped_changed = shipped_id[changed]
        delta = self.idf[changed] - index.idf[shipped_changed]
        self._shipped_tier = ShippedTier(index, _MassPatch(index.phrasings, shipped_changed, delta))
        sentence_patch = _MassPatch(index.sentence_index, shipped_changed, delta)
        self.sentence_mass = sentence_patch.apply(
            np.arange(len(index.sentences)), index.sentence_mass.copy()
        )
        self.known: Mapping[str, int] = ChainMap(self.term_id, index.term_id)
        self.corrector = TypoCorrector(words.spellings(), analyser, cache_max=0)
        self.all_fuzzy = [
            " ".join(sorted(self.term_list[t] for t in self.phrasings.terms_of(row)))
            for row in range(self.offsets[-1])
        ]
        self.fuzzy_scan: FuzzyScan | None = FuzzyScan(self.all_fuzzy)
        self._exact: dict[str, int] = {}
        for number, entry in enumerate(entries):
            for text in entry.phrasings:
                self._exact.setdefault(analyser.words_key(text), number)
        self._grounds: dict[int, frozenset[int]] = {}

    # ------------------------------------------------------------------ the overlay as a tier

    @property
    def n_entries(self) -> int:
        """How many entries the server has."""
        return len(self.entries)

    def mass_of(self, rows: np.ndarray) -> np.ndarray:
        """The IDF mass of the server's phrasing rows."""
        mass: np.ndarray = self.phrasing_mass[rows]
        return mass

    def fuzzy_of(self, row: int) -> str:
        """A server phrasing's fuzzy text."""
        return self.all_fuzzy[row]

    def exact_among(self, query: Query, candidates: set[int]) -> int | None:
        """The server entry the question repeats word for word, if any."""
        return self._exact.get(query.words)

    def grounding(self, entries: Sequence[int], query: Query) -> list[float]:
        """The share of the question's known weight each server entry's answer stands on."""
        shares: list[float] = []
        for index in entries:
            matched = 0.0
            for stem, weight in query.weights.items():
                if self.grounded(index, stem):
                    matched += weight * query.credit[stem]
            shares.append(matched / query.known)
        return shares

    def grounded(self, index: int, stem: str) -> bool:
        """Whether a server entry's answer stands on a stem: its main question, answer and
        quotes (the overlay's terms) or a paragraph it cites (the shipped index's)."""
        own = self._grounds.get(index)
        if own is None:
            if len(self._grounds) >= CACHE_MAX:
                self._grounds.clear()
            own = self._grounds[index] = frozenset(
                self.bodies.terms_of(index).tolist()
                + self.phrasings.terms_of(self.offsets[index]).tolist()
            )
        term = self.term_id.get(stem)
        if term is not None and term in own:
            return True
        shipped = self.shipped.term_id.get(stem)
        return shipped is not None and any(
            shipped in self.shipped.paragraph_terms.get(source.paragraph, ())
            for source in self.entries[index].sources
        )

    # ---------------------------------------------------------------------- questions

    def weight(self, stem: str) -> float:
        """A stem's rarity for this server."""
        term = self.term_id.get(stem)
        if term is not None:
            return float(self.idf[term])
        return self.shipped.weight(stem)

    def correct(self, word: str) -> tuple[str, float] | None:
        """The server's or the shipped word a misspelt word most likely is (the surer one)."""
        shipped = self.shipped.corrector.correct(word)
        own = self.corrector.correct(word)
        if own is None or (shipped is not None and shipped[1] >= own[1]):
            return shipped
        return own

    def rank(
        self, question: str, calibration: Calibration, min_information: float
    ) -> tuple[list[Candidate], list[Candidate]]:
        """Entries (shipped first, then the server's) and article sentences for a question."""
        _, entries, sentences = self.ranked(question, calibration, min_information)
        return entries, sentences()

    def ranked(
        self, question: str, calibration: Calibration, min_information: float
    ) -> tuple[Query, list[Candidate], Callable[[], list[Candidate]]]:
        """rank, with the analysed question, and the sentences on demand (the policy reads
        them only when no entry answers)."""
        query = analyse_question(question, self.analyser, self.known, self.weight, self)
        if not query.known:
            return query, [], list
        shipped, own = TierTerms([], [], []), TierTerms([], [], [])
        for stem, weight in query.weights.items():
            credit = query.credit[stem]
            if credit <= 0:
                continue
            matched = weight * credit
            specific = self.weight(stem) * credit
            for tier, term in (
                (shipped, self.shipped.term_id.get(stem)),
                (own, self.term_id.get(stem)),
            ):
                if term is not None:
                    tier.terms.append(term)
                    tier.matched.append(matched)
                    tier.specific.append(specific)
        entries = rank_entries(
            [(self._shipped_tier, shipped), (self, own)], query, calibration, min_information
        )

        def sentences() -> list[Candidate]:
            return rank_sentences(
                self.shipped, query, *shipped, calibration, sentence_mass=self.sentence_mass
            )

        return query, entries, sentences
