"""Discord's protocol constants, error shape and id helpers shared by the fake's modules."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntFlag
from typing import Any, Final

JSON = dict[str, Any]
"""A JSON object as Discord sends it."""

API_PREFIX: Final = "/api/v10"

DISCORD_EPOCH_MS: Final = 1_420_070_400_000


class Intent(IntFlag):
    """Gateway intent bits (the subset the fake looks at)."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15


PRIVILEGED_INTENTS: Final = Intent.GUILD_MEMBERS | Intent.GUILD_PRESENCES | Intent.MESSAGE_CONTENT


class Perm(IntFlag):
    """Discord permission bits (the commonly used subset)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    SEND_MESSAGES_IN_THREADS = 1 << 38
    MODERATE_MEMBERS = 1 << 40


ALL_PERMISSIONS: Final = (1 << 51) - 1

DEFAULT_EVERYONE_PERMISSIONS: Final = int(
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CHANGE_NICKNAME
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
)
"""What @everyone may do in a freshly created guild of the fake."""

DEFAULT_BOT_PERMISSIONS: Final = DEFAULT_EVERYONE_PERMISSIONS | int(Perm.MANAGE_MESSAGES)
"""Permissions of the bot's managed role in the fake's guilds."""

FLAG_SUPPRESS_EMBEDS: Final = 1 << 2

FLAG_EPHEMERAL: Final = 1 << 6

FLAG_LOADING: Final = 1 << 7

FLAG_COMPONENTS_V2: Final = 1 << 15

INTERACTION_PING: Final = 1

INTERACTION_APPLICATION_COMMAND: Final = 2

INTERACTION_COMPONENT: Final = 3

INTERACTION_AUTOCOMPLETE: Final = 4

INTERACTION_MODAL_SUBMIT: Final = 5

CALLBACK_CHANNEL_MESSAGE: Final = 4

CALLBACK_DEFERRED_CHANNEL_MESSAGE: Final = 5

CALLBACK_DEFERRED_UPDATE_MESSAGE: Final = 6

CALLBACK_UPDATE_MESSAGE: Final = 7

CALLBACK_AUTOCOMPLETE_RESULT: Final = 8

CALLBACK_MODAL: Final = 9

OPT_SUB_COMMAND: Final = 1

OPT_SUB_COMMAND_GROUP: Final = 2

OPT_STRING: Final = 3

OPT_INTEGER: Final = 4

OPT_BOOLEAN: Final = 5

OPT_USER: Final = 6

OPT_CHANNEL: Final = 7

OPT_ROLE: Final = 8

OPT_MENTIONABLE: Final = 9

OPT_NUMBER: Final = 10

OPT_ATTACHMENT: Final = 11

SELECT_TYPES: Final = frozenset({3, 5, 6, 7, 8})


def snowflake_time(snowflake: int) -> datetime:
    """Return the creation time encoded in a Discord snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def shard_for(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events: Discord's ``(guild_id >> 22) % shard_count``."""
    return (guild_id >> 22) % shard_count


def iso_timestamp(moment: datetime | None = None) -> str:
    """Format a time the way Discord does (ISO-8601 with microseconds and +00:00)."""
    return (moment or datetime.now(UTC)).isoformat(timespec="microseconds")


class FakeDiscordTimeout(AssertionError):
    """Raised by the ``wait_for*`` helpers when the awaited thing did not happen in time."""


class ApiError(Exception):
    """An error answer of the fake, shaped like Discord's JSON error body.

    Raise it from a handler to answer with ``status`` and ``{"message", "code", "errors"?}``.
    """

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} (code {code}): {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        """The JSON body Discord would send for this error."""
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def unknown_error(kind: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {kind}")


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def id_of(value: int | str | JSON) -> int:
    """The snowflake of an object dict, or the int/str itself."""
    if isinstance(value, dict):
        return int(value["id"])
    return int(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
