"""The index: which content stems every phrasing, entry, sentence and paragraph contains.

Built once per knowledge base as sparse matrices in numpy (`Postings`), with each stem's
rarity (IDF). Scoring reads it through `Postings.sums`, so a candidate set can be scored
against any index that has the same shape.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain

import numpy as np
from rapidfuzz import fuzz, process

from ..models import Entry, KnowledgeBase
from ..text import words_of_many
from .analysis import CACHE_MAX, Analyser, Query, TypoCorrector, WordTable

__all__ = ["FUZZY_FULL_SCAN_LIMIT", "FuzzyScan", "Index", "Postings", "entry_body", "idf"]

# Up to this many phrasings, rapidfuzz also scans every phrasing for candidates; above it,
# the lexical evidence alone picks them, so a question costs about the same at any size.
FUZZY_FULL_SCAN_LIMIT = 20_000
_CHUNK = 65_536  # texts read at once by an index build: bounds the strings alive at once
_PHRASING, _BODY, _SENTENCE, _PARAGRAPH = range(4)  # what an indexed text is


class Postings:
    """Which rows (phrasings, entries or sentences) contain each term: a sparse matrix."""

    def __init__(self, rows: np.ndarray, terms: np.ndarray, n_rows: int, n_terms: int) -> None:
        """Pairs (row, term), unique and sorted by row."""
        self.n_rows = n_rows
        self.row_terms = terms.astype(np.int32)
        self.row_pointers = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=self.row_pointers[1:])
        self._row_of_pair = rows.astype(np.int32)
        order = np.argsort(self.row_terms, kind="stable")
        self.rows = self._row_of_pair[order]
        self.pointers = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.row_terms, minlength=n_terms), out=self.pointers[1:])

    @classmethod
    def unique(cls, rows: np.ndarray, terms: np.ndarray, n_rows: int, n_terms: int) -> Postings:
        """From pairs that may repeat, in any order."""
        keys = _unique(rows.astype(np.int64) * max(n_terms, 1) + terms)
        return cls(keys // max(n_terms, 1), keys % max(n_terms, 1), n_rows, n_terms)

    def frequencies(self) -> np.ndarray:
        """In how many rows each term appears."""
        return np.diff(self.pointers)

    def row_sums(self, values: np.ndarray) -> np.ndarray:
        """The sum of `values` over each row's terms."""
        return np.bincount(self._row_of_pair, weights=values[self.row_terms], minlength=self.n_rows)

    def sums(self, terms: list[int], *weights: list[float]) -> list[np.ndarray]:
        """For each weight list, the sum of the weights of `terms` each row contains."""
        if not terms:
            return [np.zeros(self.n_rows) for _ in weights]
        slices = [self.rows[self.pointers[t] : self.pointers[t + 1]] for t in terms]
        index = np.concatenate(slices)
        lengths = [len(s) for s in slices]
        return [
            np.bincount(
                index,
                weights=np.repeat(np.asarray(w, dtype=np.float64), lengths),
                minlength=self.n_rows,
            ).astype(np.float64, copy=False)
            for w in weights
        ]

    def terms_of(self, row: int) -> np.ndarray:
        """The term ids of one row."""
        return self.row_terms[self.row_pointers[row] : self.row_pointers[row + 1]]


class FuzzyScan:
    """rapidfuzz's ratio of a question's fuzzy text to every phrasing's, each distinct
    phrasing text scored once (about one in seven of the shipped ones repeats another's
    stems, and rapidfuzz's cost is per text)."""

    def __init__(self, texts: list[str]) -> None:
        position: dict[str, int] = {}
        inverse = [position.setdefault(text, len(position)) for text in texts]
        self._texts = list(position)
        self._inverse = None if len(position) == len(texts) else np.asarray(inverse, np.intp)

    def __call__(self, fuzzy: str) -> np.ndarray:
        """The ratio (0-100, float64) of `fuzzy` to every text, in the texts' order."""
        scores: np.ndarray = process.cdist(
            [fuzzy], self._texts, scorer=fuzz.ratio, dtype=np.float64
        )[0]
        return scores if self._inverse is None else scores[self._inverse]


class Index:
    """Every phrasing, answer and article sentence of a knowledge base, as term postings."""

    def __init__(self, kb: KnowledgeBase, analyser: Analyser) -> None:
        self.kb = kb
        self.analyser = analyser
        with _gc_paused():
            self._build(kb)

    def _build(self, kb: KnowledgeBase) -> None:
        entries = kb.entries
        self.sentences = kb.article.sentences()
        paragraphs = kb.article.paragraphs
        # Every text, and what it is: the phrasings and the body of each entry in turn, then
        # the article's sentences and paragraphs.
        texts: list[str] = []
        kinds: list[int] = []
        owners: list[int] = []  # entry, sentence or paragraph index
        self.offsets = [0]  # entry i's phrasings are rows offsets[i]:offsets[i + 1]
        for index, entry in enumerate(entries):
            phrasings = entry.phrasings
            texts.extend(phrasings)
            texts.append(entry_body(entry))
            kinds.extend([_PHRASING] * len(phrasings) + [_BODY])
            owners.extend([index] * (len(phrasings) + 1))
            self.offsets.append(self.offsets[-1] + len(phrasings))
        texts.extend(s for _, s in self.sentences)
        kinds.extend([_SENTENCE] * len(self.sentences))
        owners.extend(range(len(self.sentences)))
        texts.extend(p.text for p in paragraphs)
        kinds.extend([_PARAGRAPH] * len(paragraphs))
        owners.extend(range(len(paragraphs)))

        self.term_id: dict[str, int] = {}
        self.term_list: list[str] = []
        words = WordTable(self.analyser, self.term_id, self.term_list)
        pairs = _text_terms(texts, words, self.analyser)
        n_terms = len(self.term_list)
        kind = np.asarray(kinds, dtype=np.int8)
        owner = np.asarray(owners, dtype=np.int64)
        text_of_pair, term_of_pair = np.divmod(pairs, max(n_terms, 1))

        def rows_and_terms(wanted: int) -> tuple[np.ndarray, np.ndarray]:
            chosen = kind[text_of_pair] == wanted
            return text_of_pair[chosen], term_of_pair[chosen]

        texts_of, terms_of = rows_and_terms(_PHRASING)
        phrasing_row = np.cumsum(kind == _PHRASING) - 1  # text -> phrasing row
        self.phrasings = Postings(phrasing_row[texts_of], terms_of, self.offsets[-1], n_terms)
        entry_of_phrasing = owner[texts_of]
        asked = Postings.unique(entry_of_phrasing, terms_of, len(entries), n_terms)
        body_texts, body_terms = rows_and_terms(_BODY)
        self.bodies = Postings(owner[body_texts], body_terms, len(entries), n_terms)
        self.docs = Postings.unique(
            np.concatenate([entry_of_phrasing, owner[body_texts]]),
            np.concatenate([terms_of, body_terms]),
            len(entries),
            n_terms,
        )
        sentence_texts, sentence_terms = rows_and_terms(_SENTENCE)
        self.sentence_index = Postings(
            owner[sentence_texts], sentence_terms, len(self.sentences), n_terms
        )
        paragraph_texts, paragraph_terms = rows_and_terms(_PARAGRAPH)
        # What an entry's answer stands on: its answer, quotes and the paragraphs it cites
        # (checked for the few candidates of a question, not indexed).
        self.paragraph_terms = {
            p.number: frozenset(paragraph_terms[owner[paragraph_texts] == i].tolist())
            for i, p in enumerate(paragraphs)
        }
        offsets = self.offset_array = np.asarray(self.offsets, dtype=np.int64)
        self.owner = np.repeat(np.arange(len(entries), dtype=np.int32), offsets[1:] - offsets[:-1])

        # Rarity of each stem over how questions are asked (entries' phrasings) and the
        # article's sentences; answers repeat words like "article" and "author" too often to
        # say how telling those words are in a question. Words only answers use count once.
        # Kept (shared, read-only) so a server's overlay can add its own phrasings to them.
        self.df = asked.frequencies() + self.sentence_index.frequencies()
        self.n_docs = len(entries) + len(self.sentences)
        self.idf = idf(self.n_docs, self.df)
        self.unknown_idf = math.log1p((self.n_docs + 0.5) / 0.5)
        self.phrasing_mass = self.phrasings.row_sums(self.idf)
        self.sentence_mass = self.sentence_index.row_sums(self.idf)
        # Every word the indexed texts use (squeezed, one-word synonyms expanded).
        self.spellings = frozenset(words.spellings())
        # Kept so a server's overlay reads the words the shipped texts use without analysing
        # them again (read-only once built).
        self.words = words
        self.corrector = TypoCorrector(self.spellings, self.analyser)
        self._fuzzy: dict[int, str] = {}  # phrasing row -> fuzzy_text, on demand
        self._exact: dict[str, int] = {}  # a phrasing's words -> its entry (small bases)
        self._exact_keys: dict[int, str] = {}  # phrasing row -> its exact-match key
        self._grounds: dict[int, frozenset[int]] = {}  # entry -> grounding terms, on demand
        n_rows = self.offsets[-1]
        self.all_fuzzy: list[str] | None = None
        self.fuzzy_scan: FuzzyScan | None = None
        if n_rows <= FUZZY_FULL_SCAN_LIMIT:
            self.all_fuzzy = [self.fuzzy_text(j) for j in range(n_rows)]
            self.fuzzy_scan = FuzzyScan(self.all_fuzzy)
            # Small bases know every exact phrasing up front; large ones check candidates.
            for index, entry in enumerate(entries):
                for phrasing in entry.phrasings:
                    self._exact.setdefault(self.analyser.words_key(phrasing), index)
        self.sentence_fuzzy = [
            " ".join(sorted(self.term_list[t] for t in self.sentence_index.terms_of(i)))
            for i in range(len(self.sentences))
        ]

    @property
    def n_entries(self) -> int:
        """How many entries the index holds."""
        return len(self.kb.entries)

    def mass_of(self, rows: np.ndarray) -> np.ndarray:
        """The IDF mass of the given phrasing rows (precision denominators)."""
        mass: np.ndarray = self.phrasing_mass[rows]
        return mass

    def grounding(self, entries: Sequence[int], query: Query) -> list[float]:
        """For each entry, the share of the question's known weight that its answer stands
        on (see `grounds`)."""
        credit = query.credit
        weights = [
            (self.term_id.get(stem), weight * credit[stem])
            for stem, weight in query.weights.items()
            if credit[stem] > 0
        ]
        shares: list[float] = []
        for index in entries:
            grounds = self.grounds(index)
            matched = 0.0
            for term, weight in weights:
                if term in grounds:
                    matched += weight
            shares.append(matched / query.known)
        return shares

    def weight(self, stem: str) -> float:
        """A stem's rarity; a stem the knowledge base never uses weighs the most."""
        term = self.term_id.get(stem)
        return float(self.idf[term]) if term is not None else self.unknown_idf

    def exact_among(self, query: Query, candidates: set[int]) -> int | None:
        """The entry one of whose phrasings the question repeats word for word, if any."""
        if self.all_fuzzy is not None:
            return self._exact.get(query.words)
        for index in sorted(candidates):
            entry = self.kb.entries[index]
            for row, phrasing in enumerate(entry.phrasings, start=self.offsets[index]):
                key = self._exact_keys.get(row)
                if key is None:
                    if len(self._exact_keys) >= CACHE_MAX:
                        self._exact_keys.clear()
                    key = self._exact_keys[row] = self.analyser.words_key(phrasing)
                if key == query.words:
                    return index
        return None

    def fuzzy_text(self, row: int) -> str:
        """A phrasing's stems, sorted: what rapidfuzz compares (a token sort ratio)."""
        return " ".join(sorted(self.term_list[t] for t in self.phrasings.terms_of(row)))

    def fuzzy_of(self, row: int) -> str:
        """fuzzy_text, cached (large bases, which keep no list of them all)."""
        text = self._fuzzy.get(row)
        if text is None:
            if len(self._fuzzy) >= CACHE_MAX:
                self._fuzzy.clear()
            text = self._fuzzy[row] = self.fuzzy_text(row)
        return text

    def grounds(self, index: int) -> frozenset[int]:
        """The terms an entry's answer stands on: its main question (what the answer was
        written for), answer, quotes and cited paragraphs. Alternates are left out: they may
        name things the answer does not address."""
        grounds = self._grounds.get(index)
        if grounds is None:
            if len(self._grounds) >= CACHE_MAX:
                self._grounds.clear()
            grounds = self._grounds[index] = frozenset(
                self.bodies.terms_of(index).tolist()
                + self.phrasings.terms_of(self.offsets[index]).tolist()
            ).union(
                *(self.paragraph_terms.get(s.paragraph, ()) for s in self.kb.entries[index].sources)
            )
        return grounds


def idf(n_docs: int, df: np.ndarray) -> np.ndarray:
    """BM25's IDF of terms found in `df` of `n_docs` documents; its 0.5 keeps a word found
    everywhere finite, and a term no question or sentence uses counts as found once."""
    df = np.maximum(df, 1)
    result: np.ndarray = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    return result


def entry_body(entry: Entry) -> str:
    """What an entry says: its answer and quotes."""
    return " ".join((entry.answer, *(s.quote for s in entry.sources)))


def _texts_with_phrases(
    ids: np.ndarray, owner: np.ndarray, words: WordTable, analyser: Analyser
) -> list[int]:
    """Texts where the first two words of a synonym of several words occur in a row."""
    pairs = []
    for phrase in analyser.phrases():
        first, second = words.get(phrase[0]), words.get(phrase[1])
        if first is not None and second is not None:
            pairs.append(first * len(words.spelled) + second)
    if not pairs or len(ids) < 2:
        return []
    adjacent = ids[:-1] * len(words.spelled) + ids[1:]
    hits = np.flatnonzero(np.isin(adjacent, pairs) & (owner[:-1] == owner[1:]))
    return sorted(set(owner[hits].tolist()))


def _text_terms(texts: list[str], words: WordTable, analyser: Analyser) -> np.ndarray:
    """Which terms each text contains, as sorted unique keys text * n_terms + term.

    Texts are read in chunks, so the words of a large knowledge base never all exist as
    strings at once; the chunk's words become word ids, and the word ids term ids, in numpy.
    """
    text_parts: list[np.ndarray] = []
    term_parts: list[np.ndarray] = []
    for start in range(0, len(texts), _CHUNK):
        chunk = texts[start : start + _CHUNK]
        tokens, owner, counts = words_of_many(chunk)
        ids = np.fromiter(map(words.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        special: list[int] = []
        first = np.zeros(len(chunk), dtype=np.int64)  # a text's words are contiguous
        if len(owner):
            changes = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
            first[owner[changes]] = changes
        for i in _texts_with_phrases(ids, owner, words, analyser):
            # A synonym of several words: expand the text as a question is.
            line_words = tokens[first[i] : first[i] + counts[i]]
            squeezed = [w for t in line_words for w in words.spelled[words[t]]]
            if analyser.has_phrase(" ".join(squeezed)):
                special.append(i)
                expanded = [w for w, _ in analyser.expand(squeezed)]
                found = {t for t in map(words.term, expanded) if t >= 0}
                text_parts.append(np.full(len(found), start + i, dtype=np.int64))
                term_parts.append(np.fromiter(found, dtype=np.int64, count=len(found)))
        if special:
            dropped = np.zeros(len(chunk), dtype=bool)
            dropped[special] = True
            keep = ~dropped[owner]
            ids, owner = ids[keep], owner[keep]
        del tokens
        lengths = np.fromiter(map(len, words.terms), dtype=np.int64, count=len(words.terms))
        pointers = np.concatenate(([0], np.cumsum(lengths)))
        flat = np.fromiter(
            chain.from_iterable(words.terms), dtype=np.int64, count=int(pointers[-1])
        )
        per_word = lengths[ids]
        total = int(per_word.sum())
        within = np.arange(total) - np.repeat(np.cumsum(per_word) - per_word, per_word)
        term_parts.append(flat[np.repeat(pointers[ids], per_word) + within])
        text_parts.append(np.repeat(owner + start, per_word))
    n_terms = max(words.n_terms, 1)
    return _unique(np.concatenate(text_parts) * n_terms + np.concatenate(term_parts))


def _unique(keys: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (a plain sort: np.unique's hashing is slower here)."""
    keys = np.sort(keys)
    if keys.size:
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    return keys


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: an index build makes millions of small objects
    and no cycles, and the collector's passes over them cost a third of a large build."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
