"""Scoring the matcher on an evaluation set in the shared schema.

An evaluation file is a mapping of sections, each a list:

- on_topic   {q, para}: answer from one of these paragraphs (scored in lookup and in chat);
- off_topic  question strings the article does not answer: decline;
- near_miss  {q, para}: touches a paragraph's topic but asks what it does not say: decline;
- chat_noise strings that are not questions to the bot: silent in chat;
- korean     {q, para}: a Korean question; answer from one of these paragraphs;
- korean_off Korean strings the article does not answer: decline;
- multi      {q, para}: chatter around a question, or two questions (chat rules); para
  answers the first;
- meta       {q, expect}: a question about the article itself; the answer contains `expect`.

Each is reported as its own rate; on_topic twice (lookup and chat), and off-topic plus near
misses together as "declined".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import KnowledgeError
from .loader import KEY_MARK, load_yaml_lines
from .models import Reply

__all__ = [
    "RATES",
    "SECTIONS",
    "EvalCase",
    "EvalReport",
    "EvalSet",
    "Miss",
    "load_eval_set",
    "run_eval",
]

# Sections whose items are {q, para}, {q, expect} or plain question strings.
_WITH_PARAGRAPHS = ("on_topic", "near_miss", "korean", "multi")
_STRINGS = ("off_topic", "chat_noise", "korean_off")
SECTIONS = (
    "on_topic",
    "off_topic",
    "near_miss",
    "chat_noise",
    "korean",
    "korean_off",
    "multi",
    "meta",
)

# What `faqbot eval` reports, in order: each rate's name and what it measures.
RATES: Mapping[str, str] = {
    "on_topic": "on-topic answered from a right paragraph (lookup)",
    "on_topic_chat": "on-topic answered from a right paragraph (chat)",
    "off_topic": "off-topic declined",
    "near_miss": "near misses declined",
    "declined": "off-topic + near misses declined",
    "chat_noise": "chat noise silent (chat)",
    "korean": "Korean answered from a right paragraph",
    "korean_off": "Korean off-topic declined",
    "multi": "question in chatter / two questions (chat)",
    "meta": "meta questions answered",
}


class Answerer(Protocol):
    """What an evaluation asks: anything with the matcher's reply()."""

    def reply(self, question: str, *, chat: bool = False, addressed: bool = False) -> Reply:
        """The reply to a question."""
        ...


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One question of an evaluation set and what counts as right for it."""

    section: str  # one of SECTIONS
    question: str
    paragraphs: tuple[int, ...] = ()
    expect: str | None = None
    line: int | None = None  # where the item is in its file


@dataclass(frozen=True, slots=True)
class EvalSet:
    """All cases of an evaluation file."""

    cases: tuple[EvalCase, ...]


@dataclass(frozen=True, slots=True)
class Miss:
    """A case the matcher got wrong, with what it did instead."""

    case: EvalCase
    rate: str  # which of RATES it counts against
    reply: Reply


@dataclass(slots=True)
class EvalReport:
    """Per-rate totals and every miss."""

    totals: dict[str, int] = field(default_factory=dict)
    passed: dict[str, int] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)

    def rate(self, name: str) -> float | None:
        """The share of cases passed for one of RATES, or None when it has none."""
        total = self.totals.get(name, 0)
        return self.passed.get(name, 0) / total if total else None

    def _count(
        self, name: str, case: EvalCase, reply: Reply, passed: bool, *, listed: bool = True
    ) -> None:
        self.totals[name] = self.totals.get(name, 0) + 1
        if passed:
            self.passed[name] = self.passed.get(name, 0) + 1
        elif listed:
            self.misses.append(Miss(case, name, reply))


def load_eval_set(path: Path) -> EvalSet:
    """Read an evaluation YAML file; raise KnowledgeError naming the line of what is wrong."""
    name = str(path)
    data, lines = load_yaml_lines(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise KnowledgeError.single(name, "must be a mapping of sections", line=lines.get(()))
    cases: list[EvalCase] = []
    for section, items in data.items():
        line = lines.get((section, KEY_MARK))
        if section not in SECTIONS:
            raise KnowledgeError.single(
                name,
                f"unknown section {section!r}; expected one of {', '.join(SECTIONS)}",
                line=line,
            )
        if items is None:
            continue
        if not isinstance(items, list):
            raise KnowledgeError.single(name, f"section {section!r} must be a list", line=line)
        for index, item in enumerate(items):
            at = lines.get((section, index), line)
            cases.append(_case(name, section, item, at))
    return EvalSet(tuple(cases))


def _case(name: str, section: str, item: Any, line: int | None) -> EvalCase:
    def fail(what: str) -> KnowledgeError:
        return KnowledgeError.single(name, f"{section} item {what}: {item!r}", line=line)

    if section in _STRINGS:
        if isinstance(item, dict) and set(item) == {"q"}:
            item = item["q"]
        if not isinstance(item, str) or not item.strip():
            raise fail("must be a question string")
        return EvalCase(section, item, line=line)
    if not isinstance(item, dict) or not isinstance(item.get("q"), str) or not item["q"].strip():
        raise fail("needs a question 'q'")
    if section == "meta":
        expect = item.get("expect")
        if set(item) != {"q", "expect"} or not isinstance(expect, str) or not expect:
            raise fail("needs 'q' and a non-empty 'expect' text, nothing else")
        return EvalCase(section, item["q"], expect=expect, line=line)
    paragraphs = item.get("para")
    if (
        set(item) != {"q", "para"}
        or not isinstance(paragraphs, list)
        or not paragraphs
        or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 1 for p in paragraphs)
    ):
        raise fail("needs 'q' and 'para', a list of paragraph numbers (1 or more), nothing else")
    return EvalCase(section, item["q"], tuple(paragraphs), line=line)


def _from_paragraphs(case: EvalCase, reply: Reply) -> bool:
    return reply.answered and any(s.paragraph in case.paragraphs for s in reply.sources)


def run_eval(matcher: Answerer, eval_set: EvalSet) -> EvalReport:
    """Ask every case under its section's rules and score it."""
    report = EvalReport()
    for case in eval_set.cases:
        section = case.section
        if section == "on_topic":
            reply = matcher.reply(case.question)
            report._count("on_topic", case, reply, _from_paragraphs(case, reply))
            chat = matcher.reply(case.question, chat=True)
            report._count("on_topic_chat", case, chat, _from_paragraphs(case, chat))
        elif section in ("korean", "multi"):
            reply = matcher.reply(case.question, chat=section == "multi")
            report._count(section, case, reply, _from_paragraphs(case, reply))
        elif section == "meta":
            reply = matcher.reply(case.question)
            found = (
                reply.answered and case.expect is not None and case.expect in (reply.answer or "")
            )
            report._count("meta", case, reply, found)
        elif section == "chat_noise":
            reply = matcher.reply(case.question, chat=True)
            report._count("chat_noise", case, reply, not reply.answered)
        else:  # off_topic, near_miss, korean_off: declined in lookup
            reply = matcher.reply(case.question)
            report._count(section, case, reply, not reply.answered)
            if section != "korean_off":
                report._count("declined", case, reply, not reply.answered, listed=False)
    return report
