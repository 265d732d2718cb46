"""The PostgreSQL store, selected by FAQ_DATABASE_URL: shards on many machines share one database.

- Every change to a server's entries runs in one transaction that locks the server's row,
  validates exactly as the embedded store does, writes the entry, its audit record and a new
  version of the server, and sends NOTIFY; so the change and its audit persist together.
- A listener thread holds its own connection with LISTEN. Each notification names a server and
  its version; subscribers re-read that server. After a dropped connection the listener
  reconnects and compares every server's version with the ones it knew, so nothing is missed.
- Migrations are numbered and applied in order under an advisory lock, at start or with
  `faqbot db migrate`. Nothing is kept on local disk.
- The password never reaches a log line or an error: only `safe_url` is shown.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Literal
from urllib.parse import urlsplit

import psycopg
import psycopg_pool
from psycopg.conninfo import conninfo_to_dict

from ..errors import KnowledgeError
from ..loader import EntryFile
from ..models import Entry, KnowledgeBase
from ..stats import (
    DEFAULT_RETENTION_DAYS,
    ENTRY_STATS_LIMIT,
    GAPS_SCAN_LIMIT,
    VOTE_WINDOW,
    EntryStats,
    Gap,
    VoteResult,
)
from ..storage import anonymised, apply_change, checked_document
from ..text import MAX_QUERY_CHARS, normalize
from .base import (
    ANONYMOUS_ID,
    AuditAction,
    AuditRecord,
    ChangeListener,
    ForgetReport,
    GuildChange,
    GuildSettings,
    StoreUnavailableError,
    check_guild_id,
)

__all__ = ["CHANNEL", "MIGRATIONS", "PostgresStore", "migrate", "safe_url", "validate_url"]

_log = logging.getLogger(__name__)
# The pool logs every failed reconnection attempt; our own line per outage says it once.
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)

CHANNEL = "faq_changes"
# pg_advisory_xact_lock key for migrations: "faqbot" in ASCII.
_MIGRATION_LOCK = 0x666171626F74

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "entries, audit, settings and stats",
        """
        CREATE TABLE faq_guilds (
            guild_id bigint PRIMARY KEY,
            version bigint NOT NULL DEFAULT 0,           -- bumped by every entries change
            settings_version bigint NOT NULL DEFAULT 0,  -- bumped by every settings change
            synonyms jsonb NOT NULL DEFAULT '{}',
            settings jsonb NOT NULL DEFAULT '{}'
        );
        CREATE TABLE faq_entries (
            guild_id bigint NOT NULL REFERENCES faq_guilds ON DELETE CASCADE,
            entry_id text NOT NULL,
            position bigint NOT NULL,
            body jsonb NOT NULL,          -- the entry in the YAML layout, without the stamps
            created_by bigint NOT NULL,
            created_at timestamptz NOT NULL,
            updated_by bigint,
            updated_at timestamptz,
            PRIMARY KEY (guild_id, entry_id)
        );
        CREATE INDEX faq_entries_by_creator ON faq_entries (created_by);
        CREATE INDEX faq_entries_by_updater ON faq_entries (updated_by);
        CREATE TABLE faq_audit (
            id bigserial PRIMARY KEY,
            ts timestamptz NOT NULL,
            guild_id bigint NOT NULL,
            actor_id bigint NOT NULL,
            action text NOT NULL CHECK (action IN ('add', 'edit', 'remove')),
            entry_id text NOT NULL,
            before jsonb,
            after jsonb
        );
        CREATE INDEX faq_audit_by_guild ON faq_audit (guild_id, id);
        CREATE INDEX faq_audit_by_actor ON faq_audit (actor_id);
        CREATE TABLE faq_asks (
            id bigserial PRIMARY KEY,
            ts timestamptz NOT NULL,
            guild_id bigint,
            message_id bigint,
            question text NOT NULL,
            question_key text NOT NULL,
            entry_id text,
            answered boolean NOT NULL,
            user_id bigint
        );
        CREATE INDEX faq_asks_by_guild ON faq_asks (guild_id, id);
        CREATE INDEX faq_asks_by_guild_entry ON faq_asks (guild_id, entry_id, answered);
        CREATE INDEX faq_asks_by_message ON faq_asks (message_id);
        CREATE INDEX faq_asks_by_ts ON faq_asks (ts);
        CREATE INDEX faq_asks_by_user ON faq_asks (user_id) WHERE user_id IS NOT NULL;
        CREATE TABLE faq_votes (
            id bigserial PRIMARY KEY,
            message_id bigint NOT NULL,
            user_id bigint NOT NULL,
            guild_id bigint,
            entry_id text NOT NULL,
            helpful boolean NOT NULL,
            ts timestamptz NOT NULL
        );
        CREATE INDEX faq_votes_by_member ON faq_votes (user_id, guild_id, entry_id, ts);
        CREATE INDEX faq_votes_by_message ON faq_votes (message_id);
        CREATE INDEX faq_votes_by_guild_entry ON faq_votes (guild_id, entry_id, helpful);
        CREATE INDEX faq_votes_by_ts ON faq_votes (ts);
        """,
    ),
)

_UNREACHABLE = "the database cannot be reached, so nothing was saved; try again in a minute"


def validate_url(url: str) -> str:
    """A problem with a database URL in words (never echoing it), or "" when it is usable."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL; write postgresql://user:password@host:5432/database"
    if parts.scheme not in {"postgresql", "postgres"}:
        return "must start with postgresql:// (the only database supported)"
    if port is not None and not 0 < port < 65536:
        return "has an invalid port"
    if not parts.path.strip("/") and not parts.hostname:
        return "names no host and no database; write postgresql://user:password@host/database"
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "cannot be parsed; write postgresql://user:password@host:5432/database"
    return ""


def safe_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://(unparsable URL)"
    user = f"{info['user']}@" if info.get("user") else ""
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{info.get('host', '')}{port}/{info.get('dbname', '')}"


def _reason(exc: BaseException, url: str) -> str:
    """An error's first line, with the password blanked should a driver ever include it."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    password = ""
    with suppress(psycopg.Error):
        password = str(conninfo_to_dict(url).get("password") or "")
    return text.replace(password, "***") if password else text


def migrate(conn: psycopg.Connection[Any]) -> list[int]:
    """Apply the migrations this database lacks, in order; return the versions applied."""
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS faq_schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in conn.execute("SELECT version FROM faq_schema_migrations")}
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            conn.execute(sql.encode("utf-8"))
            conn.execute(
                "INSERT INTO faq_schema_migrations (version, name) VALUES (%s, %s)",
                (version, name),
            )
            applied.append(version)
            _log.info("database migrated to version %d: %s", version, name)
    return applied


def _entry_from_row(row: tuple[Any, ...]) -> Entry:
    body, created_by, created_at, updated_by, updated_at = row
    return Entry.model_validate(
        {
            **body,
            "created_by": created_by,
            "created_at": created_at,
            "updated_by": updated_by,
            "updated_at": updated_at,
        }
    )


def _body(entry: Entry) -> str:
    data = entry.to_yaml_dict()
    for key in ("created_by", "created_at", "updated_by", "updated_at"):
        data.pop(key, None)
    return json.dumps(data, ensure_ascii=False)


class PostgresStore:
    """Entries, audit, settings and stats in PostgreSQL, with LISTEN/NOTIFY change delivery."""

    kind = "postgresql"

    def __init__(
        self,
        url: str,
        base: KnowledgeBase,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        wait: bool = False,
        listen: bool = True,
        pool_size: int = 4,
        timeout: float = 5.0,
    ) -> None:
        self.base = base
        self.url = url
        self.safe_url = safe_url(url)
        self.retention_days = retention_days
        self._timeout = timeout
        self._listeners: list[ChangeListener] = []
        # guild -> (entries version, settings version) as last seen by this process.
        self._versions: dict[int, tuple[int, int]] = {}
        self._versions_lock = threading.Lock()
        self._stop = threading.Event()
        self.connected = threading.Event()
        self._connect_and_migrate(wait)
        self._pool: psycopg_pool.ConnectionPool[psycopg.Connection[Any]] = (
            psycopg_pool.ConnectionPool(
                url,
                min_size=1,
                max_size=pool_size,
                kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
                check=psycopg_pool.ConnectionPool.check_connection,
                timeout=timeout,
                reconnect_timeout=0,
                name="faqbot",
                open=True,
            )
        )
        with self._connection() as conn:
            self._versions = self._read_versions(conn)
        self._thread: threading.Thread | None = None
        if listen:
            self._thread = threading.Thread(target=self._listen, name="faq-db-listen", daemon=True)
            self._thread.start()
            self.connected.wait(timeout)

    # -- connections ---------------------------------------------------------------------------
    def _connect_and_migrate(self, wait: bool) -> None:
        delay = 1.0
        told = False
        while True:
            try:
                with psycopg.connect(
                    self.url, autocommit=True, connect_timeout=max(1, int(self._timeout))
                ) as conn:
                    migrate(conn)
                if told:
                    _log.info("the database at %s answers again", self.safe_url)
                return
            except psycopg.OperationalError as exc:
                reason = _reason(exc, self.url)
                if not wait:
                    raise StoreUnavailableError(
                        f"cannot reach the database at {self.safe_url} ({reason}); check "
                        "FAQ_DATABASE_URL and that the server is running"
                    ) from None
                if not told:
                    _log.error(
                        "cannot reach the database at %s (%s); retrying until it answers",
                        self.safe_url,
                        reason,
                    )
                    told = True
                if self._stop.wait(delay):
                    raise StoreUnavailableError("stopped while waiting for the database") from None
                delay = min(delay * 2, 30.0)

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection; an unreachable database becomes StoreUnavailableError."""
        try:
            with self._pool.connection(timeout=self._timeout) as conn:
                yield conn
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            _log.warning("database %s: %s", self.safe_url, _reason(exc, self.url))
            raise StoreUnavailableError(_UNREACHABLE) from None

    # -- entries -------------------------------------------------------------------------------
    def guild_ids(self) -> list[int]:
        """Servers with entries or settings, sorted."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT guild_id FROM faq_guilds WHERE EXISTS (SELECT 1 FROM faq_entries e"
                " WHERE e.guild_id = faq_guilds.guild_id) OR synonyms != '{}'"
                " OR settings != '{}' ORDER BY guild_id"
            ).fetchall()
        return [int(r[0]) for r in rows]

    def _read(
        self, conn: psycopg.Connection[Any], guild_id: int
    ) -> tuple[list[Entry], dict[str, str]]:
        row = conn.execute(
            "SELECT synonyms FROM faq_guilds WHERE guild_id = %s", (guild_id,)
        ).fetchone()
        synonyms = dict(row[0]) if row else {}
        rows = conn.execute(
            "SELECT body, created_by, created_at, updated_by, updated_at FROM faq_entries"
            " WHERE guild_id = %s ORDER BY position",
            (guild_id,),
        ).fetchall()
        return [_entry_from_row(r) for r in rows], synonyms

    def read_entries(self, guild_id: int) -> EntryFile:
        """A server's entries, validated against the shipped knowledge as a file would be.

        When the listener knows the database is down, this fails at once instead of waiting
        for a connection: a server's first question may be what asks (see Library).
        """
        check_guild_id(guild_id)
        if self._thread is not None and not self.connected.is_set():
            raise StoreUnavailableError(_UNREACHABLE.replace(", so nothing was saved", ""))
        with self._connection() as conn:
            entries, synonyms = self._read(conn, guild_id)
        if not entries and not synonyms:
            return EntryFile((), {})
        _, saved = checked_document(entries, synonyms, self.base, f"server {guild_id}")
        return saved

    def add_entry(
        self,
        guild_id: int,
        entry: Entry,
        actor_id: int,
        *,
        pick_id: bool = False,
        keep_stamps: bool = False,
    ) -> Entry:
        """See Store.add_entry."""
        return self._change(
            guild_id, "add", entry, actor_id, pick_id=pick_id, keep_stamps=keep_stamps
        )

    def edit_entry(
        self, guild_id: int, entry: Entry, actor_id: int, *, keep_stamps: bool = False
    ) -> Entry:
        """See Store.edit_entry."""
        return self._change(guild_id, "edit", entry, actor_id, keep_stamps=keep_stamps)

    def remove_entry(self, guild_id: int, entry_id: str, actor_id: int) -> Entry:
        """See Store.remove_entry."""
        return self._change(guild_id, "remove", entry_id, actor_id)

    def _lock_guild(self, conn: psycopg.Connection[Any], guild_id: int) -> tuple[int, int]:
        conn.execute(
            "INSERT INTO faq_guilds (guild_id) VALUES (%s) ON CONFLICT DO NOTHING", (guild_id,)
        )
        row = conn.execute(
            "SELECT version, settings_version FROM faq_guilds WHERE guild_id = %s FOR UPDATE",
            (guild_id,),
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def _change(
        self,
        guild_id: int,
        action: AuditAction,
        entry: Entry | str,
        actor_id: int,
        *,
        pick_id: bool = False,
        keep_stamps: bool = False,
    ) -> Entry:
        check_guild_id(guild_id)
        name = f"server {guild_id}"
        with self._connection() as conn, conn.transaction():
            version, settings_version = self._lock_guild(conn, guild_id)
            entries, synonyms = self._read(conn, guild_id)
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            before, after = apply_change(
                action,
                entries,
                entry,
                base=self.base,
                name=name,
                actor_id=actor_id,
                now=now,
                pick_id=pick_id,
                keep_stamps=keep_stamps,
            )
            changed = after or before
            assert changed is not None
            checked_document(entries, synonyms, self.base, name, changed.id)
            if action == "add":
                assert after is not None
                conn.execute(
                    "INSERT INTO faq_entries (guild_id, entry_id, position, body, created_by,"
                    " created_at) VALUES (%s, %s, (SELECT COALESCE(MAX(position), 0) + 1"
                    " FROM faq_entries WHERE guild_id = %s), %s, %s, %s)",
                    (
                        guild_id,
                        after.id,
                        guild_id,
                        _body(after),
                        after.created_by,
                        after.created_at,
                    ),
                )
            elif action == "edit":
                assert after is not None
                conn.execute(
                    "UPDATE faq_entries SET body = %s, created_by = %s, created_at = %s,"
                    " updated_by = %s, updated_at = %s WHERE guild_id = %s AND entry_id = %s",
                    (
                        _body(after),
                        after.created_by,
                        after.created_at,
                        after.updated_by,
                        after.updated_at,
                        guild_id,
                        after.id,
                    ),
                )
            else:
                conn.execute(
                    "DELETE FROM faq_entries WHERE guild_id = %s AND entry_id = %s",
                    (guild_id, changed.id),
                )
            conn.execute(
                "INSERT INTO faq_audit (ts, guild_id, actor_id, action, entry_id, before, after)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    now,
                    guild_id,
                    actor_id,
                    action,
                    changed.id,
                    json.dumps(before.to_yaml_dict()) if before else None,
                    json.dumps(after.to_yaml_dict()) if after else None,
                ),
            )
            self._bump(conn, guild_id, "entries", version + 1, settings_version)
        _log.info("server %s: %s entry '%s' by %s", guild_id, action, changed.id, actor_id)
        self._changed(guild_id, "entries", (version + 1, settings_version))
        return after or changed

    def _bump(
        self,
        conn: psycopg.Connection[Any],
        guild_id: int,
        what: Literal["entries", "settings"],
        version: int,
        settings_version: int,
    ) -> None:
        column = "version" if what == "entries" else "settings_version"
        value = version if what == "entries" else settings_version
        conn.execute(
            f"UPDATE faq_guilds SET {column} = %s WHERE guild_id = %s",
            (value, guild_id),
        )
        # Delivered at commit, to every listening process (this one included).
        conn.execute(
            "SELECT pg_notify(%s, %s)",
            (CHANNEL, f"{guild_id}:{version}:{settings_version}"),
        )

    def audit_log(self, guild_id: int | None, limit: int = 50) -> list[AuditRecord]:
        """See Store.audit_log."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT ts, guild_id, actor_id, action, entry_id, before, after FROM faq_audit"
                " WHERE %s::bigint IS NULL OR guild_id = %s ORDER BY id DESC LIMIT %s",
                (guild_id, guild_id, limit),
            ).fetchall()
        return [AuditRecord(*row) for row in rows]

    # -- settings ------------------------------------------------------------------------------
    def guild_settings(self, guild_id: int) -> GuildSettings:
        """See Store.guild_settings."""
        check_guild_id(guild_id)
        with self._connection() as conn:
            row = conn.execute(
                "SELECT settings FROM faq_guilds WHERE guild_id = %s", (guild_id,)
            ).fetchone()
        return GuildSettings.from_dict(row[0] if row else {}, f"server {guild_id} settings")

    def all_guild_settings(self) -> dict[int, GuildSettings]:
        """See Store.all_guild_settings."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT guild_id, settings FROM faq_guilds WHERE settings != '{}'"
            ).fetchall()
        found = {}
        for guild_id, raw in rows:
            try:
                found[int(guild_id)] = GuildSettings.from_dict(raw, f"server {guild_id} settings")
            except KnowledgeError as exc:
                _log.error("server %s: its settings are ignored until fixed:\n%s", guild_id, exc)
        return found

    def set_guild_settings(
        self, guild_id: int, settings: GuildSettings, actor_id: int
    ) -> GuildSettings:
        """See Store.set_guild_settings."""
        check_guild_id(guild_id)
        with self._connection() as conn, conn.transaction():
            version, settings_version = self._lock_guild(conn, guild_id)
            conn.execute(
                "UPDATE faq_guilds SET settings = %s WHERE guild_id = %s",
                (json.dumps(settings.to_dict()), guild_id),
            )
            self._bump(conn, guild_id, "settings", version, settings_version + 1)
        _log.info("server %s: settings changed by %s: %s", guild_id, actor_id, settings.to_dict())
        self._changed(guild_id, "settings", (version, settings_version + 1))
        return settings

    # -- stats ---------------------------------------------------------------------------------
    def record_ask(
        self,
        guild_id: int | None,
        question: str,
        entry_id: str | None,
        answered: bool,
        message_id: int | None = None,
        user_id: int | None = None,
    ) -> int:
        """See Store.record_ask."""
        question = question[:MAX_QUERY_CHARS]
        with self._connection() as conn:
            row = conn.execute(
                "INSERT INTO faq_asks (ts, guild_id, message_id, question, question_key,"
                " entry_id, answered, user_id) VALUES (now(), %s, %s, %s, %s, %s, %s, %s)"
                " RETURNING id",
                (guild_id, message_id, question, normalize(question), entry_id, answered, user_id),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def attach_message(self, ask_id: int, message_id: int) -> None:
        """See Store.attach_message."""
        with self._connection() as conn:
            conn.execute("UPDATE faq_asks SET message_id = %s WHERE id = %s", (message_id, ask_id))

    def record_vote(
        self, guild_id: int | None, message_id: int, entry_id: str, user_id: int, helpful: bool
    ) -> VoteResult:
        """See Store.record_vote."""
        with self._connection() as conn, conn.transaction():
            # Serialise one member's votes on one entry, across processes.
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (f"vote:{guild_id}:{entry_id}:{user_id}",),
            )
            row = conn.execute(
                "SELECT id, helpful FROM faq_votes WHERE user_id = %s"
                " AND guild_id IS NOT DISTINCT FROM %s AND entry_id = %s AND ts >= now() - %s"
                " ORDER BY ts DESC LIMIT 1",
                (user_id, guild_id, entry_id, VOTE_WINDOW),
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO faq_votes (message_id, user_id, guild_id, entry_id, helpful, ts)"
                    " VALUES (%s, %s, %s, %s, %s, now())",
                    (message_id, user_id, guild_id, entry_id, helpful),
                )
                return VoteResult.NEW
            if bool(row[1]) == helpful:
                return VoteResult.UNCHANGED
            conn.execute(
                "UPDATE faq_votes SET helpful = %s, message_id = %s WHERE id = %s",
                (helpful, message_id, row[0]),
            )
            return VoteResult.CHANGED

    def entry_stats(self, guild_id: int | None, limit: int = ENTRY_STATS_LIMIT) -> list[EntryStats]:
        """See Store.entry_stats."""
        with self._connection() as conn:
            rows = conn.execute(
                """
                SELECT entry_id, SUM(asks), SUM(helpful), SUM(not_helpful) FROM (
                    SELECT entry_id, COUNT(*) AS asks, 0 AS helpful, 0 AS not_helpful
                    FROM faq_asks
                    WHERE guild_id IS NOT DISTINCT FROM %(g)s AND answered
                          AND entry_id IS NOT NULL
                    GROUP BY entry_id
                    UNION ALL
                    SELECT entry_id, 0, COUNT(*) FILTER (WHERE helpful),
                           COUNT(*) FILTER (WHERE NOT helpful)
                    FROM faq_votes WHERE guild_id IS NOT DISTINCT FROM %(g)s GROUP BY entry_id
                ) AS counts
                GROUP BY entry_id
                ORDER BY SUM(asks) DESC, entry_id
                LIMIT %(limit)s
                """,
                {"g": guild_id, "limit": limit},
            ).fetchall()
        return [EntryStats(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def gaps(self, guild_id: int | None, limit: int = 10) -> list[Gap]:
        """See Store.gaps (bounded like the embedded one)."""
        with self._connection() as conn:
            rows = conn.execute(
                """
                WITH recent AS (
                    SELECT id, question, question_key, answered, message_id FROM faq_asks
                    WHERE guild_id IS NOT DISTINCT FROM %(g)s AND question_key != ''
                          AND ts >= now() - make_interval(days => %(days)s)
                    ORDER BY id DESC LIMIT %(scan)s
                ),
                not_helpful AS (
                    SELECT message_id, COUNT(*) AS votes FROM faq_votes
                    WHERE NOT helpful AND message_id IN (
                        SELECT message_id FROM recent WHERE message_id IS NOT NULL
                    )
                    GROUP BY message_id
                ),
                grouped AS (
                    SELECT (array_agg(a.question ORDER BY a.id DESC))[1] AS question,
                           MAX(a.id) AS last_id, COUNT(*) AS asked,
                           COUNT(*) FILTER (WHERE NOT a.answered) AS unanswered,
                           COALESCE(SUM(n.votes), 0) AS not_helpful
                    FROM recent AS a LEFT JOIN not_helpful AS n ON n.message_id = a.message_id
                    GROUP BY a.question_key
                )
                SELECT question, asked, unanswered, not_helpful FROM grouped
                WHERE unanswered > 0 OR not_helpful > 0
                ORDER BY unanswered + not_helpful DESC, asked DESC, last_id DESC
                LIMIT %(limit)s
                """,
                {
                    "g": guild_id,
                    "days": self.retention_days,
                    "scan": GAPS_SCAN_LIMIT,
                    "limit": limit,
                },
            ).fetchall()
        return [Gap(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def forget_user(self, user_id: int) -> ForgetReport:
        """See Store.forget_user: one transaction for all of it."""
        touched: set[int] = set()
        with self._connection() as conn, conn.transaction():
            votes = conn.execute("DELETE FROM faq_votes WHERE user_id = %s", (user_id,)).rowcount
            asks = conn.execute("DELETE FROM faq_asks WHERE user_id = %s", (user_id,)).rowcount
            entries = 0
            for column in ("created_by", "updated_by"):
                rows = conn.execute(
                    f"UPDATE faq_entries SET {column} = %s WHERE {column} = %s RETURNING guild_id",
                    (ANONYMOUS_ID, user_id),
                ).fetchall()
                entries += len(rows)
                touched.update(int(r[0]) for r in rows)
            audit = 0
            rows = conn.execute(
                "SELECT id, actor_id, before, after FROM faq_audit WHERE actor_id = %s"
                " OR (before->>'created_by')::bigint = %s OR (before->>'updated_by')::bigint = %s"
                " OR (after->>'created_by')::bigint = %s OR (after->>'updated_by')::bigint = %s",
                (user_id,) * 5,
            ).fetchall()
            for record_id, actor, before, after in rows:
                new_before, _ = anonymised(before, user_id)
                new_after, _ = anonymised(after, user_id)
                conn.execute(
                    "UPDATE faq_audit SET actor_id = %s, before = %s, after = %s WHERE id = %s",
                    (
                        ANONYMOUS_ID if actor == user_id else actor,
                        json.dumps(new_before) if new_before is not None else None,
                        json.dumps(new_after) if new_after is not None else None,
                        record_id,
                    ),
                )
                audit += 1
            for guild_id in touched:
                version, settings_version = self._lock_guild(conn, guild_id)
                self._bump(conn, guild_id, "entries", version + 1, settings_version)
        for guild_id in touched:
            self._notify(GuildChange(guild_id, "entries"))
        return ForgetReport(votes=votes, asks=asks, entries=entries, audit_records=audit)

    def prune(self, retention_days: int) -> int:
        """See Store.prune."""
        with self._connection() as conn, conn.transaction():
            pruned = conn.execute(
                "UPDATE faq_asks SET question = '', question_key = '', user_id = NULL"
                " WHERE ts < now() - make_interval(days => %s)"
                " AND (question != '' OR user_id IS NOT NULL)",
                (retention_days,),
            ).rowcount
            conn.execute(
                "UPDATE faq_votes SET user_id = 0"
                " WHERE ts < now() - make_interval(days => %s) AND user_id != 0",
                (retention_days,),
            )
        return pruned

    # -- notifications -------------------------------------------------------------------------
    def subscribe(self, listener: ChangeListener) -> None:
        """See Store.subscribe."""
        self._listeners.append(listener)

    def poll(self) -> None:
        """Nothing to do: changes are pushed by the listener thread."""

    def _read_versions(self, conn: psycopg.Connection[Any]) -> dict[int, tuple[int, int]]:
        rows = conn.execute("SELECT guild_id, version, settings_version FROM faq_guilds")
        return {int(g): (int(v), int(s)) for g, v, s in rows.fetchall()}

    def _changed(
        self, guild_id: int, what: Literal["entries", "settings"], versions: tuple[int, int]
    ) -> None:
        """This process committed a change: serve it now; its NOTIFY will then be a repeat."""
        with self._versions_lock:
            known = self._versions.get(guild_id, (0, 0))
            self._versions[guild_id] = (max(known[0], versions[0]), max(known[1], versions[1]))
        self._notify(GuildChange(guild_id, what))

    def _seen(self, guild_id: int, versions: tuple[int, int]) -> list[GuildChange]:
        """Record a server's versions; the changes they reveal."""
        with self._versions_lock:
            known = self._versions.get(guild_id, (0, 0))
            self._versions[guild_id] = (max(known[0], versions[0]), max(known[1], versions[1]))
        changes = []
        if versions[0] > known[0]:
            changes.append(GuildChange(guild_id, "entries"))
        if versions[1] > known[1]:
            changes.append(GuildChange(guild_id, "settings"))
        return changes

    def _notify(self, change: GuildChange) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                _log.exception("a change listener failed on %s", change)

    def _listen(self) -> None:
        """LISTEN until closed; after a dropped connection, reconnect and catch up."""
        delay = 0.5
        lost = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.url, autocommit=True, connect_timeout=max(1, int(self._timeout))
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    # Whatever changed while we were not listening (or before we started).
                    for guild_id, versions in self._read_versions(conn).items():
                        for change in self._seen(guild_id, versions):
                            self._notify(change)
                    self.connected.set()
                    if lost:
                        _log.warning("database %s: listening again", self.safe_url)
                        lost = False
                    delay = 0.5
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._on_notify(note.payload)
            except psycopg.Error as exc:
                self.connected.clear()
                if not lost:
                    _log.warning(
                        "database %s: lost the change feed (%s); serving from memory and "
                        "reconnecting",
                        self.safe_url,
                        _reason(exc, self.url),
                    )
                    lost = True
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
            except Exception:
                _log.exception("the database change listener failed; restarting it")
                self._stop.wait(delay)

    def _on_notify(self, payload: str) -> None:
        try:
            guild, version, settings_version = (int(p) for p in payload.split(":"))
        except ValueError:
            _log.warning("ignoring an unexpected notification on %s", CHANNEL)
            return
        for change in self._seen(guild, (version, settings_version)):
            self._notify(change)

    def close(self) -> None:
        """Stop the listener and close the pool."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.close()
