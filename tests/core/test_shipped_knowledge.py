"""The shipped knowledge base meets the content bar, and `faqbot check` says so."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.models import KnowledgeBase
from bot.core.text import phrasing_key


def test_check_is_clean_on_shipped_knowledge(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    status = main(["check"])
    out = capsys.readouterr().out
    assert status == 0
    assert out.strip().endswith("quotes verified")
    assert out.startswith(("4", "5", "6", "7", "8", "9"))  # at least 40 entries


def test_content_bar(shipped_kb: KnowledgeBase) -> None:
    entries = shipped_kb.entries
    assert len(entries) >= 40
    per_paragraph = Counter(p for e in entries for p in {s.paragraph for s in e.sources})
    assert all(per_paragraph[n] >= 3 for n in range(1, 9)), per_paragraph
    assert all(len(e.alternates) >= 5 for e in entries)
    assert all(len(e.answer) <= 700 for e in entries)
    keys = [phrasing_key(p) for e in entries for p in e.phrasings]
    assert len(keys) == len(set(keys))


def test_article_itself_is_covered(shipped_kb: KnowledgeBase) -> None:
    answers = " ".join(e.answer for e in shipped_kb.entries)
    assert shipped_kb.article.title in answers
    assert "April 26, 2023" in answers


def test_check_exits_1_and_lists_problems(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    faq.write_text(text.replace("paragraph: 2", "paragraph: 12", 2), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--knowledge", str(knowledge_copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.count("paragraph 12 does not exist") == 2
    assert "Traceback" not in run.stderr
