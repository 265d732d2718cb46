"""Matching a question to an FAQ entry or, failing that, to one sentence of the article.

Everything is compared on normalised, synonym-expanded, stemmed content words. For each
candidate entry the evidence is:

- recall, precision and F1 of its best phrasing, each word weighted by its rarity (IDF); words
  the knowledge base has never seen weigh the most, which is what makes an off-topic question
  ("How do I make bibimbap?") score low even when it shares a common word with the FAQ;
- rapidfuzz similarity between the question and that phrasing;
- coverage by the whole entry, and grounding: coverage by what the answer stands on.

A logistic calibration (CALIBRATION, fitted by tools/calibrate.py) turns the evidence into one
confidence. Candidates come from an inverted index in numpy, so a question costs about the
same at 67 or 100k entries. Misspelt words are mapped to the nearest known word (rapidfuzz),
with partial credit.
"""

from __future__ import annotations

import gc
import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain

import numpy as np
import Stemmer
from rapidfuzz import fuzz, process

from .lexicon import INTERROGATIVES, SMALL_TALK, STOPWORDS
from .models import Entry, KnowledgeBase, Reply, Source, Suggestion
from .text import MAX_QUERY_CHARS, normalize, squeeze, words_of_many

__all__ = ["CALIBRATION", "Candidate", "MatchSettings", "Matcher", "is_question"]

_log = logging.getLogger(__name__)
_stemmer = Stemmer.Stemmer("english")

# Up to this many phrasings, rapidfuzz also scans every phrasing for candidates; above it,
# the lexical evidence alone picks them, so a question costs about the same at any size.
FUZZY_FULL_SCAN_LIMIT = 20_000
CANDIDATES = 12  # entries scored in full for a question, from the lexical evidence
FUZZY_CANDIDATES = 8  # more from the rapidfuzz scan
SENTENCE_CANDIDATES = 6
EXACT_CONFIDENCE = 0.9  # at least this for a question that repeats a phrasing word for word
_CACHE_MAX = 65_536  # entries in each per-matcher cache before it is emptied
_CHUNK = 65_536  # texts read at once by an index build
_PHRASING, _BODY, _SENTENCE, _PARAGRAPH = range(4)  # what an indexed text is


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Every threshold of the matcher, in one place (confidence is 0-100)."""

    answer_threshold: int = 68
    chat_threshold: int = 72
    suggest_threshold: int = 35
    ambiguity_margin: int = 2
    article_threshold: int = 75
    max_suggestions: int = 3
    # A question must name at least one specific thing (sum of IDF weights it shares with
    # the entry): "korea" alone is too vague to answer, "russia" is not.
    min_information: float = 1.0


def is_question(text: str) -> bool:
    """True when a chat message reads as a question: a '?' or an interrogative opening."""
    words = normalize(text).split()
    if not words or all(w in SMALL_TALK for w in words):
        return False
    return "?" in text or words[0] in INTERROGATIVES


@dataclass(frozen=True, slots=True)
class _Query:
    """A question's content stems: how much each weighs and how surely it was recognised."""

    weights: Mapping[str, float]  # rarity (IDF), shared among the words of one expansion
    credit: Mapping[str, float]  # 1 when known, less when typo-corrected, 0 when unknown
    fuzzy: str  # the recognised stems, sorted: compared with fuzz.ratio (a token sort ratio)
    total: float
    known: float  # the weight of the words the knowledge base knows
    words: str  # every word, synonyms expanded: the key for exact phrasing matches


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry or article sentence considered for a question, with its evidence."""

    index: int
    information: float  # the weight of the question's words that this candidate contains
    # recall, precision and F1 of the best phrasing, document coverage, grounding, fuzzy,
    # unknown share, log of the matched information
    features: tuple[float, ...]
    confidence: float  # calibrated, 0-1
    exact: bool = False  # the question says what one of the entry's phrasings says


# Logistic calibration of the confidence over the features above, fitted by
# tools/calibrate.py on tests/data/tune_a.yaml + tune_b.yaml; thresholds checked on dev.yaml.
CALIBRATION: tuple[float, ...] = (-4.357, -0.339, 0.150, 1.054, -0.272, 3.371, 1.149, -4.565, 1.303)


class _Analyser:
    """Expand synonyms, drop stopwords, stem."""

    def __init__(self, synonyms: Mapping[str, str]) -> None:
        self._synonyms: dict[tuple[str, ...], list[str]] = {}
        for key, value in synonyms.items():
            source = tuple(normalize(key).split())
            if source:
                self._synonyms[source] = normalize(value).split()
        # Synonyms of several words, found in a line by substring: " a b ".
        self._phrases = [f" {' '.join(k)} " for k in self._synonyms if len(k) > 1]
        # First word -> the lengths of the synonyms it starts, longest first.
        self._sizes: dict[str, list[int]] = {}
        for phrase in sorted(self._synonyms, key=len, reverse=True):
            self._sizes.setdefault(phrase[0], []).append(len(phrase))
        self._stems: dict[str, str] = {}

    def expand(self, words: list[str]) -> list[tuple[str, float]]:
        """Words with synonyms expanded (longest match first), each with its weight share.

        The words of an expansion share one word's weight, so "nato" does not count four
        times as much as "founded".
        """
        out: list[tuple[str, float]] = []
        done = 0
        for start, word in enumerate(words):
            sizes = self._sizes.get(word)
            if sizes is None or start < done:
                continue
            for size in sizes:
                expansion = self._synonyms.get(tuple(words[start : start + size]))
                if expansion is not None:
                    out.extend((w, 1.0) for w in words[done:start])
                    content = [w for w in expansion if w not in STOPWORDS] or expansion
                    out.extend((w, 1 / len(content)) for w in expansion)
                    done = start + size
                    break
        out.extend((w, 1.0) for w in words[done:])
        return out

    def phrases(self) -> list[tuple[str, ...]]:
        """The synonyms of several words."""
        return [key for key in self._synonyms if len(key) > 1]

    def has_phrase(self, line: str) -> bool:
        """Whether a synonym of several words occurs in a normalised line."""
        padded = f" {line} "
        return any(phrase in padded for phrase in self._phrases)

    def stem(self, word: str) -> str:
        """The Snowball stem of a word, cached."""
        stem = self._stems.get(word)
        if stem is None:
            stem = _stemmer.stemWord(word)
            if len(self._stems) < 500_000:
                self._stems[word] = stem
        return stem


class _Words(dict[str, int]):
    """Word -> word id, filled on first sight, so each distinct word of the knowledge base is
    analysed once: stretched letters squeezed, a one-word synonym expanded, stopwords dropped,
    the rest stemmed into term ids."""

    def __init__(self, analyser: _Analyser, term_id: dict[str, int], terms: list[str]) -> None:
        super().__init__()
        self._analyser = analyser
        self._term_id = term_id
        self._terms = terms
        self.spelled: list[tuple[str, ...]] = []  # word id -> the words it stands for
        self.terms: list[tuple[int, ...]] = []  # word id -> its term ids

    def __missing__(self, word: str) -> int:
        squeezed = squeeze(word)
        spelled = tuple(w for w, _ in self._analyser.expand([squeezed]))
        self.spelled.append(spelled)
        self.terms.append(tuple(t for t in map(self.term, spelled) if t >= 0))
        self[word] = index = len(self.spelled) - 1
        return index

    def term(self, word: str) -> int:
        """The term id of a normalised, squeezed word (-1 for a stopword)."""
        if word in STOPWORDS:
            return -1
        stem = self._analyser.stem(word)
        term = self._term_id.get(stem)
        if term is None:
            term = self._term_id[stem] = len(self._terms)
            self._terms.append(stem)
        return term

    @property
    def n_terms(self) -> int:
        """How many distinct terms there are so far."""
        return len(self._terms)

    def spellings(self) -> set[str]:
        """Every word of the knowledge base, squeezed and expanded."""
        return set(chain.from_iterable(self.spelled))


def _texts_with_phrases(
    ids: np.ndarray, owner: np.ndarray, words: _Words, analyser: _Analyser
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


def _text_terms(texts: list[str], words: _Words, analyser: _Analyser) -> np.ndarray:
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


class _Postings:
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
    def unique(cls, rows: np.ndarray, terms: np.ndarray, n_rows: int, n_terms: int) -> _Postings:
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


class Matcher:
    """Answers questions from one knowledge base; build once, query many times."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or MatchSettings()
        self._analyser = _Analyser(kb.synonyms)
        with _gc_paused():
            self._build(kb)

    def _build(self, kb: KnowledgeBase) -> None:
        """Index every phrasing, answer and article sentence."""
        entries = kb.entries
        self._sentences = kb.article.sentences()
        paragraphs = kb.article.paragraphs
        # Every text, and what it is: the phrasings and the body of each entry in turn, then
        # the article's sentences and paragraphs.
        texts: list[str] = []
        kinds: list[int] = []
        owners: list[int] = []  # entry, sentence or paragraph index
        self._offsets = [0]  # entry i's phrasings are rows _offsets[i]:_offsets[i + 1]
        for index, entry in enumerate(entries):
            phrasings = entry.phrasings
            texts.extend(phrasings)
            texts.append(_entry_body(entry))
            kinds.extend([_PHRASING] * len(phrasings) + [_BODY])
            owners.extend([index] * (len(phrasings) + 1))
            self._offsets.append(self._offsets[-1] + len(phrasings))
        texts.extend(s for _, s in self._sentences)
        kinds.extend([_SENTENCE] * len(self._sentences))
        owners.extend(range(len(self._sentences)))
        texts.extend(p.text for p in paragraphs)
        kinds.extend([_PARAGRAPH] * len(paragraphs))
        owners.extend(range(len(paragraphs)))

        self._term_id: dict[str, int] = {}
        self._term_list: list[str] = []
        words = _Words(self._analyser, self._term_id, self._term_list)
        pairs = _text_terms(texts, words, self._analyser)
        n_terms = len(self._term_list)
        kind = np.asarray(kinds, dtype=np.int8)
        owner = np.asarray(owners, dtype=np.int64)
        text_of_pair, term_of_pair = np.divmod(pairs, max(n_terms, 1))

        def rows_and_terms(wanted: int) -> tuple[np.ndarray, np.ndarray]:
            chosen = kind[text_of_pair] == wanted
            return text_of_pair[chosen], term_of_pair[chosen]

        texts_of, terms_of = rows_and_terms(_PHRASING)
        phrasing_row = np.cumsum(kind == _PHRASING) - 1  # text -> phrasing row
        self._phrasings = _Postings(phrasing_row[texts_of], terms_of, self._offsets[-1], n_terms)
        entry_of_phrasing = owner[texts_of]
        asked = _Postings.unique(entry_of_phrasing, terms_of, len(entries), n_terms)
        body_texts, body_terms = rows_and_terms(_BODY)
        self._bodies = _Postings(owner[body_texts], body_terms, len(entries), n_terms)
        self._docs = _Postings.unique(
            np.concatenate([entry_of_phrasing, owner[body_texts]]),
            np.concatenate([terms_of, body_terms]),
            len(entries),
            n_terms,
        )
        sentence_texts, sentence_terms = rows_and_terms(_SENTENCE)
        self._sentence_index = _Postings(
            owner[sentence_texts], sentence_terms, len(self._sentences), n_terms
        )
        paragraph_texts, paragraph_terms = rows_and_terms(_PARAGRAPH)
        # What an entry's answer stands on: its answer, quotes and the paragraphs it cites
        # (checked for the few candidates of a question, not indexed).
        self._paragraph_terms = {
            p.number: frozenset(paragraph_terms[owner[paragraph_texts] == i].tolist())
            for i, p in enumerate(paragraphs)
        }
        offsets = self._offset_array = np.asarray(self._offsets, dtype=np.int64)
        self._owner = np.repeat(np.arange(len(entries), dtype=np.int32), offsets[1:] - offsets[:-1])

        # Rarity of each stem over how questions are asked (entries' phrasings) and the
        # article's sentences; answers repeat words like "article" and "author" too often to
        # say how telling those words are in a question. Words only answers use count once.
        df = asked.frequencies() + self._sentence_index.frequencies()
        df = np.maximum(df, 1)
        n_docs = len(entries) + len(self._sentences)
        self._idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        self._unknown_idf = math.log1p((n_docs + 0.5) / 0.5)
        self._phrasing_mass = self._phrasings.row_sums(self._idf)
        self._sentence_mass = self._sentence_index.row_sums(self._idf)
        # The knowledge base's words for typo correction, by length and by first and by second
        # letter: a misspelling rarely changes both, so a word is compared with few others.
        self._vocabulary: dict[tuple[int, str], list[str]] = {}
        for w in sorted(words.spellings()):
            if len(w) >= 3 and not w.isdigit() and w not in STOPWORDS:
                for letter in {w[0], w[1]}:
                    self._vocabulary.setdefault((len(w), letter), []).append(w)
        self._typos: dict[str, tuple[str, float] | None] = {}
        self._fuzzy: dict[int, str] = {}  # phrasing row -> _fuzzy_text, on demand
        self._exact: dict[str, int] = {}  # a phrasing's words -> its entry (small bases)
        self._exact_keys: dict[int, str] = {}  # phrasing row -> its exact-match key
        self._grounds: dict[int, frozenset[int]] = {}  # entry -> grounding terms, on demand
        n_rows = self._offsets[-1]
        self._all_fuzzy: list[str] | None = None
        if n_rows <= FUZZY_FULL_SCAN_LIMIT:
            self._all_fuzzy = [self._fuzzy_text(j) for j in range(n_rows)]
            # Small bases know every exact phrasing up front; large ones check candidates.
            for index, entry in enumerate(entries):
                for phrasing in entry.phrasings:
                    self._exact.setdefault(self._words_key(phrasing), index)
        self._sentence_fuzzy = [
            " ".join(sorted(self._term_list[t] for t in self._sentence_index.terms_of(i)))
            for i in range(len(self._sentences))
        ]
        self._search_choices: dict[str, str] | None = None  # built on first autocomplete

    def _words_key(self, text: str) -> str:
        """A text's words, synonyms expanded: equal for a question and a phrasing it repeats."""
        return " ".join(w for w, _ in self._analyser.expand(normalize(text).split()))

    def _exact_among(self, query: _Query, candidates: set[int]) -> int | None:
        """The entry one of whose phrasings the question repeats word for word, if any."""
        if self._all_fuzzy is not None:
            return self._exact.get(query.words)
        for index in sorted(candidates):
            entry = self.kb.entries[index]
            for row, phrasing in enumerate(entry.phrasings, start=self._offsets[index]):
                key = self._exact_keys.get(row)
                if key is None:
                    if len(self._exact_keys) >= _CACHE_MAX:
                        self._exact_keys.clear()
                    key = self._exact_keys[row] = self._words_key(phrasing)
                if key == query.words:
                    return index
        return None

    def _fuzzy_text(self, row: int) -> str:
        """A phrasing's stems, sorted: what rapidfuzz compares (a token sort ratio)."""
        return " ".join(sorted(self._term_list[t] for t in self._phrasings.terms_of(row)))

    def _fuzzy_of(self, row: int) -> str:
        """_fuzzy_text, cached (large bases, which keep no list of them all)."""
        text = self._fuzzy.get(row)
        if text is None:
            if len(self._fuzzy) >= _CACHE_MAX:
                self._fuzzy.clear()
            text = self._fuzzy[row] = self._fuzzy_text(row)
        return text

    # ------------------------------------------------------------------ query side

    def _weight(self, stem: str) -> float:
        term = self._term_id.get(stem)
        return float(self._idf[term]) if term is not None else self._unknown_idf

    def _query(self, question: str) -> _Query:
        """Content stems of the question with their weight and credit."""
        weights: dict[str, float] = {}
        credit: dict[str, float] = {}
        expanded = self._analyser.expand(normalize(question[:MAX_QUERY_CHARS]).split())
        for word, share in expanded:
            if word in STOPWORDS:
                continue
            stem = self._analyser.stem(word)
            sure = 1.0
            if stem not in self._term_id:
                fixed = self._correct(word)
                if fixed is None:
                    sure = 0.0
                else:
                    stem, sure = fixed
            weights[stem] = max(weights.get(stem, 0.0), share * self._weight(stem))
            credit[stem] = max(credit.get(stem, 0.0), sure)
        known = sum(w for t, w in weights.items() if credit[t] > 0)
        fuzzy = " ".join(sorted(t for t in weights if credit[t] > 0))
        words = " ".join(w for w, _ in expanded)
        return _Query(weights, credit, fuzzy, sum(weights.values()), known, words)

    def _correct(self, word: str) -> tuple[str, float] | None:
        """The known word a misspelt word most likely is, and how much to trust that."""
        if len(word) < 4 or word.isdigit():
            return None
        if word in self._typos:
            return self._typos[word]
        cutoff = 85 if len(word) >= 6 else 88
        # fuzz.ratio >= 85 leaves room for a length difference of about 15%.
        spread = 2 + len(word) // 8
        choices = list(
            chain.from_iterable(
                self._vocabulary.get((n, letter), ())
                for n in range(len(word) - spread, len(word) + spread + 1)
                for letter in {word[0], word[1]}
            )
        )
        found = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
        result = None
        if found is not None:
            trust = 0.5 + 0.5 * (found[1] - cutoff) / (100 - cutoff)
            result = (self._analyser.stem(found[0]), trust)
        if len(self._typos) >= _CACHE_MAX:
            self._typos.clear()
        self._typos[word] = result
        return result

    def rank(self, question: str) -> tuple[list[Candidate], list[Candidate]]:
        """Entries and article sentences considered for a question, best first."""
        query = self._query(question)
        if not query.known:
            return [], []
        terms: list[int] = []
        matched: list[float] = []  # weight x credit: recall and coverage numerators
        specific: list[float] = []  # IDF x credit: precision numerators
        for stem, weight in query.weights.items():
            term = self._term_id.get(stem)
            if term is not None and query.credit[stem] > 0:
                terms.append(term)
                matched.append(weight * query.credit[stem])
                specific.append(float(self._idf[term]) * query.credit[stem])
        recall_sum, precision_sum = self._phrasings.sums(terms, matched, specific)
        (information,) = self._docs.sums(terms, matched)
        entries = self._rank_entries(query, recall_sum, precision_sum, information)
        sentences = self._rank_sentences(query, terms, matched, specific)
        return entries, sentences

    def _phrasing_evidence(
        self, query: _Query, rows: np.ndarray, recall_sum: np.ndarray, precision_sum: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Recall, precision and F1 of the given phrasing rows."""
        recall = recall_sum[rows] / query.known
        mass = self._phrasing_mass[rows]
        precision = np.divide(precision_sum[rows], mass, out=np.zeros(len(rows)), where=mass > 0)
        total = recall + precision
        both = np.divide(2 * recall * precision, total, out=np.zeros(len(rows)), where=total > 0)
        return recall, precision, both

    def _rank_entries(
        self,
        query: _Query,
        recall_sum: np.ndarray,
        precision_sum: np.ndarray,
        information: np.ndarray,
    ) -> list[Candidate]:
        n_entries = len(self.kb.entries)
        if not n_entries:
            return []
        # Only phrasings sharing a word with the question can score: work on those alone.
        hit = np.flatnonzero(recall_sum)
        best_both = np.zeros(n_entries)
        np.maximum.at(
            best_both,
            self._owner[hit],
            self._phrasing_evidence(query, hit, recall_sum, precision_sum)[2],
        )
        document = information / query.known
        prescore = 0.6 * best_both + 0.4 * document
        found: set[int] = set()
        k = min(CANDIDATES, n_entries)
        top = np.argpartition(-prescore, k - 1)[:k]
        found.update(int(i) for i in top if prescore[i] > 0)
        if self._all_fuzzy is not None and query.fuzzy:
            for _, _, row in process.extract(
                query.fuzzy,
                self._all_fuzzy,
                scorer=fuzz.ratio,
                limit=FUZZY_CANDIDATES,
                score_cutoff=60,
            ):
                found.add(int(self._owner[row]))
        exact = self._exact_among(query, found)
        if exact is not None:
            found.add(exact)
        if not found:
            return []
        ordered = sorted(found)
        offsets = self._offsets
        rows = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in ordered])
        recall, precision, both = self._phrasing_evidence(query, rows, recall_sum, precision_sum)
        if self._all_fuzzy is not None:
            all_fuzzy = self._all_fuzzy
            fuzzy = list(
                chain.from_iterable(all_fuzzy[offsets[i] : offsets[i + 1]] for i in ordered)
            )
        else:
            fuzzy = [self._fuzzy_of(int(j)) for j in rows]
        similarity = process.cdist([query.fuzzy], fuzzy, scorer=fuzz.ratio)[0] / 100
        # Each candidate's best phrasing: the highest F1 plus similarity within its rows.
        chosen = np.asarray(ordered)
        sizes = self._offset_array[chosen + 1] - self._offset_array[chosen]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        score = both + similarity
        segment = np.repeat(np.arange(len(chosen)), sizes)
        is_best = score == np.maximum.reduceat(score, starts)[segment]
        best = np.flatnonzero(is_best)
        best = best[np.concatenate(([True], segment[best][1:] != segment[best][:-1]))]
        grounds = [self._grounding(query, i) for i in ordered]
        matrix = np.column_stack(
            (
                recall[best],
                precision[best],
                both[best],
                document[chosen],
                grounds,
                np.maximum.reduceat(similarity, starts),
                np.full(len(chosen), 1 - query.known / query.total),
                np.log1p(information[chosen]),
            )
        )
        confidence = 1 / (1 + np.exp(-(CALIBRATION[0] + matrix @ np.asarray(CALIBRATION[1:]))))
        # The same content words as one of an entry's phrasings (order, inflection and small
        # words aside), none unknown, and specific enough: as good as asking it word for word.
        same_words = (
            (recall[best] > 1 - 1e-9)
            & (precision[best] > 1 - 1e-9)
            & (query.known == query.total)
            & (information[chosen] >= self.settings.min_information)
        )
        candidates: list[Candidate] = []
        for k, index in enumerate(ordered):
            is_exact = index == exact or bool(same_words[k])
            candidates.append(
                Candidate(
                    index,
                    float(information[index]),
                    tuple(matrix[k].tolist()),
                    max(float(confidence[k]), EXACT_CONFIDENCE)
                    if is_exact
                    else float(confidence[k]),
                    is_exact,
                )
            )
        # Word for word first, then the same content words, then by confidence.
        candidates.sort(key=lambda c: (c.index != exact, not c.exact, -c.confidence))
        return candidates

    def _grounding(self, query: _Query, index: int) -> float:
        """The share of the question's known weight that the entry's answer stands on: its
        main question (what the answer was written for), answer, quotes and cited paragraphs.
        Alternates are left out: they may name things the answer does not address."""
        grounds = self._grounds.get(index)
        if grounds is None:
            if len(self._grounds) >= _CACHE_MAX:
                self._grounds.clear()
            grounds = self._grounds[index] = frozenset(
                self._bodies.terms_of(index).tolist()
                + self._phrasings.terms_of(self._offsets[index]).tolist()
            ).union(
                *(
                    self._paragraph_terms.get(s.paragraph, ())
                    for s in self.kb.entries[index].sources
                )
            )
        matched = 0.0
        for stem, weight in query.weights.items():
            term = self._term_id.get(stem)
            if term is not None and term in grounds:
                matched += weight * query.credit[stem]
        return matched / query.known

    def _rank_sentences(
        self, query: _Query, terms: list[int], matched: list[float], specific: list[float]
    ) -> list[Candidate]:
        if not self._sentences:
            return []
        recall_sum, precision_sum = self._sentence_index.sums(terms, matched, specific)
        recall = recall_sum / query.known
        precision = np.divide(
            precision_sum,
            self._sentence_mass,
            out=np.zeros_like(precision_sum),
            where=self._sentence_mass > 0,
        )
        unknown = 1 - query.known / query.total
        candidates: list[Candidate] = []
        for index in np.argsort(-recall)[:SENTENCE_CANDIDATES]:
            i = int(index)
            if recall[i] <= 0:
                break
            r, p = float(recall[i]), float(precision[i])
            f1 = 2 * r * p / (r + p) if r + p else 0.0
            similarity = fuzz.ratio(query.fuzzy, self._sentence_fuzzy[i]) / 100
            information = float(recall_sum[i])
            features = (r, p, f1, r, r, similarity, unknown, math.log1p(information))
            candidates.append(Candidate(i, information, features, _calibrated(features)))
        candidates.sort(key=lambda c: -c.confidence)
        return candidates

    def reply(self, question: str, *, chat: bool = False, addressed: bool = False) -> Reply:
        """The answer, suggestions or silence for a question.

        chat: the auto-answer listener's rules (only questions, stricter threshold);
        addressed: the bot was mentioned, which counts as asking.
        """
        settings = self.settings
        if chat and not addressed and not is_question(question[:MAX_QUERY_CHARS]):
            return Reply(question=question, answered=False)
        entries, sentences = self.rank(question)
        threshold = settings.chat_threshold if chat else settings.answer_threshold
        top = entries[0] if entries else None
        top_score = _percent(top.confidence) if top else 0
        if (
            top is not None
            and top_score >= threshold
            and (top.exact or top.information >= settings.min_information)
        ):
            runner = entries[1] if len(entries) > 1 else None
            if runner is None or top.exact or not self._too_close(top, runner):
                return Reply.for_entry(
                    self.kb.entries[top.index], question=question, score=top_score
                )
        if sentences:
            best = sentences[0]
            score = _percent(best.confidence)
            if score >= max(settings.article_threshold, threshold) and score > top_score:
                paragraph, text = self._sentences[best.index]
                return self._article_answer(question, paragraph, text, score)
        suggestions = tuple(
            Suggestion(
                self.kb.entries[c.index].id,
                self.kb.entries[c.index].question,
                _percent(c.confidence),
            )
            for c in entries[: settings.max_suggestions]
            if _percent(c.confidence) >= settings.suggest_threshold
        )
        return Reply(question=question, answered=False, score=top_score, suggestions=suggestions)

    def _too_close(self, top: Candidate, runner: Candidate) -> bool:
        """Two entries within the margin that do not share a source paragraph."""
        if _percent(top.confidence) - _percent(runner.confidence) > self.settings.ambiguity_margin:
            return False
        first, second = self.kb.entries[top.index], self.kb.entries[runner.index]
        shared = {s.paragraph for s in first.sources} & {s.paragraph for s in second.sources}
        return not shared

    def _article_answer(self, question: str, paragraph: int, sentence: str, score: int) -> Reply:
        quote = sentence if len(sentence) <= 1000 else sentence[:999] + "…"
        return Reply(
            question=question,
            answered=True,
            kind="article",
            entry_id=None,
            title="From the article",
            answer=f"The author writes in paragraph {paragraph}: “{quote}”",
            sources=(Source(paragraph=paragraph, quote=quote),),
            score=score,
        )

    def search_entries(self, text: str, limit: int = 25) -> list[Suggestion]:
        """Entries best matching `text`, for autocomplete (the first ones when empty)."""
        entries = self.kb.entries
        query = normalize(text[:MAX_QUERY_CHARS])
        if not query:
            return [Suggestion(e.id, e.question, 0) for e in entries[:limit]]
        if self._search_choices is None:
            self._search_choices = {e.id: normalize(f"{e.id} {e.question}") for e in entries}
        results = process.extract(query, self._search_choices, scorer=fuzz.WRatio, limit=limit)
        by_id = self.kb.by_id
        return [Suggestion(key, by_id[key].question, round(score)) for _, score, key in results]


def _entry_body(entry: Entry) -> str:
    return " ".join((entry.answer, *(s.quote for s in entry.sources)))


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


def _calibrated(features: tuple[float, ...]) -> float:
    z = CALIBRATION[0] + sum(c * x for c, x in zip(CALIBRATION[1:], features, strict=True))
    return 1 / (1 + math.exp(-z))


def _percent(score: float) -> int:
    return max(0, min(100, round(score * 100)))
