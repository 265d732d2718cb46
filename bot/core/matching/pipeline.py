"""The Matcher: a question goes through analysis, the index, features, calibration, policy."""

from __future__ import annotations

from collections.abc import Mapping

from rapidfuzz import fuzz, process

from ..models import Entry, KnowledgeBase, Reply, Suggestion
from ..text import MAX_QUERY_CHARS, normalize
from .analysis import Analyser, analyse_question
from .bilingual import KoreanMatcher
from .calibration import Calibration, load_calibration
from .features import Candidate, query_terms, rank_entries, rank_sentences
from .index import Index
from .korean import has_hangul
from .overlay import Overlay, needs_full_index
from .policy import MatchSettings, Policy, is_question
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
    ) -> None:
        """`semantic`: the multilingual model for Korean questions (None: English only)."""
        self.kb = kb
        self.settings = settings or MatchSettings()
        self.calibration = calibration or default_calibration()
        self._index = Index(kb, Analyser(kb.synonyms))
        self._overlay: Overlay | None = None
        self._policy = Policy(kb, self.settings, self._index.sentences)
        self._search_choices: dict[str, str] | None = None  # built on first autocomplete
        self._semantic = semantic
        self._korean: KoreanMatcher | None = None  # built on the first Korean question

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
        analyser = Analyser(kb.synonyms) if own else self._index.analyser
        server = Matcher.__new__(Matcher)
        server.kb = kb
        server.settings = self.settings
        server.calibration = self.calibration
        server._index = self._index
        server._overlay = Overlay(self._index, tuple(entries), analyser)
        server._policy = Policy(kb, self.settings, self._index.sentences)
        server._search_choices = None
        server._semantic = self._semantic
        server._korean = None
        return server

    def rank(self, question: str) -> tuple[list[Candidate], list[Candidate]]:
        """Entries and article sentences considered for a question, best first."""
        if self._overlay is not None:
            return self._overlay.rank(question, self.calibration, self.settings.min_information)
        index = self._index
        query = analyse_question(
            question, index.analyser, index.term_id, index.weight, index.corrector
        )
        if not query.known:
            return [], []
        terms = query_terms(index, query)
        entries = rank_entries(
            [(index, terms)], query, self.calibration, self.settings.min_information
        )
        sentences = rank_sentences(index, query, *terms, self.calibration)
        return entries, sentences

    def reply(self, question: str, *, chat: bool = False, addressed: bool = False) -> Reply:
        """The answer, suggestions or silence for a question.

        chat: the auto-answer listener's rules (only questions, stricter threshold);
        addressed: the bot was mentioned, which counts as asking.
        """
        if self._semantic is not None and has_hangul(question[:MAX_QUERY_CHARS]):
            if self._korean is None:
                self._korean = KoreanMatcher(self.kb, self._semantic)
            return self._korean.reply(question, chat=chat, addressed=addressed)
        if chat and not addressed and not is_question(question[:MAX_QUERY_CHARS]):
            return Reply(question=question, answered=False, reason="not_a_question")
        entries, sentences = self.rank(question)
        return self._policy.decide(question, entries, sentences, chat=chat)

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


_DEFAULT: list[Calibration] = []


def default_calibration() -> Calibration:
    """The stored calibration, read once per process."""
    if not _DEFAULT:
        _DEFAULT.append(load_calibration())
    return _DEFAULT[0]
