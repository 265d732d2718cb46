"""Evaluation sets in the shared schema: every section read, scored and located."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import KnowledgeError
from bot.core.evaluation import SECTIONS, load_eval_set, run_eval
from bot.core.models import Reply, Source

_ALL = """\
on_topic:
  - {q: 'right', para: [2]}
off_topic:
  - 'bread'
near_miss:
  - {q: 'detail', para: [2]}
chat_noise:
  - 'lol'
korean:
  - {q: '무엇', para: [2]}
korean_off:
  - '빵'
multi:
  - {q: 'hi. right', para: [2]}
meta:
  - {q: 'title', expect: 'Vows'}
"""


class _Fake:
    """Answers 'right' (and anything containing it) from paragraph 2 in lookup and chat."""

    def reply(self, question: str, *, chat: bool = False, addressed: bool = False) -> Reply:
        if "right" in question or question == "title":
            return Reply(
                question=question,
                answered=True,
                kind="faq",
                answer="Renew their Vows",
                sources=(Source(paragraph=2, quote="x" * 20),),
            )
        return Reply(question=question, answered=False, reason="unsure")


def test_every_section_is_read_and_scored(tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    path.write_text(_ALL, encoding="utf-8")
    cases = load_eval_set(path).cases
    assert {c.section for c in cases} == set(SECTIONS)
    assert cases[0].line == 2 and cases[0].paragraphs == (2,)
    report = run_eval(_Fake(), load_eval_set(path))
    rates = {name: report.rate(name) for name in report.totals}
    assert rates == {
        "on_topic": 1.0,
        "on_topic_chat": 1.0,
        "off_topic": 1.0,
        "near_miss": 1.0,
        "declined": 1.0,
        "chat_noise": 1.0,
        "korean": 0.0,
        "korean_off": 1.0,
        "multi": 1.0,
        "meta": 1.0,
    }
    assert [(m.rate, m.case.line) for m in report.misses] == [("korean", 10)]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("on_topic: []\nofftopic:\n  - 'x'\n", 2, "unknown section 'offtopic'"),
        ("on_topic:\n  - {q: 'a', para: [1]}\n  - {q: 'b'}\n", 3, "on_topic item needs 'q' and"),
        ("near_miss:\n  - {q: 'a', para: [0]}\n", 2, "near_miss item needs 'q' and 'para'"),
        ("meta:\n  - {q: 'a'}\n", 2, "meta item needs 'q' and a non-empty 'expect'"),
        ("chat_noise: 'hello'\n", 1, "section 'chat_noise' must be a list"),
        ("- a\n", 1, "must be a mapping of sections"),
    ],
)
def test_a_malformed_file_names_the_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_eval_set(path)
    assert str(caught.value).startswith(f"{path}:{line}")
    assert message in str(caught.value)
