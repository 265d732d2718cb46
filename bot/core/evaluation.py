"""Scoring the matcher on an evaluation set shaped like tests/data/dev.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import KnowledgeError
from .loader import load_yaml
from .matcher import Matcher
from .models import Reply

__all__ = ["EvalCase", "EvalReport", "EvalSet", "load_eval_set", "run_eval"]


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One question of an evaluation set and what counts as right for it."""

    section: str  # on_topic | meta | off_topic | chat_noise
    question: str
    paragraphs: tuple[int, ...] = ()
    expect: str | None = None


@dataclass(frozen=True, slots=True)
class EvalSet:
    """All cases of an evaluation file."""

    cases: tuple[EvalCase, ...]


@dataclass(frozen=True, slots=True)
class Miss:
    """A case the matcher got wrong, with what it did instead."""

    case: EvalCase
    reply: Reply


@dataclass(slots=True)
class EvalReport:
    """Per-section totals and every miss."""

    totals: dict[str, int] = field(default_factory=dict)
    passed: dict[str, int] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)

    def rate(self, section: str) -> float | None:
        """The share of cases passed in a section, or None when it has none."""
        total = self.totals.get(section, 0)
        return self.passed.get(section, 0) / total if total else None


def load_eval_set(path: Path) -> EvalSet:
    """Read an evaluation YAML file; raise KnowledgeError naming what is wrong."""
    name = str(path)
    data: Any = load_yaml(path)
    if not isinstance(data, dict):
        raise KnowledgeError.single(name, "must be a mapping of sections")
    cases: list[EvalCase] = []
    for item in data.get("on_topic") or []:
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise KnowledgeError.single(name, f"on_topic item needs 'q' and 'para': {item!r}")
        paras = item.get("para") or []
        cases.append(EvalCase("on_topic", item["q"], tuple(int(p) for p in paras)))
    for item in data.get("meta") or []:
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise KnowledgeError.single(name, f"meta item needs 'q' and 'expect': {item!r}")
        cases.append(EvalCase("meta", item["q"], expect=str(item.get("expect", ""))))
    for section in ("off_topic", "chat_noise"):
        for item in data.get(section) or []:
            if not isinstance(item, str):
                raise KnowledgeError.single(name, f"{section} items must be strings: {item!r}")
            cases.append(EvalCase(section, item))
    return EvalSet(tuple(cases))


def _passes(case: EvalCase, reply: Reply) -> bool:
    if case.section == "on_topic":
        return reply.answered and any(s.paragraph in case.paragraphs for s in reply.sources)
    if case.section == "meta":
        return reply.answered and case.expect is not None and case.expect in (reply.answer or "")
    return not reply.answered


def run_eval(matcher: Matcher, eval_set: EvalSet) -> EvalReport:
    """Ask every case (chat noise in chat mode) and score it."""
    report = EvalReport()
    for case in eval_set.cases:
        reply = matcher.reply(case.question, chat=case.section == "chat_noise")
        report.totals[case.section] = report.totals.get(case.section, 0) + 1
        if _passes(case, reply):
            report.passed[case.section] = report.passed.get(case.section, 0) + 1
        else:
            report.misses.append(Miss(case, reply))
    return report
