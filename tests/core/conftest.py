"""Fixtures for the storage, stats and library tests: a tiny valid knowledge dir of their own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ARTICLE = Path(__file__).resolve().parents[2] / "knowledge" / "article.md"

# Two shipped entries quoting article.md verbatim; independent of the real knowledge/faq.yaml.
SMALL_FAQ = """\
entries:
  - id: seventy-years
    question: How old is the alliance between the US and South Korea?
    alternates:
      - how long has the alliance lasted
      - age of the us korea alliance
      - when did the alliance start
      - how many years is the alliance
      - alliance anniversary
    answer: Last year marked 70 years of the American alliance with South Korea.
    sources:
      - paragraph: 1
        quote: Last year marked 70 years of the American alliance with South Korea.
  - id: ncg
    question: What is the nuclear consultative group?
    alternates:
      - wats the ncg
      - ncg meaning
      - what does the ncg do
      - nuclear consultative grp
      - ncg?
    answer: The two countries will set up a nuclear consultative group.
    sources:
      - paragraph: 2
        quote: the two countries will establish a nuclear consultative group
"""


@pytest.fixture
def small_knowledge(tmp_path: Path) -> Path:
    """knowledge/ with the real article and a two-entry faq.yaml."""
    directory = tmp_path / "knowledge"
    directory.mkdir()
    shutil.copyfile(ARTICLE, directory / "article.md")
    (directory / "faq.yaml").write_text(SMALL_FAQ, encoding="utf-8")
    return directory


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data dir (created on first write)."""
    return tmp_path / "data"
