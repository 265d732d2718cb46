"""The embedded store, the default: YAML files and SQLite under the data dir, nothing to install.

    guilds/<guild_id>.yaml       a server's entries (see bot.core.storage)
    audit.jsonl                  one JSON object per change
    settings/<guild_id>.json     a server's own settings
    stats.sqlite3                asks and votes (see bot.core.stats)

Changes made by this process reach subscribers at once; changes made by another process (the
`faqbot entries` command, a second bot) are found by `poll`, which compares file stamps.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import filelock

from ..errors import KnowledgeError
from ..loader import EntryFile
from ..models import Entry, KnowledgeBase
from ..stats import DEFAULT_RETENTION_DAYS, EntryStats, Gap, Stats, VoteResult
from ..storage import GuildStore, _utc_now, _write_atomic, _write_failed
from .base import (
    AuditRecord,
    ChangeListener,
    ForgetReport,
    GuildChange,
    GuildSettings,
    StoreUnavailableError,
    check_guild_id,
    is_snowflake,
)

__all__ = ["SETTINGS_DIR", "STATS_FILE", "EmbeddedStore"]

_log = logging.getLogger(__name__)

STATS_FILE = "stats.sqlite3"
SETTINGS_DIR = "settings"

# What tells us a file changed without reading it: os.replace gives a new inode, an edit in
# place a new mtime or size.
_Stamp = tuple[int, int, int]


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class EmbeddedStore:
    """Entries in YAML files, the audit in JSON lines, stats in SQLite, settings in JSON files."""

    kind = "embedded"

    def __init__(
        self,
        data_dir: Path,
        base: KnowledgeBase,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        lock_timeout: float = 10.0,
        clock: Callable[[], dt.datetime] = _utc_now,
        stats: Stats | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.entries = GuildStore(self.data_dir, base, lock_timeout=lock_timeout, clock=clock)
        self._lock_timeout = lock_timeout
        self._listeners: list[ChangeListener] = []
        self._seen: dict[Path, _Stamp | None] = {}
        self._poll_lock = threading.Lock()
        self._stats = stats
        self._stats_lock = threading.Lock()
        self._retention_days = retention_days
        self._clock = clock
        if self.entries.guilds_dir.is_dir():
            try:
                self.entries.reconcile_all()
            except (OSError, KnowledgeError) as exc:
                _log.warning("could not finish the changes a crash interrupted: %s", exc)
        # What is there now is the starting point: poll reports what changes after this.
        for path in self._watched():
            self._seen[path] = _stamp(path)

    # The counters open on first use, so `faqbot entries` never creates a stats file.
    @property
    def stats(self) -> Stats:
        """The SQLite counters (opened on first use)."""
        if self._stats is None:
            with self._stats_lock:
                if self._stats is None:
                    self._stats = Stats(
                        self.data_dir / STATS_FILE,
                        retention_days=self._retention_days,
                        clock=self._clock,
                    )
        return self._stats

    @property
    def base(self) -> KnowledgeBase:
        """The shipped knowledge entries are validated against."""
        return self.entries.base

    @base.setter
    def base(self, value: KnowledgeBase) -> None:
        self.entries.base = value

    # -- entries -------------------------------------------------------------------------------
    def path_for(self, guild_id: int) -> Path:
        """The entries file of one server."""
        return self.entries.path_for(guild_id)

    @property
    def audit_path(self) -> Path:
        """The audit log (JSON lines)."""
        return self.entries.audit_path

    def guild_ids(self) -> list[int]:
        """Servers with an entries file or a settings file, sorted."""
        return sorted(set(self.entries.guild_ids()) | set(self._settings_ids()))

    def read_entries(self, guild_id: int) -> EntryFile:
        """A server's validated entries and synonyms."""
        return self.entries.read(guild_id)

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
        saved = self.entries.add(
            guild_id, entry, actor_id, pick_id=pick_id, keep_stamps=keep_stamps
        )
        self._changed(guild_id, "entries", self.entries.path_for(guild_id))
        return saved

    def edit_entry(
        self, guild_id: int, entry: Entry, actor_id: int, *, keep_stamps: bool = False
    ) -> Entry:
        """See Store.edit_entry."""
        saved = self.entries.edit(guild_id, entry, actor_id, keep_stamps=keep_stamps)
        self._changed(guild_id, "entries", self.entries.path_for(guild_id))
        return saved

    def remove_entry(self, guild_id: int, entry_id: str, actor_id: int) -> Entry:
        """See Store.remove_entry."""
        removed = self.entries.remove(guild_id, entry_id, actor_id)
        self._changed(guild_id, "entries", self.entries.path_for(guild_id))
        return removed

    def audit_log(self, guild_id: int | None, limit: int = 50) -> list[AuditRecord]:
        """See Store.audit_log."""
        return self.entries.audit_log(guild_id, limit)

    # -- settings ------------------------------------------------------------------------------
    @property
    def settings_dir(self) -> Path:
        """One JSON file per server that set something."""
        return self.data_dir / SETTINGS_DIR

    def _settings_path(self, guild_id: int) -> Path:
        return self.settings_dir / f"{check_guild_id(guild_id)}.json"

    def _settings_ids(self) -> list[int]:
        found = []
        for path in self.settings_dir.glob("*.json"):
            stem = path.stem
            if stem.isascii() and stem.isdigit() and is_snowflake(int(stem)):
                found.append(int(stem))
            else:
                _log.warning("ignoring %s: not named <server id>.json", path)
        return found

    def guild_settings(self, guild_id: int) -> GuildSettings:
        """See Store.guild_settings."""
        path = self._settings_path(guild_id)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return GuildSettings()
        except (OSError, ValueError) as exc:
            raise KnowledgeError.single(str(path), f"cannot read the settings: {exc}") from None
        if not isinstance(raw, dict):
            raise KnowledgeError.single(str(path), "must hold a JSON object")
        return GuildSettings.from_dict(raw, str(path))

    def all_guild_settings(self) -> dict[int, GuildSettings]:
        """See Store.all_guild_settings (a file that cannot be read is logged and skipped)."""
        found = {}
        for guild_id in self._settings_ids():
            try:
                settings = self.guild_settings(guild_id)
            except KnowledgeError as exc:
                _log.error("server %s: its settings are ignored until fixed:\n%s", guild_id, exc)
                continue
            if not settings.is_default:
                found[guild_id] = settings
        return found

    def set_guild_settings(
        self, guild_id: int, settings: GuildSettings, actor_id: int
    ) -> GuildSettings:
        """See Store.set_guild_settings."""
        path = self._settings_path(guild_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with filelock.FileLock(f"{path}.lock", timeout=self._lock_timeout):
                if settings.is_default:
                    path.unlink(missing_ok=True)
                else:
                    text = json.dumps(settings.to_dict(), indent=2, sort_keys=True) + "\n"
                    _write_atomic(path, text.encode("utf-8"))
        except filelock.Timeout:
            raise StoreUnavailableError(
                "another change to this server's settings is in progress; try again"
            ) from None
        except OSError as exc:
            raise _write_failed(exc) from None
        _log.info("server %s: settings changed by %s: %s", guild_id, actor_id, settings.to_dict())
        self._changed(guild_id, "settings", path)
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
        return self.stats.record_ask(guild_id, question, entry_id, answered, message_id, user_id)

    def attach_message(self, ask_id: int, message_id: int) -> None:
        """See Store.attach_message."""
        self.stats.attach_message(ask_id, message_id)

    def record_vote(
        self, guild_id: int | None, message_id: int, entry_id: str, user_id: int, helpful: bool
    ) -> VoteResult:
        """See Store.record_vote."""
        return self.stats.record_vote(guild_id, message_id, entry_id, user_id, helpful)

    def entry_stats(self, guild_id: int | None) -> list[EntryStats]:
        """See Store.entry_stats."""
        return self.stats.entry_stats(guild_id)

    def gaps(self, guild_id: int | None, limit: int = 10) -> list[Gap]:
        """See Store.gaps."""
        return self.stats.gaps(guild_id, limit)

    def forget_user(self, user_id: int) -> ForgetReport:
        """See Store.forget_user."""
        votes, asks = self.stats.forget_user(user_id)
        entries, audit = self.entries.forget_user(user_id)
        for guild_id in self.entries.guild_ids():
            self._changed(guild_id, "entries", self.entries.path_for(guild_id))
        _log.info(
            "forgot a member: %d votes, %d questions, %d entries, %d audit records",
            votes,
            asks,
            entries,
            audit,
        )
        return ForgetReport(votes=votes, asks=asks, entries=entries, audit_records=audit)

    def prune(self, retention_days: int) -> int:
        """See Store.prune."""
        return self.stats.prune(retention_days)

    # -- notifications -------------------------------------------------------------------------
    def subscribe(self, listener: ChangeListener) -> None:
        """See Store.subscribe."""
        self._listeners.append(listener)

    def _watched(self) -> list[Path]:
        paths = [self.entries.path_for(g) for g in self.entries.guild_ids()]
        paths += [self._settings_path(g) for g in self._settings_ids()]
        return paths

    def poll(self) -> None:
        """Tell subscribers about every server file that changed since the last look."""
        with self._poll_lock:
            changes = []
            for path in sorted(set(self._watched()) | set(self._seen)):
                stamp = _stamp(path)
                if stamp == self._seen.get(path):
                    continue
                self._seen[path] = stamp
                what: Literal["entries", "settings"] = (
                    "settings" if path.parent == self.settings_dir else "entries"
                )
                changes.append(GuildChange(int(path.stem), what))
        for change in changes:
            self._notify(change)

    def _changed(self, guild_id: int, what: Literal["entries", "settings"], path: Path) -> None:
        """This process changed a file: note its stamp (poll must not report it) and notify."""
        with self._poll_lock:
            self._seen[path] = _stamp(path)
        self._notify(GuildChange(guild_id, what))

    def _notify(self, change: GuildChange) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                _log.exception("a change listener failed on %s", change)

    def close(self) -> None:
        """Close the counters database."""
        if self._stats is not None:
            self._stats.close()
