"""The stats as the adapter uses them: never in the way of an answer.

Counting asks and votes is bookkeeping. It runs on a worker thread of its own (the matcher's
threads are never taken by a stats call waiting on a locked database) and every call has a
short deadline. A count that fails or misses it is dropped with a warning; the member gets
their reply regardless. Reads for moderators (`gaps`, `entry_stats`) get a longer deadline
and raise `StatsUnavailable` when they miss it, so the command can say so.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from bot.core.stats import Counters, EntryStats, Gap, VoteResult

__all__ = ["READ_TIMEOUT", "WRITE_TIMEOUT", "Bookkeeping", "StatsUnavailable"]

_log = logging.getLogger(__name__)

T = TypeVar("T")

# A count normally takes a millisecond; one that takes a second is stuck behind a lock.
WRITE_TIMEOUT = 1.0
# Moderators' reads scan more, and their command is deferred first.
READ_TIMEOUT = 8.0
# Calls waiting for the worker at most; beyond that a count is dropped at once.
MAX_PENDING = 64


class StatsUnavailable(Exception):
    """The stats did not answer in time (or failed); the message says so in plain words."""


class Bookkeeping:
    """Stats calls for the event loop, on one thread of their own, each with a deadline."""

    def __init__(
        self,
        stats: Counters,
        *,
        write_timeout: float = WRITE_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.stats = stats
        self.write_timeout = write_timeout
        self.read_timeout = read_timeout
        # One thread: SQLite serialises writers anyway, and a stuck call holds up only stats.
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="faq-stats"
        )
        self._slots = threading.BoundedSemaphore(max_pending)
        self._failing = False

    async def _call(self, timeout: float, work: Callable[[], T]) -> T:  # noqa: ASYNC109
        if not self._slots.acquire(blocking=False):
            raise TimeoutError("too many stats calls waiting")
        try:
            future = self._executor.submit(work)
        except BaseException:
            self._slots.release()
            raise
        # Released when the thread is done with it, not when the caller stops waiting.
        future.add_done_callback(lambda _: self._slots.release())
        # On timeout, a call that has not started is cancelled; a running one finishes.
        result = await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        if self._failing:
            self._failing = False
            _log.info("the stats database answers again")
        return result

    def _dropped(self, what: str, error: BaseException) -> None:
        # One warning per bad spell, not one per message while the database is locked.
        level = logging.DEBUG if self._failing else logging.WARNING
        self._failing = True
        reason = "it took too long" if isinstance(error, TimeoutError) else repr(error)
        _log.log(level, "stats: %s was not counted (%s); answering goes on", what, reason)

    async def record_ask(
        self,
        guild_id: int | None,
        question: str,
        entry_id: str | None,
        answered: bool,
        message_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        """Count a question (user_id: who asked, so `/faq forget-me` can delete it); a failure
        or a miss of the deadline drops the count."""
        try:
            await self._call(
                self.write_timeout,
                lambda: self.stats.record_ask(
                    guild_id, question, entry_id, answered, message_id, user_id
                ),
            )
        except Exception as exc:
            self._dropped("a question", exc)

    async def record_vote(
        self, guild_id: int | None, message_id: int, entry_id: str, user_id: int, helpful: bool
    ) -> VoteResult | None:
        """Count a vote; None when it could not be counted (already logged)."""
        try:
            return await self._call(
                self.write_timeout,
                lambda: self.stats.record_vote(guild_id, message_id, entry_id, user_id, helpful),
            )
        except Exception as exc:
            self._dropped("a vote", exc)
            return None

    async def gaps(self, guild_id: int | None, limit: int = 10) -> list[Gap]:
        """See Stats.gaps; raises StatsUnavailable when the stats do not answer in time."""
        return await self._read("gaps", lambda: self.stats.gaps(guild_id, limit))

    async def entry_stats(self, guild_id: int | None) -> list[EntryStats]:
        """See Stats.entry_stats; raises StatsUnavailable when they do not answer in time."""
        return await self._read("entry stats", lambda: self.stats.entry_stats(guild_id))

    async def run(self, what: str, work: Callable[[], T]) -> T:
        """Other stats work on the same worker (e.g. forgetting a member), with the long
        deadline; raises StatsUnavailable when it fails or misses it."""
        return await self._read(what, work)

    async def _read(self, what: str, work: Callable[[], T]) -> T:
        try:
            return await self._call(self.read_timeout, work)
        except Exception as exc:
            _log.warning("stats: reading %s failed (%r)", what, exc)
            raise StatsUnavailable(
                "The stats are busy right now; please try again in a minute."
            ) from exc

    def close(self) -> None:
        """Stop taking calls; a call already running finishes on its thread."""
        self._executor.shutdown(wait=False, cancel_futures=True)
