"""Counters of asks, votes and unanswered questions, in SQLite (WAL mode).

`Stats` is synchronous and thread-safe; `AsyncStats` runs it in worker threads so the event loop
never waits on the disk.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .text import MAX_QUERY_CHARS, normalize

__all__ = ["AsyncStats", "EntryStats", "Gap", "Stats", "VoteResult"]

_log = logging.getLogger(__name__)

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS asks (
    id INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    guild_id INTEGER,             -- NULL outside a server (DMs)
    message_id INTEGER,           -- the bot's answer message, which votes point at
    question TEXT NOT NULL,       -- as asked, cut to MAX_QUERY_CHARS
    question_key TEXT NOT NULL,   -- text.normalize(question): what gaps group by
    entry_id TEXT,
    answered INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS asks_by_guild_key ON asks (guild_id, question_key);
CREATE INDEX IF NOT EXISTS asks_by_message ON asks (message_id);
CREATE TABLE IF NOT EXISTS votes (
    message_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    guild_id INTEGER,
    entry_id TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    ts TEXT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX IF NOT EXISTS votes_by_guild ON votes (guild_id, entry_id);
"""


class VoteResult(StrEnum):
    """What a click on Helpful / Not helpful did."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class EntryStats:
    """How often an entry answered, and how its answers were voted."""

    entry_id: str
    asks: int
    helpful: int
    not_helpful: int


@dataclass(frozen=True, slots=True)
class Gap:
    """A question the FAQ serves badly: asked `count` times, with its failures."""

    question: str
    count: int
    unanswered: int
    not_helpful: int


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Stats:
    """The counters database; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection behind a lock: SQLite serialises writers anyway, and the calls are tiny.
        self._conn = sqlite3.connect(
            self.path, timeout=10.0, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.Lock()
        with self._lock:
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                _log.warning("%s: SQLite refused WAL mode (got %s)", self.path, mode)
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
            self._conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    @property
    def journal_mode(self) -> str:
        """SQLite's journal mode for this database ("wal" normally)."""
        with self._lock:
            return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    def record_ask(
        self,
        guild_id: int | None,
        question: str,
        entry_id: str | None,
        answered: bool,
        message_id: int | None = None,
    ) -> int:
        """Count a question (message_id: the bot's answer, for votes); return the ask's id."""
        question = question[:MAX_QUERY_CHARS]
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO asks (ts, guild_id, message_id, question, question_key, entry_id,"
                " answered) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_now(), guild_id, message_id, question, normalize(question), entry_id, answered),
            )
            ask_id = cursor.lastrowid
        assert ask_id is not None
        return ask_id

    def attach_message(self, ask_id: int, message_id: int) -> None:
        """Link a recorded ask to the answer message sent after it was recorded."""
        with self._lock:
            self._conn.execute("UPDATE asks SET message_id = ? WHERE id = ?", (message_id, ask_id))

    def record_vote(
        self, guild_id: int | None, message_id: int, entry_id: str, user_id: int, helpful: bool
    ) -> VoteResult:
        """Count one user's vote on one answer; a repeat is ignored, a change moves the vote."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute(
                    "SELECT helpful FROM votes WHERE message_id = ? AND user_id = ?",
                    (message_id, user_id),
                ).fetchone()
                if row is None:
                    self._conn.execute(
                        "INSERT INTO votes (message_id, user_id, guild_id, entry_id, helpful, ts)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (message_id, user_id, guild_id, entry_id, helpful, _now()),
                    )
                    result = VoteResult.NEW
                elif bool(row[0]) == helpful:
                    result = VoteResult.UNCHANGED
                else:
                    self._conn.execute(
                        "UPDATE votes SET helpful = ?, ts = ? WHERE message_id = ? AND user_id = ?",
                        (helpful, _now(), message_id, user_id),
                    )
                    result = VoteResult.CHANGED
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return result

    def entry_stats(self, guild_id: int | None) -> list[EntryStats]:
        """Asks answered by each entry and the votes on them, most asked first."""
        with self._lock:
            rows = self._conn.execute(
                """
                SELECT entry_id, SUM(asks), SUM(helpful), SUM(not_helpful) FROM (
                    SELECT entry_id, COUNT(*) AS asks, 0 AS helpful, 0 AS not_helpful
                    FROM asks
                    WHERE guild_id IS ? AND answered AND entry_id IS NOT NULL
                    GROUP BY entry_id
                    UNION ALL
                    SELECT entry_id, 0, SUM(helpful = 1), SUM(helpful = 0)
                    FROM votes WHERE guild_id IS ? GROUP BY entry_id
                )
                GROUP BY entry_id
                ORDER BY SUM(asks) DESC, entry_id
                """,
                (guild_id, guild_id),
            ).fetchall()
        return [EntryStats(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def gaps(self, guild_id: int | None, limit: int = 10) -> list[Gap]:
        """The questions most often unanswered or voted "Not helpful", worst first."""
        with self._lock:
            rows = self._conn.execute(
                """
                WITH not_helpful AS (
                    SELECT message_id, COUNT(*) AS votes
                    FROM votes WHERE guild_id IS ? AND helpful = 0
                    GROUP BY message_id
                ),
                grouped AS (
                    -- The bare column `question` comes from the row of MAX(a.id): the latest
                    -- wording, a readable example of the group (a documented SQLite rule).
                    SELECT a.question AS question, MAX(a.id) AS last_id, COUNT(*) AS asked,
                           SUM(NOT a.answered) AS unanswered,
                           COALESCE(SUM(n.votes), 0) AS not_helpful
                    FROM asks AS a LEFT JOIN not_helpful AS n ON n.message_id = a.message_id
                    WHERE a.guild_id IS ? AND a.question_key != ''
                    GROUP BY a.question_key
                )
                SELECT question, asked, unanswered, not_helpful FROM grouped
                WHERE unanswered > 0 OR not_helpful > 0
                ORDER BY unanswered + not_helpful DESC, asked DESC, last_id DESC
                LIMIT ?
                """,
                (guild_id, guild_id, limit),
            ).fetchall()
        return [Gap(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def close(self) -> None:
        """Close the database; the object is unusable afterwards."""
        with self._lock:
            self._conn.close()


class AsyncStats:
    """The same counters for the event loop: every call runs in a worker thread."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    async def record_ask(
        self,
        guild_id: int | None,
        question: str,
        entry_id: str | None,
        answered: bool,
        message_id: int | None = None,
    ) -> int:
        """See Stats.record_ask."""
        return await asyncio.to_thread(
            self.stats.record_ask, guild_id, question, entry_id, answered, message_id
        )

    async def attach_message(self, ask_id: int, message_id: int) -> None:
        """See Stats.attach_message."""
        await asyncio.to_thread(self.stats.attach_message, ask_id, message_id)

    async def record_vote(
        self, guild_id: int | None, message_id: int, entry_id: str, user_id: int, helpful: bool
    ) -> VoteResult:
        """See Stats.record_vote."""
        return await asyncio.to_thread(
            self.stats.record_vote, guild_id, message_id, entry_id, user_id, helpful
        )

    async def entry_stats(self, guild_id: int | None) -> list[EntryStats]:
        """See Stats.entry_stats."""
        return await asyncio.to_thread(self.stats.entry_stats, guild_id)

    async def gaps(self, guild_id: int | None, limit: int = 10) -> list[Gap]:
        """See Stats.gaps."""
        return await asyncio.to_thread(self.stats.gaps, guild_id, limit)

    async def close(self) -> None:
        """See Stats.close."""
        await asyncio.to_thread(self.stats.close)
