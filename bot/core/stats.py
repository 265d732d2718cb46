"""Counters of asks, votes and unanswered questions, in SQLite (WAL mode).

`Stats` is synchronous and thread-safe; the adapter's bookkeeping (bot/bookkeeping.py) runs it on
a worker thread of its own, with deadlines, so the event loop never waits on the disk.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from .text import MAX_QUERY_CHARS, normalize

__all__ = ["Counters", "EntryStats", "Gap", "Stats", "VoteResult"]

_log = logging.getLogger(__name__)

_SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS asks (
    id INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    guild_id INTEGER,             -- NULL outside a server (DMs)
    message_id INTEGER,           -- the bot's answer message, which votes point at
    question TEXT NOT NULL,       -- as asked, cut to MAX_QUERY_CHARS; '' once past retention
    question_key TEXT NOT NULL,   -- text.normalize(question): what gaps group by
    entry_id TEXT,
    answered INTEGER NOT NULL,
    user_id INTEGER               -- who asked (for forget-user); NULL once past retention
);
CREATE TABLE IF NOT EXISTS votes (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,     -- 0 once past retention
    guild_id INTEGER,
    entry_id TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    ts TEXT NOT NULL
);
"""
# Version 1 keyed votes by (message_id, user_id): one vote per answer message, so asking again
# gave a member another vote on the same entry.
_MIGRATE_1_TO_2 = """
ALTER TABLE asks ADD COLUMN user_id INTEGER;
ALTER TABLE votes RENAME TO votes_v1;
CREATE TABLE votes (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    guild_id INTEGER,
    entry_id TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    ts TEXT NOT NULL
);
INSERT INTO votes (message_id, user_id, guild_id, entry_id, helpful, ts)
    SELECT message_id, user_id, guild_id, entry_id, helpful, ts FROM votes_v1;
DROP TABLE votes_v1;
DROP INDEX IF EXISTS votes_by_guild;
"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS asks_by_guild ON asks (guild_id);
CREATE INDEX IF NOT EXISTS asks_by_guild_key ON asks (guild_id, question_key);
CREATE INDEX IF NOT EXISTS asks_by_guild_entry ON asks (guild_id, entry_id, answered);
CREATE INDEX IF NOT EXISTS asks_by_message ON asks (message_id);
CREATE INDEX IF NOT EXISTS asks_by_ts ON asks (ts);
CREATE INDEX IF NOT EXISTS asks_by_user ON asks (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS votes_by_member ON votes (user_id, guild_id, entry_id, ts);
CREATE INDEX IF NOT EXISTS votes_by_message ON votes (message_id);
CREATE INDEX IF NOT EXISTS votes_by_guild_entry ON votes (guild_id, entry_id, helpful);
CREATE INDEX IF NOT EXISTS votes_by_ts ON votes (ts);
"""

# A member's votes on one entry within this window count once.
VOTE_WINDOW = dt.timedelta(hours=24)
# `gaps` looks at most at this many of a server's latest questions, within the retention window.
GAPS_SCAN_LIMIT = 50_000
# `entry_stats` returns at most this many entries.
ENTRY_STATS_LIMIT = 200
DEFAULT_RETENTION_DAYS = 90


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


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


class Stats:
    """The counters database; safe to call from several threads.

    A corrupt file is moved aside (`stats.sqlite3.corrupt-<time>`) and a new one started, with
    a warning; a data dir where no database can be written keeps counts in memory only.
    """

    def __init__(
        self,
        path: Path,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self._clock = clock
        self._lock = threading.Lock()
        self.in_memory = False
        try:
            self._conn = self._open(self.path)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and not _is_corrupt(exc):
                self._conn = self._open_in_memory(exc)
            else:
                aside = self._move_aside(exc)
                try:
                    self._conn = self._open(self.path)
                except sqlite3.DatabaseError as again:
                    self._conn = self._open_in_memory(again)
                else:
                    _log.warning(
                        "%s was corrupt (%s): moved it to %s and started new counts",
                        self.path,
                        exc,
                        aside.name,
                    )
        except OSError as exc:
            self._conn = self._open_in_memory(exc)

    def _open(self, path: Path | str) -> sqlite3.Connection:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        # One connection behind a lock: SQLite serialises writers anyway, and the calls are tiny.
        conn = sqlite3.connect(path, timeout=2.0, isolation_level=None, check_same_thread=False)
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() not in {"wal", "memory"}:
                _log.warning("%s: SQLite refused WAL mode (got %s)", path, mode)
            conn.execute("PRAGMA synchronous=NORMAL")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            migrate = version == 1 and "votes" in tables
            # One script, one transaction: executescript commits anything pending first.
            conn.executescript(
                "BEGIN IMMEDIATE;"
                + (_MIGRATE_1_TO_2 if migrate else _SCHEMA)
                + _INDEXES
                + f"PRAGMA user_version={_SCHEMA_VERSION}; COMMIT;"
            )
            if migrate:
                _log.info("%s: migrated the counters to schema version 2", path)
        except BaseException:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            conn.close()
            raise
        return conn

    def _open_in_memory(self, exc: BaseException) -> sqlite3.Connection:
        _log.warning(
            "cannot open %s (%s): counting in memory only until restart; make the data dir "
            "writable to keep counts",
            self.path,
            exc,
        )
        self.in_memory = True
        return self._open(":memory:")

    def _move_aside(self, exc: BaseException) -> Path:
        stamp = self._clock().strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            with suppress(FileNotFoundError):
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
        return aside

    def _now(self) -> str:
        return _iso(self._clock())

    def _cutoff(self, age: dt.timedelta) -> str:
        return _iso(self._clock() - age)

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
        user_id: int | None = None,
    ) -> int:
        """Count a question (message_id: the bot's answer, for votes); return the ask's id."""
        question = question[:MAX_QUERY_CHARS]
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO asks (ts, guild_id, message_id, question, question_key, entry_id,"
                " answered, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._now(),
                    guild_id,
                    message_id,
                    question,
                    normalize(question),
                    entry_id,
                    answered,
                    user_id,
                ),
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
        """Count one member's vote on an entry: once per 24 h, whichever answer it was on.

        A repeat within the window is ignored and a different choice moves the vote.
        """
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute(
                    "SELECT id, helpful FROM votes WHERE user_id = ? AND guild_id IS ?"
                    " AND entry_id = ? AND ts >= ? ORDER BY ts DESC LIMIT 1",
                    (user_id, guild_id, entry_id, self._cutoff(VOTE_WINDOW)),
                ).fetchone()
                if row is None:
                    self._conn.execute(
                        "INSERT INTO votes (message_id, user_id, guild_id, entry_id, helpful, ts)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (message_id, user_id, guild_id, entry_id, helpful, self._now()),
                    )
                    result = VoteResult.NEW
                elif bool(row[1]) == helpful:
                    result = VoteResult.UNCHANGED
                else:
                    # The vote keeps its time: changing one's mind does not open a new window.
                    self._conn.execute(
                        "UPDATE votes SET helpful = ?, message_id = ? WHERE id = ?",
                        (helpful, message_id, row[0]),
                    )
                    result = VoteResult.CHANGED
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return result

    def entry_stats(self, guild_id: int | None, limit: int = ENTRY_STATS_LIMIT) -> list[EntryStats]:
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
                LIMIT ?
                """,
                (guild_id, guild_id, limit),
            ).fetchall()
        return [EntryStats(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def gaps(self, guild_id: int | None, limit: int = 10) -> list[Gap]:
        """The questions most often unanswered or voted "Not helpful", worst first.

        Bounded: only the latest GAPS_SCAN_LIMIT questions within the retention window count.
        """
        cutoff = self._cutoff(dt.timedelta(days=self.retention_days))
        with self._lock:
            rows = self._conn.execute(
                """
                WITH recent AS (
                    -- (guild_id) index rows are in id order: the scan stops after the LIMIT.
                    SELECT id, question, question_key, answered, message_id
                    FROM asks INDEXED BY asks_by_guild
                    WHERE guild_id IS ? AND question_key != '' AND ts >= ?
                    ORDER BY id DESC LIMIT ?
                ),
                not_helpful AS (
                    SELECT message_id, COUNT(*) AS votes FROM votes
                    WHERE helpful = 0 AND message_id IN (
                        SELECT message_id FROM recent WHERE message_id IS NOT NULL
                    )
                    GROUP BY message_id
                ),
                grouped AS (
                    -- The bare column `question` comes from the row of MAX(a.id): the latest
                    -- wording, a readable example of the group (a documented SQLite rule).
                    SELECT a.question AS question, MAX(a.id) AS last_id, COUNT(*) AS asked,
                           SUM(NOT a.answered) AS unanswered,
                           COALESCE(SUM(n.votes), 0) AS not_helpful
                    FROM recent AS a LEFT JOIN not_helpful AS n ON n.message_id = a.message_id
                    GROUP BY a.question_key
                )
                SELECT question, asked, unanswered, not_helpful FROM grouped
                WHERE unanswered > 0 OR not_helpful > 0
                ORDER BY unanswered + not_helpful DESC, asked DESC, last_id DESC
                LIMIT ?
                """,
                (guild_id, cutoff, GAPS_SCAN_LIMIT, limit),
            ).fetchall()
        return [Gap(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def forget_user(self, user_id: int) -> tuple[int, int]:
        """Delete a member's votes and asked questions; return (votes, asks) deleted."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                votes = self._conn.execute("DELETE FROM votes WHERE user_id = ?", (user_id,))
                asks = self._conn.execute("DELETE FROM asks WHERE user_id = ?", (user_id,))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return votes.rowcount, asks.rowcount

    def prune(self, retention_days: int | None = None, batch: int = 500) -> int:
        """Blank the text and asker of questions, and the voter of votes, past retention.

        The counts stay (entry stats keep their history); return how many questions were pruned.
        Done in batches, so the counters are never held up for long.
        """
        days = self.retention_days if retention_days is None else retention_days
        cutoff = self._cutoff(dt.timedelta(days=days))
        pruned = 0
        for table, change, still in (
            (
                "asks",
                "question = '', question_key = '', user_id = NULL",
                "(question != '' OR user_id IS NOT NULL)",
            ),
            ("votes", "user_id = 0", "user_id != 0"),
        ):
            # Walk the table by id ranges: each batch is a short primary-key range update, so
            # the counters wait at most one batch, and the whole pass is linear.
            with self._lock:
                low, high = self._conn.execute(f"SELECT MIN(id), MAX(id) FROM {table}").fetchone()
            if low is None:
                continue
            for start in range(int(low), int(high) + 1, batch):
                with self._lock:
                    done = self._conn.execute(
                        f"UPDATE {table} SET {change} WHERE id BETWEEN ? AND ? AND ts < ?"
                        f" AND {still}",
                        (start, start + batch - 1, cutoff),
                    ).rowcount
                if table == "asks":
                    pruned += done
        return pruned

    def close(self) -> None:
        """Close the database; the object is unusable afterwards."""
        with self._lock:
            self._conn.close()


class Counters(Protocol):
    """The counters the adapter's bookkeeping needs: Stats, or a Store (same methods)."""

    def record_ask(
        self,
        guild_id: int | None,
        question: str,
        entry_id: str | None,
        answered: bool,
        message_id: int | None = None,
        user_id: int | None = None,
    ) -> int: ...

    def attach_message(self, ask_id: int, message_id: int) -> None: ...

    def record_vote(
        self, guild_id: int | None, message_id: int, entry_id: str, user_id: int, helpful: bool
    ) -> VoteResult: ...

    def entry_stats(self, guild_id: int | None) -> list[EntryStats]: ...

    def gaps(self, guild_id: int | None, limit: int = 10) -> list[Gap]: ...

    def close(self) -> None: ...
