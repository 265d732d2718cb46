"""The console contract: `faqbot ask`, `--json`, JSON Lines batches, `eval`, `python -m bot`."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
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
    "language",
    "note",
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
    assert capsys.readouterr().err == (
        f"error: --knowledge (FAQ_KNOWLEDGE_DIR): {str(tmp_path)!r} has no article.md\n"
    )
    monkeypatch.setenv("FAQ_KNOWLEDGE_DIR", str(tmp_path))
    assert main(["ask", "what is the ncg"]) == 1
    assert capsys.readouterr().err.startswith("error: FAQ_KNOWLEDGE_DIR: ")


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


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISCORD_TOKEN", "FAQ_DATA_DIR", "FAQ_ANSWER_THRESHOLD", "FAQ_CHAT_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)


ADD = [
    "entries",
    "add",
    "--guild",
    "123456789012345678",
    "--question",
    "Who hosted the AUKUS leaders?",
    "--answer",
    "The author writes that Biden hosted his Australian and British counterparts.",
]


def test_entries_read_the_data_dir_from_dot_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every command reads the same settings as `run`: .env included."""
    _clean_env(monkeypatch)
    (tmp_path / ".env").write_text(
        f"FAQ_KNOWLEDGE_DIR={ROOT / 'knowledge'}\nFAQ_DATA_DIR={tmp_path / 'bot-data'}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert main(ADD) == 0
    assert (tmp_path / "bot-data" / "guilds" / "123456789012345678.yaml").is_file()
    assert not (tmp_path / "data").exists()
    # The flag wins over .env.
    assert main(["entries", "list", "--guild", "123456789012345678"]) == 0
    assert "hosted-aukus-leaders: Who hosted the AUKUS leaders?" in capsys.readouterr().out
    other = ["entries", "list", "--guild", "123456789012345678", "--data", str(tmp_path / "o")]
    assert main(other) == 0
    assert capsys.readouterr().out == ""


def test_ask_and_console_use_the_bots_thresholds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clean_env(monkeypatch)
    assert main(["ask", "--json", "wats the ncg"]) == 0
    assert json.loads(capsys.readouterr().out)["answered"] is True
    monkeypatch.setenv("FAQ_ANSWER_THRESHOLD", "100")
    monkeypatch.setenv("FAQ_CHAT_THRESHOLD", "100")
    assert main(["ask", "--json", "wats the ncg"]) == 0
    assert json.loads(capsys.readouterr().out)["answered"] is False
    lines = iter(["What is the nuclear consultative group, really?", "quit"])
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(lines))
    assert main(["console"]) == 0
    assert "(the bot stays silent)" in capsys.readouterr().out


def test_run_honours_its_knowledge_flag(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make_knowledge: Callable[[str], Path],
) -> None:
    _clean_env(monkeypatch)
    one_entry = (ROOT / "tests" / "core" / "conftest.py").read_text(encoding="utf-8")
    faq = one_entry.split('SMALL_FAQ = """\\\n', 1)[1].split('"""', 1)[0]
    knowledge = make_knowledge(faq)
    monkeypatch.setattr("builtins.input", lambda _prompt="": "quit")
    assert main(["run", "--knowledge", str(knowledge)]) == 0
    out = capsys.readouterr().out
    assert ": 2 FAQ entries." in out


def test_console_says_one_entry_not_one_entries(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make_knowledge: Callable[[str], Path],
) -> None:
    faq = (ROOT / "tests" / "core" / "conftest.py").read_text(encoding="utf-8")
    faq = faq.split('SMALL_FAQ = """\\\n', 1)[1].split("  - id: ncg", 1)[0]
    knowledge = make_knowledge(faq)
    monkeypatch.setattr("builtins.input", lambda _prompt="": "quit")
    assert main(["console", "--knowledge", str(knowledge)]) == 0
    assert ": 1 FAQ entry." in capsys.readouterr().out
    assert main(["check", "--knowledge", str(knowledge)]) == 0
    assert capsys.readouterr().out == "1 entry, 8 paragraphs, 1 quote verified\n"


@pytest.mark.parametrize("guild", [str(2**63), "1" * 30, "①", "-5", "0"])
def test_a_guild_id_that_cannot_be_a_discord_id_is_refused(
    guild: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["entries", "list", "--guild", guild])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "argument --guild" in err and "Discord id" in err


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (errno.EROFS, "make the data directory writable"),
        (errno.EACCES, "make the data directory writable"),
        (errno.ENOSPC, "the disk is full; free some space"),
    ],
)
def test_a_disk_fault_is_one_line_saying_what_to_do(
    error: int,
    advice: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _clean_env(monkeypatch)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(error, os.strerror(error), str(tmp_path / "data" / "guilds"))

    # Running as root ignores file modes, so the fault is injected where the write happens.
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert main([*ADD, "--data", str(tmp_path / "data")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: cannot use ") and advice in err


def test_a_corrupt_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.cli

    def corrupt(_args: object) -> int:
        raise sqlite3.DatabaseError("file is not a database")

    monkeypatch.setattr(bot.cli, "_cmd_check", corrupt)
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "move stats.sqlite3 out of the data directory" in err


GUILD = "123456789012345678"
ENTRY = [
    "--guild",
    GUILD,
    "--question",
    "Who hosted the AUKUS leaders?",
    "--alternate",
    "aukus host",
    "--answer",
    "The author writes that Biden hosted his Australian and British counterparts.",
    "--paragraph",
    "4",
    "--quote",
    "Biden hosted his Australian and British counterparts",
    "--id",
    "aukus",
]


def test_entries_edit_changes_only_the_fields_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_env(monkeypatch)
    data = ["--data", str(tmp_path / "data")]
    assert main(["entries", "add", *ENTRY, *data]) == 0
    assert (
        main(["entries", "edit", "--guild", GUILD, "--id", "aukus", "--answer", "Biden.", *data])
        == 0
    )
    saved = (tmp_path / "data" / "guilds" / f"{GUILD}.yaml").read_text(encoding="utf-8")
    assert "answer: Biden." in saved
    assert "aukus host" in saved and "paragraph: 4" in saved
    assert "Biden hosted his Australian and British counterparts" in saved


def test_check_validates_server_files_and_lists_clashing_entries(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make_knowledge: Callable[[str], Path],
) -> None:
    _clean_env(monkeypatch)
    shipped = (ROOT / "knowledge" / "faq.yaml").read_text(encoding="utf-8")
    knowledge = make_knowledge(shipped)
    flags = ["--knowledge", str(knowledge), "--data", str(tmp_path / "data")]
    assert main(["entries", "add", *ENTRY, *flags]) == 0
    assert main(["check", *flags]) == 0
    assert "1 server file with 1 moderator entry valid" in capsys.readouterr().out
    # The shipped FAQ changes: one of its entries now owns the server entry's alternate.
    faq = knowledge / "faq.yaml"
    faq.write_text(shipped.replace("    alternates:\n", "    alternates:\n      - aukus host\n", 1))
    assert main(["check", *flags]) == 1
    err = capsys.readouterr().err
    assert f"{GUILD}.yaml: entry 'aukus': not served: phrasing 'aukus host' is already used" in err
    # It is listed as not served, and an edit that removes the clash makes it serve again.
    assert main(["entries", "list", "--guild", GUILD, *flags]) == 0
    out = capsys.readouterr().out
    assert out.startswith("aukus: Who hosted the AUKUS leaders?  (not served: phrasing 'aukus")
    edit = ["entries", "edit", "--guild", GUILD, "--id", "aukus", "--alternate", "host of aukus"]
    assert main([*edit, *flags]) == 0
    assert main(["check", *flags]) == 0
    assert main(["entries", "remove", "--guild", GUILD, "--id", "aukus", *flags]) == 0
    # A broken server file is a located problem too.
    path = tmp_path / "data" / "guilds" / f"{GUILD}.yaml"
    path.write_text("entries: [\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["check", *flags]) == 1
    assert f"{GUILD}.yaml:2:1: invalid YAML" in capsys.readouterr().err


def test_entries_add_reports_schema_problems_as_plain_sentences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clean_env(monkeypatch)
    bad = [*ENTRY[:-6], "--paragraph", "4", "--quote", "short", "--data", str(tmp_path)]
    assert main(["entries", "add", *bad]) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: 'sources[0].quote' is 5 characters; give at least 20 characters so it names "
        "one passage\n"
    )
