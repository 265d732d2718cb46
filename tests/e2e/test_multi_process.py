"""Several bot processes, end to end: shards 0 and 1 of 2 as two ``faqbot run`` processes.

Both processes log in to one fake Discord (which routes each guild's events to its shard by
Discord's formula) and share one store: a PostgreSQL database, or one data dir. The test
checks that each guild is answered by the process of its shard, that votes made through both
processes land in the shared stats and ``/faq stats`` shows them, and that an entry added with
``faqbot entries add`` (a third process) answers in its guild's shard within the store's
propagation bound. Any ERROR line or traceback in a process's log fails the test, like the
in-process ERROR log guard.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.core.loader import load_knowledge
from bot.core.store import open_store

from .fake_discord import FakeDiscord, FakeInteraction, Perm, shard_for
from .processes import BotProcess, clean_environment, run_cli
from .test_bot_flows import NCG_ID, NCG_QUESTION, NEW_ANSWER, NEW_QUESTION

JSON = dict[str, Any]

SHARDS = 2
STARTUP_TIMEOUT = 30.0  # two processes importing and indexing at once on a busy machine
REPLY_TIMEOUT = 5.0
# How soon an edit made elsewhere must serve: the issue asks 2 s of PostgreSQL (LISTEN/NOTIFY);
# the embedded store's files are polled every 2 s.
PROPAGATION_BOUND = {"postgresql": 2.0, "embedded": 2.0 + 2.0}
STATS_LINE = re.compile(r"(\d+) asks?, 👍 (\d+), 👎 (\d+)")


class Cluster:
    """The fake, one guild (with an auto-answer channel) per shard, and the bot processes."""

    def __init__(
        self, fake: FakeDiscord, workdir: Path, env: dict[str, str], *, backend: str
    ) -> None:
        self.fake = fake
        self.backend = backend
        self.workdir = workdir
        self.env = env
        self.processes: list[BotProcess] = []
        self.guilds: list[int] = []
        self.channels: list[int] = []

    def start(self) -> None:
        for shard in range(SHARDS):
            env = dict(self.env, FAQ_SHARD_COUNT=str(SHARDS), FAQ_SHARD_IDS=str(shard))
            self.processes.append(BotProcess.start(f"shard-{shard}", env, self.workdir))

    async def ask(self, question: str, shard: int, author: JSON | None = None) -> JSON:
        """Ask in the channel of the shard's guild; return the bot's reply."""
        fake = self.fake
        asked = await fake.send_message(question, channel_id=self.channels[shard], author=author)
        return await fake.wait_for(
            lambda: next(
                (
                    m
                    for m in fake.bot_messages(self.channels[shard])
                    if (m.get("message_reference") or {}).get("message_id") == asked["id"]
                ),
                None,
            ),
            timeout=REPLY_TIMEOUT,
            description=f"the reply to {question!r} in the guild of shard {shard}",
        )

    def failures(self) -> list[str]:
        """Processes that died, or logged errors, with their logs."""
        found = []
        for process in self.processes:
            if process.problems() or process.process.returncode not in (None, 0):
                found.append(process.report())
        return found


@pytest_asyncio.fixture(params=["postgresql", "embedded"])
async def cluster(
    request: pytest.FixtureRequest,
    fake_discord: FakeDiscord,
    knowledge_copy: Path,
    tmp_path: Path,
) -> AsyncIterator[Cluster]:
    """Two bot processes (shards 0 and 1 of 2) sharing one store; stopped at the end.

    ``postgresql``: a new database on the suite's throwaway server (``FAQ_DATABASE_URL``);
    ``embedded``: one data dir, as two processes on one machine would share it.
    """
    fake = fake_discord
    fake.shard_count = SHARDS
    workdir = tmp_path / "run"
    workdir.mkdir()
    cluster = Cluster(fake, workdir, {}, backend=request.param)
    for shard in range(SHARDS):
        guild = fake.add_guild(f"Shard {shard} server", shard_id=shard)
        cluster.guilds.append(int(guild["id"]))
        cluster.channels.append(int(fake.add_channel(int(guild["id"]), "faq")["id"]))
    cluster.env = clean_environment(
        DISCORD_TOKEN=fake.token,
        FAKE_DISCORD_API=fake.base_url,
        FAKE_DISCORD_GATEWAY=fake.gateway_url,
        FAQ_KNOWLEDGE_DIR=str(knowledge_copy),
        FAQ_DATA_DIR=str(tmp_path / "data"),
        FAQ_AUTO_ANSWER_CHANNELS=",".join(map(str, cluster.channels)),
        FAQ_USER_COOLDOWN_SECONDS="0",
        FAQ_CHANNEL_ENTRY_COOLDOWN_SECONDS="0",
        # This test asks many questions in one channel quickly; the reply cap is not its subject.
        FAQ_CHANNEL_REPLY_LIMIT="0",
    )
    if cluster.backend == "postgresql":
        cluster.env["FAQ_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    cluster.start()
    try:
        yield cluster
    finally:
        await asyncio.gather(*(p.stop() for p in cluster.processes))
    failures = cluster.failures()
    if failures:
        pytest.fail("A bot process failed or logged errors:\n\n" + "\n\n".join(failures))


async def wait_connected(cluster: Cluster) -> None:
    """Both shards identified (and each process still running)."""
    fake = cluster.fake

    def connected() -> bool:
        if not all(p.running for p in cluster.processes):
            raise AssertionError("a bot process exited:\n\n" + "\n\n".join(cluster.failures()))
        return len({c.shard_id for c in fake._live_connections()}) == SHARDS

    await fake.wait_for(connected, timeout=STARTUP_TIMEOUT, description="both shards")


async def first_reply_with(
    cluster: Cluster,
    question: str,
    shard: int,
    title: str,
    timeout: float,  # noqa: ASYNC109
) -> float:
    """Ask ``question`` again and again until the reply's title is ``title``; return when."""
    deadline = time.monotonic() + timeout
    while True:
        reply = await cluster.ask(question, shard)
        if reply["embeds"] and reply["embeds"][0]["title"] == title:
            return time.monotonic()
        if time.monotonic() > deadline:
            raise AssertionError(f"still {reply['embeds'][0]['title']!r} after {timeout}s")
        await asyncio.sleep(0.1)


async def shown(fake: FakeDiscord, interaction: FakeInteraction) -> JSON:
    """What the bot finally showed for ``interaction`` (after any deferral): its message data."""
    reply = await fake.wait_for(
        lambda: next(
            (r for r in interaction.responses if r.data.get("content") or r.data.get("embeds")),
            None,
        ),
        timeout=REPLY_TIMEOUT,
        description=f"the bot's answer to interaction {interaction.id}",
    )
    return reply.data


def stats_counts(reply_data: JSON) -> list[tuple[int, int, int]]:
    """(asks, helpful, not helpful) of every line of a ``/faq stats`` embed."""
    description = reply_data["embeds"][0]["description"]
    return [tuple(map(int, m.groups())) for m in STATS_LINE.finditer(description)]  # type: ignore[misc]


async def test_two_shard_processes_answer_their_guilds_and_share_one_store(
    cluster: Cluster, fake_discord: FakeDiscord
) -> None:
    fake = fake_discord
    await wait_connected(cluster)
    assert sorted(i["shard"] for i in fake.identifies) == [[0, SHARDS], [1, SHARDS]]
    assert [shard_for(g, SHARDS) for g in cluster.guilds] == [0, 1]

    # Each guild is answered, and only the session of its shard saw its question.
    replies = [await cluster.ask(NCG_QUESTION, shard) for shard in range(SHARDS)]
    assert all(r["embeds"][0]["title"] == NCG_QUESTION for r in replies)
    for session in fake.sessions.values():
        seen = {
            int(p["d"]["channel_id"])
            for p in session.backlog
            if p["t"] == "MESSAGE_CREATE" and p["d"]["author"]["id"] != fake.bot_user["id"]
        }
        assert seen == {cluster.channels[session.shard_id]}

    # Votes through both processes land in the one store; each /faq stats shows its server's.
    for reply in replies:
        click = await fake.click_button(f"faq:vote:1:{NCG_ID}", message=reply)
        assert (await shown(fake, click))["content"] == "Thanks! Counted as helpful."
    for shard in range(SHARDS):
        command = await fake.invoke_slash(
            "faq",
            subcommand="stats",
            channel_id=cluster.channels[shard],
            member_permissions=int(Perm.MANAGE_GUILD),
        )
        stats_shown = await shown(fake, command)
        assert stats_counts(stats_shown) == [(1, 1, 0)], stats_shown
    store = open_store(
        load_knowledge(Path(cluster.env["FAQ_KNOWLEDGE_DIR"])),
        data_dir=Path(cluster.env["FAQ_DATA_DIR"]),
        database_url=cluster.env.get("FAQ_DATABASE_URL"),
        listen=False,
    )
    try:
        for guild_id in cluster.guilds:
            (ncg,) = store.entry_stats(guild_id)
            assert (ncg.entry_id, ncg.asks, ncg.helpful) == (NCG_ID, 1, 1)
    finally:
        store.close()

    # An entry added from the command line serves in its guild's shard, and only there.
    added = await run_cli(
        "entries",
        "add",
        "--guild",
        str(cluster.guilds[1]),
        "--question",
        NEW_QUESTION,
        "--answer",
        NEW_ANSWER,
        env=cluster.env,
        workdir=cluster.workdir,
    )
    assert added.returncode == 0, added.stderr
    saved_at = time.monotonic()
    bound = PROPAGATION_BOUND[cluster.backend]
    served_at = await first_reply_with(cluster, NEW_QUESTION, 1, NEW_QUESTION, timeout=bound)
    assert served_at - saved_at <= bound
    other = await cluster.ask(NEW_QUESTION, 0)
    assert other["embeds"][0]["title"] != NEW_QUESTION
    if cluster.backend == "postgresql":  # no local state when a database is configured
        # (The encoder's vector cache may be there: a question in the second opinion's gray
        # zone loads the model, and its cache is no store state.)
        data = cluster.env["FAQ_DATA_DIR"]
        assert not os.path.exists(data) or os.listdir(data) == ["cache"]  # noqa: ASYNC240
