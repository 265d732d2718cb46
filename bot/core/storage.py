"""Per-server moderator entries: validated, atomic, locked writes and an append-only audit log.

Layout under the data dir:

    guilds/<guild_id>.yaml          the server's entries, same layout as knowledge/faq.yaml
    guilds/<guild_id>.yaml.lock
    guilds/.<guild_id>.yaml.pending a change being saved (only between two steps of a write)
    audit.jsonl                     one JSON object per change

Every change is a read-modify-write done inside a lock that also holds across processes (the
bot and `faqbot entries` edit the same files), validated in full before it replaces anything.

A change and its audit record persist together: the new file is written aside (`.pending`),
then the audit record is appended, then the file is renamed into place. A crash between two
steps is reconciled under the lock by the next writer or at start: a pending file whose audit
record was written is renamed into place, one without is deleted.

The add/edit/remove rules and the validation (`apply_change`, `checked_document`) are shared
with the PostgreSQL backend, so both refuse and accept exactly the same changes.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import filelock
import yaml

from .errors import KnowledgeError, Problem
from .loader import MAX_FILE_BYTES, EntryFile, load_entry_file, parse_entry_file
from .models import ID_MAX, Entry, KnowledgeBase
from .store.base import (
    ANONYMOUS_ID,
    AuditAction,
    AuditRecord,
    StoreUnavailableError,
    check_guild_id,
    is_snowflake,
)
from .text import normalize

__all__ = [
    "AUDIT_FILE",
    "GUILDS_DIR",
    "AuditAction",
    "GuildStore",
    "apply_change",
    "checked_document",
    "slug_for",
]

_log = logging.getLogger(__name__)

GUILDS_DIR = "guilds"
AUDIT_FILE = "audit.jsonl"

# Room for a "-NN" suffix when the plain slug is taken.
_SLUG_MAX = ID_MAX - 6
_SLUG_WORD = re.compile(r"[a-z0-9]+")
_SLUG_STOP_WORDS = frozenset(
    "a an and are as at be can do does for from how i in is it of on or the to was what "  # noqa: SIM905
    "when where which who why will with".split()
)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def slug_for(question: str, taken_ids: Iterable[str] = ()) -> str:
    """A valid entry id made from a question's words, unique among `taken_ids`."""
    ascii_text = unicodedata.normalize("NFKD", normalize(question))
    words = _SLUG_WORD.findall(ascii_text.encode("ascii", "ignore").decode("ascii"))
    # Question words carry no meaning in an id; keep them only when nothing else is left.
    words = [w for w in words if w not in _SLUG_STOP_WORDS] or words
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word[:_SLUG_MAX]
        if len(candidate) > _SLUG_MAX:
            break
        slug = candidate
    slug = slug or "entry"
    taken = set(taken_ids)
    if slug not in taken:
        return slug
    number = 2
    while f"{slug}-{number}" in taken:
        number += 1
    return f"{slug}-{number}"


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings as literal blocks, so files stay readable."""


# Unicode line breaks that PyYAML writes raw (and then reads back as folded breaks) unless the
# string is double-quoted, where they become escapes.
_UNICODE_BREAKS = frozenset("\x85\u2028\u2029")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML falls back to a quoted style by itself when a block cannot hold the text exactly.
    if not _UNICODE_BREAKS.isdisjoint(value):
        style: str | None = '"'
    elif "\n" in value:
        style = "|"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _dump(entries: Iterable[Entry], synonyms: dict[str, str]) -> str:
    document: dict[str, Any] = {"entries": [e.to_yaml_dict() for e in entries]}
    if synonyms:
        document["synonyms"] = synonyms
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def _fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (POSIX only; Windows cannot open directories)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so readers see the old file or the new one, never a mix."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            try:
                mode = path.stat().st_mode & 0o777
            except FileNotFoundError:
                mode = 0o644
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_directory(path.parent)


def _refusal(name: str, message: str, entry_id: str) -> KnowledgeError:
    return KnowledgeError.single(name, message, entry_id=entry_id)


def _index_of(entries: list[Entry], entry_id: str, base: KnowledgeBase, name: str) -> int:
    for index, entry in enumerate(entries):
        if entry.id == entry_id:
            return index
    if entry_id in base.by_id:
        message = (
            f"entry '{entry_id}' is part of the shipped FAQ and is read-only here; "
            "edit knowledge/faq.yaml"
        )
    else:
        message = f"no server entry '{entry_id}'"
    raise _refusal(name, message, entry_id)


def apply_change(
    action: AuditAction,
    entries: list[Entry],
    entry: Entry | str,
    *,
    base: KnowledgeBase,
    name: str,
    actor_id: int,
    now: dt.datetime,
    pick_id: bool = False,
    keep_stamps: bool = False,
) -> tuple[Entry | None, Entry | None]:
    """Apply one add/edit/remove to `entries` in place; return the entry (before, after).

    `entry` is the new entry (add, edit) or the id to remove. With `pick_id`, an add takes a
    fresh id made from its question, unique among the shipped and the server's entries. With
    `keep_stamps` (an import) the entry's own created/updated stamps are kept where it has them.
    """
    if action == "remove":
        entry_id = entry if isinstance(entry, str) else entry.id
        return entries.pop(_index_of(entries, entry_id, base, name)), None
    assert isinstance(entry, Entry)
    if action == "add":
        if pick_id:
            taken = set(base.by_id) | {e.id for e in entries}
            entry = entry.model_copy(update={"id": slug_for(entry.question, taken)})
        if entry.id in base.by_id:
            raise _refusal(
                name,
                f"id '{entry.id}' is already used by the shipped FAQ; choose another",
                entry.id,
            )
        if any(e.id == entry.id for e in entries):
            raise _refusal(
                name,
                f"a server entry '{entry.id}' already exists; edit it or choose another id",
                entry.id,
            )
        if keep_stamps and entry.created_by is not None and entry.created_at is not None:
            new = entry
        else:
            new = entry.model_copy(
                update={
                    "created_by": actor_id,
                    "created_at": now,
                    "updated_by": None,
                    "updated_at": None,
                }
            )
        entries.append(new)
        return None, new
    index = _index_of(entries, entry.id, base, name)
    old = entries[index]
    if keep_stamps and entry.created_by is not None and entry.created_at is not None:
        entries[index] = entry
        return old, entry
    new = entry.model_copy(
        update={
            "created_by": old.created_by,
            "created_at": old.created_at,
            "updated_by": actor_id,
            "updated_at": now,
        }
    )
    entries[index] = new
    return old, new


def checked_document(
    entries: list[Entry] | tuple[Entry, ...],
    synonyms: dict[str, str],
    base: KnowledgeBase,
    name: str,
    entry_id: str | None = None,
) -> tuple[str, EntryFile]:
    """A server's entries as the YAML document, validated exactly as a file read back would be."""
    text = _dump(entries, synonyms)
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise KnowledgeError.single(
            name,
            f"the server's entries would take {size:,} bytes, over the "
            f"{MAX_FILE_BYTES:,}-byte limit; remove entries first",
            entry_id=entry_id,
        )
    try:
        saved = parse_entry_file(
            text, name, base.article, shipped=False, reserved=base.entries, keep_clashes=True
        )
    except KnowledgeError as exc:
        # The text was never written: a line number in it would point at nothing.
        raise KnowledgeError(
            [Problem(p.file, p.message, entry_id=p.entry_id) for p in exc.problems]
        ) from None
    if (
        entry_id is not None
        and entry_id in saved.unserved
        and any(e.id == entry_id for e in entries)
    ):
        # What is saved must serve: refuse it with the reason, as for any problem.
        raise KnowledgeError.single(name, saved.unserved[entry_id], entry_id=entry_id)
    if saved.stored != tuple(entries):
        # The store must say exactly what the moderator wrote, or not be written at all.
        raise KnowledgeError.single(
            name,
            "the entry's text cannot be stored exactly (unusual control characters?); "
            "remove them and try again",
            entry_id=entry_id,
        )
    return text, saved


def anonymised(data: Any, user_id: int) -> tuple[Any, int]:
    """`data` (an entry dict) with created_by/updated_by == user_id set to ANONYMOUS_ID."""
    if not isinstance(data, dict):
        return data, 0
    changed = 0
    result = dict(data)
    for key in ("created_by", "updated_by"):
        if result.get(key) == user_id:
            result[key] = ANONYMOUS_ID
            changed += 1
    return result, changed


def _write_failed(exc: OSError) -> StoreUnavailableError:
    """What a moderator is told when the data dir refuses a write (details go to the log)."""
    _log.error("cannot write to the data dir: %s", exc)
    if exc.errno in {errno.EROFS, errno.EACCES, errno.EPERM}:
        reason = "the bot's data directory is read-only"
    elif exc.errno in {errno.ENOSPC, errno.EDQUOT}:
        reason = "the bot's disk is full"
    else:
        reason = f"the bot cannot write its data ({exc.strerror or exc})"
    return StoreUnavailableError(
        f"{reason}, so nothing was saved; ask the bot's operator", os_error=exc
    )


class GuildStore:
    """The moderator entries of every server, one YAML file each, validated against `base`."""

    def __init__(
        self,
        data_dir: Path,
        base: KnowledgeBase,
        *,
        lock_timeout: float = 10.0,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.data_dir = Path(data_dir)
        # The shipped knowledge server files are checked against; the Library swaps it on reload.
        self.base = base
        self._lock_timeout = lock_timeout
        self._clock = clock
        self._warned_names: set[str] = set()

    @property
    def guilds_dir(self) -> Path:
        """The directory holding one entries file per server."""
        return self.data_dir / GUILDS_DIR

    @property
    def audit_path(self) -> Path:
        """The append-only audit log (JSON lines)."""
        return self.data_dir / AUDIT_FILE

    def path_for(self, guild_id: int) -> Path:
        """The entries file of one server."""
        return self.guilds_dir / f"{check_guild_id(guild_id)}.yaml"

    def _pending_path(self, path: Path) -> Path:
        return path.with_name(f".{path.name}.pending")

    def guild_ids(self) -> list[int]:
        """The servers that have an entries file, sorted; other file names are warned about."""
        found = []
        for path in self.guilds_dir.glob("*.yaml"):
            stem = path.stem
            number = int(stem) if stem.isascii() and stem.isdigit() else None
            # isdigit() alone accepts "①" and "²", which int() refuses; "0123" is not an id.
            if number is not None and is_snowflake(number) and str(number) == stem:
                found.append(number)
            elif path.name not in self._warned_names:
                self._warned_names.add(path.name)
                _log.warning(
                    "%s is not named after a server id (a Discord id, 1 to 2**63-1); ignoring it",
                    path,
                )
        return sorted(found)

    def read(self, guild_id: int) -> EntryFile:
        """The validated content of a server's file (empty when it has none)."""
        path = self.path_for(guild_id)
        if self._pending_path(path).exists():
            self.reconcile(guild_id)
        if not path.exists():
            return EntryFile((), {})
        return load_entry_file(
            path, self.base.article, shipped=False, reserved=self.base.entries, keep_clashes=True
        )

    def load(self, guild_id: int) -> tuple[Entry, ...]:
        """A server's moderator entries; KnowledgeError when its file is invalid."""
        return self.read(guild_id).entries

    def add(
        self,
        guild_id: int,
        entry: Entry,
        actor_id: int,
        *,
        pick_id: bool = False,
        keep_stamps: bool = False,
    ) -> Entry:
        """Save a new moderator entry, stamped with who added it and when."""
        return self._change(
            guild_id, "add", entry, actor_id, pick_id=pick_id, keep_stamps=keep_stamps
        )

    def edit(
        self, guild_id: int, entry: Entry, actor_id: int, *, keep_stamps: bool = False
    ) -> Entry:
        """Replace the moderator entry with `entry.id`, keeping who created it and when."""
        return self._change(guild_id, "edit", entry, actor_id, keep_stamps=keep_stamps)

    def remove(self, guild_id: int, entry_id: str, actor_id: int) -> Entry:
        """Delete a moderator entry and return it."""
        return self._change(guild_id, "remove", entry_id, actor_id)

    @contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        lock = filelock.FileLock(f"{path}.lock", timeout=self._lock_timeout)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise KnowledgeError.single(
                str(path), "another change to this server's entries is in progress; try again"
            ) from None
        except OSError as exc:
            raise _write_failed(exc) from None
        try:
            yield
        finally:
            lock.release()

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
        """Read, change, validate and write one server's file, all inside its lock."""
        path = self.path_for(guild_id)
        name = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_failed(exc) from None
        with self._locked(path):
            self._reconcile_locked(guild_id, path)
            try:
                current = self.read(guild_id)
            except KnowledgeError as exc:
                # Never overwrite a file we cannot read: it may hold entries someone wants back.
                raise KnowledgeError(
                    [
                        Problem(
                            name,
                            "this server's entries file is invalid, so nothing was changed; "
                            "fix or restore the file first",
                        ),
                        *exc.problems,
                    ]
                ) from None
            # Entries that no longer serve stay in the file, and can be edited or removed.
            entries = list(current.stored)
            before, after = apply_change(
                action,
                entries,
                entry,
                base=self.base,
                name=name,
                actor_id=actor_id,
                now=self._clock(),
                pick_id=pick_id,
                keep_stamps=keep_stamps,
            )
            entry_id = (after or before).id  # type: ignore[union-attr]
            text, saved = checked_document(
                entries, dict(current.synonyms), self.base, name, entry_id
            )
            data = text.encode("utf-8")
            pending = self._pending_path(path)
            try:
                _write_atomic(pending, data)
                self._append_audit(
                    self._audit_record(guild_id, actor_id, action, entry_id, before, after),
                    sha256=hashlib.sha256(data).hexdigest(),
                )
            except OSError as exc:
                with suppress(OSError):
                    pending.unlink(missing_ok=True)
                raise _write_failed(exc) from None
            try:
                os.replace(pending, path)
                _fsync_directory(path.parent)
            except OSError as exc:
                # The audit says it happened, so it will: the next change or start finishes it.
                _log.error("server %s: cannot put the saved change in place: %s", guild_id, exc)
                raise StoreUnavailableError(
                    "the change was recorded but the disk refused to apply it; it will be "
                    "applied at the next change or restart"
                ) from None
        _log.info("server %s: %s entry '%s' by %s", guild_id, action, entry_id, actor_id)
        if after is None:
            assert before is not None
            return before
        # What was validated and written, so the caller holds exactly what the file says.
        return next(e for e in saved.stored if e.id == entry_id)

    # -- audit -----------------------------------------------------------------------------------

    def _audit_record(
        self,
        guild_id: int,
        actor_id: int,
        action: AuditAction,
        entry_id: str,
        before: Entry | None,
        after: Entry | None,
    ) -> dict[str, Any]:
        return {
            "ts": self._clock().isoformat(),
            "guild_id": guild_id,
            "actor_id": actor_id,
            "action": action,
            "entry_id": entry_id,
            "before": before.to_yaml_dict() if before else None,
            "after": after.to_yaml_dict() if after else None,
        }

    @contextmanager
    def _audit_locked(self) -> Iterator[None]:
        try:
            with filelock.FileLock(f"{self.audit_path}.lock", timeout=self._lock_timeout):
                yield
        except filelock.Timeout:
            raise KnowledgeError.single(
                "audit log", "the audit log is busy; try again in a moment"
            ) from None

    def _append_audit(self, record: dict[str, Any], *, sha256: str) -> None:
        """Append one record, durably; a torn last line from a crash is closed off first."""
        line = json.dumps({**record, "sha256": sha256}, ensure_ascii=False) + "\n"
        with self._audit_locked(), self.audit_path.open("a+b") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() > 0:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")
            handle.write(line.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())

    def _audit_lines(self) -> list[dict[str, Any]]:
        """Every readable audit record, oldest first (a torn line from a crash is skipped)."""
        try:
            raw = self.audit_path.read_bytes()
        except FileNotFoundError:
            return []
        records = []
        for line in raw.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def audit_log(self, guild_id: int | None, limit: int = 50) -> list[AuditRecord]:
        """The latest changes, newest first (guild_id None: every server)."""
        found: list[AuditRecord] = []
        for record in reversed(self._audit_lines()):
            if guild_id is not None and record.get("guild_id") != guild_id:
                continue
            try:
                found.append(
                    AuditRecord(
                        ts=dt.datetime.fromisoformat(record["ts"]),
                        guild_id=int(record["guild_id"]),
                        actor_id=int(record["actor_id"]),
                        action=record["action"],
                        entry_id=str(record["entry_id"]),
                        before=record.get("before"),
                        after=record.get("after"),
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue
            if len(found) >= limit:
                break
        return found

    # -- crash recovery --------------------------------------------------------------------------

    def reconcile(self, guild_id: int) -> None:
        """Finish or undo a change a crash interrupted (see the module docstring)."""
        path = self.path_for(guild_id)
        with self._locked(path):
            self._reconcile_locked(guild_id, path)

    def reconcile_all(self) -> None:
        """Reconcile every server with an interrupted change (run at start)."""
        for pending in self.guilds_dir.glob(".*.yaml.pending"):
            stem = pending.name[1:].removesuffix(".yaml.pending")
            if stem.isascii() and stem.isdigit() and is_snowflake(int(stem)):
                self.reconcile(int(stem))

    def _reconcile_locked(self, guild_id: int, path: Path) -> None:
        pending = self._pending_path(path)
        try:
            data = pending.read_bytes()
        except FileNotFoundError:
            return
        digest = hashlib.sha256(data).hexdigest()
        audited = any(
            r.get("guild_id") == guild_id and r.get("sha256") == digest
            for r in reversed(self._audit_lines())
        )
        if audited:
            os.replace(pending, path)
            _fsync_directory(path.parent)
            _log.warning("server %s: finished a change a crash had interrupted", guild_id)
        else:
            pending.unlink()
            _log.warning(
                "server %s: dropped a change a crash interrupted before it was saved", guild_id
            )

    # -- members' data ---------------------------------------------------------------------------

    def forget_user(self, user_id: int) -> tuple[int, int]:
        """Anonymise `user_id` as author in every server file and the audit log.

        Returns (entries changed, audit records changed). No audit record is written for this:
        it would hold the id being forgotten.
        """
        entries_changed = 0
        for guild_id in self.guild_ids():
            path = self.path_for(guild_id)
            with self._locked(path):
                self._reconcile_locked(guild_id, path)
                try:
                    current = self.read(guild_id)
                except KnowledgeError:
                    _log.warning("server %s: its file is invalid; not anonymised", guild_id)
                    continue
                changed = 0
                entries = []
                for entry in current.stored:
                    updates = {
                        key: ANONYMOUS_ID
                        for key in ("created_by", "updated_by")
                        if getattr(entry, key) == user_id
                    }
                    changed += bool(updates)
                    entries.append(entry.model_copy(update=updates) if updates else entry)
                if changed:
                    text, _ = checked_document(
                        entries, dict(current.synonyms), self.base, str(path)
                    )
                    try:
                        _write_atomic(path, text.encode("utf-8"))
                    except OSError as exc:
                        raise _write_failed(exc) from None
                    entries_changed += changed
        audit_changed = 0
        if self.audit_path.exists():
            with self._audit_locked():
                out = []
                for record in self._audit_lines():
                    touched = 0
                    if record.get("actor_id") == user_id:
                        record["actor_id"] = ANONYMOUS_ID
                        touched += 1
                    for key in ("before", "after"):
                        record[key], count = anonymised(record.get(key), user_id)
                        touched += count
                    audit_changed += bool(touched)
                    out.append(json.dumps(record, ensure_ascii=False) + "\n")
                if audit_changed:
                    try:
                        _write_atomic(self.audit_path, "".join(out).encode("utf-8"))
                    except OSError as exc:
                        raise _write_failed(exc) from None
        return entries_changed, audit_changed
