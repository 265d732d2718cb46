"""Fixtures for the storage, stats and library tests: a tiny valid knowledge dir of their own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

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
def small_knowledge(make_knowledge: Callable[[str], Path]) -> Path:
    """knowledge/ with the real article and a two-entry faq.yaml."""
    return make_knowledge(SMALL_FAQ)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data dir (created on first write)."""
    return tmp_path / "data"
