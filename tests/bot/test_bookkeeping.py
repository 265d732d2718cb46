"""Answering never waits on bookkeeping: the stats database held locked by another connection."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Iterator
from unittest.mock import MagicMock

import pytest
from bot_fakes import BOT_ID, GUILD_ID, MEMBER_ID, FakeInteraction, make_message, sent_text

from bot.bookkeeping import Bookkeeping, StatsUnavailable
from bot.client import FaqBot
from bot.cogs.auto_answer import AutoAnswer
from bot.cogs.faq import FaqCog
from bot.core.stats import Stats, VoteResult
from bot.views import VoteButton

QUESTION = "What is the nuclear consultative group?"


@pytest.fixture
def locked(stats: Stats) -> Iterator[sqlite3.Connection]:
    """Another connection holding the stats database's write lock, as a long writer would."""
    other = sqlite3.connect(stats.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.execute("ROLLBACK")
    other.close()


@pytest.fixture
def quick_bot(bot: FaqBot, stats: Stats) -> Iterator[FaqBot]:
    """The test bot with short stats deadlines, so a stuck call shows within the test."""
    bot.stats.close()
    bot.stats = Bookkeeping(stats, write_timeout=0.2, read_timeout=0.3)
    yield bot
    bot.stats.close()


async def test_stats_run_on_their_own_single_thread(stats: Stats) -> None:
    threads: list[str] = []
    core = MagicMock(spec=Stats)
    core.record_ask.side_effect = lambda *a: threads.append(threading.current_thread().name)
    bookkeeping = Bookkeeping(core)
    try:
        await asyncio.gather(
            *(bookkeeping.record_ask(GUILD_ID, "q", None, False) for _ in range(5))
        )
    finally:
        bookkeeping.close()
    assert len(threads) == 5
    # Not asyncio.to_thread's shared pool, where the matcher runs.
    assert {name.rsplit("_", 1)[0] for name in threads} == {"faq-stats"}


async def test_a_locked_database_drops_the_count_with_one_warning(
    stats: Stats, locked: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    bookkeeping = Bookkeeping(stats, write_timeout=0.2)
    try:
        with caplog.at_level(logging.DEBUG, logger="bot.bookkeeping"):
            for _ in range(3):
                await asyncio.wait_for(bookkeeping.record_ask(GUILD_ID, "q", None, False), 2.0)
            vote = await asyncio.wait_for(bookkeeping.record_vote(GUILD_ID, 1, "ncg", 2, True), 2.0)
    finally:
        locked.execute("ROLLBACK")
        locked.execute("BEGIN IMMEDIATE")  # the fixture rolls back again
        bookkeeping.close()
    assert vote is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "a question was not counted (it took too long)" in warnings[0].getMessage()


async def test_chat_answers_while_the_database_is_locked(
    quick_bot: FaqBot, locked: sqlite3.Connection, clock_free_listener: AutoAnswer
) -> None:
    messages = [
        make_message(
            f"<@{BOT_ID}> {QUESTION}",
            author_id=MEMBER_ID + i,
            channel_id=700 + i,
            mentions=(BOT_ID,),
        )
        for i in range(8)
    ]
    # More members at once than asyncio.to_thread has threads: none waits on the stats.
    await asyncio.wait_for(
        asyncio.gather(*(clock_free_listener.on_message(m) for m in messages)), 2.0
    )
    assert all(m.reply.await_count == 1 for m in messages)


@pytest.fixture
def clock_free_listener(quick_bot: FaqBot) -> AutoAnswer:
    cog_class = type(quick_bot.get_cog("AutoAnswer"))
    cog: AutoAnswer = cog_class(quick_bot)
    return cog


async def test_a_vote_is_acknowledged_before_it_is_counted(
    quick_bot: FaqBot, make_interaction: FakeInteraction, locked: sqlite3.Connection
) -> None:
    interaction = make_interaction(message=make_message("answer"))
    await asyncio.wait_for(VoteButton("ncg", helpful=True).callback(interaction), 2.0)
    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    assert "could not be saved just now" in sent_text(interaction.followup.send)


async def test_a_vote_when_the_database_answers(
    quick_bot: FaqBot, make_interaction: FakeInteraction, stats: Stats
) -> None:
    interaction = make_interaction(message=make_message("answer"))
    await VoteButton("ncg", helpful=False).callback(interaction)
    assert sent_text(interaction.followup.send).startswith("Thanks! Counted as not helpful.")
    assert stats.record_vote(GUILD_ID, interaction.message.id, "ncg", MEMBER_ID, False) is (
        VoteResult.UNCHANGED
    )


async def test_gaps_and_stats_defer_and_say_when_the_stats_are_busy(
    quick_bot: FaqBot,
    faq_cog: FaqCog,
    make_interaction: FakeInteraction,
    locked: sqlite3.Connection,
) -> None:
    # A count stuck behind the lock keeps the stats worker busy; reads wait behind it.
    await quick_bot.stats.record_ask(GUILD_ID, "q", None, False)
    for command in (faq_cog.gaps, faq_cog.stats):
        interaction = make_interaction(manage_guild=True)
        await asyncio.wait_for(command.callback(faq_cog, interaction), 2.0)  # type: ignore[arg-type]
        interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
        assert sent_text(interaction.followup.send) == (
            "The stats are busy right now; please try again in a minute."
        )


async def test_a_read_that_fails_is_reported_plainly(stats: Stats) -> None:
    core = MagicMock(spec=Stats)
    core.gaps.side_effect = sqlite3.DatabaseError("database disk image is malformed")
    bookkeeping = Bookkeeping(core)
    try:
        with pytest.raises(StatsUnavailable, match="busy right now"):
            await bookkeeping.gaps(GUILD_ID)
    finally:
        bookkeeping.close()
