"""Sentence coverage: which article sentences no entry quotes or answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.coverage import COVERED_SHARE, coverage_lines, sentence_coverage
from bot.core.models import Article, Entry, KnowledgeBase, Paragraph, Source

# A made-up article: one sentence quoted, one paraphrased in an answer, two left alone.
ARTICLE = """\
---
title: "Lighthouses of the Northern Coast"
date: 2024-02-01
url: ""
---

The Kestrel Point lighthouse was rebuilt in stone after the storm of 1921.
Its keeper lived on the island with two goats.

Visitors arrive by ferry every Saturday in summer. Nobody knows who painted the red stripe.
"""

FAQ = """\
entries:
  - id: kestrel-rebuilt
    question: When was the Kestrel Point lighthouse rebuilt?
    alternates:
      [kestrel rebuilt when, stone lighthouse, storm of 1921, rebuilt lighthouse, "kestrel?"]
    answer: The article says it was rebuilt in stone after the storm of 1921.
    sources:
      - paragraph: 1
        quote: The Kestrel Point lighthouse was rebuilt in stone after the storm of 1921.
  - id: ferry
    question: How do visitors get there?
    alternates: [ferry times, when is the ferry, boat to the island, how to visit, getting there]
    answer: According to the article, visitors come by ferry, every Saturday during the summer.
    sources:
      - paragraph: 2
        quote: Visitors arrive by ferry every Saturday in summer.
"""


def _kb(entries: tuple[Entry, ...]) -> KnowledgeBase:
    article = Article(
        title="Test",
        date=dt.date(2024, 2, 1),
        url=None,
        paragraphs=(
            Paragraph(1, "The red bridge opened in 1990. It carries four lanes of traffic."),
            Paragraph(2, "Cyclists asked for a path. The city said no."),
        ),
    )
    return KnowledgeBase(article, entries)


def _entry(entry_id: str, answer: str, sources: tuple[Source, ...] = ()) -> Entry:
    return Entry(id=entry_id, question=f"{entry_id}?", answer=answer, sources=sources)


def test_a_quote_or_a_paraphrase_covers_a_sentence_and_the_rest_are_listed() -> None:
    kb = _kb(
        (
            _entry(
                "opened",
                "It opened long ago.",
                (Source(paragraph=1, quote="The red bridge opened in 1990."),),
            ),
            _entry("cyclists", "The article says cyclists have asked for a path of their own."),
        )
    )
    coverage = sentence_coverage(kb)
    assert [(c.paragraph, c.sentence, c.covered) for c in coverage] == [
        (1, "The red bridge opened in 1990.", True),
        (1, "It carries four lanes of traffic.", False),
        (2, "Cyclists asked for a path.", True),
        (2, "The city said no.", False),
    ]
    assert coverage[0].entry_id == "opened"
    assert coverage[2].entry_id == "cyclists"


def test_a_quote_counts_only_for_its_own_paragraph() -> None:
    # The words of paragraph 1 quoted under paragraph 2 do not cover paragraph 1.
    entry = _entry("misfiled", "Bridges.", (Source(paragraph=2, quote="The red bridge opened"),))
    first = sentence_coverage(_kb((entry,)))[0]
    assert not first.covered
    assert first.share < COVERED_SHARE


def test_one_entry_must_carry_the_sentence() -> None:
    # Half the words in one answer and half in another: still a gap.
    kb = _kb((_entry("a", "Four lanes."), _entry("b", "It carries traffic.")))
    second = sentence_coverage(kb)[1]
    assert second.sentence == "It carries four lanes of traffic."
    assert not second.covered


def test_report_lines_name_each_gap_and_its_closest_entry() -> None:
    kb = _kb((_entry("lanes", "It has four lanes."),))
    lines = coverage_lines(sentence_coverage(kb))
    assert lines[0] == (
        "coverage: 0 of 4 article sentences are quoted or answered by an entry; 4 not covered"
    )
    assert lines[2] == '  ¶1 "It carries four lanes of traffic." (closest: lanes, 50%)'
    assert lines[1] == '  ¶1 "The red bridge opened in 1990." (no entry)'


def test_check_coverage_on_a_made_up_article(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "article.md").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "faq.yaml").write_text(FAQ, encoding="utf-8")
    assert main(["check", "--coverage", "--knowledge", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "2 entries, 2 paragraphs, 2 quotes verified",
        "coverage: 2 of 4 article sentences are quoted or answered by an entry; 2 not covered",
        '  ¶1 "Its keeper lived on the island with two goats." (no entry)',
        '  ¶2 "Nobody knows who painted the red stripe." (no entry)',
    ]


def test_check_without_the_flag_prints_no_coverage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "article.md").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "faq.yaml").write_text(FAQ, encoding="utf-8")
    assert main(["check", "--knowledge", str(tmp_path)]) == 0
    assert "coverage" not in capsys.readouterr().out
