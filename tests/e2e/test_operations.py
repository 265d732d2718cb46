"""Operations, end to end: `faqbot run` with no network retries, /healthz, one log line per event.

A `faqbot run` process starts while nothing listens at Discord's address (as with no network):
it says so on one line per try and keeps trying with back-off, and `faqbot health` reports it
unhealthy. Once the fake Discord comes up at that address, the same process logs in and
`faqbot health` turns ok. Its log has every line once, plain, with its shard. Loopback only.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from pathlib import Path

from .fake_discord import FakeDiscord
from .processes import BotProcess, clean_environment, run_cli

RETRY_LINE = re.compile(r"WARNING +shard=all bot\.client: cannot reach Discord \(.+\); retrying in")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait(condition: object, timeout: float, what: str) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def test_run_without_discord_retries_then_connects_and_reports_health(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    fake = FakeDiscord()
    discord_port, health_port = _free_port(), _free_port()
    fake.add_guild("Ops server")
    workdir = tmp_path / "run"
    workdir.mkdir()
    env = clean_environment(
        DISCORD_TOKEN=fake.token,
        FAKE_DISCORD_API=f"http://127.0.0.1:{discord_port}/api/v10",
        FAKE_DISCORD_GATEWAY=f"ws://127.0.0.1:{discord_port}/",
        FAQ_KNOWLEDGE_DIR=str(knowledge_copy),
        FAQ_DATA_DIR=str(tmp_path / "data"),
        FAQ_HEALTH_PORT=str(health_port),
    )
    process = BotProcess.start("ops", env, workdir)
    try:

        async def retried_twice() -> bool:
            return len(RETRY_LINE.findall(process.log())) >= 2

        await _wait(retried_twice, 30, "two 'cannot reach Discord' lines")
        health = await run_cli("health", env=env, workdir=workdir)
        assert health.returncode == 1, health
        assert health.stdout.startswith("unhealthy: cannot reach Discord"), health.stdout

        await fake.start(port=discord_port)

        async def healthy() -> bool:
            result = await run_cli("health", env=env, workdir=workdir)
            return result.returncode == 0

        await _wait(healthy, 30, "faqbot health to report ok")
        log = process.log()
        assert process.running, log
        assert not process.problems(), log
        lines = [line for line in log.splitlines() if line.strip()]
        # One plain line per event: no colour codes in the raw file, no line printed twice.
        raw = process.log_path.read_text(encoding="utf-8")
        assert "\x1b[" not in raw
        assert len(lines) == len(set(lines)), log
        assert all(" shard=" in line for line in lines), log
        assert "PyNaCl" not in log and "davey" not in log
        # The same process connected once Discord was there, and says which shard did.
        assert "liveness signal on http://127.0.0.1:" in log
        assert re.search(r"shard=0 discord\.gateway: Shard ID 0 has connected", log), log
    finally:
        await process.stop()
        await fake.stop()
