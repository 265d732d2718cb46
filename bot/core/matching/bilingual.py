"""Answering Korean questions from the English FAQ.

The multilingual encoder ranks the entries: a question's similarity to an entry is that of its
closest phrasing, plus a share of its similarity to the answer and to the quoted sources. The
glossary (korean.py) adds lexical evidence: the share of the question's concepts, weighted by
rarity, that the entry's English text contains, against everything the question names. The
answer is the best entry by both, when the sum clears a threshold, the entry gives the kind
of detail asked for (a Korean question asking for a date, count, cost, age, name, reaction or
later event that the entry does not give is declined, as a near miss is in English), and the
question names no glossary concept that no entry names (a poll, a minister: not this FAQ's topic).

The reply is the entry's English answer, with its sources, marked as a Korean question
(`Reply.language`), so every presentation adds the same one-line Korean note.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import Stemmer

from ..models import Entry, KnowledgeBase, Reply, Suggestion
from .details import Detail, EntryText, has_detail
from .korean import (
    analyse,
    asks_outright,
    has_hangul,
    is_korean_question,
    only_jamo,
    sentences,
)
from .semantic import SemanticModel

__all__ = ["KOREAN_MAX_CHARS", "KoreanMatcher", "KoreanSettings", "Scores"]

# A Korean question is read up to this many characters: a long question in Korean (about 60
# English words), and what the encoder reads in under 10 ms a question on 2 busy cores
# (its time grows with the length: ~6 ms at 160 characters, ~19 ms at 600).
KOREAN_MAX_CHARS = 160
# Concepts whose per-entry shares are remembered (the glossary has a few hundred).
_SHARES_CACHE = 4096
# Question sentences of a message read on their own besides the whole (each costs an encoding).
MAX_QUESTION_SENTENCES = 2

_stemmer = Stemmer.Stemmer("english")
_WORD = re.compile(r"[a-z0-9]+")
# Words of glossary translations that name nothing by themselves.
_FILLER = frozenset({"the", "of", "and", "a", "to", "in", "on", "us", "own", "up"})
_MONTH_NAMES = (
    r"january|february|march|april|may|june|july|august|september|october|november|december"
)
# A date the article states, not one relative to its own date ("next month").
_DATE = re.compile(rf"\b(?:{_MONTH_NAMES}|\d{{4}}s?)\b", re.I)
_DAY = re.compile(rf"\b(?:{_MONTH_NAMES}) \d{{1,2}}\b", re.I)
_NUMBER = re.compile(
    r"\b(?:\d+(?!\d*s\b)|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion)\b",
    re.I,
)
_DURATION = re.compile(
    r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|seventy) (?:years?|decades?|months?)"
    r"\b(?! from now)|\bdecades\b",
    re.I,
)
# A frequency, and one precise enough to say how many times ("more frequently" is not one).
_FREQUENCY = re.compile(
    r"\b(?:frequent(?:ly)?|often|daily|weekly|monthly|quarterly|annual(?:ly)?|yearly"
    r"|regular(?:ly)?|every (?:day|week|month|year)|twice|once a|times a"
    r"|per (?:year|month|week))\b",
    re.I,
)
_TIMES = re.compile(
    r"\b(?:daily|weekly|monthly|quarterly|annual(?:ly)?|yearly|every (?:day|week|month|year)"
    r"|twice|once a|\w+ times a|per (?:year|month|week|day))\b",
    re.I,
)
_COST = re.compile(r"[$€₩]|\b(?:dollars?|won|cost|budget|price)\b", re.I)
_AGE = re.compile(r"\byears? old\b|\baged?\b", re.I)
# Details the article gives where its words state them (in an entry's quotes).
_STATED = {
    "date": _DATE,
    "day": _DAY,
    "duration": _DURATION,
    "number": _NUMBER,
    "cost": _COST,
    "age": _AGE,
    "frequency": _FREQUENCY,
    "times": _TIMES,
}
# Kinds whose stated evidence must stand next to a concept of the question (a number of
# *what*): within _NEAR words of it, in the same quote.
_NEAR_KINDS = frozenset({"duration", "number", "cost"})
_NEAR = 5
# Details an entry gives by answering an English phrasing that asks for them.
_PHRASING_ASKS = {
    "date": re.compile(r"^\W*when\b|\bwhat (?:year|date|month)\b", re.I),
    "duration": re.compile(r"\bhow long\b|\bhow many years\b|\bhow old\b", re.I),
    "number": re.compile(r"\bhow many\b", re.I),
    "person": re.compile(r"\bwho\b", re.I),
    "name": re.compile(r"\bwho\b|\bname\b", re.I),
    "reaction": re.compile(r"\breact|\bresponse\b", re.I),
    "place": re.compile(r"\bwhere\b", re.I),
    "frequency": re.compile(r"\bhow often\b|\bfrequency\b", re.I),
}


# Things whose names are those of people, or plain names the entry's "who" phrasings give
# ("필리핀 대통령 이름": the president's): stems of the glossary's words for them.
_HOLDER_WORDS = """
    president leaders officials experts author writer people public person minister ambassador
    observers counterparts administration government allies partners neighbors countries
"""
_HOLDERS = frozenset(_stemmer.stemWords(_HOLDER_WORDS.split()))
# Countries a count may be asked of ("한국에 기지 몇 개"): the stated count must be of that
# country's too. (Not the United States: "US access" is in many quotes.)
_COUNTRY_WORDS = (
    "korea philippines japan australia china russia india taiwan ukraine europe british"
)
_COUNTRIES = frozenset(_stemmer.stemWords(_COUNTRY_WORDS.split()))
# A number word or figure, and "how many X" where X is no unit of time (that asks how long).
_COUNT_WORD = re.compile(
    r"^(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty"
    r"|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion)$",
    re.I,
)
_HOW_MANY = re.compile(r"\bhow many (?!years?\b|months?\b|days?\b|weeks?\b|decades?\b)", re.I)
_COUNT_WINDOW = 3  # "four additional military bases": a number this many words before
# An English phrasing that asks what something is called.
_ASKS_NAME = re.compile(r"\bname[sd]?\b|\bcalled\b|\bstand for\b", re.I)


# The English matcher's names (details.Detail) for the kinds a Korean question asks for, so a
# decline reads the same in both languages; the most specific first (it names what is missing).
_DETAIL_KINDS = {
    "day": "day",
    "date": "time",
    "duration": "duration",
    "number": "number",
    "cost": "cost",
    "age": "age",
    "person": "person",
    "name": "name",
    "reaction": "reaction",
    "later": "later",
    "times": "frequency",
    "frequency": "frequency",
    "place": "place",
}


@dataclass(frozen=True, slots=True)
class KoreanSettings:
    """The decision for Korean questions (scores are 0-1; see tools/tune_korean.py)."""

    # Weights of the answer's and the sources' similarity beside the best phrasing's.
    answer_weight: float = 0.3
    source_weight: float = 0.3
    # How much the glossary evidence counts beside the similarity.
    lexical_weight: float = 1.0
    # What one content word the glossary does not know weighs against the named concepts.
    unknown_weight: float = 3.0
    # Similarity + evidence needed to answer: on the tuning files no Korean off-topic question
    # is answered from 0.70 up; 0.8 keeps a margin above that (tools/tune_korean.py).
    answer_threshold: float = 0.8
    chat_threshold: float = 0.85
    suggest_threshold: float = 0.45
    max_suggestions: int = 3


# A concept the question names: its English spellings, each as stems.
_Concept = tuple[tuple[str, ...], ...]

# English spellings of one concept, so an entry that writes "US" or "American" names the
# United States that the glossary's 미국 stands for.
_ALIASES = {
    "us": ("united", "states"),
    "america": ("united", "states"),
    "american": ("united", "states"),
    "americans": ("united", "states"),
    "washington": ("united", "states"),
    "korean": ("korea",),
    "koreans": ("korea",),
    "seoul": ("south", "korea"),
}


def _stems(text: str) -> frozenset[str]:
    words = _WORD.findall(text.casefold())
    words += [alias for word in words for alias in _ALIASES.get(word, ())]
    return frozenset(_stemmer.stemWords(words))


def _quotes(entry: Entry) -> list[str]:
    return [s.quote for s in entry.sources] or [entry.answer]


def _gives_name(
    entry: Entry, thing: frozenset[str], named: frozenset[str], words: frozenset[str]
) -> bool:
    """Whether the entry gives the name of a thing (its stems `thing`): a phrasing that asks
    that thing's name, or a quote that names it as the English check reads names ("Taiwan's
    President Tsai", "AUKUS-class submarines")."""
    if any(_ASKS_NAME.search(p) and thing & _stems(p) for p in entry.phrasings):
        return True
    text = EntryText.of(_quotes(entry), _stemmer.stemWord)
    topic = dict.fromkeys(named, 1.0)
    return has_detail(
        Detail("name", min(thing)), text, topic, named, words, _stemmer.stemWord, thing
    )


def _gives_count(entry: Entry, counted: frozenset[str], named: frozenset[str]) -> bool:
    """Whether the entry gives a count of the thing counted (its stems `counted`) in the
    countries the question names: a phrasing asking how many of it there, or a quote with a
    number just before it ("four additional military bases") and those countries."""
    countries = named & _COUNTRIES
    for phrasing in entry.phrasings:
        stems = _stems(phrasing)
        if _HOW_MANY.search(phrasing) and counted & stems and countries <= stems:
            return True
    for quote in _quotes(entry):
        if not countries <= _stems(quote):
            continue
        words = _WORD.findall(quote.casefold())
        stems_of = _stemmer.stemWords(words)
        for k, stem in enumerate(stems_of):
            if stem in counted and any(
                _COUNT_WORD.match(w) for w in words[max(0, k - _COUNT_WINDOW) : k]
            ):
                return True
    return False


def _gives(
    entry: Entry,
    kind: str,
    named: frozenset[str] = frozenset(),
    thing: frozenset[str] = frozenset(),
    words: frozenset[str] = frozenset(),
    counted: frozenset[str] = frozenset(),
) -> bool:
    """Whether the entry gives that kind of detail: one of its English phrasings asks for it,
    or its quotes state one (a count, a cost or a length of time next to a word of `named`,
    the stems of the question's concepts). The name of a thing (`thing`: its stems) must be
    given for that thing (`words`: the question's English words, which name nothing new);
    only for a person, or a country, do the entry's "who" phrasings give it: "who is Marcos"
    does not name the bases of the Philippines."""
    if kind == "number" and counted:
        return _gives_count(entry, counted, named)
    if kind == "name" and thing:
        if _gives_name(entry, thing, named, words):
            return True
        if not thing & _HOLDERS:
            return False
    asked = _PHRASING_ASKS.get(kind)
    if asked is not None and any(asked.search(p) for p in entry.phrasings):
        return True
    if kind == "place":
        # A place as the English check reads one: a name after "in", "to", "visit" …
        text = EntryText.of(_quotes(entry), _stemmer.stemWord)
        topic = dict.fromkeys(named, 1.0)
        return has_detail(Detail("place"), text, topic, named, words, _stemmer.stemWord)
    stated = _STATED.get(kind)
    if stated is None:
        return False
    for quote in _quotes(entry):
        for match in stated.finditer(quote):
            if kind not in _NEAR_KINDS:
                return True
            before = _WORD.findall(quote[: match.start()].casefold())[-_NEAR:]
            after = _WORD.findall(quote[match.end() :].casefold())[:_NEAR]
            if named & set(_stemmer.stemWords(before + after)):
                return True
    return False


@dataclass(frozen=True, slots=True)
class Scores:
    """The evidence for every entry about one Korean question."""

    similarity: np.ndarray  # encoder similarity, 0-1
    evidence: np.ndarray  # glossary evidence, 0-1
    asks: frozenset[str]  # the kinds of detail asked for
    named: frozenset[str]  # stems of the concepts the question names
    unnamed: tuple[str, ...] = ()  # glossary concepts it names that no entry names
    # Stems of the thing whose name is asked, if the question names one (korean.py), and
    # the English words of every concept it names.
    thing: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    counted: frozenset[str] = frozenset()  # stems of what a count asks about, if it says


class KoreanMatcher:
    """Korean questions against one knowledge base's English entries."""

    def __init__(
        self,
        kb: KnowledgeBase,
        model: SemanticModel,
        settings: KoreanSettings | None = None,
        shared: KoreanMatcher | None = None,
    ) -> None:
        """`shared`: the matcher of a knowledge base whose entries are the first of `kb`'s
        (the shipped FAQ, for a server's matcher): its vectors are used, not copied, and only
        the rest (the server's own entries) are encoded and kept here."""
        self.kb = kb
        self.settings = settings or KoreanSettings()
        self._model = model
        self._shared = shared
        self._first = len(shared.kb.entries) if shared is not None else 0
        self._vectors: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._texts = [_stems(self._english(e)) for e in kb.entries]
        self._counts: dict[_Concept, int] = {}
        self._shares: dict[_Concept, np.ndarray] = {}

    @staticmethod
    def _english(entry: Entry) -> str:
        return " ".join((*entry.phrasings, entry.answer, *(s.quote for s in entry.sources)))

    def _entry_vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Phrasing, answer and source vectors of the entries not shared (through the disk
        cache), built on first use; a phrasing's owner counts from the first entry not shared."""
        if self._vectors is None:
            entries = self.kb.entries[self._first :]
            phrasings = [p for e in entries for p in e.phrasings]
            owners = np.repeat(np.arange(len(entries)), [len(e.phrasings) for e in entries])
            bodies = [e.answer for e in entries]
            sources = [" ".join(s.quote for s in e.sources) or e.answer for e in entries]
            vectors = self._model.encode_texts(phrasings + bodies + sources)
            if vectors is None:
                return None
            n, m = len(phrasings), len(entries)
            self._vectors = (owners, vectors[:n], vectors[n : n + m], vectors[n + m :])
        return self._vectors

    def _count(self, concept: _Concept) -> int:
        """How many entries name a concept in any of its spellings."""
        count = self._counts.get(concept)
        if count is None:
            count = sum(
                1
                for text in self._texts
                if any(all(s in text for s in spelling) for spelling in concept)
            )
            self._counts[concept] = count
        return count

    def _named_in(self, concept: _Concept) -> np.ndarray:
        """How much of a concept each entry names (its best spelling's share of stems),
        cached: the glossary's concepts recur from question to question."""
        shares = self._shares.get(concept)
        if shares is None:
            shares = np.fromiter(
                (
                    max(sum(s in text for s in spelling) / len(spelling) for spelling in concept)
                    for text in self._texts
                ),
                dtype=np.float32,
                count=len(self._texts),
            )
            if len(self._shares) >= _SHARES_CACHE:
                self._shares.clear()
            self._shares[concept] = shares
        return shares

    def _weight(self, concept: _Concept) -> float:
        """Rarity of a concept: how few entries name it in any of its spellings (an IDF)."""
        return max(0.3, math.log((len(self._texts) + 1) / (1 + self._count(concept))))

    def _loaded(self) -> bool:
        """Whether the entries' vectors, shared ones included, are read (read them if not)."""
        shared = self._shared is None or self._shared._loaded()
        return shared and self._entry_vectors() is not None

    def _similarity(self, query: np.ndarray) -> np.ndarray | None:
        """Every entry's similarity to a question's vector: its closest phrasing's, plus its
        answer's and its quotes' at their weights."""
        vectors = self._entry_vectors()
        if vectors is None:
            return None
        owners, phrasings, bodies, sources = vectors
        settings = self.settings
        best = np.full(len(self.kb.entries) - self._first, -1.0, dtype=np.float32)
        with self._model.one_thread():
            np.maximum.at(best, owners, phrasings @ query)
            own: np.ndarray = (
                best
                + settings.answer_weight * (bodies @ query)
                + settings.source_weight * (sources @ query)
            ) / (1 + settings.answer_weight + settings.source_weight)
        if self._shared is None:
            return own
        shipped = self._shared._similarity(query)
        return None if shipped is None else np.concatenate([shipped, own])

    def scores(self, question: str) -> Scores | None:
        """Similarity and glossary evidence of every entry, and the details asked for."""
        if not self._loaded():
            return None
        query = self._model.encode_question(question)
        similarity = None if query is None else self._similarity(query)
        if similarity is None:
            return None
        settings = self.settings
        analysis = analyse(question)
        synonyms = self.kb.synonyms
        glossary = len(analysis.concepts)
        concepts = list(analysis.concepts)
        concepts += [(tuple(synonyms.get(w, w).split()),) for w in analysis.latin]
        named: list[_Concept] = []
        unnamed: list[str] = []
        for index, concept in enumerate(concepts):
            spellings = tuple(
                stems
                for stems in (
                    tuple(_stemmer.stemWords([w for w in words if w not in _FILLER]))
                    for words in concept
                )
                if stems
            )
            if spellings:
                named.append(spellings)
                # A glossary concept no entry names: the question is about something the
                # article does not cover (Latin words may be chat or names: not counted).
                if index < glossary and not self._count(spellings):
                    unnamed.append(" ".join(concept[0]))
        evidence = np.zeros(len(self.kb.entries), dtype=np.float32)
        total = settings.unknown_weight * analysis.unknown
        for concept in dict.fromkeys(named):
            weight = self._weight(concept)
            total += weight
            evidence += weight * self._named_in(concept)
        if total:
            evidence /= total
        named_stems = frozenset(s for concept in named for spelling in concept for s in spelling)
        thing = frozenset(
            _stemmer.stemWords(
                [w for words in analysis.named_thing for w in words if w not in _FILLER]
            )
        )
        words = frozenset(w for concept in concepts for spelling in concept for w in spelling)
        counted = frozenset(
            _stemmer.stemWords(
                [w for spelling in analysis.counted for w in spelling if w not in _FILLER]
            )
        )
        return Scores(
            similarity,
            evidence,
            analysis.asks,
            named_stems,
            unnamed=tuple(unnamed),
            thing=thing,
            words=words,
            counted=counted,
        )

    def choose(
        self, found: Scores, lexical_weight: float | None = None
    ) -> tuple[int, float, list[str]]:
        """The best entry, its combined score, and the asked kinds of detail it lacks.

        (Preferring a lower entry that gives the asked kind was tried: it answered off-topic
        questions with entries that give some date or name on another topic.)
        """
        if lexical_weight is None:
            lexical_weight = self.settings.lexical_weight
        combined = found.similarity + lexical_weight * found.evidence
        best = int(np.argmax(combined))
        entry = self.kb.entries[best]
        return (
            best,
            float(combined[best]),
            [
                k
                for k in found.asks
                if not _gives(entry, k, found.named, found.thing, found.words, found.counted)
            ],
        )

    def reply(self, question: str, *, chat: bool = False, addressed: bool = False) -> Reply:
        """The English answer to a Korean question, suggestions, or silence."""
        text = question[:KOREAN_MAX_CHARS]
        if chat and not addressed and not is_korean_question(text):
            return Reply(question=question, answered=False, reason="not_a_question", language="ko")
        # Chatter around a question ("안녕하세요! … 뭐야?"): the question sentences are read
        # first, those that ask outright (a '?' or a question word) before those that only end
        # like a question, then the whole message; the first reading that answers is taken,
        # else the one that fits an entry best.
        if only_jamo(text):
            # Jamo alone ("ㅋㅋㅋ", "ㅠㅠ", "ㅇㅇ") is laughter, tears or a yes: nothing to look
            # up, and no reason to run the model (it took 10-13 ms for 70 of them).
            return Reply(question=question, answered=False, reason="unsure", language="ko")
        parts = sentences(text)
        readings = [text]
        if len(parts) > 1:
            asking = [p for p in parts if has_hangul(p) and is_korean_question(p)]
            asking.sort(key=lambda p: not asks_outright(p))
            readings = [*asking[:MAX_QUESTION_SENTENCES], text]
        threshold = self.settings.chat_threshold if chat else self.settings.answer_threshold
        best: tuple[bool, float, Scores, int, list[str]] | None = None
        for reading in readings:
            scored = self.scores(reading)
            if scored is None:  # no model: nothing to answer Korean with
                return Reply(question=question, answered=False, reason="unsure", language="ko")
            chosen, value, missing = self.choose(scored)
            answers = value >= threshold and not missing and not scored.unnamed
            if best is None or (answers, value) > best[:2]:
                best = (answers, value, scored, chosen, missing)
            if answers:
                break
        assert best is not None
        _, value, found, chosen, missing = best
        settings = self.settings
        combined = found.similarity + settings.lexical_weight * found.evidence
        order = np.argsort(-combined, kind="stable")
        entries = self.kb.entries
        top = entries[chosen]
        scale = 1 + settings.lexical_weight
        score = _percent(value / scale)
        # Naming something no entry names (a minister, a poll): not this FAQ's topic.
        confident = value >= threshold and not found.unnamed
        if confident and not missing:
            return Reply.for_entry(top, question=question, score=score, language="ko")
        suggestions = tuple(
            Suggestion(
                entries[int(i)].id, entries[int(i)].question, _percent(float(combined[i]) / scale)
            )
            for i in map(int, order[: settings.max_suggestions])
            if float(combined[i]) >= settings.suggest_threshold
        )
        if confident:  # on the entry's topic, but it does not give the detail asked for
            detail = Detail(_DETAIL_KINDS[min(missing, key=list(_DETAIL_KINDS).index)])
            return Reply(
                question=question,
                answered=False,
                title=top.question,
                answer=f"The article doesn't say {detail.phrase()}. "
                f"What it says on this topic: {top.answer}",
                sources=top.sources,
                score=score,
                suggestions=() if chat else suggestions,
                reason="not_in_article",
                language="ko",
            )
        return Reply(
            question=question,
            answered=False,
            score=score,
            suggestions=() if chat else suggestions,
            reason="unsure",
            language="ko",
        )


def _percent(score: float) -> int:
    return max(0, min(100, round(score * 100)))
