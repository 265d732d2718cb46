"""The store commands: entries export/import, ask --guild, forget-user, db migrate, both stores."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
GUILD = "123456789012345678"
QUESTION = "Who funds the shelter program in the capital?"


@pytest.fixture(params=["embedded", "postgresql"])
def store_env(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Run the commands against the data dir, or FAQ_DATABASE_URL on the throwaway server."""
    monkeypatch.chdir(ROOT)
    for name in ("DISCORD_TOKEN", "FAQ_DATA_DIR", "FAQ_DATABASE_URL", "FAQ_KNOWLEDGE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FAQ_DATA_DIR", str(tmp_path / "data"))
    if request.param == "postgresql":
        monkeypatch.setenv("FAQ_DATABASE_URL", request.getfixturevalue("postgres_url"))
    return str(request.param)


def _add(question: str = QUESTION, actor: str = "5005") -> int:
    return main(
        [
            "entries",
            "add",
            "--guild",
            GUILD,
            "--question",
            question,
            "--answer",
            "Moderators say: the city pays for it.",
            "--actor",
            actor,
        ]
    )


def test_add_list_export_import_round_trip(
    store_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _add() == 0
    assert capsys.readouterr().out == "saved funds-shelter-program-capital\n"
    assert main(["entries", "list", "--guild", GUILD]) == 0
    assert capsys.readouterr().out == f"funds-shelter-program-capital: {QUESTION}\n"
    export = tmp_path / "export.yaml"
    assert main(["entries", "export", "--all", "-o", str(export)]) == 0
    document = yaml.safe_load(export.read_text(encoding="utf-8"))
    assert document["format"] == "faqbot-entries/1" and document["source"] == store_env
    (server,) = document["servers"]
    assert server["guild_id"] == int(GUILD)
    assert server["entries"][0]["created_by"] == 5005
    # Into an empty data dir (the other backend's users do the same with FAQ_DATABASE_URL).
    monkeypatch.delenv("FAQ_DATABASE_URL", raising=False)
    monkeypatch.setenv("FAQ_DATA_DIR", str(tmp_path / "moved"))
    assert main(["entries", "import", str(export), "--actor", "6006"]) == 0
    assert "1 added, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert main(["entries", "import", str(export)]) == 0
    assert "0 added, 0 updated, 1 unchanged" in capsys.readouterr().out
    assert main(["entries", "export", "--guild", GUILD]) == 0
    moved = yaml.safe_load(capsys.readouterr().out)
    assert moved["servers"][0]["entries"] == server["entries"]  # stamps kept


def test_import_validates_every_entry_and_writes_nothing_when_one_is_bad(
    store_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "format: faqbot-entries/1\nservers:\n"
        f"  - guild_id: {GUILD}\n    entries:\n"
        "      - id: fine-one\n        question: A fine question here\n        answer: Fine.\n"
        "      - id: Bad Id\n        question: q\n        answer: a\n"
        "  - guild_id: 0\n    entries: []\n",
        encoding="utf-8",
    )
    assert main(["entries", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "entry 'Bad Id'" in err
    assert "servers[1]: needs a guild_id" in err
    assert main(["entries", "list", "--guild", GUILD]) == 0
    assert capsys.readouterr().out == ""


def test_ask_with_a_guild_and_json_object_lines(
    store_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add() == 0
    capsys.readouterr()
    assert main(["ask", "--guild", GUILD, "--json", QUESTION]) == 0
    assert json.loads(capsys.readouterr().out)["entry_id"] == "funds-shelter-program-capital"
    lines = [
        json.dumps({"question": QUESTION, "guild": GUILD}),
        QUESTION,  # a plain line: the shipped FAQ only
        json.dumps({"question": QUESTION, "guild": "987654321098765432"}),
        json.dumps({"question": "What is the nuclear consultative group?"}),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["ask", "--json"]) == 0
    replies = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["entry_id"] for r in replies][:3] == ["funds-shelter-program-capital", None, None]
    assert replies[3]["answered"] is True
    monkeypatch.setattr("sys.stdin", io.StringIO('{"guild": "1"}\n'))
    assert main(["ask", "--json"]) == 1
    assert "stdin line 1" in capsys.readouterr().err


def test_forget_user_from_the_command_line(
    store_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add(actor="5005") == 0
    assert main(["forget-user", "5005"]) == 0
    assert "anonymised 1 entry stamps" in capsys.readouterr().out
    assert main(["entries", "export", "--guild", GUILD]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["servers"][0]["entries"][0]["created_by"] == 0


def test_db_migrate(store_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "migrate"]) == 0
    out = capsys.readouterr().out
    if store_env == "postgresql":
        assert "applied migrations 1" in out
        assert main(["db", "migrate"]) == 0
        assert "up to date" in capsys.readouterr().out
    else:
        assert "embedded store" in out


def test_a_bad_database_url_is_a_settings_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("FAQ_DATABASE_URL", "mysql://root:topsecret@db/faq")
    assert main(["entries", "list", "--guild", GUILD]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: FAQ_DATABASE_URL:") and "topsecret" not in err
    monkeypatch.setenv("FAQ_DATABASE_URL", "postgresql://u:topsecret@127.0.0.1:1/faq")
    assert main(["entries", "list", "--guild", GUILD]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the database at postgresql://u@127.0.0.1:1/faq" in err
    assert "topsecret" not in err and err.count("\n") == 1
