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
from collections.abc import Mapping
from dataclasses import dataclass, replace

import bm25s
import numpy as np
import Stemmer
from rapidfuzz import fuzz, process

from .lexicon import INTERROGATIVES, SMALL_TALK, STOPWORDS
from .models import Entry, KnowledgeBase, Reply, Source, Suggestion
from .text import MAX_QUERY_CHARS, normalize

__all__ = ["CALIBRATION", "Candidate", "MatchSettings", "Matcher", "is_question"]

_log = logging.getLogger(__name__)
_stemmer = Stemmer.Stemmer("english")

# Above this many phrasings, the full rapidfuzz scan is skipped and BM25 alone picks candidates.
FUZZY_FULL_SCAN_LIMIT = 20_000
CANDIDATES = 20
EXACT_CONFIDENCE = 0.9
_TYPO_CACHE_MAX = 4096


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
class _Analysed:
    """A text reduced to what the matcher compares."""

    terms: tuple[str, ...]  # content stems, in order, duplicates kept
    fuzzy: str  # the content stems joined, for rapidfuzz
    words: str  # every word, synonyms expanded: the key for exact phrasing matches


@dataclass(frozen=True, slots=True)
class _Query:
    """A question's content stems: how much each weighs and how surely it was recognised."""

    weights: Mapping[str, float]  # rarity (IDF), shared among the words of one expansion
    credit: Mapping[str, float]  # 1 when known, less when typo-corrected, 0 when unknown
    fuzzy: str
    total: float
    known: float  # the weight of the words the knowledge base knows
    words: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry or article sentence considered for a question, with its evidence."""

    index: int
    information: float  # the weight of the question's words that this candidate contains
    # recall, precision and F1 of the best phrasing, document coverage, fuzzy, unknown share,
    # matched information
    features: tuple[float, ...]
    confidence: float  # calibrated, 0-1
    exact: bool = False  # the question is word for word one of the entry's phrasings


# Logistic calibration of the confidence over the features above, fitted by
# tools/calibrate.py on tests/data/tune_a.yaml + tune_b.yaml; thresholds checked on dev.yaml.
CALIBRATION: tuple[float, ...] = (-4.109, -0.592, 0.153, 1.465, -0.704, 3.366, 1.344, -4.680, 1.322)


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

    def expand(self, text: str) -> list[tuple[str, float]]:
        """Normalised words with synonyms expanded (longest match first).

        Each word comes with its share of one word's weight: the words of an expansion
        share it, so "nato" does not count four times as much as "founded".
        """
        words = normalize(text).split()
        out: list[tuple[str, float]] = []
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                expansion = self._synonyms.get(tuple(words[i : i + size]))
                if expansion is not None:
                    content = [w for w in expansion if w not in STOPWORDS] or expansion
                    share = 1 / len(content)
                    out.extend((w, share) for w in expansion)
                    i += size
                    break
            else:
                out.append((words[i], 1.0))
                i += 1
        return out

    def words(self, text: str) -> list[str]:
        """Normalised words with synonyms expanded."""
        return [w for w, _ in self.expand(text)]

    def stem(self, word: str) -> str:
        """The Snowball stem of a word, cached."""
        stem = self._stems.get(word)
        if stem is None:
            stem = _stemmer.stemWord(word)
            if len(self._stems) < 200_000:
                self._stems[word] = stem
        return stem

    def analyse(self, text: str) -> _Analysed:
        """Content stems of a text, for indexing."""
        words = self.words(text)
        terms = tuple(self.stem(w) for w in words if w not in STOPWORDS)
        return _Analysed(terms, " ".join(terms), " ".join(words))


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
        self._phrasing_sets: list[frozenset[str]] = []  # one per phrasing
        self._fuzzy_owner: list[int] = []
        self._exact: dict[str, int] = {}  # a phrasing's words -> its entry
        self._offsets = [0]  # entry i's phrasings are _fuzzy[_offsets[i]:_offsets[i + 1]]
        corpus: list[list[str]] = []
        vocabulary: set[str] = set()
        # What an entry's answer stands on: its answer, quotes and cited paragraphs.
        self._ground_terms: list[frozenset[str]] = []
        paragraph_terms = {
            p.number: frozenset(analyse(p.text).terms) for p in kb.article.paragraphs
        }
        for index, entry in enumerate(entries):
            phrasings = [analyse(p) for p in entry.phrasings]
            body_text = _entry_body(entry)
            body = analyse(body_text)
            pterms = frozenset(t for a in phrasings for t in a.terms)
            self._phrasing_terms.append(pterms)
            self._doc_terms.append(pterms | frozenset(body.terms))
            self._ground_terms.append(
                frozenset(body.terms).union(
                    *(paragraph_terms.get(src.paragraph, ()) for src in entry.sources)
                )
            )
            for a in phrasings:
                self._exact.setdefault(a.words, index)
                self._fuzzy.append(a.fuzzy)
                self._phrasing_sets.append(frozenset(a.terms))
                self._fuzzy_owner.append(index)
            self._offsets.append(len(self._fuzzy))
            corpus.append([t for a in phrasings for t in a.terms] + list(body.terms))
            for text in (*entry.phrasings, body_text):
                vocabulary.update(self._analyser.words(text))
        self._sentences = kb.article.sentences()
        analysed = [analyse(s) for _, s in self._sentences]
        self._sentence_terms = [frozenset(a.terms) for a in analysed]
        self._sentence_fuzzy = [a.fuzzy for a in analysed]
        for _, sentence in self._sentences:
            vocabulary.update(self._analyser.words(sentence))

        # Rarity of each stem over how questions are asked (entries' phrasings) and the
        # article's sentences; answers repeat words like "article" and "author" too often
        # to say how telling those words are in a question. Words only answers use count once.
        df: Counter[str] = Counter()
        for terms in (*self._phrasing_terms, *self._sentence_terms):
            df.update(terms)
        for terms in self._doc_terms:
            df.update(t for t in terms if t not in df)
        n_docs = len(self._doc_terms) + len(self._sentence_terms)
        self._idf = {t: _idf(n_docs, c) for t, c in df.items()}
        self._unknown_idf = _idf(n_docs, 0)
        self._phrasing_mass = [sum(self._idf[t] for t in p) for p in self._phrasing_sets]
        self._sentence_mass = [sum(self._idf[t] for t in p) for p in self._sentence_terms]
        # Surface words of the knowledge base, for typo correction.
        self._vocabulary = sorted(
            w for w in vocabulary if len(w) >= 4 and not w.isdigit() and w not in STOPWORDS
        )
        self._typos: dict[str, tuple[str, float] | None] = {}
        self._search_choices: dict[str, str] | None = None  # built on first autocomplete

        self._bm25: bm25s.BM25 | None = None
        self._bm25_vocab: Mapping[str, int] = {}
        if corpus:
            self._bm25 = bm25s.BM25()
            self._bm25.index([doc or [""] for doc in corpus], show_progress=False)
            self._bm25_vocab = self._bm25.vocab_dict

    # ------------------------------------------------------------------ query side

    def _query(self, question: str) -> _Query:
        """Content stems of the question with their weight and credit."""
        weights: dict[str, float] = {}
        credit: dict[str, float] = {}
        stems: list[str] = []
        expanded = self._analyser.expand(question[:MAX_QUERY_CHARS])
        for word, share in expanded:
            if word in STOPWORDS:
                continue
            stem = self._analyser.stem(word)
            sure = 1.0
            if stem not in self._idf:
                fixed = self._correct(word)
                if fixed is None:
                    sure = 0.0
                else:
                    stem, sure = fixed
            stems.append(stem)
            weights[stem] = max(weights.get(stem, 0.0), share * self._weight(stem))
            credit[stem] = max(credit.get(stem, 0.0), sure)
        known = sum(w for t, w in weights.items() if credit[t] > 0)
        words = " ".join(w for w, _ in expanded)
        return _Query(weights, credit, " ".join(stems), sum(weights.values()), known, words)

    def _correct(self, word: str) -> tuple[str, float] | None:
        """The known word a misspelt word most likely is, and how much to trust that."""
        if len(word) < 4 or word.isdigit():
            return None
        if word in self._typos:
            return self._typos[word]
        cutoff = 85 if len(word) >= 6 else 88
        found = process.extractOne(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
        result = None
        if found is not None:
            trust = 0.5 + 0.5 * (found[1] - cutoff) / (100 - cutoff)
            result = (self._analyser.stem(found[0]), trust)
        if len(self._typos) >= _TYPO_CACHE_MAX:
            self._typos.clear()
        self._typos[word] = result
        return result

    def _weight(self, term: str) -> float:
        return self._idf.get(term, self._unknown_idf)

    def _coverage(self, query: _Query, terms: frozenset[str]) -> float:
        """The share of the known words' weight in the question that `terms` contain."""
        if not query.known:
            return 0.0
        matched = sum(w * query.credit[t] for t, w in query.weights.items() if t in terms)
        return matched / query.known

    def _candidates(self, query: _Query) -> set[int]:
        found: set[int] = set()
        if self._bm25 is not None:
            ids = [
                self._bm25_vocab[t]
                for t in query.weights
                if query.credit[t] > 0 and t in self._bm25_vocab
            ]
            if ids:
                scores = self._bm25.get_scores(ids)
                k = min(CANDIDATES, len(scores))
                top = np.argpartition(-scores, k - 1)[:k]
                found.update(int(i) for i in top if scores[i] > 0)
        if query.fuzzy and len(self._fuzzy) <= FUZZY_FULL_SCAN_LIMIT:
            for _, _, index in process.extract(
                query.fuzzy,
                self._fuzzy,
                scorer=fuzz.token_sort_ratio,
                limit=CANDIDATES,
                score_cutoff=50,
            ):
                found.add(self._fuzzy_owner[index])
        return found

    def _evidence(
        self, query: _Query, terms: frozenset[str], mass: float, fuzzy: str
    ) -> tuple[float, float, float, float]:
        """Recall, precision, their harmonic mean and fuzzy similarity for one phrasing."""
        matched = [t for t in query.weights if t in terms]
        recall = sum(query.weights[t] * query.credit[t] for t in matched) / query.known
        precision = sum(self._idf[t] * query.credit[t] for t in matched) / mass if mass else 0.0
        both = 2 * recall * precision / (recall + precision) if matched else 0.0
        return recall, precision, both, fuzz.token_sort_ratio(query.fuzzy, fuzzy) / 100

    def _candidate(
        self,
        query: _Query,
        index: int,
        phrasings: range,
        doc: frozenset[str],
        ground: frozenset[str],
        sentence: bool,
    ) -> Candidate:
        """Score one entry (or sentence) from its best phrasing and its whole document."""
        best = (0.0, 0.0, 0.0, 0.0)
        fuzzy = 0.0
        for j in phrasings:
            if sentence:
                found = self._evidence(
                    query, self._sentence_terms[j], self._sentence_mass[j], self._sentence_fuzzy[j]
                )
            else:
                found = self._evidence(
                    query, self._phrasing_sets[j], self._phrasing_mass[j], self._fuzzy[j]
                )
            best = max(best, found, key=lambda e: e[2] + e[3])  # F1 plus fuzzy
            fuzzy = max(fuzzy, found[3])
        document = self._coverage(query, doc)
        unknown = 1 - query.known / query.total
        information = sum(w * query.credit[t] for t, w in query.weights.items() if t in doc)
        grounding = self._coverage(query, ground)
        features = (
            best[0],
            best[1],
            best[2],
            document,
            grounding,
            fuzzy,
            unknown,
            math.log1p(information),
        )
        z = CALIBRATION[0] + sum(c * x for c, x in zip(CALIBRATION[1:], features, strict=True))
        return Candidate(index, information, features, 1 / (1 + math.exp(-z)))

    def rank(self, question: str) -> tuple[list[Candidate], list[Candidate]]:
        """Entries and article sentences considered for a question, best first."""
        query = self._query(question)
        if not query.known:
            return [], []
        offsets = self._offsets
        exact = self._exact.get(query.words)
        found = self._candidates(query)
        if exact is not None:
            found.add(exact)
        entries = [
            self._candidate(
                query,
                i,
                range(offsets[i], offsets[i + 1]),
                self._doc_terms[i],
                self._ground_terms[i],
                False,
            )
            for i in found
        ]
        if exact is not None:
            # Asked word for word as one of the entry's phrasings: that entry, confidently.
            entries = [
                replace(c, confidence=max(c.confidence, EXACT_CONFIDENCE), exact=True)
                if c.index == exact
                else c
                for c in entries
            ]
        entries.sort(key=lambda c: (not c.exact, -c.confidence))
        sentences = [
            self._candidate(query, i, range(i, i + 1), terms, terms, True)
            for i, terms in enumerate(self._sentence_terms)
        ]
        sentences.sort(key=lambda c: -c.confidence)
        return entries, sentences

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
                return self._answer(question, self.kb.entries[top.index], top_score)
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
        if self._search_choices is None:
            self._search_choices = {e.id: normalize(f"{e.id} {e.question}") for e in entries}
        results = process.extract(query, self._search_choices, scorer=fuzz.WRatio, limit=limit)
        by_id = self.kb.by_id
        return [Suggestion(key, by_id[key].question, round(score)) for _, score, key in results]


def _entry_body(entry: Entry) -> str:
    return " ".join((entry.answer, *(s.quote for s in entry.sources)))


def _idf(n_docs: int, df: int) -> float:
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def _percent(score: float) -> int:
    return max(0, min(100, round(score * 100)))
