"""Fixtures shared by the whole suite."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from pg_server import TempPostgres, running_postgres

from bot.core.loader import load_knowledge
from bot.core.matcher import Matcher
from bot.core.models import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent

# In CI the property tests replay the same examples every run: a green main stays green, and a
# new example is explored by developers' runs (which keep what fails in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture
def make_knowledge(tmp_path: Path) -> Callable[[str], Path]:
    """Make tmp_path/knowledge from the real article and the given faq.yaml text."""

    def make(faq_text: str) -> Path:
        directory = tmp_path / "knowledge"
        directory.mkdir()
        shutil.copyfile(KNOWLEDGE / "article.md", directory / "article.md")
        (directory / "faq.yaml").write_text(faq_text, encoding="utf-8")
        return directory

    return make


@pytest.fixture(scope="session")
def shipped_kb() -> KnowledgeBase:
    """The shipped knowledge base, loaded once."""
    return load_knowledge(KNOWLEDGE)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge directory."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


@pytest.fixture(scope="session")
def use_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache directory holding the multilingual model's snapshot, built once per session."""
    from bot.core.matching.semantic import UseEncoder

    directory = tmp_path_factory.mktemp("model-cache")
    UseEncoder(directory)
    return directory


@pytest.fixture(scope="session")
def korean_matcher(shipped_kb: KnowledgeBase, use_cache: Path) -> Matcher:
    """A matcher over the shipped knowledge with the multilingual model (loaded once)."""
    from bot.core.matching.semantic import SemanticModel

    return Matcher(shipped_kb, semantic=SemanticModel(use_cache))


@pytest.fixture(scope="session")
def postgres() -> Iterator[TempPostgres]:
    """A throwaway PostgreSQL server for the whole run, stopped and deleted at the end."""
    with running_postgres() as server:
        yield server


_DATABASES = itertools.count(1)


@pytest.fixture
def postgres_url(postgres: TempPostgres) -> str:
    """The URL of a new, empty database on the throwaway server (one per test)."""
    return postgres.create_database(f"faq_test_{next(_DATABASES)}")
