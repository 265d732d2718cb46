"""Per-server moderator entries: validated, atomic, locked writes and an append-only audit log.

Layout under the data dir:

    guilds/<guild_id>.yaml   the server's entries, same layout as knowledge/faq.yaml
    guilds/<guild_id>.yaml.lock
    audit.jsonl              one JSON object per change

Every change is a read-modify-write done inside a lock that also holds across processes (the
bot and `faqbot entries` edit the same files), validated in full before it replaces anything.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Literal

import filelock
import yaml

from .errors import KnowledgeError, Problem
from .loader import MAX_FILE_BYTES, EntryFile, load_entry_file, parse_entry_file
from .models import ID_MAX, Entry, KnowledgeBase
from .text import normalize

__all__ = ["AUDIT_FILE", "GUILDS_DIR", "AuditAction", "GuildStore", "slug_for"]

_log = logging.getLogger(__name__)

GUILDS_DIR = "guilds"
AUDIT_FILE = "audit.jsonl"
AuditAction = Literal["add", "edit", "remove"]

# Discord ids (snowflakes) are positive and fit a signed 64-bit integer.
_SNOWFLAKE_MAX = 2**63 - 1
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
        self._ignored: set[Path] = set()

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
        if isinstance(guild_id, bool) or not isinstance(guild_id, int) or guild_id <= 0:
            raise ValueError(f"a server id is a positive integer, not {guild_id!r}")
        return self.guilds_dir / f"{guild_id}.yaml"

    def guild_ids(self) -> list[int]:
        """The servers that have an entries file, sorted."""
        found = []
        for path in self.guilds_dir.glob("*.yaml"):
            stem = path.stem
            # isdigit() alone accepts "①" and "²", which int() refuses.
            if stem.isascii() and stem.isdigit() and 0 < int(stem) <= _SNOWFLAKE_MAX:
                found.append(int(stem))
            elif path not in self._ignored:
                self._ignored.add(path)
                _log.warning("%s is not named after a server id; ignoring it", path)
        return sorted(found)

    def read(self, guild_id: int) -> EntryFile:
        """The validated content of a server's file (empty when it has none)."""
        path = self.path_for(guild_id)
        if not path.exists():
            return EntryFile((), {})
        return load_entry_file(
            path, self.base.article, shipped=False, reserved=self.base.entries, keep_clashes=True
        )

    def load(self, guild_id: int) -> tuple[Entry, ...]:
        """A server's moderator entries; KnowledgeError when its file is invalid."""
        return self.read(guild_id).entries

    def add(self, guild_id: int, entry: Entry, actor_id: int) -> Entry:
        """Save a new moderator entry, stamped with who added it and when."""
        shipped = self.base.by_id.get(entry.id)

        def change(entries: list[Entry], name: str) -> tuple[Entry | None, Entry | None]:
            if shipped is not None:
                raise KnowledgeError.single(
                    name,
                    f"id '{entry.id}' is already used by the shipped FAQ; choose another",
                    entry_id=entry.id,
                )
            if any(e.id == entry.id for e in entries):
                raise KnowledgeError.single(
                    name,
                    f"a server entry '{entry.id}' already exists; edit it or choose another id",
                    entry_id=entry.id,
                )
            new = entry.model_copy(
                update={
                    "created_by": actor_id,
                    "created_at": self._clock(),
                    "updated_by": None,
                    "updated_at": None,
                }
            )
            entries.append(new)
            return None, new

        return self._change(guild_id, "add", entry.id, actor_id, change)

    def edit(self, guild_id: int, entry: Entry, actor_id: int) -> Entry:
        """Replace the moderator entry with `entry.id`, keeping who created it and when."""

        def change(entries: list[Entry], name: str) -> tuple[Entry | None, Entry | None]:
            index = self._index_of(entries, entry.id, name)
            old = entries[index]
            new = entry.model_copy(
                update={
                    "created_by": old.created_by,
                    "created_at": old.created_at,
                    "updated_by": actor_id,
                    "updated_at": self._clock(),
                }
            )
            entries[index] = new
            return old, new

        return self._change(guild_id, "edit", entry.id, actor_id, change)

    def remove(self, guild_id: int, entry_id: str, actor_id: int) -> Entry:
        """Delete a moderator entry and return it."""

        def change(entries: list[Entry], name: str) -> tuple[Entry | None, Entry | None]:
            return entries.pop(self._index_of(entries, entry_id, name)), None

        return self._change(guild_id, "remove", entry_id, actor_id, change)

    def _index_of(self, entries: list[Entry], entry_id: str, name: str) -> int:
        for index, entry in enumerate(entries):
            if entry.id == entry_id:
                return index
        if entry_id in self.base.by_id:
            message = (
                f"entry '{entry_id}' is part of the shipped FAQ and is read-only here; "
                "edit knowledge/faq.yaml"
            )
        else:
            message = f"no server entry '{entry_id}'"
        raise KnowledgeError.single(name, message, entry_id=entry_id)

    @contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        lock = filelock.FileLock(f"{path}.lock", timeout=self._lock_timeout)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise KnowledgeError.single(
                str(path), "another change to this server's entries is in progress; try again"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _change(
        self,
        guild_id: int,
        action: AuditAction,
        entry_id: str,
        actor_id: int,
        change: Callable[[list[Entry], str], tuple[Entry | None, Entry | None]],
    ) -> Entry:
        """Read, change, validate and write one server's file, all inside its lock."""
        path = self.path_for(guild_id)
        name = str(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked(path):
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
            before, after = change(entries, name)
            text = _dump(entries, dict(current.synonyms))
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
                    text,
                    name,
                    self.base.article,
                    shipped=False,
                    reserved=self.base.entries,
                    keep_clashes=True,
                )
            except KnowledgeError as exc:
                # The text was never written: a line number in it would point at nothing.
                raise KnowledgeError(
                    [Problem(p.file, p.message, entry_id=p.entry_id) for p in exc.problems]
                ) from None
            if after is not None and after.id in saved.unserved:
                # What is saved must serve: refuse it with the reason, as for any problem.
                raise KnowledgeError.single(name, saved.unserved[after.id], entry_id=after.id)
            if saved.stored != tuple(entries):
                # The file must say exactly what the moderator wrote, or not be written at all.
                raise KnowledgeError.single(
                    name,
                    "the entry's text cannot be stored exactly (unusual control characters?); "
                    "remove them and try again",
                    entry_id=entry_id,
                )
            _write_atomic(path, text.encode("utf-8"))
            self._audit(guild_id, actor_id, action, entry_id, before, after)
        _log.info("server %s: %s entry '%s' by %s", guild_id, action, entry_id, actor_id)
        if after is None:
            assert before is not None
            return before
        # What was validated and written, so the caller holds exactly what the file says.
        return next(e for e in saved.stored if e.id == entry_id)

    def _audit(
        self,
        guild_id: int,
        actor_id: int,
        action: AuditAction,
        entry_id: str,
        before: Entry | None,
        after: Entry | None,
    ) -> None:
        record = {
            "ts": self._clock().isoformat(),
            "guild_id": guild_id,
            "actor_id": actor_id,
            "action": action,
            "entry_id": entry_id,
            "before": before.to_yaml_dict() if before else None,
            "after": after.to_yaml_dict() if after else None,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            with (
                filelock.FileLock(f"{self.audit_path}.lock", timeout=self._lock_timeout),
                self.audit_path.open("a", encoding="utf-8") as handle,
            ):
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except (OSError, filelock.Timeout):
            # The change itself is saved; failing it now would tell the moderator otherwise.
            _log.exception("could not append to the audit log %s: %s", self.audit_path, line)
