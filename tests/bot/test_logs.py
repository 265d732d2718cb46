"""Logging: one plain line per event with its shard; no voice or audioop noise."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import discord
import pytest

from bot.client import create_bot
from bot.core.library import Library
from bot.core.stats import Stats
from bot.logs import configure_logging, event_shard
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root, library = logging.getLogger(), logging.getLogger("discord")
    saved = (list(root.handlers), root.level, list(library.handlers), library.propagate)
    yield
    root.handlers[:], library.handlers[:] = saved[0], saved[2]
    root.setLevel(saved[1])
    library.propagate = saved[3]


@pytest.mark.usefixtures("restore_logging")
def test_each_record_is_one_plain_line_with_its_shard() -> None:
    out = io.StringIO()
    # discord.py's own set-up (coloured on a terminal) first, as `Client.run` would do.
    discord.utils.setup_logging(handler=logging.StreamHandler(out), root=False)
    configure_logging("INFO", "0,1", stream=out)
    configure_logging("INFO", "0,1", stream=out)  # configuring again adds nothing
    logging.getLogger("discord.gateway").info("Shard ID 1 has connected")
    token = event_shard.set(1)
    try:
        logging.getLogger("bot.cogs.auto_answer").warning("answered")
    finally:
        event_shard.reset(token)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].endswith("INFO     shard=0,1 discord.gateway: Shard ID 1 has connected")
    assert lines[1].endswith("WARNING  shard=1 bot.cogs.auto_answer: answered")
    assert "\x1b[" not in out.getvalue()


def test_no_voice_warnings_at_start(
    settings: Settings, library: Library, stats: Stats, caplog: pytest.LogCaptureFixture
) -> None:
    discord.VoiceClient.warn_nacl = True
    discord.VoiceClient.warn_dave = True
    with caplog.at_level(logging.WARNING):
        create_bot(settings, library, stats)
    assert not [r for r in caplog.records if "is not installed" in r.getMessage()]


def test_importing_the_bot_warns_nothing() -> None:
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import bot.client"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 0, run.stderr
