"""Matching a question to an FAQ entry or, failing that, to one sentence of the article.

Signals, all computed on normalised, synonym-expanded, stemmed content words:

- *coverage*: the share of the question's content words, weighted by rarity (IDF), that an
  entry's phrasings (and, more weakly, its answer and quotes) contain. Rare words the
  knowledge base has never seen weigh the most, which is what makes off-topic questions
  ("How do I make bibimbap?") score low even when they share a common word with the FAQ.
- *fuzzy*: rapidfuzz similarity between the question and the entry's best phrasing.
- *BM25* (bm25s) picks the candidates, so a query costs the same at 40 or 100k entries.

Misspelt content words are mapped to the nearest known word (rapidfuzz), with partial credit.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer
from rapidfuzz import fuzz, process

from .lexicon import INTERROGATIVES, SMALL_TALK, STOPWORDS
from .models import Entry, KnowledgeBase, Reply, Source, Suggestion
from .text import MAX_QUERY_CHARS, normalize

__all__ = ["MatchSettings", "Matcher", "is_question"]

_log = logging.getLogger(__name__)
_stemmer = Stemmer.Stemmer("english")

# Above this many phrasings, the full rapidfuzz scan is skipped and BM25 alone picks candidates.
FUZZY_FULL_SCAN_LIMIT = 20_000
CANDIDATES = 20
_TYPO_CACHE_MAX = 4096


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Every threshold of the matcher, in one place (confidence is 0-100)."""

    answer_threshold: int = 55
    chat_threshold: int = 62
    suggest_threshold: int = 35
    ambiguity_margin: int = 3
    article_threshold: int = 62
    max_suggestions: int = 3


def is_question(text: str) -> bool:
    """True when a chat message reads as a question: a '?' or an interrogative opening."""
    words = normalize(text).split()
    if not words or all(w in SMALL_TALK for w in words):
        return False
    return "?" in text or words[0] in INTERROGATIVES


@dataclass(frozen=True, slots=True)
class _Analysed:
    """A text reduced to what the matcher compares."""

    terms: tuple[str, ...]  # content stems, in order, duplicates kept
    fuzzy: str  # the content stems joined, for rapidfuzz


@dataclass(slots=True)
class _Scored:
    index: int
    score: float


class _Analyser:
    """Normalise, expand synonyms, drop stopwords, stem."""

    def __init__(self, synonyms: Mapping[str, str]) -> None:
        self._synonyms: dict[tuple[str, ...], list[str]] = {}
        for key, value in synonyms.items():
            source = tuple(normalize(key).split())
            if source:
                self._synonyms[source] = normalize(value).split()
        self._longest = max((len(k) for k in self._synonyms), default=0)
        self._stems: dict[str, str] = {}

    def words(self, text: str) -> list[str]:
        """Normalised words with synonyms expanded (longest match first)."""
        words = normalize(text).split()
        if not self._synonyms:
            return words
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                expansion = self._synonyms.get(tuple(words[i : i + size]))
                if expansion is not None:
                    out.extend(expansion)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            stem = _stemmer.stemWord(word)
            if len(self._stems) < 200_000:
                self._stems[word] = stem
        return stem

    def content(self, words: Iterable[str]) -> list[str]:
        return [w for w in words if w not in STOPWORDS]

    def analyse(self, text: str) -> _Analysed:
        terms = tuple(self.stem(w) for w in self.content(self.words(text)))
        return _Analysed(terms, " ".join(terms))


class Matcher:
    """Answers questions from one knowledge base; build once, query many times."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or MatchSettings()
        self._analyser = _Analyser(kb.synonyms)
        analyse = self._analyser.analyse
        entries = kb.entries
        # Per entry: the stems of its phrasings, and of its whole document.
        self._phrasing_terms: list[frozenset[str]] = []
        self._doc_terms: list[frozenset[str]] = []
        self._fuzzy: list[str] = []  # one per phrasing
        self._fuzzy_owner: list[int] = []
        self._offsets = [0]  # entry i's phrasings are _fuzzy[_offsets[i]:_offsets[i + 1]]
        corpus: list[list[str]] = []
        for index, entry in enumerate(entries):
            phr = [analyse(p) for p in entry.phrasings]
            body = analyse(_entry_body(entry))
            pterms = frozenset(t for a in phr for t in a.terms)
            self._phrasing_terms.append(pterms)
            self._doc_terms.append(pterms | frozenset(body.terms))
            for a in phr:
                self._fuzzy.append(a.fuzzy)
                self._fuzzy_owner.append(index)
            self._offsets.append(len(self._fuzzy))
            corpus.append([t for a in phr for t in a.terms] + list(body.terms))
        self._sentences = kb.article.sentences()
        self._sentence_terms = [frozenset(analyse(s).terms) for _, s in self._sentences]
        self._sentence_fuzzy = [analyse(s).fuzzy for _, s in self._sentences]

        # Rarity of each stem over entries and article sentences.
        df: Counter[str] = Counter()
        for terms in self._doc_terms:
            df.update(terms)
        for terms in self._sentence_terms:
            df.update(terms)
        n_docs = len(self._doc_terms) + len(self._sentence_terms)
        self._n_docs = n_docs
        self._idf = {t: _idf(n_docs, c) for t, c in df.items()}
        self._unknown_idf = _idf(n_docs, 0)
        # Surface words of the knowledge base, for typo correction.
        vocabulary: set[str] = set()
        for entry in entries:
            for text in (*entry.phrasings, _entry_body(entry)):
                vocabulary.update(self._analyser.content(self._analyser.words(text)))
        for _, sentence in self._sentences:
            vocabulary.update(self._analyser.content(self._analyser.words(sentence)))
        self._vocabulary = sorted(w for w in vocabulary if len(w) >= 4 and not w.isdigit())
        self._typos: dict[str, tuple[str, float] | None] = {}

        self._bm25: bm25s.BM25 | None = None
        self._bm25_vocab: Mapping[str, int] = {}
        if corpus:
            self._bm25 = bm25s.BM25()
            self._bm25.index([doc or [""] for doc in corpus], show_progress=False)
            self._bm25_vocab = self._bm25.vocab_dict

    # ------------------------------------------------------------------ query side

    def _query_terms(self, question: str) -> tuple[dict[str, float], str]:
        """Content stems of the question with their credit (1, or less when typo-corrected)."""
        words = self._analyser.content(self._analyser.words(question))
        credit: dict[str, float] = {}
        stems: list[str] = []
        for word in words:
            stem = self._analyser.stem(word)
            if stem in self._idf:
                credit[stem] = max(credit.get(stem, 0.0), 1.0)
                stems.append(stem)
                continue
            fixed = self._correct(word)
            if fixed is None:
                credit.setdefault(stem, 0.0)
                stems.append(stem)
            else:
                fixed_stem, share = fixed
                credit[fixed_stem] = max(credit.get(fixed_stem, 0.0), share)
                stems.append(fixed_stem)
        return credit, " ".join(stems)

    def _correct(self, word: str) -> tuple[str, float] | None:
        """The known word a misspelt word most likely is, and how much to trust that."""
        if len(word) < 4 or word.isdigit():
            return None
        if word in self._typos:
            return self._typos[word]
        cutoff = 80 if len(word) >= 6 else 85
        found = process.extractOne(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
        result = None
        if found is not None:
            result = (
                self._analyser.stem(found[0]),
                0.5 + 0.5 * (found[1] - cutoff) / (100 - cutoff),
            )
        if len(self._typos) >= _TYPO_CACHE_MAX:
            self._typos.clear()
        self._typos[word] = result
        return result

    def _weight(self, term: str) -> float:
        return self._idf.get(term, self._unknown_idf)

    def _coverage(self, credit: Mapping[str, float], terms: frozenset[str]) -> float:
        total = matched = 0.0
        for term, share in credit.items():
            weight = self._weight(term)
            total += weight
            if term in terms:
                matched += weight * share
        return matched / total if total else 0.0

    def _candidates(self, credit: Mapping[str, float], fuzzy: str) -> set[int]:
        found: set[int] = set()
        if self._bm25 is not None:
            ids = [self._bm25_vocab[t] for t in credit if credit[t] > 0 and t in self._bm25_vocab]
            if ids:
                scores = self._bm25.get_scores(ids)
                k = min(CANDIDATES, len(scores))
                top = np.argpartition(-scores, k - 1)[:k]
                found.update(int(i) for i in top if scores[i] > 0)
        if fuzzy and len(self._fuzzy) <= FUZZY_FULL_SCAN_LIMIT:
            for _, _, index in process.extract(
                fuzzy, self._fuzzy, scorer=fuzz.token_sort_ratio, limit=CANDIDATES, score_cutoff=50
            ):
                found.add(self._fuzzy_owner[index])
        return found

    def _entry_score(self, index: int, credit: Mapping[str, float], fuzzy: str) -> float:
        phrasing = self._coverage(credit, self._phrasing_terms[index])
        document = self._coverage(credit, self._doc_terms[index])
        return 0.55 * phrasing + 0.15 * document + 0.30 * self._best_fuzzy(index, fuzzy)

    def _best_fuzzy(self, index: int, fuzzy: str) -> float:
        best = 0.0
        for i in self._phrasing_slice(index):
            best = max(best, fuzz.token_sort_ratio(fuzzy, self._fuzzy[i]))
        return best / 100

    def _phrasing_slice(self, index: int) -> range:
        return range(self._offsets[index], self._offsets[index + 1])

    def rank(self, question: str) -> tuple[list[_Scored], list[_Scored]]:
        """Entries and article sentences, best first, with scores from 0 to 1."""
        credit, fuzzy = self._query_terms(question[:MAX_QUERY_CHARS])
        if not credit:
            return [], []
        entries = [
            _Scored(i, self._entry_score(i, credit, fuzzy)) for i in self._candidates(credit, fuzzy)
        ]
        entries.sort(key=lambda s: -s.score)
        sentences = [
            _Scored(
                i,
                0.7 * self._coverage(credit, terms)
                + 0.3 * fuzz.token_sort_ratio(fuzzy, self._sentence_fuzzy[i]) / 100,
            )
            for i, terms in enumerate(self._sentence_terms)
        ]
        sentences.sort(key=lambda s: -s.score)
        return entries, sentences

    def reply(self, question: str, *, chat: bool = False, addressed: bool = False) -> Reply:
        """The answer, suggestions or silence for a question.

        chat: the auto-answer listener's rules (only questions, stricter threshold, no
        suggestions needed); addressed: the bot was mentioned, which counts as asking.
        """
        settings = self.settings
        if chat and not addressed and not is_question(question[:MAX_QUERY_CHARS]):
            return Reply(question=question, answered=False)
        entries, sentences = self.rank(question)
        threshold = settings.chat_threshold if chat else settings.answer_threshold
        top = entries[0] if entries else None
        top_score = _percent(top.score) if top else 0
        suggestions = tuple(
            Suggestion(
                self.kb.entries[s.index].id, self.kb.entries[s.index].question, _percent(s.score)
            )
            for s in entries[: settings.max_suggestions]
            if _percent(s.score) >= settings.suggest_threshold
        )
        if top is not None and top_score >= threshold:
            runner = entries[1] if len(entries) > 1 else None
            if runner is None or not self._too_close(top, runner):
                return self._answer(question, self.kb.entries[top.index], top_score)
        best_sentence = sentences[0] if sentences else None
        if best_sentence is not None:
            sentence_score = _percent(best_sentence.score)
            if (
                sentence_score >= max(settings.article_threshold, threshold)
                and sentence_score > top_score
            ):
                paragraph, text = self._sentences[best_sentence.index]
                return self._article_answer(question, paragraph, text, sentence_score)
        return Reply(question=question, answered=False, score=top_score, suggestions=suggestions)

    def _too_close(self, top: _Scored, runner: _Scored) -> bool:
        """Two entries within the margin that do not share a source paragraph."""
        if _percent(top.score) - _percent(runner.score) > self.settings.ambiguity_margin:
            return False
        first, second = self.kb.entries[top.index], self.kb.entries[runner.index]
        shared = {s.paragraph for s in first.sources} & {s.paragraph for s in second.sources}
        return not shared

    def _answer(self, question: str, entry: Entry, score: int) -> Reply:
        return Reply(
            question=question,
            answered=True,
            kind="faq",
            entry_id=entry.id,
            title=entry.question,
            answer=entry.answer,
            sources=entry.sources,
            score=score,
        )

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
        choices = {e.id: normalize(f"{e.id} {e.question}") for e in entries}
        results = process.extract(query, choices, scorer=fuzz.WRatio, limit=limit)
        by_id = self.kb.by_id
        return [Suggestion(key, by_id[key].question, round(score)) for _, score, key in results]


def _entry_body(entry: Entry) -> str:
    return " ".join((entry.answer, *(s.quote for s in entry.sources)))


def _idf(n_docs: int, df: int) -> float:
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def _percent(score: float) -> int:
    return max(0, min(100, round(score * 100)))
