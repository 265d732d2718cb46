"""The console contract: `faqbot ask`, `--json`, JSON Lines batches, `eval`, `python -m bot`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "question",
    "answered",
    "kind",
    "entry_id",
    "title",
    "answer",
    "sources",
    "score",
    "suggestions",
    "reason",
}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("FAQ_KNOWLEDGE_DIR", raising=False)


def test_ask_prints_answer_source_and_score(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "What is the nuclear consultative group?"]) == 0
    out = capsys.readouterr().out
    assert '¶2 "' in out
    assert "score" in out
    assert "South Korea and the United States Renew their Vows" in out


def test_ask_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", "wats the ncg"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert set(reply) == KEYS
    assert reply["answered"] is True and reply["kind"] == "faq"
    assert reply["sources"][0]["paragraph"] == 2
    assert 0 <= reply["score"] <= 100


def test_ask_json_lines_batch_keeps_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = ["what is the ncg?", "How do I bake bread?", "", "thanks!"]
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("\n".join(questions) + "\n"))
    assert main(["ask", "--json", "--chat"]) == 0
    lines = capsys.readouterr().out.splitlines()
    replies = [json.loads(line) for line in lines]
    assert [r["question"] for r in replies] == questions
    assert [r["answered"] for r in replies] == [True, False, False, False]
    assert all(set(r) == KEYS for r in replies)


def test_knowledge_flag_and_env(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["check", "--knowledge", str(tmp_path)]) == 1
    assert "article.md: file not found" in capsys.readouterr().err
    monkeypatch.setenv("FAQ_KNOWLEDGE_DIR", str(tmp_path))
    assert main(["ask", "what is the ncg"]) == 1


def test_eval_prints_rates_and_misses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "eval.yaml"
    path.write_text(
        "on_topic:\n  - {q: 'what is the ncg', para: [2]}\n  - {q: 'what is the ncg', para: [8]}\n"
        "off_topic:\n  - 'How do I bake bread?'\nchat_noise:\n  - 'hello!'\n",
        encoding="utf-8",
    )
    assert main(["eval", str(path)]) == 0
    out = capsys.readouterr().out
    assert "on_topic        50.0%  (1/2)" in out
    assert "off_topic      100.0%  (1/1)" in out
    assert "multi" in out and "n/a" in out  # every rate is reported, even without cases
    assert "miss [on_topic] line 3: 'what is the ncg': want ¶[8]" in out


def test_eval_min_floor_sets_the_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "eval.yaml"
    path.write_text("on_topic:\n  - {q: 'what is the ncg', para: [8]}\n", encoding="utf-8")
    assert main(["eval", str(path), "--min", "on_topic=0.5"]) == 1
    assert "below the floor: on_topic 0.000 < 0.500" in capsys.readouterr().err
    assert main(["eval", str(path), "--min", "on_topic=0"]) == 0
    assert main(["eval", str(path), "--min", "ontopic=0.5"]) == 2
    assert "expected NAME=RATE" in capsys.readouterr().err


def test_eval_names_the_line_of_a_bad_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "eval.yaml"
    path.write_text("off_topic:\n  - 'ok'\n  - {q: 3}\n", encoding="utf-8")
    assert main(["eval", str(path)]) == 1
    assert f"{path}:3: off_topic item must be a question string" in capsys.readouterr().err


def test_python_dash_m_behaves_like_faqbot() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "what is the ncg"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert json.loads(run.stdout)["sources"][0]["paragraph"] == 2


def test_console_answers_like_chat(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = iter(["hello", "What is the nuclear consultative group?", "quit"])
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(lines))
    assert main(["console"]) == 0
    out = capsys.readouterr().out
    assert "(the bot stays silent)" in out
    assert '¶2 "' in out
