"""The one storage interface the Library, the adapter and the CLI talk to.

Two backends implement it: `EmbeddedStore` (YAML files and SQLite under the data dir, the
default) and `PostgresStore` (selected by FAQ_DATABASE_URL). Every method is synchronous and may
do I/O: on an event loop call it from a worker thread (`bot.bookkeeping` does so for the counters).
Reads that sit on a question's path (entries, settings) are served from the Library's memory,
never from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import KnowledgeError, Problem
from ..stats import EntryStats, Gap, VoteResult

if TYPE_CHECKING:
    from ..loader import EntryFile
    from ..models import Entry, KnowledgeBase

__all__ = [
    "ANONYMOUS_ID",
    "SNOWFLAKE_MAX",
    "AuditAction",
    "AuditRecord",
    "ChangeListener",
    "ForgetReport",
    "GuildChange",
    "GuildSettings",
    "Store",
    "StoreUnavailableError",
    "check_guild_id",
    "is_snowflake",
]

# Discord snowflakes are positive and fit a signed 64-bit integer (PostgreSQL's bigint).
SNOWFLAKE_MAX = 2**63 - 1
# What a forgotten member's id becomes in entries and the audit log.
ANONYMOUS_ID = 0

AuditAction = Literal["add", "edit", "remove"]
_Snowflake = Annotated[int, Field(gt=0, le=SNOWFLAKE_MAX)]


def is_snowflake(value: object) -> bool:
    """True for an int that can be a Discord id (1 to 2**63 - 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= SNOWFLAKE_MAX


def check_guild_id(guild_id: object) -> int:
    """`guild_id` when it is a Discord snowflake; ValueError otherwise."""
    if not is_snowflake(guild_id):
        raise ValueError(f"a server id is a Discord id (1 to 2**63-1), not {guild_id!r}")
    assert isinstance(guild_id, int)
    return guild_id


class StoreUnavailableError(KnowledgeError):
    """The store cannot take writes now (database down, read-only or full disk); nothing changed."""

    def __init__(self, message: str, *, os_error: OSError | None = None) -> None:
        super().__init__([Problem("storage", message)])
        # The disk fault behind it, for the operator's one line (moderators see `message`).
        self.os_error = os_error


class GuildSettings(BaseModel):
    """One server's own settings; a None (or empty channels) means "use the bot's default"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auto_answer_channels: frozenset[_Snowflake] = frozenset()
    mod_role_id: _Snowflake | None = None
    answer_threshold: Annotated[int, Field(ge=0, le=100)] | None = None
    chat_threshold: Annotated[int, Field(ge=0, le=100)] | None = None
    user_cooldown_seconds: Annotated[float, Field(ge=0, le=86_400)] | None = None
    channel_entry_cooldown_seconds: Annotated[float, Field(ge=0, le=86_400)] | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = "settings") -> GuildSettings:
        """Validate stored or submitted settings; KnowledgeError with one line per problem."""
        try:
            return cls.model_validate(dict(raw))
        except ValidationError as exc:
            raise KnowledgeError(
                [
                    Problem(where, f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}")
                    for e in exc.errors(include_url=False)
                ]
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """The settings that are set, JSON-ready (channels sorted)."""
        raw = self.model_dump(exclude_defaults=True)
        if "auto_answer_channels" in raw:
            raw["auto_answer_channels"] = sorted(raw["auto_answer_channels"])
        return raw

    @property
    def is_default(self) -> bool:
        """True when the server has set nothing."""
        return not self.to_dict()


@dataclass(frozen=True, slots=True)
class GuildChange:
    """A server's entries or settings changed (in this process or another)."""

    guild_id: int
    what: Literal["entries", "settings"]


ChangeListener = Callable[[GuildChange], None]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One change to a server's entries: who, when, and the entry before and after."""

    ts: dt.datetime
    guild_id: int
    actor_id: int
    action: AuditAction
    entry_id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What `forget_user` removed or anonymised."""

    votes: int = 0
    asks: int = 0
    entries: int = 0
    audit_records: int = 0
    extra: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many records changed in all."""
        return self.votes + self.asks + self.entries + self.audit_records


@runtime_checkable
class Store(Protocol):
    """Entries, audit, stats, per-server settings and change notifications of every server."""

    #: "embedded" or "postgresql"
    kind: str
    #: The shipped knowledge server entries are validated against; the Library swaps it on reload.
    base: KnowledgeBase

    # -- entries -------------------------------------------------------------------------------
    def guild_ids(self) -> list[int]:
        """The servers that have entries or settings, sorted."""
        ...

    def read_entries(self, guild_id: int) -> EntryFile:
        """A server's validated entries and synonyms; KnowledgeError when they are invalid."""
        ...

    def add_entry(
        self,
        guild_id: int,
        entry: Entry,
        actor_id: int,
        *,
        pick_id: bool = False,
        keep_stamps: bool = False,
    ) -> Entry:
        """Save a new entry stamped with its author; with pick_id the id is chosen under the
        lock from the question (a -2, -3… suffix on collision), else a taken id is refused.
        keep_stamps (imports) keeps the entry's own created/updated stamps."""
        ...

    def edit_entry(
        self, guild_id: int, entry: Entry, actor_id: int, *, keep_stamps: bool = False
    ) -> Entry:
        """Replace the entry with `entry.id`, keeping who created it and when."""
        ...

    def remove_entry(self, guild_id: int, entry_id: str, actor_id: int) -> Entry:
        """Delete an entry and return it."""
        ...

    def audit_log(self, guild_id: int | None, limit: int = 50) -> list[AuditRecord]:
        """The latest changes, newest first (guild_id None: every server)."""
        ...

    # -- per-server settings ---------------------------------------------------------------------
    def guild_settings(self, guild_id: int) -> GuildSettings:
        """A server's own settings (all defaults when it set nothing)."""
        ...

    def all_guild_settings(self) -> dict[int, GuildSettings]:
        """Every server that set something, for the Library's in-memory copy."""
        ...

    def set_guild_settings(
        self, guild_id: int, settings: GuildSettings, actor_id: int
    ) -> GuildSettings:
        """Replace a server's settings (GuildSettings() resets them)."""
        ...

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
        """Count a question (message_id: the answer votes point at); return the ask's id."""
        ...

    def attach_message(self, ask_id: int, message_id: int) -> None:
        """Link a recorded ask to the answer message sent after it."""
        ...

    def record_vote(
        self, guild_id: int | None, message_id: int, entry_id: str, user_id: int, helpful: bool
    ) -> VoteResult:
        """Count a vote, once per member per entry per 24 h (a change of mind moves it)."""
        ...

    def entry_stats(self, guild_id: int | None) -> list[EntryStats]:
        """Asks answered by each entry and the votes on them, most asked first."""
        ...

    def gaps(self, guild_id: int | None, limit: int = 10) -> list[Gap]:
        """Questions most often unanswered or voted "Not helpful" within the retention window."""
        ...

    def forget_user(self, user_id: int) -> ForgetReport:
        """Delete a member's votes and questions; anonymise their id in entries and the audit."""
        ...

    def prune(self, retention_days: int) -> int:
        """Drop the text of questions older than `retention_days`; return how many."""
        ...

    # -- notifications and life cycle ----------------------------------------------------------
    def subscribe(self, listener: ChangeListener) -> None:
        """Call `listener` whenever a server's entries or settings change, in any process."""
        ...

    def poll(self) -> None:
        """Look for changes made elsewhere now (embedded: file stamps; PostgreSQL: pushed)."""
        ...

    def close(self) -> None:
        """Release files, connections and threads."""
        ...
