"""Analysis: a text's words become weighted content stems.

Normalise (bot.core.text), expand synonyms (longest match first), drop stopwords, stem with
Snowball, and map a misspelt word to the nearest word the knowledge base knows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Protocol

import Stemmer
from rapidfuzz import fuzz, process

from ..lexicon import STOPWORDS
from ..text import MAX_QUERY_CHARS, normalize, squeeze

__all__ = [
    "CACHE_MAX",
    "Analyser",
    "Corrector",
    "Query",
    "TypoCorrector",
    "WordTable",
    "analyse_question",
]

_stemmer = Stemmer.Stemmer("english")

# Entries in each per-matcher cache before it is emptied: bounded memory on a long-running bot.
CACHE_MAX = 65_536
# Stems remembered by an analyser: every word of a 100k-entry base fits.
_STEM_CACHE_MAX = 500_000
# Typo correction: shorter words and numbers are too ambiguous to correct.
_TYPO_MIN_LENGTH = 4
# fuzz.ratio a misspelling needs to its correction; short words need more, as one letter is more.
_TYPO_CUTOFF_LONG = 85
_TYPO_CUTOFF_SHORT = 88
_TYPO_LONG_WORD = 6
# Up to this many words, a corrector filters one list instead of indexing it.
_SMALL_VOCABULARY = 200
# A corrected word earns between half credit (at the cutoff) and full credit (at 100).
_TYPO_MIN_TRUST = 0.5


class Analyser:
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

    @property
    def synonym_keys(self) -> frozenset[tuple[str, ...]]:
        """Every synonym's words, normalised."""
        return frozenset(self._synonyms)

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
            if len(self._stems) < _STEM_CACHE_MAX:
                self._stems[word] = stem
        return stem

    def words_key(self, text: str) -> str:
        """A text's words, synonyms expanded: equal for a question and a phrasing it repeats."""
        return " ".join(w for w, _ in self.expand(normalize(text).split()))


class WordTable(dict[str, int]):
    """Word -> word id, filled on first sight, so each distinct word of the knowledge base is
    analysed once: stretched letters squeezed, a one-word synonym expanded, stopwords dropped,
    the rest stemmed into term ids."""

    def __init__(self, analyser: Analyser, term_id: dict[str, int], terms: list[str]) -> None:
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


class Corrector(Protocol):
    """Anything that maps a misspelt word to a known stem and a trust (TypoCorrector)."""

    def correct(self, word: str) -> tuple[str, float] | None:
        """The stem of the known word a misspelt word most likely is, and how far to trust it."""
        ...


class TypoCorrector:
    """Maps a misspelt word to the known word it most likely is, with a trust from 0.5 to 1.

    The known words are kept by length and by first and by second letter: a misspelling
    rarely changes both, so a word is compared with few others. A small vocabulary (a
    server's own words) is kept as one list and filtered the same way, and `cache_max` 0
    keeps no cache: an overlay's corrector then costs little more than its words.
    """

    def __init__(
        self, spellings: Iterable[str], analyser: Analyser, *, cache_max: int = CACHE_MAX
    ) -> None:
        self._analyser = analyser
        self._cache_max = cache_max
        words = [
            w for w in sorted(spellings) if len(w) >= 3 and not w.isdigit() and w not in STOPWORDS
        ]
        self._small: list[str] | None = words if len(words) <= _SMALL_VOCABULARY else None
        self._vocabulary: dict[tuple[int, str], list[str]] = {}
        if self._small is None:
            for w in words:
                for letter in {w[0], w[1]}:
                    self._vocabulary.setdefault((len(w), letter), []).append(w)
        self._cache: dict[str, tuple[str, float] | None] = {}

    def correct(self, word: str) -> tuple[str, float] | None:
        """The stem of the known word a misspelt word most likely is, and how far to trust it."""
        if len(word) < _TYPO_MIN_LENGTH or word.isdigit():
            return None
        if word in self._cache:
            return self._cache[word]
        cutoff = _TYPO_CUTOFF_LONG if len(word) >= _TYPO_LONG_WORD else _TYPO_CUTOFF_SHORT
        # fuzz.ratio >= 85 leaves room for a length difference of about 15%.
        spread = 2 + len(word) // 8
        if self._small is not None:
            letters = {word[0], word[1]}
            choices = [
                w
                for w in self._small
                if abs(len(w) - len(word)) <= spread and (w[0] in letters or w[1] in letters)
            ]
        else:
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
            trust = _TYPO_MIN_TRUST + (1 - _TYPO_MIN_TRUST) * (found[1] - cutoff) / (100 - cutoff)
            result = (self._analyser.stem(found[0]), trust)
        if self._cache_max:
            if len(self._cache) >= self._cache_max:
                self._cache.clear()
            self._cache[word] = result
        return result


@dataclass(frozen=True, slots=True)
class Query:
    """A question's content stems: how much each weighs and how surely it was recognised."""

    weights: Mapping[str, float]  # rarity (IDF), shared among the words of one expansion
    credit: Mapping[str, float]  # 1 when known, less when typo-corrected, 0 when unknown
    fuzzy: str  # the recognised stems, sorted: compared with fuzz.ratio (a token sort ratio)
    total: float
    known: float  # the weight of the words the knowledge base knows
    words: str  # every word, synonyms expanded: the key for exact phrasing matches


def analyse_question(
    question: str,
    analyser: Analyser,
    known: Mapping[str, int],
    weight: Callable[[str], float],
    corrector: Corrector,
) -> Query:
    """Content stems of the question with their weight (`weight(stem)`) and credit."""
    weights: dict[str, float] = {}
    credit: dict[str, float] = {}
    expanded = analyser.expand(normalize(question[:MAX_QUERY_CHARS]).split())
    for word, share in expanded:
        if word in STOPWORDS:
            continue
        stem = analyser.stem(word)
        sure = 1.0
        if stem not in known:
            fixed = corrector.correct(word)
            if fixed is None:
                sure = 0.0
            else:
                stem, sure = fixed
        weights[stem] = max(weights.get(stem, 0.0), share * weight(stem))
        credit[stem] = max(credit.get(stem, 0.0), sure)
    known_weight = sum(w for t, w in weights.items() if credit[t] > 0)
    fuzzy = " ".join(sorted(t for t in weights if credit[t] > 0))
    words = " ".join(w for w, _ in expanded)
    return Query(weights, credit, fuzzy, sum(weights.values()), known_weight, words)
