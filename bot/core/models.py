"""Typed, immutable models of the article, the FAQ and the answers built from them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "ANSWER_MAX",
    "LANGUAGE_NOTES",
    "QUESTION_MAX",
    "QUOTE_MAX",
    "QUOTE_MIN",
    "Article",
    "Entry",
    "KnowledgeBase",
    "Paragraph",
    "Reason",
    "Reply",
    "Source",
    "Suggestion",
    "split_sentences",
]

# Discord limits: embed title 256, embed description 4096 (we keep 4000), field value 1024.
QUESTION_MAX = 256
ANSWER_MAX = 4000
QUOTE_MAX = 1000
QUOTE_MIN = 20
ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# Custom ids of buttons carry the entry id and must stay within Discord's 100 characters.
ID_MAX = 48

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Source(BaseModel):
    """Where an answer comes from: a paragraph number and a verbatim quote from it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    paragraph: int = Field(ge=1, strict=True)
    quote: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=QUOTE_MIN, max_length=QUOTE_MAX)
    ]


class Entry(BaseModel):
    """One FAQ entry: a question, the other ways people ask it, the answer and its sources."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=ID_MAX)]
    question: Annotated[_Text, StringConstraints(max_length=QUESTION_MAX)]
    alternates: tuple[Annotated[_Text, StringConstraints(max_length=QUESTION_MAX)], ...] = ()
    answer: Annotated[_Text, StringConstraints(max_length=ANSWER_MAX)]
    sources: tuple[Source, ...] = ()
    tags: tuple[Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=32)], ...] = ()
    # Set on moderator entries only.
    created_by: int | None = Field(default=None, strict=True)
    created_at: dt.datetime | None = None
    updated_by: int | None = Field(default=None, strict=True)
    updated_at: dt.datetime | None = None

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The question followed by its alternates."""
        return (self.question, *self.alternates)

    @property
    def is_moderator_entry(self) -> bool:
        """True for entries added from Discord rather than shipped in knowledge/."""
        return self.created_by is not None

    def to_yaml_dict(self) -> dict[str, Any]:
        """A plain mapping in the knowledge-file layout, empty optional fields left out."""
        data = self.model_dump(mode="json", exclude_none=True)
        for key in ("alternates", "sources", "tags"):
            if not data.get(key):
                data.pop(key, None)
        return data


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A body paragraph of the article; numbers are public and start at 1."""

    number: int
    text: str


_SENTENCE_END = re.compile(r"(?<=[.!?])[”\"’)]?\s+(?=[A-Z“\"(])")


def split_sentences(text: str) -> list[str]:
    """The sentences of a text (a full stop, ! or ? before a capital)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


@dataclass(frozen=True, slots=True)
class Article:
    """The article: title, date, optional URL and its numbered body paragraphs."""

    title: str
    date: dt.date
    url: str | None
    paragraphs: tuple[Paragraph, ...]

    @property
    def date_text(self) -> str:
        """The date as people write it, e.g. "April 26, 2023"."""
        return f"{self.date:%B} {self.date.day}, {self.date.year}"

    def paragraph(self, number: int) -> Paragraph | None:
        """The paragraph with that public number, or None when out of range."""
        if 1 <= number <= len(self.paragraphs):
            return self.paragraphs[number - 1]
        return None

    def sentences(self) -> tuple[tuple[int, str], ...]:
        """Every sentence of the body as (paragraph number, sentence)."""
        return tuple(
            (p.number, s.strip())
            for p in self.paragraphs
            for s in _SENTENCE_END.split(p.text)
            if s.strip()
        )


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """The article, the FAQ entries and the synonym map, keyed for lookup."""

    article: Article
    entries: tuple[Entry, ...]
    synonyms: Mapping[str, str] = field(default_factory=dict)
    by_id: Mapping[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {e.id: e for e in self.entries})

    def with_entries(self, extra: tuple[Entry, ...]) -> KnowledgeBase:
        """This base plus extra entries (a server's own); extra ids replace nothing."""
        if not extra:
            return self
        return KnowledgeBase(self.article, self.entries + extra, self.synonyms)

    @property
    def tags(self) -> tuple[str, ...]:
        """All tags in use, sorted."""
        return tuple(sorted({t for e in self.entries for t in e.tags}))


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An entry that might be meant, offered when the matcher will not answer."""

    entry_id: str
    question: str
    score: int


Kind = Literal["faq", "article"]
# Why a question got no answer: the article does not give the detail asked for; no entry is
# confident enough; two entries from different paragraphs are equally likely; in chat, the
# message is not a question.
Reason = Literal["not_in_article", "unsure", "ambiguous", "not_a_question"]
Language = Literal["ko"]

# The one line a reply to a question in another language opens with: the answer comes from
# the English FAQ and stays in English.
LANGUAGE_NOTES: Mapping[str, tuple[str, str]] = {
    # (answered, not answered)
    "ko": ("영어 FAQ에서 찾은 답변이라 영어로 안내합니다.", "영어 FAQ에서 답을 찾지 못했습니다."),
}


@dataclass(frozen=True, slots=True)
class Reply:
    """What the engine says to a question; the console's JSON contract mirrors it."""

    question: str
    answered: bool
    kind: Kind | None = None
    entry_id: str | None = None
    title: str | None = None
    answer: str | None = None
    sources: tuple[Source, ...] = ()
    score: int = 0
    suggestions: tuple[Suggestion, ...] = ()
    reason: Reason | None = None  # set when not answered
    # The question's language when it is not English (the answer stays in English).
    language: Language | None = None

    @property
    def note(self) -> str | None:
        """The one-line note in the question's language, or None for an English question."""
        if self.language is None:
            return None
        answered, unanswered = LANGUAGE_NOTES[self.language]
        return answered if self.answered else unanswered

    @classmethod
    def for_entry(
        cls,
        entry: Entry,
        *,
        question: str | None = None,
        score: int = 100,
        language: Language | None = None,
    ) -> Reply:
        """An answer with an FAQ entry (to `question`, by default the entry's own)."""
        return cls(
            question=entry.question if question is None else question,
            answered=True,
            kind="faq",
            entry_id=entry.id,
            title=entry.question,
            answer=entry.answer,
            sources=entry.sources,
            score=score,
            language=language,
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The console's `ask --json` object."""
        return {
            "question": self.question,
            "answered": self.answered,
            "kind": self.kind,
            "entry_id": self.entry_id,
            "title": self.title,
            "answer": self.answer,
            "sources": [{"paragraph": s.paragraph, "quote": s.quote} for s in self.sources],
            "score": self.score,
            "suggestions": [
                {"entry_id": s.entry_id, "question": s.question, "score": s.score}
                for s in self.suggestions
            ],
            "reason": self.reason,
            "language": self.language,
            "note": self.note,
        }
