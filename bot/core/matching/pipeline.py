"""The Matcher: a question goes through analysis, the index, features, calibration, policy."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace

from rapidfuzz import fuzz, process

from ..lexicon import GENERAL_SYNONYMS, INTERROGATIVES, STOPWORDS
from ..models import Entry, KnowledgeBase, Reply, Suggestion, split_sentences
from ..text import MAX_QUERY_CHARS, normalize
from .analysis import CACHE_MAX, Analyser, Query, analyse_question
from .bilingual import KoreanMatcher
from .calibration import Calibration, load_calibration
from .details import FRAME_WORDS, Detail, EntryText, answers_kind, asked_detail, has_detail
from .features import Candidate, query_terms, rank_entries, rank_sentences
from .index import Index
from .korean import HANGUL_RUN, has_hangul, is_korean_question
from .meta import article_facet
from .opinion import SecondOpinion, Similarity
from .overlay import Overlay, needs_full_index
from .policy import Asked, MatchSettings, Policy, asked_in, names_a_topic
from .semantic import SemanticModel

__all__ = ["Matcher"]


class Matcher:
    """Answers questions from one knowledge base; build once, query many times."""

    def __init__(
        self,
        kb: KnowledgeBase,
        settings: MatchSettings | None = None,
        calibration: Calibration | None = None,
        semantic: SemanticModel | None = None,
        *,
        eager: bool = True,
    ) -> None:
        """`semantic`: the multilingual model for Korean questions, and for a second opinion
        on English ones in the policy's gray zone (None: English matched lexically alone).
        `eager`: read the entries' sentences now, so that no member's first question on an
        entry waits for them; a process that asks one question passes False."""
        self.kb = kb
        self.settings = settings or MatchSettings()
        self.calibration = calibration or default_calibration()
        self._built: Index | None = None  # the English index, built on first use
        self._build_lock = threading.Lock()
        self._overlay: Overlay | None = None
        self._policy = Policy(kb, self.settings, kb.article.sentences())
        self._search_choices: dict[str, str] | None = None  # built on first autocomplete
        self._semantic = semantic
        self._korean: KoreanMatcher | None = None  # built on the first Korean question
        # A server's matcher: the shipped one, whose vectors it reads rather than copies.
        self._shipped: Matcher | None = None
        self._opinion: SecondOpinion | None = None  # built on the first English question
        self._entry_texts: dict[int, EntryText] = {}  # entry -> its sentences, on demand
        if eager and len(kb.entries) <= EAGER_ENTRY_TEXTS:
            # A small base reads them all now (about 1 ms an entry), so that no member's
            # first question on an entry pays for it.
            for index in range(len(kb.entries)):
                self._entry_text(index)

    def with_entries(
        self, entries: tuple[Entry, ...], synonyms: Mapping[str, str] | None = None
    ) -> Matcher:
        """This matcher plus one server's own entries (and synonyms), for that server.

        The shipped index is shared, not copied: the entries get a small overlay index,
        scored with the same features and calibration (see `overlay`). The shipped synonyms
        win over the server's. Only when a server synonym would change how shipped texts read
        does the server get a whole index of its own.
        """
        if self._overlay is not None:
            raise ValueError("with_entries needs the shipped matcher, not a server's")
        own = dict(synonyms or {})
        kb = KnowledgeBase(
            self.kb.article, self.kb.entries + tuple(entries), {**own, **self.kb.synonyms}
        )
        if not entries and not own:
            return self
        if own and needs_full_index(self._index, own):
            return Matcher(kb, self.settings, self.calibration, self._semantic)
        analyser = Analyser({**GENERAL_SYNONYMS, **kb.synonyms}) if own else self._index.analyser
        server = Matcher.__new__(Matcher)
        server.kb = kb
        server.settings = self.settings
        server.calibration = self.calibration
        server._built = self._index
        server._build_lock = threading.Lock()
        server._overlay = Overlay(self._index, tuple(entries), analyser)
        server._policy = Policy(kb, self.settings, self._index.sentences)
        server._search_choices = None
        server._semantic = self._semantic
        server._korean = None
        server._shipped = self
        server._opinion = None
        # The shipped entries keep their indexes and read the same paragraphs.
        server._entry_texts = dict(self._entry_texts)
        return server

    @property
    def _index(self) -> Index:
        """The English index, built on first use: a process that only answers a Korean
        question (`faqbot ask` in Korean) never needs it (0.1 s of its start)."""
        index = self._built
        if index is None:
            with self._build_lock:
                if self._built is None:
                    kb = self.kb
                    self._built = Index(kb, Analyser({**GENERAL_SYNONYMS, **kb.synonyms}))
                index = self._built
        return index

    def rank(self, question: str) -> tuple[list[Candidate], list[Candidate]]:
        """Entries and article sentences considered for a question, best first: the lexical
        ranking of the text as written, which the calibration learns from (`reply` first
        routes a question about the article itself to its facet's plain question)."""
        _, entries, sentences = self._ranked(question)
        return entries, sentences()

    def _ranked(
        self, question: str
    ) -> tuple[Query, list[Candidate], Callable[[], list[Candidate]]]:
        """The analysed question, its entries, and its article sentences on demand (the
        policy reads them only when no entry answers)."""
        if self._overlay is not None:
            return self._overlay.ranked(question, self.calibration, self.settings.min_information)
        index = self._index
        query = analyse_question(
            question, index.analyser, index.term_id, index.weight, index.corrector
        )
        if not query.known:
            return query, [], list
        terms = query_terms(index, query)
        entries = rank_entries(
            [(index, terms)], query, self.calibration, self.settings.min_information
        )

        def sentences() -> list[Candidate]:
            return rank_sentences(index, query, *terms, self.calibration)

        return query, entries, sentences

    def _prefer_kind(self, entries: list[Candidate], detail: Detail | None) -> list[Candidate]:
        """A close runner-up written for the kind of question asked ("who...") goes first."""
        if detail is None or not entries or entries[0].exact:
            return entries
        if answers_kind(self._entry_text(entries[0].index).kinds, detail):
            return entries
        for runner in entries[1:_KIND_RUNNERS]:
            close = entries[0].confidence - runner.confidence <= _KIND_MARGIN
            if close and detail.kind in self._entry_text(runner.index).kinds:
                return [runner, *(e for e in entries if e is not runner)]
        return entries

    def lacks_detail(self, question: str, candidate: Candidate) -> Detail | None:
        """The detail `question` asks for that an entry candidate does not give, if any."""
        query, _, _ = self._ranked(question)
        detail = asked_detail(question[:MAX_QUERY_CHARS])
        return self._missing_detail(detail, question, query)(candidate, False)

    def _missing_detail(
        self, detail: Detail | None, question: str, query: Query
    ) -> Callable[[Candidate, bool], Detail | None]:
        """For the policy: the detail `question` asks for that a candidate does not give."""
        if detail is None:
            return _NOTHING_MISSING
        analyser = self._index.analyser
        stem = analyser.stem
        frame = {stem(w) for w in FRAME_WORDS}
        topic = {s: w for s, w in query.weights.items() if query.credit[s] > 0 and s not in frame}
        own = [
            w
            for w in normalize(question[:MAX_QUERY_CHARS]).split()
            if w not in STOPWORDS and w not in FRAME_WORDS
        ]
        words = frozenset(own) | {w for w, _ in analyser.expand(own)}
        # Numbers and ages must stand near the question's own words, or their short synonyms
        # ("dc" -> "washington"), not near everything a long synonym brings in.
        near = {stem(w) for w in own}
        for word in own:
            expansion = [w for w, _ in analyser.expand([word]) if w not in STOPWORDS]
            if len(expansion) <= 2:
                near.update(stem(w) for w in expansion)
        about: frozenset[str] = frozenset()
        if detail.about:
            expansion = [w for w, _ in analyser.expand([detail.about]) if w not in STOPWORDS]
            about = frozenset({stem(detail.about), *(stem(w) for w in expansion[-1:])})

        def missing(candidate: Candidate, is_sentence: bool) -> Detail | None:
            if is_sentence:
                text = self._sentence_text(candidate.index)
            else:
                text = self._entry_text(candidate.index)
            found = has_detail(detail, text, topic, frozenset(near), words, stem, about)
            return None if found else detail

        return missing

    def _entry_text(self, index: int) -> EntryText:
        """What an entry's answer stands on, sentence by sentence: answer, quotes, cited
        paragraphs."""
        text = self._entry_texts.get(index)
        if text is None:
            entry = self.kb.entries[index]
            cited = {s.paragraph for s in entry.sources}
            sentences = [
                *split_sentences(entry.answer),
                *(s.quote for s in entry.sources),
                *(t for p, t in self._index.sentences if p in cited),
            ]
            if len(self._entry_texts) >= CACHE_MAX:
                self._entry_texts.clear()
            text = self._entry_texts[index] = EntryText.of(
                sentences,
                self._index.analyser.stem,
                entry.phrasings,
                self.kb.article.date_text,
                self._topic_stems,
                entry.answer,
            )
        return text

    def _topic_stems(self, text: str) -> set[str]:
        """A phrasing's topic as a question's is read: synonyms expanded, stopwords and frame
        words left out, stemmed."""
        analyser = self._index.analyser
        words = analyser.expand(normalize(text).split())
        return {analyser.stem(w) for w, _ in words if w not in STOPWORDS and w not in FRAME_WORDS}

    def _sentence_text(self, index: int) -> EntryText:
        return EntryText.of([self._index.sentences[index][1]], self._index.analyser.stem)

    def reply(self, question: str, *, chat: bool = False, addressed: bool = False) -> Reply:
        """The answer, suggestions or silence for a message.

        The questions in the message are matched, not the chatter around them; of several,
        the first that can be answered is, and the others are offered as suggestions.
        chat: the auto-answer listener's rules (only questions, stricter threshold);
        addressed: the bot was mentioned, which counts as asking.
        """
        text = question
        if self._semantic is not None and has_hangul(question[:MAX_QUERY_CHARS]):
            # Korean only in the chatter around an English question ("omg 대박 ... what is
            # he there for"): the English question is read, without the Korean.
            english = _english_question(question[:MAX_QUERY_CHARS])
            if english is not None:
                text = english
        if text is question and self._semantic is not None and has_hangul(text[:MAX_QUERY_CHARS]):
            return self._korean_matcher(self._semantic).reply(
                question, chat=chat, addressed=addressed
            )
        if not any(ch.isalpha() for ch in normalize(question[:MAX_QUERY_CHARS])):
            # Digits and signs alone ("4", "¼", "2021?") name nothing that could be answered.
            return Reply(
                question=question, answered=False, reason="not_a_question" if chat else "unsure"
            )
        asked = asked_in(text)
        # A bare topic in chat ("aukus subs cost") asks about it, if answered very surely.
        topic = chat and not addressed and not asked and names_a_topic(text)
        if chat and not addressed and not asked and not topic:
            return Reply(question=question, answered=False, reason="not_a_question")
        attempts = asked[:MAX_QUESTIONS]
        if [a.text.strip() for a in attempts] != [text.strip()]:
            # The whole message, when nothing in it alone answers.
            attempts.append(Asked(text, text))
        replies: list[Reply] = []
        sure = False
        for number, attempt in enumerate(attempts):
            if number >= len(asked) and any(r.answered for r in replies):
                break  # a question of the message was answered: no need for the whole
            if 0 < number < len(asked) and _only_frames(attempt.own):
                # "when will X happen, like what month": the frame asks more of the question
                # before it, and names no topic of its own.
                joined = f"{attempts[number - 1].text}, {attempt.own}"
                attempt = Asked(joined, joined)
            reply, known = self._decide(question, attempt, chat)
            if attempt.first is not None and reply.reason == "not_in_article":
                # "what's his name, and when's he visiting": the completing question asks
                # what the article lacks; the question it completes may still be answered.
                alone, alone_known = self._decide(
                    question, Asked(attempt.first, attempt.first), chat
                )
                if alone.answered:
                    reply, known = alone, alone_known
            elif attempt.alone is not None and reply.reason == "unsure":
                # "i think this is all theater. does the writer think it's enough": the
                # statement before the question is chatter, not what "it" stands for.
                alone, alone_known = self._decide(
                    question, Asked(attempt.alone, attempt.alone), chat
                )
                if alone.answered:
                    reply, known = alone, alone_known
            sure = known
            replies.append(reply)
        answered = next((r for r in replies if r.answered), None)
        if topic and not (answered and answered.score >= self.settings.topic_threshold and sure):
            return Reply(question=question, answered=False, reason="not_a_question")
        if answered is None:
            return replies[0]
        others = [r for r in replies[: len(asked)] if r is not answered]
        return replace(answered, suggestions=_others(answered, others, self.settings))

    def _decide(self, question: str, attempt: Asked, chat: bool) -> tuple[Reply, bool]:
        """The reply to one question of a message, and whether every word of its best entry's
        match is known (a bare topic must be: "seoul in spring" is not a topic)."""
        facet = article_facet(attempt.text)
        if facet is not None:
            # About the article itself ("whos the author of the piece"): matched as that
            # facet's plain question (see meta).
            attempt = Asked(facet.question, facet.question)
        query, entries, sentences = self._ranked(attempt.text)
        sure = bool(entries) and entries[0].features.unknown == 0
        # A fragment ("..., names?") asks for what the question before it asked.
        own_words = normalize(attempt.own[:MAX_QUERY_CHARS]).split()
        detail = asked_detail(attempt.own[:MAX_QUERY_CHARS])
        if detail is None and not INTERROGATIVES.intersection(own_words):
            detail = asked_detail(attempt.text[:MAX_QUERY_CHARS])
        entries = self._prefer_kind(entries, detail)
        missing = self._missing_detail(detail, attempt.text, query)
        opinion = self._opinion_about(attempt.text)
        reply = self._policy.decide(
            question, entries, sentences, chat=chat, missing=missing, opinion=opinion
        )
        return reply, sure

    def warm_model(self) -> bool:
        """Load the model and this base's vectors now, so that no member's first question
        waits for them (a few seconds with empty caches); False without a model or when it
        failed to load (reported once, by the model)."""
        if self._semantic is None:
            return False
        korean = self._korean_matcher(self._semantic)._loaded()
        opinion = self._second_opinion()
        return korean and opinion is not None and opinion.loaded()

    def _korean_matcher(self, model: SemanticModel) -> KoreanMatcher:
        """This matcher's Korean matcher, made on the first Korean question; a server's
        shares the shipped entries' vectors (1,604 rows, 3 MB) instead of copying them."""
        if self._korean is None:
            shared = None if self._shipped is None else self._shipped._korean_matcher(model)
            self._korean = KoreanMatcher(self.kb, model, shared=shared)
        return self._korean

    def _opinion_about(self, text: str) -> Similarity | None:
        """The encoder's similarity of an English question to entries, for the policy to ask
        about a close race (the model runs only if it does); None without a model."""
        if self._semantic is not None and self._semantic.warming:
            return None  # the model is loading in the background: lexical alone till then
        opinion = self._second_opinion()
        return None if opinion is None else opinion.about(text)

    def _second_opinion(self) -> SecondOpinion | None:
        """This matcher's second opinion, made on first use (None without a model)."""
        if self._semantic is None:
            return None
        if self._opinion is None:
            # A server's shares the shipped entries' phrasing vectors (1,466 rows, 3 MB).
            shared = None if self._shipped is None else self._shipped._second_opinion()
            self._opinion = SecondOpinion(self.kb, self._semantic, shared)
        return self._opinion

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


def _only_frames(question: str) -> bool:
    """Whether a question is only the frame of a detail question ("what month", "how long")."""
    words = normalize(question[:MAX_QUERY_CHARS]).split()
    return bool(words) and all(
        w in STOPWORDS or w in INTERROGATIVES or w in FRAME_WORDS or w in _TIME_FRAMES
        for w in words
    )


# Words that only frame a "when" question ("what month", "which week").
_TIME_FRAMES = frozenset({"month", "months", "week", "weeks", "season", "hour"})


def _english_question(message: str) -> str | None:
    """The message without its Korean, when the Korean is only chatter ("와 대박", "ㅋㅋ")
    around a question asked in English; None when the Korean asks something itself."""
    if is_korean_question(" ".join(HANGUL_RUN.findall(message))):
        return None
    english = HANGUL_RUN.sub(" ", message)
    if sum(len(w) > 1 for w in normalize(english).split()) < _ENGLISH_WORDS:
        return None  # "동맹R", "NCG 뭐야": Korean with an English word or two asks in Korean
    asks = any(
        len(w) > 1 and w in INTERROGATIVES  # "r" ("are") alone is too weak a sign
        for a in asked_in(english)
        for w in normalize(a.own).split()
    )
    return english if asks else None


# An English question around Korean chatter has at least this many words of two letters or
# more ("what is it"; a lone "r" or "u" is no question).
_ENGLISH_WORDS = 3


def _NOTHING_MISSING(candidate: Candidate, is_sentence: bool) -> Detail | None:
    return None


# A runner-up among the next few, at most this much less confident, is preferred when its
# phrasings ask the kind of detail the question asks and the top entry's do not.
_KIND_RUNNERS = 4
_KIND_MARGIN = 0.15

# Questions of one message matched at most (each costs a lookup).
MAX_QUESTIONS = 3
# Bases of at most this many entries read every entry's sentences when built.
EAGER_ENTRY_TEXTS = 500


def _others(
    answered: Reply, others: list[Reply], settings: MatchSettings
) -> tuple[Suggestion, ...]:
    """What the message's other questions would lead to, as suggestions beside an answer."""
    found: list[Suggestion] = []
    for reply in others:
        if reply.answered and reply.entry_id is not None and reply.title is not None:
            found.append(Suggestion(reply.entry_id, reply.title, reply.score))
        elif reply.suggestions:
            found.append(reply.suggestions[0])
    unique = {s.entry_id: s for s in found if s.entry_id != answered.entry_id}
    return tuple(unique.values())[: settings.max_suggestions]


_DEFAULT: list[Calibration] = []


def default_calibration() -> Calibration:
    """The stored calibration, read once per process."""
    if not _DEFAULT:
        _DEFAULT.append(load_calibration())
    return _DEFAULT[0]
