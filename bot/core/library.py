"""The service the Discord adapter and the console use: per-server knowledge and hot reload.

Each server sees the shipped FAQ plus its moderator entries, through a matcher cached until
either changes.

Reads (`knowledge_for`, `matcher_for`) never touch the disk and are cheap enough for every
message. Writes and `refresh` do file I/O: call them from a worker thread when on an event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KnowledgeError, Problem
from .loader import EntryFile, entry_problems, load_entry_file, load_knowledge
from .matcher import Matcher, MatchSettings
from .matching.semantic import SemanticModel
from .models import Entry, KnowledgeBase
from .storage import GuildStore, slug_for
from .text import phrasing_key

__all__ = ["DEFAULT_OVERLAY_CACHE", "KNOWLEDGE_FILES", "Library"]

_log = logging.getLogger(__name__)

KNOWLEDGE_FILES = ("article.md", "faq.yaml")
# Servers whose matcher stays built; a few MiB at most (see benchmarks/bench_scale.py).
DEFAULT_OVERLAY_CACHE = 1024

# What tells us a file changed without reading it: os.replace gives a new inode, an edit in
# place a new mtime or size.
_Stamp = tuple[int, int, int]


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


# A stamp no file has: the server's file must be read again at the next refresh.
_STALE: _Stamp = (-1, -1, -1)


@dataclass(frozen=True, slots=True)
class _Read:
    """A server file as read (or rejected) against `base`, before it is swapped in."""

    guild_id: int
    stamp: _Stamp | None
    base: KnowledgeBase
    content: EntryFile | KnowledgeError


@dataclass(frozen=True, slots=True)
class _Guild:
    """A server's last good entries and the knowledge base built from them."""

    entries: tuple[Entry, ...]
    synonyms: Mapping[str, str]
    base: KnowledgeBase
    kb: KnowledgeBase
    # Entries kept in the file that do not serve, by id: (entry, why not).
    unserved: Mapping[str, tuple[Entry, str]] = field(default_factory=dict)


def _still_valid(entries: Iterable[Entry], base: KnowledgeBase) -> tuple[Entry, ...]:
    """The entries that do not clash with `base` and still quote its article correctly."""
    taken = {phrasing_key(p) for e in base.entries for p in e.phrasings}
    kept = []
    for entry in entries:
        if (
            entry.id in base.by_id
            or any(phrasing_key(p) in taken for p in entry.phrasings)
            or entry_problems(entry, base.article, shipped=False)
        ):
            _log.warning(
                "entry '%s' no longer fits the shipped knowledge; not serving it", entry.id
            )
            continue
        kept.append(entry)
    return tuple(kept)


class Library:
    """The shipped knowledge plus every server's moderator entries, kept current on disk."""

    def __init__(
        self,
        knowledge_dir: Path,
        data_dir: Path,
        settings: MatchSettings | None = None,
        *,
        overlay_cache: int = DEFAULT_OVERLAY_CACHE,
        semantic: SemanticModel | None = None,
    ) -> None:
        """`overlay_cache`: how many servers' matchers (overlays) stay built at once.

        `semantic`: the multilingual model for Korean questions, shared by every matcher.
        """
        if overlay_cache < 1:
            raise ValueError(f"overlay_cache must be at least 1, not {overlay_cache}")
        self.knowledge_dir = Path(knowledge_dir)
        self.data_dir = Path(data_dir)
        self._settings = settings
        self._semantic = semantic
        # Serialises everything that replaces state (refresh, edits); readers never take it.
        self._write_lock = threading.RLock()
        # One refresh at a time; it reads files before taking the write lock.
        self._refresh_lock = threading.Lock()
        self._matcher_lock = threading.Lock()
        # Stamped before reading, so a change made while we read is picked up next time.
        self._shipped_seen = self._shipped_stamp()
        self._base = load_knowledge(self.knowledge_dir)
        self.store = GuildStore(self.data_dir, self._base)
        self._guilds: dict[int, _Guild] = {}
        self._guild_seen: dict[int, _Stamp | None] = {}
        # What is wrong now: a server's rejected file, and the shipped knowledge's.
        self._rejected: dict[int, KnowledgeError] = {}
        self._shipped_rejected: KnowledgeError | None = None
        self.overlay_cache = overlay_cache
        self._shipped: tuple[KnowledgeBase, Matcher] | None = None
        self._shipped_lock = threading.Lock()
        # Server -> its knowledge and matcher, least recently used first.
        self._matchers: OrderedDict[int, tuple[KnowledgeBase, Matcher]] = OrderedDict()
        with self._write_lock:
            errors = self._apply_guilds(self._read_guilds(self._base, force=True))
        # Kept so the adapter can post them to the mod-log channel once it is connected.
        self.startup_errors: tuple[KnowledgeError, ...] = tuple(errors)

    @property
    def base(self) -> KnowledgeBase:
        """The shipped knowledge (article and faq.yaml)."""
        return self._base

    def knowledge_for(self, guild_id: int | None) -> KnowledgeBase:
        """The shipped knowledge plus that server's entries (None: shipped only)."""
        if guild_id is None:
            return self._base
        guild = self._guilds.get(guild_id)
        return guild.kb if guild is not None else self._base

    def matcher_for(self, guild_id: int | None) -> Matcher:
        """A matcher over `knowledge_for(guild_id)`, built once and reused until it changes.

        Servers without entries share the shipped matcher. A server with entries gets the
        shipped matcher plus a small overlay of its own entries (`Matcher.with_entries`), kept
        in a bounded LRU cache and rebuilt only when that server's entries change.
        """
        shipped = self._shipped_matcher()
        guild = None if guild_id is None else self._guilds.get(guild_id)
        if guild_id is None or guild is None or guild.kb is self._base:
            return shipped
        with self._matcher_lock:
            cached = self._matchers.get(guild_id)
            if cached is not None and cached[0] is guild.kb:
                self._matchers.move_to_end(guild_id)
                return cached[1]
        matcher = shipped.with_entries(guild.entries, guild.synonyms)
        with self._matcher_lock:
            self._matchers[guild_id] = (guild.kb, matcher)
            self._matchers.move_to_end(guild_id)
            while len(self._matchers) > self.overlay_cache:
                self._matchers.popitem(last=False)
        _log.debug("built the overlay of server %s (%d entries)", guild_id, len(guild.entries))
        return matcher

    def _shipped_matcher(self) -> Matcher:
        """The matcher over the shipped knowledge, built once per version of it."""
        base = self._base
        shipped = self._shipped
        if shipped is not None and shipped[0] is base:
            return shipped[1]
        with self._shipped_lock:
            shipped = self._shipped
            if shipped is None or shipped[0] is not base:
                shipped = self._shipped = (
                    base,
                    Matcher(base, self._settings, semantic=self._semantic),
                )
                _log.debug("built the shipped matcher (%d entries)", len(base.entries))
            return shipped[1]

    def new_entry_id(self, guild_id: int, question: str) -> str:
        """A fresh id for a new entry of that server, made from its question."""
        return slug_for(question, self.knowledge_for(guild_id).by_id)

    def add_entry(self, guild_id: int, entry: Entry, actor_id: int) -> Entry:
        """Validate and save a new moderator entry; it serves at once."""
        with self._write_lock:
            saved = self.store.add(guild_id, entry, actor_id)
            self._reload_guild(guild_id)
        return saved

    def edit_entry(self, guild_id: int, entry: Entry, actor_id: int) -> Entry:
        """Validate and save a changed moderator entry; it serves at once."""
        with self._write_lock:
            saved = self.store.edit(guild_id, entry, actor_id)
            self._reload_guild(guild_id)
        return saved

    def remove_entry(self, guild_id: int, entry_id: str, actor_id: int) -> Entry:
        """Delete a moderator entry and return it."""
        with self._write_lock:
            removed = self.store.remove(guild_id, entry_id, actor_id)
            self._reload_guild(guild_id)
        return removed

    def refresh(self) -> list[KnowledgeError]:
        """Reload whatever changed on disk; return (and log) the errors of rejected files.

        Files are read and validated before the write lock is taken, so a slow or hostile file
        never holds up a moderator's edit; the lock only guards swapping the results in.
        """
        with self._refresh_lock:
            errors: list[KnowledgeError] = []
            stamp = self._shipped_stamp()
            base = self._base
            if stamp != self._shipped_seen:
                try:
                    base = load_knowledge(self.knowledge_dir)
                except KnowledgeError as exc:
                    _log.error(
                        "rejected the changed knowledge in %s; still serving the last good "
                        "version:\n%s",
                        self.knowledge_dir,
                        exc,
                    )
                    errors.append(exc)
                    self._shipped_seen = stamp
                    self._shipped_rejected = exc
            base_changed = base is not self._base
            # Server files are checked against the shipped entries, so a new base rechecks all.
            read = self._read_guilds(base, force=base_changed)
            with self._write_lock:
                if base_changed:
                    self._shipped_seen = stamp
                    self._shipped_rejected = None
                    self._base = base
                    self.store.base = base
                    _log.info("reloaded %s: %d entries", self.knowledge_dir, len(base.entries))
                errors.extend(self._apply_guilds(read))
            return errors

    async def watch(
        self,
        interval: float = 2.0,
        on_error: Callable[[KnowledgeError], Awaitable[None]] | None = None,
    ) -> None:
        """Refresh every `interval` seconds until cancelled, passing rejected files to on_error."""
        while True:
            await asyncio.sleep(interval)
            try:
                errors = await asyncio.to_thread(self.refresh)
            except Exception:
                _log.exception(
                    "checking %s and %s for changes failed", self.knowledge_dir, self.data_dir
                )
                continue
            if on_error is None:
                continue
            for error in errors:
                try:
                    await on_error(error)
                except Exception:
                    _log.exception("reporting a rejected knowledge file failed")

    def _shipped_stamp(self) -> tuple[_Stamp | None, ...]:
        return tuple(_stamp(self.knowledge_dir / name) for name in KNOWLEDGE_FILES)

    def _read_guilds(self, base: KnowledgeBase, *, force: bool) -> list[_Read]:
        """Read and validate the server files that changed (all with `force`), without locks."""
        found: list[_Read] = []
        seen = self._guild_seen.copy()  # writers may add to it meanwhile
        for guild_id in sorted(set(self.store.guild_ids()) | set(seen)):
            path = self.store.path_for(guild_id)
            stamp = _stamp(path)
            if not force and stamp == seen.get(guild_id):
                continue
            content: EntryFile | KnowledgeError
            try:
                if stamp is None:
                    content = EntryFile((), {})
                else:
                    content = load_entry_file(
                        path,
                        base.article,
                        shipped=False,
                        reserved=base.entries,
                        keep_clashes=True,
                    )
            except KnowledgeError as exc:
                content = exc
            found.append(_Read(guild_id, stamp, base, content))
        return found

    def _apply_guilds(self, read: Iterable[_Read]) -> list[KnowledgeError]:
        """Swap in what `_read_guilds` found; the caller holds the write lock."""
        errors: list[KnowledgeError] = []
        for item in read:
            if item.base is not self._base or _stamp(self.store.path_for(item.guild_id)) != (
                item.stamp
            ):
                # Written (or the base swapped) since it was read: read it again next time.
                self._guild_seen[item.guild_id] = _STALE
                continue
            self._guild_seen[item.guild_id] = item.stamp
            if isinstance(item.content, KnowledgeError):
                item.content.guild_id = item.guild_id
                self._rejected[item.guild_id] = item.content
                self._keep_last_good(item.guild_id, item.content)
                errors.append(item.content)
            else:
                self._rejected.pop(item.guild_id, None)
                unserved = {
                    e.id: (e, item.content.unserved[e.id])
                    for e in item.content.stored
                    if e.id in item.content.unserved
                }
                newly = self._set_guild(
                    item.guild_id, item.content.entries, item.content.synonyms, unserved
                )
                if newly:
                    unserved_error = self._unserved_error(item.guild_id, newly)
                    unserved_error.guild_id = item.guild_id
                    errors.append(unserved_error)
        return errors

    def rejected_for(self, guild_id: int | None) -> tuple[KnowledgeError, ...]:
        """What is rejected now and affects that server: the shipped files, then its own."""
        found = [self._shipped_rejected] if self._shipped_rejected is not None else []
        if guild_id is not None and guild_id in self._rejected:
            found.append(self._rejected[guild_id])
        return tuple(found)

    def unserved_for(self, guild_id: int) -> Mapping[str, tuple[Entry, str]]:
        """A server's entries that stay in its file but do not serve, with the reason, by id.

        This happens when the shipped FAQ changes under them (it now owns their id or one of
        their phrasings, or their quote left the article). They can be edited or removed.
        """
        guild = self._guilds.get(guild_id)
        return guild.unserved if guild is not None else {}

    def _unserved_error(
        self, guild_id: int, newly: Mapping[str, tuple[Entry, str]]
    ) -> KnowledgeError:
        """Newly unserved entries as one error, so they are logged and reported once."""
        name = str(self.store.path_for(guild_id))
        error = KnowledgeError(
            [
                Problem(name, f"not served: {reason}; edit or remove it", entry_id=entry_id)
                for entry_id, (_entry, reason) in newly.items()
            ]
        )
        _log.warning(
            "server %s: %d entries no longer fit the shipped knowledge and do not serve:\n%s",
            guild_id,
            len(newly),
            error,
        )
        return error

    def _reload_guild(self, guild_id: int) -> None:
        """Pick up a server's file right after this process wrote it; caller holds the lock."""
        self._apply_guilds(self._read_guilds_now([guild_id]))

    def _read_guilds_now(self, guild_ids: Iterable[int]) -> list[_Read]:
        found: list[_Read] = []
        for guild_id in guild_ids:
            stamp = _stamp(self.store.path_for(guild_id))
            content: EntryFile | KnowledgeError
            try:
                content = self.store.read(guild_id)
            except KnowledgeError as exc:
                content = exc
            found.append(_Read(guild_id, stamp, self._base, content))
        return found

    def _keep_last_good(self, guild_id: int, exc: KnowledgeError) -> None:
        """A server's file is invalid: keep serving its last good entries, if any."""
        last = self._guilds.get(guild_id)
        if last is None:
            _log.error(
                "server %s: its entries file is invalid, so it gets the shipped FAQ only "
                "until the file is fixed (the file is kept as is):\n%s",
                guild_id,
                exc,
            )
            return
        _log.error(
            "server %s: rejected the changed entries file; still serving the last good "
            "entries:\n%s",
            guild_id,
            exc,
        )
        if last.base is not self._base:
            self._set_guild(guild_id, _still_valid(last.entries, self._base), last.synonyms)

    def _set_guild(
        self,
        guild_id: int,
        entries: tuple[Entry, ...],
        synonyms: Mapping[str, str],
        unserved: Mapping[str, tuple[Entry, str]] | None = None,
    ) -> dict[str, tuple[Entry, str]]:
        """Serve these entries for the server; return the unserved ones that are new."""
        base = self._base
        unserved = dict(unserved or {})
        last = self._guilds.get(guild_id)
        before = last.unserved if last is not None else {}
        newly = {k: v for k, v in unserved.items() if before.get(k, (None, None))[1] != v[1]}
        if not entries and not synonyms and not unserved:
            self._guilds.pop(guild_id, None)
            with self._matcher_lock:
                self._matchers.pop(guild_id, None)
            return newly
        # The shipped synonyms win: a server must not change how the shipped FAQ matches.
        kb = KnowledgeBase(base.article, base.entries + entries, {**synonyms, **base.synonyms})
        if not entries and not synonyms:
            # Only entries that do not serve: the shipped knowledge, kept for unserved_for.
            kb = base
            with self._matcher_lock:
                self._matchers.pop(guild_id, None)
        self._guilds[guild_id] = _Guild(entries, dict(synonyms), base, kb, unserved)
        _log.debug("server %s: %d moderator entries", guild_id, len(entries))
        return newly
