"""Policy: answer, suggest or decline, and why; the chat gate; the article fallback."""

from __future__ import annotations

from dataclasses import dataclass

from ..lexicon import INTERROGATIVES, SMALL_TALK
from ..models import KnowledgeBase, Reason, Reply, Source, Suggestion
from ..text import normalize
from .features import Candidate

__all__ = ["MatchSettings", "Policy", "is_question", "percent"]

# A quoted article sentence is cut to fit a Discord embed field (1024) with room to spare.
_QUOTE_LIMIT = 1000


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


def percent(score: float) -> int:
    """A 0-1 confidence as the 0-100 score replies carry."""
    return max(0, min(100, round(score * 100)))


class Policy:
    """Turns ranked candidates into a reply, by the settings' thresholds."""

    def __init__(
        self,
        kb: KnowledgeBase,
        settings: MatchSettings,
        sentences: tuple[tuple[int, str], ...],
    ) -> None:
        self.kb = kb
        self.settings = settings
        self._sentences = sentences

    def decide(
        self,
        question: str,
        entries: list[Candidate],
        sentences: list[Candidate],
        *,
        chat: bool,
    ) -> Reply:
        """Answer with the top entry, or an article sentence, or offer suggestions."""
        settings = self.settings
        threshold = settings.chat_threshold if chat else settings.answer_threshold
        top = entries[0] if entries else None
        top_score = percent(top.confidence) if top else 0
        reason: Reason = "unsure"
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
            reason = "ambiguous"
        if sentences:
            best = sentences[0]
            score = percent(best.confidence)
            if score >= max(settings.article_threshold, threshold) and score > top_score:
                paragraph, text = self._sentences[best.index]
                return _article_answer(question, paragraph, text, score)
        suggestions = tuple(
            Suggestion(
                self.kb.entries[c.index].id,
                self.kb.entries[c.index].question,
                percent(c.confidence),
            )
            for c in entries[: settings.max_suggestions]
            if percent(c.confidence) >= settings.suggest_threshold
        )
        return Reply(
            question=question,
            answered=False,
            score=top_score,
            suggestions=suggestions,
            reason=reason,
        )

    def _too_close(self, top: Candidate, runner: Candidate) -> bool:
        """Two entries within the margin that do not share a source paragraph."""
        if percent(top.confidence) - percent(runner.confidence) > self.settings.ambiguity_margin:
            return False
        first, second = self.kb.entries[top.index], self.kb.entries[runner.index]
        shared = {s.paragraph for s in first.sources} & {s.paragraph for s in second.sources}
        return not shared


def _article_answer(question: str, paragraph: int, sentence: str, score: int) -> Reply:
    quote = sentence if len(sentence) <= _QUOTE_LIMIT else sentence[: _QUOTE_LIMIT - 1] + "…"
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
