"""The liveness signal and start-up faults: /healthz on loopback, one line per fault."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

import pytest

import bot.client
from bot.cli import main
from bot.client import run_bot
from bot.health import HealthServer, check_health
from bot.settings import Settings


class _Bot:
    def __init__(self, ready: bool, closed: bool = False) -> None:
        self.ready, self.closed, self.latency = ready, closed, 0.042

    def is_ready(self) -> bool:
        return self.ready

    def is_closed(self) -> bool:
        return self.closed


async def test_healthz_answers_ok_only_while_the_bot_is_ready() -> None:
    server = HealthServer(0, "0,1")
    port = await server.start()
    try:
        assert await asyncio.to_thread(check_health, port) == (
            False,
            "unhealthy: starting (HTTP 503)",
        )
        server.bot = _Bot(ready=True)
        healthy, line = await asyncio.to_thread(check_health, port)
        assert healthy and line == "ok: ok (shards 0,1)"
        assert server.status()[1]["latency_ms"] == 42
        server.bot = _Bot(ready=True, closed=True)
        assert (await asyncio.to_thread(check_health, port))[0] is False
        # `faqbot health` is the same check, with an exit status.
        assert await asyncio.to_thread(main, ["health", "--port", str(port)]) == 1
    finally:
        await server.close()
    healthy, line = check_health(port, timeout=2)
    assert not healthy and "is `faqbot run` running?" in line


def test_health_without_a_port_says_how_to_give_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FAQ_HEALTH_PORT", raising=False)
    assert main(["health"]) == 2
    assert "set FAQ_HEALTH_PORT" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fault", "line"),
    [
        (sqlite3.DatabaseError("file is not a database"), "the stats database"),
        (PermissionError(13, "Permission denied", "data/stats.sqlite3"), "make the data directory"),
        (OSError(28, "No space left on device", "data/stats.sqlite3"), "the disk is full"),
    ],
)
def test_a_start_up_fault_is_one_line(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: Exception,
    line: str,
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise fault

    monkeypatch.setattr(bot.client, "open_store", broken)
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        assert run_bot(settings, configure_logging=False) == 1
    [record] = [r for r in caplog.records if r.name == "bot.client"]
    assert line in record.getMessage() and record.exc_info is None
    assert "\n" not in record.getMessage()
