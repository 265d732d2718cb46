"""The service the Discord adapter and the console use: per-server knowledge and hot reload.

Each server sees the shipped FAQ plus its moderator entries, through a matcher cached until
either changes. Entries, per-server settings and stats live in a `Store` (files or PostgreSQL);
the Library keeps what questions need in memory and learns of changes from the store.

Start-up reads no server's entries, so its cost does not depend on how many servers there
are: a server's entries are read from the store the first time that server needs them, then
kept in memory, and only the servers read so far are reloaded when the store reports a change.
Reads (`knowledge_for`, `matcher_for`, `settings_for`) touch the store only on a server's first
need and are cheap enough for every message. Writes and `refresh` do I/O: call them from a
worker thread when on an event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KnowledgeError, Problem
from .loader import EntryFile, entry_problems, load_knowledge
from .matcher import Matcher, MatchSettings
from .matching.overlay import DEFAULT_OVERLAY_CACHE
from .matching.semantic import SemanticModel
from .models import Entry, KnowledgeBase
from .storage import slug_for
from .store import GuildChange, GuildSettings, Store, StoreUnavailableError, open_store
from .text import phrasing_key

__all__ = ["DEFAULT_OVERLAY_CACHE", "KNOWLEDGE_FILES", "Library"]

_log = logging.getLogger(__name__)

KNOWLEDGE_FILES = ("article.md", "faq.yaml")

# What tells us a file changed without reading it: os.replace gives a new inode, an edit in
# place a new mtime or size.
_Stamp = tuple[int, int, int]


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass(frozen=True, slots=True)
class _Guild:
    """A server's last good entries (its knowledge base and matcher are built from them on
    demand and kept in the bounded cache, so memory grows with entries, not servers x FAQ)."""

    entries: tuple[Entry, ...]
    synonyms: Mapping[str, str]
    base: KnowledgeBase
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
        store: Store | Callable[[KnowledgeBase], Store] | None = None,
    ) -> None:
        """`overlay_cache`: how many servers' matchers (overlays) stay built at once.

        `semantic`: the multilingual model for Korean questions, shared by every matcher.
        `store`: a Store, or a function making one from the shipped knowledge (default: the
        embedded store in `data_dir`).
        """
        if overlay_cache < 1:
            raise ValueError(f"overlay_cache must be at least 1, not {overlay_cache}")
        self.knowledge_dir = Path(knowledge_dir)
        self.data_dir = Path(data_dir)
        self._settings = settings
        self._semantic = semantic
        # Serialises everything that replaces state (refresh, edits); readers never take it.
        self._write_lock = threading.RLock()
        # One refresh at a time; it reads before taking the write lock.
        self._refresh_lock = threading.Lock()
        self._matcher_lock = threading.Lock()
        # Stamped before reading, so a change made while we read is picked up next time.
        self._shipped_seen = self._shipped_stamp()
        self._base = load_knowledge(self.knowledge_dir)
        if store is None:
            self.store: Store = open_store(self._base, data_dir=self.data_dir)
        elif callable(store) and not isinstance(store, Store):
            self.store = store(self._base)
        else:
            self.store = store
        # Entries are validated against exactly the knowledge this Library serves.
        self.store.base = self._base
        self._guilds: dict[int, _Guild] = {}
        # What is wrong now: a server's rejected file, and the shipped knowledge's.
        self._rejected: dict[int, KnowledgeError] = {}
        self._shipped_rejected: KnowledgeError | None = None
        self.overlay_cache = overlay_cache
        self._shipped: tuple[KnowledgeBase, Matcher] | None = None
        self._shipped_lock = threading.Lock()
        # Server -> its knowledge and matcher, least recently used first.
        self._matchers: OrderedDict[int, tuple[_Guild, Matcher]] = OrderedDict()
        self._guild_settings: dict[int, GuildSettings] = {}
        # Errors of changes loaded by the store's listener, handed out by the next refresh.
        self._pending_errors: list[KnowledgeError] = []
        # Per server, which read is the latest (see _load_guild).
        self._generations: dict[int, int] = {}
        # The servers whose entries were read (on their first need); only they are reloaded.
        self._read: set[int] = set()
        self.store.subscribe(self._on_change)
        self._guild_settings = self.store.all_guild_settings()

    @property
    def base(self) -> KnowledgeBase:
        """The shipped knowledge (article and faq.yaml)."""
        return self._base

    def knowledge_for(self, guild_id: int | None) -> KnowledgeBase:
        """The shipped knowledge plus that server's entries (None: shipped only)."""
        if guild_id is None:
            return self._base
        return self._matcher(guild_id).kb

    def matcher_for(self, guild_id: int | None) -> Matcher:
        """A matcher over `knowledge_for(guild_id)`, built once and reused until it changes.

        Servers without entries share the shipped matcher. A server with entries gets the
        shipped matcher plus a small overlay of its own entries (`Matcher.with_entries`), kept
        in a bounded LRU cache and rebuilt only when that server's entries change.
        """
        return self._matcher(guild_id)

    def _matcher(self, guild_id: int | None) -> Matcher:
        shipped = self._shipped_matcher()
        if guild_id is not None:
            self._ensure_read(guild_id)
        guild = None if guild_id is None else self._guilds.get(guild_id)
        if guild_id is None or guild is None or not (guild.entries or guild.synonyms):
            return shipped
        with self._matcher_lock:
            cached = self._matchers.get(guild_id)
            if cached is not None and cached[0] is guild:
                self._matchers.move_to_end(guild_id)
                return cached[1]
        matcher = shipped.with_entries(guild.entries, guild.synonyms)
        with self._matcher_lock:
            self._matchers[guild_id] = (guild, matcher)
            self._matchers.move_to_end(guild_id)
            while len(self._matchers) > self.overlay_cache:
                self._matchers.popitem(last=False)
        _log.debug("built the overlay of server %s (%d entries)", guild_id, len(guild.entries))
        return matcher

    def warm_model_in_background(self) -> None:
        """Load the model and the shipped entries' vectors in a worker thread (a long-running
        bot, at start), so that members' questions do not wait the few seconds they take with
        empty caches: meanwhile English questions are matched lexically alone, and a Korean
        question waits for the load."""
        if self._semantic is None:
            return
        self._semantic.warming = True
        threading.Thread(target=self.warm_model, name="warm-model", daemon=True).start()

    def warm_model(self) -> None:
        """Load the model and the shipped entries' vectors now (see warm_model_in_background)."""
        started = time.monotonic()
        try:
            ready = self._shipped_matcher().warm_model()
        except Exception as exc:  # a thread of its own: nothing above it would report this
            _log.warning("model not loaded ahead: %s (questions load it when they need it)", exc)
            return
        finally:
            if self._semantic is not None:
                self._semantic.warming = False
        if ready:
            _log.info("model ready in %.1f s", time.monotonic() - started)

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

    def settings_for(self, guild_id: int | None) -> GuildSettings:
        """A server's own settings from memory (all defaults when it set nothing)."""
        if guild_id is None:
            return GuildSettings()
        return self._guild_settings.get(guild_id) or GuildSettings()

    def set_settings(self, guild_id: int, settings: GuildSettings, actor_id: int) -> GuildSettings:
        """Save a server's settings (GuildSettings() resets them); they apply at once."""
        return self.store.set_guild_settings(guild_id, settings, actor_id)

    def new_entry_id(self, guild_id: int, question: str) -> str:
        """A likely id for a new entry (add_entry with pick_id settles it under the lock)."""
        return slug_for(question, self.knowledge_for(guild_id).by_id)

    def add_entry(
        self,
        guild_id: int,
        entry: Entry,
        actor_id: int,
        *,
        pick_id: bool = False,
        keep_stamps: bool = False,
    ) -> Entry:
        """Validate and save a new moderator entry; it serves at once.

        With `pick_id` the id is made from the question under the store's lock, with a suffix
        when taken (two moderators adding the same question both succeed).
        """
        self._ensure_read(guild_id)  # so the store's change notice reloads it here
        return self.store.add_entry(
            guild_id, entry, actor_id, pick_id=pick_id, keep_stamps=keep_stamps
        )

    def edit_entry(
        self, guild_id: int, entry: Entry, actor_id: int, *, keep_stamps: bool = False
    ) -> Entry:
        """Validate and save a changed moderator entry; it serves at once."""
        self._ensure_read(guild_id)
        return self.store.edit_entry(guild_id, entry, actor_id, keep_stamps=keep_stamps)

    def remove_entry(self, guild_id: int, entry_id: str, actor_id: int) -> Entry:
        """Delete a moderator entry and return it."""
        self._ensure_read(guild_id)
        return self.store.remove_entry(guild_id, entry_id, actor_id)

    def refresh(self) -> list[KnowledgeError]:
        """Reload whatever changed; return (and log) the errors of rejected files.

        Files and rows are read and validated before the write lock is taken, so a slow or
        hostile file never holds up a moderator's edit; the lock only guards swapping results in.
        """
        with self._refresh_lock:
            errors: list[KnowledgeError] = []
            stamp = self._shipped_stamp()
            if stamp != self._shipped_seen:
                self._shipped_seen = stamp
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
                    self._shipped_rejected = exc
                else:
                    # Server entries are checked against the shipped ones: a new base rechecks all.
                    self.store.base = base
                    with self._write_lock:
                        self._base = base
                        self._shipped_rejected = None
                    _log.info("reloaded %s: %d entries", self.knowledge_dir, len(base.entries))
                    errors.extend(self._load_all())
            self.store.poll()
            with self._write_lock:
                errors.extend(self._pending_errors)
                self._pending_errors.clear()
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

    def rejected_for(self, guild_id: int | None) -> tuple[KnowledgeError, ...]:
        """What is rejected now and affects that server: the shipped files, then its own."""
        if guild_id is not None:
            self._ensure_read(guild_id)  # a server not read yet: read it now, to say
        found = [self._shipped_rejected] if self._shipped_rejected is not None else []
        if guild_id is not None and guild_id in self._rejected:
            found.append(self._rejected[guild_id])
        return tuple(found)

    def unserved_for(self, guild_id: int) -> Mapping[str, tuple[Entry, str]]:
        """A server's entries that stay in its file but do not serve, with the reason, by id.

        This happens when the shipped FAQ changes under them (it now owns their id or one of
        their phrasings, or their quote left the article). They can be edited or removed.
        """
        self._ensure_read(guild_id)
        guild = self._guilds.get(guild_id)
        return guild.unserved if guild is not None else {}

    def _unserved_error(
        self, guild_id: int, newly: Mapping[str, tuple[Entry, str]]
    ) -> KnowledgeError:
        """Newly unserved entries as one error, so they are logged and reported once."""
        path_for = getattr(self.store, "path_for", None)
        name = str(path_for(guild_id)) if path_for is not None else f"server {guild_id}"
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

    def _ensure_read(self, guild_id: int) -> None:
        """Read a server's entries the first time it needs them (once: a server without
        entries or with a rejected file is not read again until the store reports a change)."""
        if guild_id in self._read:
            return
        with self._write_lock:
            if guild_id in self._read:
                return
            self._read.add(guild_id)
            error = self._load_guild(guild_id)
            if error is not None:
                self._pending_errors.append(error)

    def _load_all(self) -> list[KnowledgeError]:
        """Reload the settings and the entries of every server read so far (the others are
        read fresh when first needed), reading outside the write lock."""
        settings = self.store.all_guild_settings()
        with self._write_lock:
            self._guild_settings = settings
            known = set(self._read)
        errors: list[KnowledgeError] = []
        for guild_id in sorted(known):
            error = self._load_guild(guild_id)
            if error is not None:
                errors.append(error)
        return errors

    def _on_change(self, change: GuildChange) -> None:
        """The store says a server changed (here or in another process): load it again."""
        if change.what == "settings":
            try:
                settings = self.store.guild_settings(change.guild_id)
            except KnowledgeError as exc:
                _log.error("server %s: rejected its changed settings:\n%s", change.guild_id, exc)
                with self._write_lock:
                    self._pending_errors.append(exc)
                return
            with self._write_lock:
                if settings.is_default:
                    self._guild_settings.pop(change.guild_id, None)
                else:
                    self._guild_settings[change.guild_id] = settings
            return
        if change.guild_id not in self._read:
            return  # never read here: its first need reads the current entries
        error = self._load_guild(change.guild_id)
        if error is not None:
            with self._write_lock:
                self._pending_errors.append(error)

    def _load_guild(self, guild_id: int) -> KnowledgeError | None:
        """Read one server's entries (no lock held), then swap them in under the write lock.

        A newer read of the same server started meanwhile (an edit while a slow hot reload was
        parsing) wins: an older result is dropped rather than put back over it.
        """
        with self._write_lock:
            generation = self._generations.get(guild_id, 0) + 1
            self._generations[guild_id] = generation
        base = self.store.base
        content: EntryFile | KnowledgeError
        try:
            content = self.store.read_entries(guild_id)
        except KnowledgeError as exc:
            content = exc
        with self._write_lock:
            if self._generations.get(guild_id) != generation or base is not self._base:
                return None
            if isinstance(content, StoreUnavailableError):
                # Not a bad file: the database is away. Serve what we have; read it again on
                # the next need (or when the listener reconnects and reports the change).
                self._read.discard(guild_id)
                _log.warning("server %s: its entries cannot be read now: %s", guild_id, content)
                return None
            if isinstance(content, KnowledgeError):
                content.guild_id = guild_id
                self._rejected[guild_id] = content
                self._keep_last_good(guild_id, content)
                return content
            self._rejected.pop(guild_id, None)
            unserved = {
                e.id: (e, content.unserved[e.id])
                for e in content.stored
                if e.id in content.unserved
            }
            newly = self._set_guild(guild_id, content.entries, content.synonyms, unserved)
        if not newly:
            return None
        unserved_error = self._unserved_error(guild_id, newly)
        unserved_error.guild_id = guild_id
        return unserved_error

    def _keep_last_good(self, guild_id: int, exc: KnowledgeError) -> None:
        """A server's entries are invalid: keep serving its last good ones, if any."""
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
        if (
            last is not None
            and last.base is base
            and last.entries == entries
            and last.synonyms == synonyms
            and last.unserved == unserved
        ):
            return {}  # Our own write, announced again by the store: keep the matcher.
        before = last.unserved if last is not None else {}
        newly = {k: v for k, v in unserved.items() if before.get(k, (None, None))[1] != v[1]}
        if not entries and not synonyms and not unserved:
            self._guilds.pop(guild_id, None)
            with self._matcher_lock:
                self._matchers.pop(guild_id, None)
            return newly
        if not entries and not synonyms:
            # Only entries that do not serve: the shipped knowledge, kept for unserved_for.
            with self._matcher_lock:
                self._matchers.pop(guild_id, None)
        self._guilds[guild_id] = _Guild(entries, dict(synonyms), base, unserved)
        _log.debug("server %s: %d moderator entries", guild_id, len(entries))
        return newly
