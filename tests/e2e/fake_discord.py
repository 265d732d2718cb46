"""A fake Discord (REST API v10 + JSON gateway) for end-to-end tests of discord.py bots.

The fake is an aiohttp application served on a loopback port. The *real* discord.py client is
pointed at it by patching ``discord.http.Route.BASE`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (see :meth:`FakeDiscord.patch_discord`).

What it models, deliberately close to the real service:

* REST under ``/api/v10`` with JSON bodies (``Content-Type`` exactly ``application/json``) and
  multipart bodies (``payload_json`` plus ``files[n]``). Every request is recorded in
  :attr:`FakeDiscord.requests`; requests the fake does not implement get a 404 JSON error and are
  also recorded in :attr:`FakeDiscord.unhandled_requests` (the pytest fixture fails the test on
  those).
* The gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE per guild of the shard, heartbeat ACKs,
  RESUME, REQUEST_GUILD_MEMBERS, presence updates, several shards, ``zlib-stream`` transport
  compression when the client asks for it. Events honour the identified intents (guild/DM
  message intents, and the privileged MESSAGE_CONTENT intent blanks content like Discord does).
* Interactions: slash commands (with subcommands and groups), autocomplete, message and user
  context menus, buttons, selects and modal submits are dispatched as INTERACTION_CREATE. The
  callback endpoint enforces one acknowledgement per interaction, the valid response types per
  interaction type and (by default) the 3 second acknowledgement deadline, and answers
  ``?with_response=1`` with an InteractionCallbackResponse. Follow-ups and ``@original`` edits
  work through the webhook endpoints; the first follow-up after a "thinking" defer fills the
  loading message, as on Discord.
* Documented limits are validated (message content 2000, embeds 10/6000 and per field limits,
  components, modals, autocomplete choices, application command definitions) and answered with
  Discord's 400 "Invalid Form Body" shape, so a bot that would be rejected by Discord is rejected
  here too. Permissions (roles, @everyone, overwrites, owner, administrator) are computed and
  enforced for sending, replying, editing and deleting messages.

Test-driving API (all ``async``): :meth:`FakeDiscord.send_message`, :meth:`FakeDiscord.send_dm`,
:meth:`FakeDiscord.invoke_slash`, :meth:`FakeDiscord.invoke_autocomplete`,
:meth:`FakeDiscord.invoke_message_command`, :meth:`FakeDiscord.invoke_user_command`,
:meth:`FakeDiscord.click_button`, :meth:`FakeDiscord.select_option`,
:meth:`FakeDiscord.submit_modal`, and the waiting helpers :meth:`FakeDiscord.wait_for`,
:meth:`FakeDiscord.wait_for_request`, :meth:`FakeDiscord.wait_for_interaction_response`,
:meth:`FakeDiscord.wait_for_bot_message`.

All payloads are plain ``dict`` objects shaped like Discord's JSON (snowflakes as strings,
ISO-8601 timestamps). The fake never imports discord.py except to patch it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import secrets
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntFlag
from typing import TYPE_CHECKING, Any, Final, TypeVar

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from collections.abc import Awaitable

    import pytest

JSON = dict[str, Any]
"""A JSON object as Discord sends it."""

_log = logging.getLogger(__name__)

T = TypeVar("T")

API_PREFIX: Final = "/api/v10"
DISCORD_EPOCH_MS: Final = 1_420_070_400_000
ATTACHMENT_SIZE_LIMIT: Final = 10 * 1024 * 1024
INTERACTION_TOKEN_LIFETIME: Final = 15 * 60.0


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

# Message flags.
FLAG_SUPPRESS_EMBEDS: Final = 1 << 2
FLAG_EPHEMERAL: Final = 1 << 6
FLAG_LOADING: Final = 1 << 7
FLAG_COMPONENTS_V2: Final = 1 << 15

# Interaction types and callback types.
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

_ALLOWED_CALLBACKS: Final[dict[int, frozenset[int]]] = {
    INTERACTION_APPLICATION_COMMAND: frozenset({4, 5, 9}),
    INTERACTION_COMPONENT: frozenset({4, 5, 6, 7, 9}),
    INTERACTION_AUTOCOMPLETE: frozenset({8}),
    INTERACTION_MODAL_SUBMIT: frozenset({4, 5, 6, 7}),
}

# Application command option types.
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

_SELECT_TYPES: Final = frozenset({3, 5, 6, 7, 8})
_COMMAND_NAME_RE: Final = re.compile(r"^[-_\w]{1,32}$")


def snowflake_time(snowflake: int) -> datetime:
    """Return the creation time encoded in a Discord snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


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


def _unknown(kind: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {kind}")


def _missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


class _FormErrors:
    """Collects validation errors and raises them as Discord's 50035 Invalid Form Body."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple[str | int, ...], str, str]] = []

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        self.items.append((path, code, message))

    def length(
        self, path: tuple[str | int, ...], value: Any, *, max_len: int, min_len: int = 0
    ) -> None:
        if value is None:
            if min_len > 0:
                self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return
        size = len(value)
        if size > max_len:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {max_len} or fewer in length.")
        elif size < min_len:
            self.add(path, "BASE_TYPE_MIN_LENGTH", f"Must be {min_len} or more in length.")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        nested: JSON = {}
        for path, code, message in self.items:
            node = nested
            for key in path:
                node = node.setdefault(str(key), {})
            node.setdefault("_errors", []).append({"code": code, "message": message})
        raise ApiError(400, 50035, "Invalid Form Body", nested)


def _validate_url(errs: _FormErrors, path: tuple[str | int, ...], url: Any, *, image: bool) -> None:
    if url is None:
        return
    schemes = ("http://", "https://", "attachment://") if image else ("http://", "https://")
    if not isinstance(url, str) or not url.startswith(schemes) or len(url) > 2048:
        errs.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def _validate_embed(errs: _FormErrors, path: tuple[str | int, ...], embed: JSON) -> int:
    """Validate one embed; return its character count towards the 6000 total."""
    total = 0
    for key, limit in (("title", 256), ("description", 4096)):
        value = embed.get(key)
        if value is not None:
            errs.length((*path, key), value, max_len=limit)
            total += len(value)
    _validate_url(errs, (*path, "url"), embed.get("url"), image=False)
    color = embed.get("color")
    if color is not None and not 0 <= int(color) <= 0xFFFFFF:
        errs.add((*path, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errs.add((*path, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for index, fld in enumerate(fields):
        errs.length((*path, "fields", index, "name"), fld.get("name"), max_len=256, min_len=1)
        errs.length((*path, "fields", index, "value"), fld.get("value"), max_len=1024, min_len=1)
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    footer = embed.get("footer")
    if footer:
        errs.length((*path, "footer", "text"), footer.get("text"), max_len=2048, min_len=1)
        total += len(footer.get("text") or "")
        _validate_url(errs, (*path, "footer", "icon_url"), footer.get("icon_url"), image=True)
    author = embed.get("author")
    if author:
        errs.length((*path, "author", "name"), author.get("name"), max_len=256, min_len=1)
        total += len(author.get("name") or "")
        _validate_url(errs, (*path, "author", "url"), author.get("url"), image=False)
        _validate_url(errs, (*path, "author", "icon_url"), author.get("icon_url"), image=True)
    for key in ("image", "thumbnail"):
        media = embed.get(key)
        if media:
            _validate_url(errs, (*path, key, "url"), media.get("url"), image=True)
    return total


def _validate_select(errs: _FormErrors, path: tuple[str | int, ...], select: JSON) -> None:
    errs.length((*path, "custom_id"), select.get("custom_id"), max_len=100, min_len=1)
    errs.length((*path, "placeholder"), select.get("placeholder"), max_len=150)
    if select["type"] == 3:
        options = select.get("options") or []
        if not 1 <= len(options) <= 25:
            errs.add(
                (*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length."
            )
        for index, option in enumerate(options):
            opath = (*path, "options", index)
            errs.length((*opath, "label"), option.get("label"), max_len=100, min_len=1)
            errs.length((*opath, "value"), option.get("value"), max_len=100, min_len=1)
            errs.length((*opath, "description"), option.get("description"), max_len=100)


def _validate_button(errs: _FormErrors, path: tuple[str | int, ...], button: JSON) -> None:
    style = button.get("style")
    errs.length((*path, "label"), button.get("label"), max_len=80)
    if style == 5:
        if not button.get("url") or button.get("custom_id"):
            errs.add(path, "BUTTON_COMPONENT_INVALID_URL", "A link button needs a url only.")
        _validate_url(errs, (*path, "url"), button.get("url"), image=False)
    elif style == 6:
        if not button.get("sku_id"):
            errs.add((*path, "sku_id"), "BASE_TYPE_REQUIRED", "This field is required")
    elif style in (1, 2, 3, 4):
        errs.length((*path, "custom_id"), button.get("custom_id"), max_len=100, min_len=1)
    else:
        errs.add(
            (*path, "style"), "BASE_TYPE_CHOICES", f"Value must be one of (1..6), not {style}."
        )
    if style != 6 and not button.get("label") and not button.get("emoji"):
        errs.add(path, "BUTTON_COMPONENT_NO_LABEL", "A button needs a label or an emoji.")


def _validate_components(
    errs: _FormErrors, path: tuple[str | int, ...], components: list[JSON], *, v2: bool
) -> None:
    """Validate message components (classic action rows; components v2 are checked loosely)."""
    custom_ids: set[str] = set()

    def walk(items: Iterable[JSON]) -> Iterable[JSON]:
        for item in items:
            yield item
            yield from walk(item.get("components") or [])
            for key in ("component", "accessory"):
                if item.get(key):
                    yield from walk([item[key]])

    for item in walk(components):
        custom_id = item.get("custom_id")
        if custom_id is not None:
            if custom_id in custom_ids:
                errs.add(
                    path, "COMPONENT_CUSTOM_ID_DUPLICATED", f"Duplicate custom_id {custom_id!r}"
                )
            custom_ids.add(custom_id)
    if v2:
        return
    if len(components) > 5:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for row_index, row in enumerate(components):
        row_path = (*path, row_index)
        if row.get("type") != 1:
            errs.add(
                (*row_path, "type"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "Top-level components must be action rows without the components v2 flag.",
            )
            continue
        children = row.get("components") or []
        if not 1 <= len(children) <= 5:
            errs.add(
                (*row_path, "components"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            )
        for child_index, child in enumerate(children):
            child_path = (*row_path, "components", child_index)
            ctype = child.get("type")
            if ctype == 2:
                _validate_button(errs, child_path, child)
            elif ctype in _SELECT_TYPES:
                if len(children) != 1:
                    errs.add(
                        child_path,
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                        "The specified component exceeds the maximum width",
                    )
                _validate_select(errs, child_path, child)
            else:
                errs.add(
                    (*child_path, "type"),
                    "COMPONENT_TYPE_INVALID",
                    f"Component type {ctype} is not valid in a message action row.",
                )


def _validate_message_body(errs: _FormErrors, body: JSON, prefix: tuple[str | int, ...]) -> None:
    """Validate the documented limits of a message create/edit body."""
    content = body.get("content")
    if content is not None:
        if isinstance(content, str):
            errs.length((*prefix, "content"), content, max_len=2000)
        else:
            errs.add((*prefix, "content"), "STRING_TYPE_CONVERT", "Could not interpret as string.")
    flags = int(body.get("flags") or 0)
    v2 = bool(flags & FLAG_COMPONENTS_V2)
    embeds = body.get("embeds")
    if embeds:
        if v2:
            errs.add((*prefix, "embeds"), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", "")
        if len(embeds) > 10:
            errs.add((*prefix, "embeds"), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        total = sum(
            _validate_embed(errs, (*prefix, "embeds", index), embed)
            for index, embed in enumerate(embeds)
        )
        if total > 6000:
            errs.add(
                (*prefix, "embeds"),
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
            )
    if v2 and content:
        errs.add((*prefix, "content"), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", "")
    components = body.get("components")
    if components:
        _validate_components(errs, (*prefix, "components"), components, v2=v2)
    allowed = body.get("allowed_mentions")
    if allowed:
        parse = allowed.get("parse") or []
        for index, kind in enumerate(parse):
            if kind not in ("users", "roles", "everyone"):
                errs.add((*prefix, "allowed_mentions", "parse", index), "BASE_TYPE_CHOICES", kind)
        for kind in ("users", "roles"):
            if kind in parse and allowed.get(kind):
                errs.add(
                    (*prefix, "allowed_mentions"),
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )


def _is_empty_message(message: JSON) -> bool:
    return not (
        (message.get("content") or "").strip()
        or message.get("embeds")
        or message.get("attachments")
        or message.get("components")
        or message.get("sticker_items")
        or message.get("poll")
    )


def _validate_modal(errs: _FormErrors, modal: JSON) -> None:
    errs.length(("data", "title"), modal.get("title"), max_len=45, min_len=1)
    errs.length(("data", "custom_id"), modal.get("custom_id"), max_len=100, min_len=1)
    components = modal.get("components") or []
    if not 1 <= len(components) <= 5:
        errs.add(
            ("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )
    for index, component in enumerate(components):
        path: tuple[str | int, ...] = ("data", "components", index)
        ctype = component.get("type")
        if ctype == 1:
            inner = component.get("components") or []
            if len(inner) != 1:
                errs.add((*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be 1 in length.")
            leaves = [((*path, "components", i), c) for i, c in enumerate(inner)]
        elif ctype == 18:
            errs.length((*path, "label"), component.get("label"), max_len=45, min_len=1)
            errs.length((*path, "description"), component.get("description"), max_len=100)
            leaves = [((*path, "component"), component.get("component") or {})]
        elif ctype == 10:
            leaves = []
        else:
            errs.add((*path, "type"), "COMPONENT_TYPE_INVALID", f"Invalid modal component {ctype}")
            leaves = []
        for leaf_path, leaf in leaves:
            errs.length((*leaf_path, "custom_id"), leaf.get("custom_id"), max_len=100, min_len=1)
            if leaf.get("type") == 4:
                if ctype == 1:
                    errs.length((*leaf_path, "label"), leaf.get("label"), max_len=45, min_len=1)
                errs.length((*leaf_path, "placeholder"), leaf.get("placeholder"), max_len=100)
                errs.length((*leaf_path, "value"), leaf.get("value"), max_len=4000)
                for key in ("min_length", "max_length"):
                    value = leaf.get(key)
                    if value is not None and not 0 <= int(value) <= 4000:
                        errs.add((*leaf_path, key), "NUMBER_TYPE_MAX", "Must be <= 4000.")
            elif leaf.get("type") in _SELECT_TYPES:
                _validate_select(errs, leaf_path, leaf)


def _validate_choices(errs: _FormErrors, choices: Any) -> None:
    if not isinstance(choices, list):
        errs.add(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    if len(choices) > 25:
        errs.add(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for index, choice in enumerate(choices):
        path = ("data", "choices", index)
        errs.length((*path, "name"), choice.get("name"), max_len=100, min_len=1)
        value = choice.get("value")
        if isinstance(value, str):
            errs.length((*path, "value"), value, max_len=100)
        elif value is None:
            errs.add((*path, "value"), "BASE_TYPE_REQUIRED", "This field is required")


def _validate_command_options(
    errs: _FormErrors, path: tuple[str | int, ...], options: list[JSON], *, level: int
) -> None:
    if len(options) > 25:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    names: set[str] = set()
    for index, option in enumerate(options):
        opath = (*path, index)
        name = option.get("name") or ""
        if not _COMMAND_NAME_RE.match(name) or name != name.lower():
            errs.add((*opath, "name"), "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {name!r}")
        if name in names:
            errs.add((*opath, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", name)
        names.add(name)
        errs.length((*opath, "description"), option.get("description"), max_len=100, min_len=1)
        otype = option.get("type")
        if otype in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP):
            if level >= 2 or (otype == OPT_SUB_COMMAND_GROUP and level >= 1):
                errs.add((*opath, "type"), "APPLICATION_COMMAND_OPTION_INVALID_NESTING", "")
            _validate_command_options(
                errs, (*opath, "options"), option.get("options") or [], level=level + 1
            )
            continue
        if option.get("required"):
            if seen_optional:
                errs.add(
                    opath,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if choices and option.get("autocomplete"):
            errs.add(opath, "AUTOCOMPLETE_AND_CHOICES", "Autocomplete and choices are exclusive.")
        if len(choices) > 25:
            errs.add((*opath, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for cindex, choice in enumerate(choices):
            errs.length(
                (*opath, "choices", cindex, "name"), choice.get("name"), max_len=100, min_len=1
            )
            if isinstance(choice.get("value"), str):
                errs.length((*opath, "choices", cindex, "value"), choice["value"], max_len=100)


def _validate_commands(commands: list[JSON]) -> None:
    errs = _FormErrors()
    seen: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        ctype = int(command.get("type") or 1)
        name = command.get("name") or ""
        if ctype == 1:
            if not _COMMAND_NAME_RE.match(name) or name != name.lower():
                errs.add((index, "name"), "APPLICATION_COMMAND_INVALID_NAME", f"Invalid {name!r}")
            errs.length((index, "description"), command.get("description"), max_len=100, min_len=1)
            _validate_command_options(
                errs, (index, "options"), command.get("options") or [], level=0
            )
        else:
            errs.length((index, "name"), name, max_len=32, min_len=1)
        if (ctype, name) in seen:
            errs.add((index, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", name)
        seen.add((ctype, name))
    if sum(1 for c in commands if int(c.get("type") or 1) == 1) > 100:
        errs.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    errs.raise_if_any()


class _Snowflakes:
    """Generates realistic, strictly increasing snowflakes based on the current time."""

    def __init__(self) -> None:
        self._last = 0
        self._increment = itertools.count()

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (ms << 22) | (1 << 17) | (next(self._increment) & 0xFFF)
        self._last = max(candidate, self._last + 1)
        return self._last


@dataclass
class RecordedFile:
    """A file part of a multipart request."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One REST request the fake received, with the answer it gave."""

    index: int
    method: str
    path: str
    """Path relative to ``/api/v10`` (e.g. ``/channels/1/messages``); absolute otherwise."""
    query: dict[str, str]
    json: Any
    """The JSON body, or the ``payload_json`` of a multipart body; ``None`` without a body."""
    headers: dict[str, str]
    files: list[RecordedFile] = field(default_factory=list)
    status: int = 0
    response: Any = None
    handled: bool = True

    def summary(self) -> str:
        """One line: method, path, query and status."""
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status}"


@dataclass
class InteractionReply:
    """Something the bot did with an interaction token, in order.

    ``kind`` is one of ``callback`` (the initial response, ``body`` is ``{"type", "data"}``),
    ``followup``, ``edit_original``, ``delete_original``, ``edit_followup``,
    ``delete_followup`` (``body`` is the webhook request body). ``message`` is the message the
    request created or changed, when there is one.
    """

    kind: str
    body: Any
    message: JSON | None = None

    @property
    def callback_type(self) -> int | None:
        """The interaction callback type of an initial response, else ``None``."""
        if self.kind == "callback" and isinstance(self.body, dict):
            return int(self.body["type"])
        return None

    @property
    def data(self) -> JSON:
        """The message-ish data: ``body["data"]`` of a callback, the body of a webhook call."""
        if self.kind == "callback":
            return (self.body or {}).get("data") or {}
        return self.body if isinstance(self.body, dict) else {}

    @property
    def ephemeral(self) -> bool:
        """Whether the reply is (or produced) an ephemeral message."""
        flags = int(self.data.get("flags") or 0)
        if self.message is not None:
            flags |= int(self.message.get("flags") or 0)
        return bool(flags & FLAG_EPHEMERAL)


@dataclass
class FakeInteraction:
    """An interaction the fake dispatched, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    payload: JSON
    created_at: float
    responses: list[InteractionReply] = field(default_factory=list)
    callback_type: int | None = None
    original_message_id: int | None = None
    fill_loading_on_followup: bool = False
    modal: JSON | None = None

    @property
    def acknowledged(self) -> bool:
        """Whether the initial response (callback) was accepted."""
        return self.callback_type is not None

    @property
    def user(self) -> JSON:
        """The user who triggered the interaction."""
        member: JSON | None = self.payload.get("member")
        user: JSON = member["user"] if member else self.payload["user"]
        return user


@dataclass
class GatewayConnection:
    """One gateway websocket the client opened (one per shard)."""

    ws: web.WebSocketResponse
    compress: bool
    session_id: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    compressor: Any = None
    sequence: int = 0
    shard_id: int = 0
    shard_count: int = 1
    intents: int = 0
    identified: bool = False
    closed: bool = False
    received: list[JSON] = field(default_factory=list)

    async def send(self, payload: JSON) -> None:
        """Send one gateway payload (zlib-stream compressed if the client asked for it)."""
        raw = json.dumps(payload, separators=(",", ":"))
        async with self.lock:
            if self.ws.closed:
                return
            if self.compress:
                if self.compressor is None:
                    self.compressor = zlib.compressobj()
                data = self.compressor.compress(raw.encode()) + self.compressor.flush(
                    zlib.Z_SYNC_FLUSH
                )
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(raw)

    async def dispatch(self, event: str, data: Any) -> None:
        """Send an op 0 DISPATCH with the next sequence number."""
        self.sequence += 1
        await self.send({"op": 0, "t": event, "s": self.sequence, "d": data})


@dataclass
class _Call:
    request: web.Request
    record: RecordedRequest
    params: dict[str, str]

    @property
    def body(self) -> Any:
        return self.record.json


_Handler = Callable[[_Call], "Awaitable[Any]"]


class FakeDiscord:
    """An in-process fake of Discord's REST API and gateway, for one test.

    A default world is created: the bot user (:attr:`bot_user`), a guild (:attr:`guild`) owned by
    :attr:`owner`, a text channel (:attr:`channel`) and a regular member (:attr:`user`). Add
    more with :meth:`make_user`, :meth:`add_guild`, :meth:`add_channel`, :meth:`add_role` and
    :meth:`add_member` before the client connects (GUILD_CREATE is sent on IDENTIFY).

    Args:
        token: The bot token the fake accepts (REST ``Authorization`` and IDENTIFY).
        bot_name: Username of the bot user.
        shard_count: What ``GET /gateway/bot`` recommends.
        compress_gateway: Honour ``compress=zlib-stream``; if false, send plain text frames.
        ack_deadline: Seconds the bot has to acknowledge an interaction (Discord: 3); ``None``
            disables the check.
        heartbeat_interval_ms: Sent in HELLO.
        echo_bot_messages: Dispatch MESSAGE_CREATE/UPDATE/DELETE for the bot's own messages,
            like Discord does.
        enabled_privileged_intents: Privileged intents "enabled in the developer portal";
            IDENTIFY asking for others is closed with 4014, like Discord does.
        require_registered_commands: If true, invoking an application command that the bot
            never registered raises ``ValueError`` instead of inferring the option types.
    """

    def __init__(
        self,
        *,
        token: str = "test-token",
        bot_name: str = "TestBot",
        shard_count: int = 1,
        compress_gateway: bool = True,
        ack_deadline: float | None = 3.0,
        heartbeat_interval_ms: int = 41_250,
        echo_bot_messages: bool = True,
        enabled_privileged_intents: int = int(PRIVILEGED_INTENTS),
        require_registered_commands: bool = False,
    ) -> None:
        self.token = token
        self.shard_count = shard_count
        self.compress_gateway = compress_gateway
        self.ack_deadline = ack_deadline
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.echo_bot_messages = echo_bot_messages
        self.enabled_privileged_intents = enabled_privileged_intents
        self.require_registered_commands = require_registered_commands

        self._ids = _Snowflakes()
        self._request_counter = itertools.count()
        self._change_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._attachment_data: dict[str, tuple[str | None, bytes]] = {}
        self._reported_problems = 0

        #: Every REST request, in the order they were answered.
        self.requests: list[RecordedRequest] = []
        #: REST requests the fake does not implement (answered 404).
        self.unhandled_requests: list[RecordedRequest] = []
        #: Gateway payloads with an opcode the fake does not implement.
        self.unhandled_gateway_payloads: list[JSON] = []
        #: Every gateway payload received from clients.
        self.gateway_payloads: list[JSON] = []
        #: The ``d`` of every IDENTIFY.
        self.identifies: list[JSON] = []
        #: The ``d`` of every presence update (op 3).
        self.presence_updates: list[JSON] = []
        #: Gateway connections, in the order they were opened.
        self.connections: list[GatewayConnection] = []
        #: Connections that were still open when :meth:`stop` ran (the client was not closed).
        self.connections_open_at_stop = 0

        self.users: dict[int, JSON] = {}
        self.guilds: dict[int, JSON] = {}
        self.channels: dict[int, JSON] = {}
        self.members: dict[tuple[int, int], JSON] = {}
        #: All messages by id (current state, edits applied).
        self.messages: dict[int, JSON] = {}
        #: Ids of deleted messages.
        self.deleted_message_ids: list[int] = []
        self._message_order: list[int] = []
        self._dm_channels: dict[int, int] = {}

        self.interactions: dict[int, FakeInteraction] = {}
        #: Interaction id -> everything the bot answered (same lists as ``responses``).
        self.interaction_responses: dict[int, list[InteractionReply]] = {}
        self._interactions_by_token: dict[str, FakeInteraction] = {}
        #: The last modal the bot opened, per custom_id.
        self.modals: dict[str, JSON] = {}
        #: Registered application commands: ``None`` (global) or a guild id -> commands.
        self.commands: dict[int | None, list[JSON]] = {}

        self.bot_user: JSON = self.make_user(bot_name, bot=True)
        self.application_id = int(self.bot_user["id"])
        self.application_owner: JSON = self.make_user("app-owner")
        self.application_flags = (1 << 13) | (1 << 15) | (1 << 19)  # *_LIMITED intents
        self.owner: JSON = self.make_user("guild-owner")
        self.user: JSON = self.make_user("alice")
        self.guild: JSON = self.add_guild("Test Guild", owner=self.owner)
        self.channel: JSON = self.add_channel(int(self.guild["id"]), "general")
        self.add_member(int(self.guild["id"]), self.user)

        self._routes: list[tuple[str, re.Pattern[str], _Handler, bool]] = []
        self._build_routes()

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        """The port the server listens on (after :meth:`start`)."""
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """The REST base, e.g. ``http://127.0.0.1:PORT/api/v10``."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """The gateway URL, ``ws://127.0.0.1:PORT/``."""
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (port 0 picks a free one). Loopback only."""
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the fake only listens on loopback addresses")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close the gateway connections and stop serving."""
        for conn in self.connections:
            if not conn.ws.closed:
                self.connections_open_at_stop += 1
                with contextlib.suppress(Exception):
                    await conn.ws.close(code=1001, message=b"fake discord stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def patch_discord(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point discord.py's REST base and default gateway at this fake."""
        import discord.gateway
        import discord.http
        import yarl

        monkeypatch.setattr(discord.http.Route, "BASE", self.base_url)
        monkeypatch.setattr(
            discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway_url)
        )

    def problems(self) -> list[str]:
        """Human readable list of protocol gaps: unhandled requests and gateway payloads."""
        found = [
            f"unhandled request: {r.summary()} body={r.json!r}" for r in self.unhandled_requests
        ]
        found += [f"unhandled gateway payload: {p!r}" for p in self.unhandled_gateway_payloads]
        return found

    def new_problems(self) -> list[str]:
        """:meth:`problems` not returned by an earlier call of this method."""
        found = self.problems()
        fresh = found[self._reported_problems :]
        self._reported_problems = len(found)
        return fresh

    def check_unhandled(self) -> None:
        """Raise ``AssertionError`` listing unhandled requests/gateway payloads, if any."""
        found = self.problems()
        if found:
            raise AssertionError(
                "The fake Discord got requests it does not implement:\n  " + "\n  ".join(found)
            )

    # ------------------------------------------------------------------ world building

    def new_id(self) -> int:
        """A fresh, realistic snowflake."""
        return self._ids.next()

    def make_user(
        self,
        username: str,
        *,
        bot: bool = False,
        global_name: str | None = None,
        user_id: int | None = None,
    ) -> JSON:
        """Create (and remember) a user object."""
        uid = user_id or self.new_id()
        user: JSON = {
            "id": str(uid),
            "username": username,
            "discriminator": "0",
            "global_name": global_name,
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
        }
        if bot:
            user["bot"] = True
        self.users[uid] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        owner: JSON | None = None,
        guild_id: int | None = None,
        shard_id: int | None = None,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
    ) -> JSON:
        """Create a guild with an @everyone role, the bot as member (with a managed role).

        ``shard_id`` picks an id that lands on that shard of :attr:`shard_count` shards.
        """
        gid = guild_id or self.new_id()
        if shard_id is not None:
            while (gid >> 22) % self.shard_count != shard_id:
                gid += 1 << 22
        owner = owner or self.owner
        guild: JSON = {
            "id": str(gid),
            "name": name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": owner["id"],
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "application_id": None,
            "max_members": 500_000,
            "max_video_channel_users": 25,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [
                {
                    "id": str(gid),
                    "name": "@everyone",
                    "permissions": str(everyone_permissions),
                    "position": 0,
                    "color": 0,
                    "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "icon": None,
                    "unicode_emoji": None,
                    "flags": 0,
                }
            ],
        }
        self.guilds[gid] = guild
        bot_role = self.add_role(gid, self.bot_user["username"], permissions=bot_permissions)
        bot_role["managed"] = True
        bot_role["tags"] = {"bot_id": self.bot_user["id"]}
        self.add_member(gid, owner)
        self.add_member(gid, self.bot_user, roles=[int(bot_role["id"])])
        return guild

    def add_role(
        self, guild_id: int, name: str, *, permissions: int = 0, position: int | None = None
    ) -> JSON:
        """Add a role to a guild and return it."""
        guild = self._guild_or_raise(guild_id)
        role: JSON = {
            "id": str(self.new_id()),
            "name": name,
            "permissions": str(int(permissions)),
            "position": position if position is not None else len(guild["roles"]),
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        guild["roles"].append(role)
        return role

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        channel_type: int = 0,
        topic: str | None = None,
        parent_id: int | None = None,
        permission_overwrites: Sequence[JSON] = (),
    ) -> JSON:
        """Add a guild channel (type 0 = text) and return it.

        ``permission_overwrites`` items: ``{"id", "type": 0 (role) | 1 (member), "allow",
        "deny"}`` with the bitfields as strings, like Discord.
        """
        self._guild_or_raise(guild_id)
        cid = self.new_id()
        channel: JSON = {
            "id": str(cid),
            "type": channel_type,
            "guild_id": str(guild_id),
            "name": name,
            "position": sum(
                1 for c in self.channels.values() if c.get("guild_id") == str(guild_id)
            ),
            "permission_overwrites": [dict(o) for o in permission_overwrites],
            "topic": topic,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": str(parent_id) if parent_id else None,
            "flags": 0,
        }
        self.channels[cid] = channel
        return channel

    def add_member(
        self,
        guild_id: int,
        user: JSON,
        *,
        roles: Iterable[int | JSON] = (),
        nick: str | None = None,
    ) -> JSON:
        """Make ``user`` a member of the guild (or update its roles) and return the member."""
        self._guild_or_raise(guild_id)
        self.users.setdefault(int(user["id"]), user)
        member: JSON = {
            "user": user,
            "nick": nick,
            "avatar": None,
            "banner": None,
            "roles": [str(_id_of(r)) for r in roles],
            "joined_at": iso_timestamp(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        self.members[(guild_id, int(user["id"]))] = member
        return member

    def get_member(self, guild_id: int, user_id: int) -> JSON | None:
        """The member object, or ``None``."""
        return self.members.get((guild_id, user_id))

    def guild_members(self, guild_id: int) -> list[JSON]:
        """All members of a guild."""
        return [m for (gid, _), m in self.members.items() if gid == guild_id]

    def guild_channels(self, guild_id: int) -> list[JSON]:
        """All channels of a guild."""
        return [c for c in self.channels.values() if c.get("guild_id") == str(guild_id)]

    def dm_channel_for(self, user: JSON) -> JSON:
        """The DM channel between the bot and ``user`` (created on first use)."""
        uid = int(user["id"])
        self.users.setdefault(uid, user)
        cid = self._dm_channels.get(uid)
        if cid is None:
            cid = self.new_id()
            self._dm_channels[uid] = cid
            self.channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [user],
            }
        return self.channels[cid]

    def base_permissions(
        self, guild_id: int, user_id: int, roles: Sequence[int | JSON] | None = None
    ) -> int:
        """Guild-level permissions of a member (owner and administrator get everything)."""
        guild = self._guild_or_raise(guild_id)
        if int(guild["owner_id"]) == user_id:
            return ALL_PERMISSIONS
        role_ids = self._member_role_ids(guild_id, user_id, roles)
        perms = 0
        for role in guild["roles"]:
            if int(role["id"]) == guild_id or int(role["id"]) in role_ids:
                perms |= int(role["permissions"])
        if perms & Perm.ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def channel_permissions(
        self, channel_id: int, user_id: int, roles: Sequence[int | JSON] | None = None
    ) -> int:
        """Permissions of a user in a channel, applying overwrites like Discord does."""
        channel = self._channel_or_raise(channel_id)
        if channel.get("guild_id") is None:
            return DEFAULT_EVERYONE_PERMISSIONS
        guild_id = int(channel["guild_id"])
        perms = self.base_permissions(guild_id, user_id, roles)
        if perms == ALL_PERMISSIONS:
            return perms
        role_ids = self._member_role_ids(guild_id, user_id, roles)
        overwrites = {int(o["id"]): o for o in channel.get("permission_overwrites", [])}
        everyone = overwrites.get(guild_id)
        if everyone:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for role_id in role_ids:
            overwrite = overwrites.get(role_id)
            if overwrite and int(overwrite.get("type", 0)) == 0:
                allow |= int(overwrite["allow"])
                deny |= int(overwrite["deny"])
        perms = (perms & ~deny) | allow
        member_overwrite = overwrites.get(user_id)
        if member_overwrite and int(member_overwrite.get("type", 1)) == 1:
            perms = (perms & ~int(member_overwrite["deny"])) | int(member_overwrite["allow"])
        return perms

    # ------------------------------------------------------------------ message log

    def bot_messages(self, channel_id: int | None = None) -> list[JSON]:
        """Messages authored by the bot (current state), oldest first; deleted ones excluded."""
        return [
            m
            for mid in self._message_order
            if (m := self.messages.get(mid)) is not None
            and m["author"]["id"] == self.bot_user["id"]
            and (channel_id is None or int(m["channel_id"]) == channel_id)
        ]

    def channel_messages(self, channel_id: int) -> list[JSON]:
        """All messages of a channel (current state), oldest first."""
        return [
            m
            for mid in self._message_order
            if (m := self.messages.get(mid)) is not None and int(m["channel_id"]) == channel_id
        ]

    # ------------------------------------------------------------------ waiting

    def _changed(self) -> None:
        event, self._change_event = self._change_event, asyncio.Event()
        event.set()

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        description: str = "condition",
    ) -> T:
        """Wait until ``predicate()`` returns something truthy and return it.

        The predicate is re-evaluated whenever the fake's state changes (request answered,
        gateway payload received) and every 20 ms, so it may also look at the bot's state.
        Raises :class:`FakeDiscordTimeout` after ``timeout``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n  ".join(r.summary() for r in self.requests[-15:]) or "(none)"
                raise FakeDiscordTimeout(
                    f"Timed out after {timeout}s waiting for {description}.\n"
                    f"Last requests:\n  {recent}"
                )
            # Wake up on any change of the fake, and poll now and then for predicates over
            # other state (the bot's, log records).
            event = self._change_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=min(remaining, 0.02))

    async def wait_for_request(
        self,
        method: str,
        path: str,
        *,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> RecordedRequest:
        """Wait for an answered request; ``path`` is a regex full-matched against the path.

        Only ``self.requests[since:]`` are considered (pass ``len(fake.requests)`` taken before
        an action to ignore earlier requests).
        """
        pattern = re.compile(path)

        def find() -> RecordedRequest | None:
            for record in self.requests[since:]:
                if (
                    record.method == method.upper()
                    and pattern.fullmatch(record.path)
                    and (predicate is None or predicate(record))
                ):
                    return record
            return None

        return await self.wait_for(find, timeout=timeout, description=f"{method} {path}")

    async def wait_for_interaction_response(
        self,
        interaction: FakeInteraction | int,
        *,
        index: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionReply:
        """Wait until the bot did ``index + 1`` things with the interaction; return that one."""
        iid = interaction if isinstance(interaction, int) else interaction.id
        replies = self.interaction_responses[iid]
        return await self.wait_for(
            lambda: replies[index] if len(replies) > index else None,
            timeout=timeout,
            description=f"response #{index} to interaction {iid}",
        )

    async def wait_for_bot_message(
        self,
        channel_id: int | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        """Wait until the bot authored ``count`` messages (in the channel); return the last."""
        return await self.wait_for(
            lambda: (
                msgs[count - 1] if len(msgs := self.bot_messages(channel_id)) >= count else None
            ),
            timeout=timeout,
            description=f"bot message #{count} in channel {channel_id}",
        )

    async def wait_until_connected(
        self,
        shards: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``shards`` (default: :attr:`shard_count`) connections have identified."""
        wanted = shards or self.shard_count
        await self.wait_for(
            lambda: len({c.shard_id for c in self._live_connections()}) >= wanted,
            timeout=timeout,
            description=f"{wanted} identified gateway connection(s)",
        )

    # ------------------------------------------------------------------ HTTP plumbing

    def _build_routes(self) -> None:
        ch = r"/channels/(?P<channel_id>\d+)"
        msg = ch + r"/messages/(?P<message_id>\d+)"
        hook = r"/webhooks/(?P<application_id>\d+)/(?P<token>[^/]+)"
        cmds = r"/applications/(?P<application_id>\d+)(?:/guilds/(?P<guild_id>\d+))?/commands"
        guild = r"/guilds/(?P<guild_id>\d+)"
        routes: list[tuple[str, str, _Handler, bool]] = [
            ("GET", r"/gateway", self._get_gateway, False),
            ("GET", r"/gateway/bot", self._get_gateway_bot, True),
            ("GET", r"/users/@me", self._get_me, True),
            ("GET", r"/users/(?P<user_id>\d+)", self._get_user, True),
            ("POST", r"/users/@me/channels", self._create_dm, True),
            ("GET", r"/(?:oauth2/)?applications/@me", self._get_application, True),
            ("GET", ch, self._get_channel, True),
            ("GET", ch + r"/messages", self._get_messages, True),
            ("POST", ch + r"/messages", self._create_message, True),
            ("POST", ch + r"/typing", self._typing, True),
            ("GET", msg, self._get_message, True),
            ("PATCH", msg, self._edit_message, True),
            ("DELETE", msg, self._delete_message, True),
            ("PUT", msg + r"/reactions/(?P<emoji>[^/]+)/@me", self._add_reaction, True),
            ("DELETE", msg + r"/reactions/(?P<emoji>[^/]+)/@me", self._remove_reaction, True),
            ("GET", guild, self._get_guild, True),
            ("GET", guild + r"/channels", self._get_guild_channels, True),
            ("GET", guild + r"/roles", self._get_guild_roles, True),
            ("GET", guild + r"/members/(?P<user_id>\d+)", self._get_guild_member, True),
            (
                "POST",
                r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback",
                self._interaction_callback,
                False,
            ),
            ("POST", hook, self._create_followup, False),
            (
                "GET",
                hook + r"/messages/(?P<message_id>@original|\d+)",
                self._get_webhook_msg,
                False,
            ),
            (
                "PATCH",
                hook + r"/messages/(?P<message_id>@original|\d+)",
                self._edit_webhook_msg,
                False,
            ),
            (
                "DELETE",
                hook + r"/messages/(?P<message_id>@original|\d+)",
                self._delete_webhook_msg,
                False,
            ),
            ("GET", cmds, self._get_commands, True),
            ("PUT", cmds, self._put_commands, True),
            ("POST", cmds, self._create_command, True),
            ("GET", cmds + r"/(?P<command_id>\d+)", self._get_command, True),
            ("PATCH", cmds + r"/(?P<command_id>\d+)", self._edit_command, True),
            ("DELETE", cmds + r"/(?P<command_id>\d+)", self._delete_command, True),
        ]
        self._routes = [(m, re.compile(p), h, auth) for m, p, h, auth in routes]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == "/" and request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._gateway(request)
        record = await self._record(request)
        if path.startswith("/attachments/") and request.method == "GET":
            stored = self._attachment_data.get(path)
            if stored is not None:
                record.status = 200
                self._finish(record)
                return web.Response(
                    body=stored[1], content_type=stored[0] or "application/octet-stream"
                )
        if record.path == path:  # not under /api/v10
            return self._unhandled(record)
        route = self._match_route(request.method, record.path)
        if route is None:
            return self._unhandled(record)
        handler, needs_auth, params = route
        try:
            if needs_auth:
                self._check_auth(request)
            result = await handler(_Call(request, record, params))
        except ApiError as exc:
            return self._respond(record, exc.status, exc.body())
        except Exception as exc:
            # A gap in the fake (or a malformed body): never answer 5xx, which discord.py
            # retries with sleeps; log it (the log guard fails the test) and count it unhandled.
            _log.exception("fake Discord failed to handle %s", record.summary())
            record.handled = False
            return self._respond(
                record, 400, {"message": f"fake Discord error: {exc!r}", "code": 0}
            )
        return self._respond(record, 204 if result is None else 200, result)

    def _match_route(self, method: str, path: str) -> tuple[_Handler, bool, dict[str, str]] | None:
        for route_method, pattern, handler, needs_auth in self._routes:
            match = pattern.fullmatch(path)
            if route_method == method and match:
                return handler, needs_auth, match.groupdict()
        return None

    async def _record(self, request: web.Request) -> RecordedRequest:
        path = request.path
        if path.startswith(API_PREFIX + "/"):
            path = path[len(API_PREFIX) :]
        body: Any = None
        files: list[RecordedFile] = []
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                name = getattr(part, "name", None) or ""
                if name == "payload_json":
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    data = await part.read()  # type: ignore[union-attr]
                    ctype = part.headers.get("Content-Type")
                    files.append(RecordedFile(name, getattr(part, "filename", None), ctype, data))
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                body = json.loads(raw) if request.content_type == "application/json" else raw
        return RecordedRequest(
            index=next(self._request_counter),
            method=request.method,
            path=path,
            query=dict(request.query),
            json=body,
            headers=dict(request.headers),
            files=files,
        )

    def _finish(self, record: RecordedRequest) -> None:
        self.requests.append(record)
        if not record.handled:
            self.unhandled_requests.append(record)
        self._changed()

    def _respond(self, record: RecordedRequest, status: int, body: Any) -> web.Response:
        record.status = status
        record.response = body
        self._finish(record)
        if status == 204 or body is None:
            return web.Response(status=status)
        # discord.py only parses JSON when the content type is exactly "application/json".
        return web.Response(
            status=status,
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )

    def _unhandled(self, record: RecordedRequest) -> web.Response:
        record.handled = False
        return self._respond(record, 404, {"message": "404: Not Found", "code": 0})

    def _check_auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise ApiError(401, 0, "401: Unauthorized")

    # ------------------------------------------------------------------ lookups

    def _guild_or_raise(self, guild_id: int) -> JSON:
        try:
            return self.guilds[int(guild_id)]
        except KeyError:
            raise _unknown("Guild", 10004) from None

    def _channel_or_raise(self, channel_id: int) -> JSON:
        try:
            return self.channels[int(channel_id)]
        except KeyError:
            raise _unknown("Channel", 10003) from None

    def _message_or_raise(self, channel_id: int, message_id: int) -> JSON:
        message = self.messages.get(int(message_id))
        if message is None or int(message["channel_id"]) != int(channel_id):
            raise _unknown("Message", 10008)
        return message

    def _member_role_ids(
        self, guild_id: int, user_id: int, roles: Sequence[int | JSON] | None
    ) -> set[int]:
        if roles is not None:
            return {_id_of(r) for r in roles}
        member = self.members.get((guild_id, user_id))
        return {int(r) for r in member["roles"]} if member else set()

    def _guild_id_of_channel(self, channel_id: int) -> int | None:
        channel = self.channels.get(int(channel_id))
        if channel is None or channel.get("guild_id") is None:
            return None
        return int(channel["guild_id"])

    def _require(self, channel_id: int, perms: int) -> None:
        """Raise 403 unless the bot has all ``perms`` in the channel."""
        if self._guild_id_of_channel(channel_id) is None:
            return
        have = self.channel_permissions(channel_id, self.application_id)
        if have & perms != perms:
            raise _missing_permissions()

    # ------------------------------------------------------------------ message building

    def _new_message(
        self,
        channel_id: int,
        author: JSON,
        *,
        body: JSON,
        files: Sequence[RecordedFile] = (),
        message_type: int = 0,
        extra: JSON | None = None,
    ) -> JSON:
        mid = self.new_id()
        message: JSON = {
            "id": str(mid),
            "type": message_type,
            "channel_id": str(channel_id),
            "author": author,
            "content": body.get("content") or "",
            "timestamp": iso_timestamp(snowflake_time(mid)),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(channel_id, body, files, existing=[]),
            "embeds": [_normalize_embed(e) for e in body.get("embeds") or []],
            "components": _number_components(body.get("components") or []),
            "pinned": False,
            "flags": int(body.get("flags") or 0),
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if body.get("poll"):
            message["poll"] = body["poll"]
        message.update(extra or {})
        return message

    def _store_message(self, message: JSON) -> JSON:
        mid = int(message["id"])
        self.messages[mid] = message
        self._message_order.append(mid)
        channel = self.channels.get(int(message["channel_id"]))
        if channel is not None:
            channel["last_message_id"] = message["id"]
        self._changed()
        return message

    def _attachments(
        self, channel_id: int, body: JSON, files: Sequence[RecordedFile], *, existing: list[JSON]
    ) -> list[JSON]:
        by_index: dict[int, RecordedFile] = {}
        for file in files:
            match = re.fullmatch(r"files\[(\d+)\]", file.field_name)
            if match:
                by_index[int(match.group(1))] = file
        declared = body.get("attachments")
        if declared is None:
            declared = [{"id": index} for index in sorted(by_index)]
        kept = {a["id"]: a for a in existing}
        result: list[JSON] = []
        for item in declared:
            key = str(item.get("id"))
            if key in kept:
                result.append(kept[key])
                continue
            part: RecordedFile | None = None
            if str(item.get("id")).isdigit():
                part = by_index.get(int(item["id"]))
            if part is None:
                continue
            aid = self.new_id()
            filename = item.get("filename") or part.filename or "file"
            url_path = f"/attachments/{channel_id}/{aid}/{filename}"
            self._attachment_data[url_path] = (part.content_type, part.data)
            url = f"http://127.0.0.1:{self.port}{url_path}"
            attachment: JSON = {
                "id": str(aid),
                "filename": filename,
                "size": len(part.data),
                "url": url,
                "proxy_url": url,
                "content_type": part.content_type,
            }
            if item.get("description"):
                attachment["description"] = item["description"]
            result.append(attachment)
        return result

    def _member_partial(self, guild_id: int, user_id: int) -> JSON | None:
        member = self.members.get((guild_id, user_id))
        if member is None:
            return None
        return {k: v for k, v in member.items() if k != "user"}

    def _message_event(self, message: JSON) -> JSON:
        """A message as the gateway sends it: with ``guild_id`` and ``member``."""
        event = dict(message)
        guild_id = self._guild_id_of_channel(int(message["channel_id"]))
        if guild_id is not None:
            event["guild_id"] = str(guild_id)
            if not message.get("webhook_id"):
                member = self._member_partial(guild_id, int(message["author"]["id"]))
                if member is not None:
                    event["member"] = member
            mentions = []
            for user in message.get("mentions", []):
                mentioned = dict(user)
                member = self._member_partial(guild_id, int(user["id"]))
                if member is not None:
                    mentioned["member"] = member
                mentions.append(mentioned)
            event["mentions"] = mentions
        return event

    async def _dispatch_message_event(self, event_name: str, message: JSON) -> None:
        if int(message.get("flags") or 0) & FLAG_EPHEMERAL:
            return  # ephemeral messages never reach the gateway
        from_bot = message["author"]["id"] == self.bot_user["id"]
        if from_bot and not self.echo_bot_messages:
            return
        guild_id = self._guild_id_of_channel(int(message["channel_id"]))
        payload = self._message_event(message) if event_name != "MESSAGE_DELETE" else message
        needed = Intent.GUILD_MESSAGES if guild_id is not None else Intent.DIRECT_MESSAGES
        for conn in self._connections_for(guild_id):
            if not conn.intents & needed:
                continue
            data = payload
            if event_name != "MESSAGE_DELETE" and not conn.intents & Intent.MESSAGE_CONTENT:
                data = self._redact(payload, guild_id)
            await conn.dispatch(event_name, data)

    def _redact(self, message: JSON, guild_id: int | None) -> JSON:
        """Blank the content fields like Discord does without the MESSAGE_CONTENT intent."""
        if guild_id is None or message["author"]["id"] == self.bot_user["id"]:
            return message
        if any(u["id"] == self.bot_user["id"] for u in message.get("mentions", [])):
            return message
        redacted = dict(message, content="", embeds=[], attachments=[], components=[])
        redacted.pop("poll", None)
        return redacted

    # ------------------------------------------------------------------ gateway

    def _live_connections(self) -> list[GatewayConnection]:
        return [c for c in self.connections if c.identified and not c.closed]

    def _connections_for(self, guild_id: int | None) -> list[GatewayConnection]:
        live = self._live_connections()
        if guild_id is None:
            return [c for c in live if c.shard_id == 0]
        return [c for c in live if (guild_id >> 22) % c.shard_count == c.shard_id]

    async def dispatch(self, event: str, data: Any, *, guild_id: int | None = None) -> None:
        """Send an arbitrary DISPATCH to the shard of ``guild_id`` (shard 0 if ``None``)."""
        connections = self._connections_for(guild_id)
        if not connections:
            raise RuntimeError(
                f"No identified gateway connection for guild {guild_id}: is the client running "
                "(use run_client) and did it finish connecting?"
            )
        for conn in connections:
            await conn.dispatch(event, data)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(
            ws=ws,
            compress=self.compress_gateway and request.query.get("compress") == "zlib-stream",
            session_id=secrets.token_hex(16),
        )
        self.connections.append(conn)
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"The fake only speaks JSON")
            return ws
        await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    break
                payload = json.loads(msg.data)
                conn.received.append(payload)
                self.gateway_payloads.append(payload)
                try:
                    await self._on_gateway_payload(conn, payload)
                except Exception:
                    _log.exception("fake Discord failed to handle gateway payload %r", payload)
                    self.unhandled_gateway_payloads.append(payload)
                self._changed()
        finally:
            conn.closed = True
            self._changed()
        return ws

    async def _on_gateway_payload(self, conn: GatewayConnection, payload: JSON) -> None:
        op = payload.get("op")
        data: Any = payload.get("d")
        if op == 1:
            await conn.send({"op": 11})
        elif op == 2:
            await self._identify(conn, data)
        elif op == 3:
            self.presence_updates.append(data)
        elif op == 6:
            await self._resume(conn, data)
        elif op == 8:
            await self._request_members(conn, data)
        else:
            self.unhandled_gateway_payloads.append(payload)

    async def _identify(self, conn: GatewayConnection, data: JSON) -> None:
        self.identifies.append(data)
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = data.get("intents")
        if intents is None:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        if int(intents) & PRIVILEGED_INTENTS & ~self.enabled_privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard_id, shard_count = data.get("shard") or [0, 1]
        if not 0 <= shard_id < shard_count:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        conn.shard_id, conn.shard_count, conn.intents = shard_id, shard_count, int(intents)
        guild_ids = [g for g in self.guilds if (g >> 22) % shard_count == shard_id]
        me = dict(self.bot_user, verified=True, mfa_enabled=False, email=None, flags=0)
        await conn.dispatch(
            "READY",
            {
                "v": 10,
                "user": me,
                "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
                "session_id": conn.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "shard": [shard_id, shard_count],
                "application": {"id": str(self.application_id), "flags": self.application_flags},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "user_settings": {},
                "auth": {},
                "_trace": ['["fake-discord",{"micros":0}]'],
            },
        )
        conn.identified = True
        for gid in guild_ids:
            await conn.dispatch("GUILD_CREATE", self._guild_create_payload(gid, conn))

    async def _resume(self, conn: GatewayConnection, data: JSON) -> None:
        previous = next(
            (
                c
                for c in self.connections
                if c.session_id == data.get("session_id") and c is not conn
            ),
            None,
        )
        if previous is None or data.get("token") != self.token:
            await conn.send({"op": 9, "d": False})
            return
        conn.session_id = previous.session_id
        conn.shard_id, conn.shard_count = previous.shard_id, previous.shard_count
        conn.intents, conn.sequence = previous.intents, previous.sequence
        conn.identified = True
        await conn.dispatch("RESUMED", {"_trace": []})

    async def _request_members(self, conn: GatewayConnection, data: JSON) -> None:
        guild_id = int(data["guild_id"])
        members = self.guild_members(guild_id)
        if data.get("user_ids"):
            ids = {int(u) for u in _as_list(data["user_ids"])}
            members = [m for m in members if int(m["user"]["id"]) in ids]
        elif data.get("query"):
            query = str(data["query"]).lower()
            members = [m for m in members if m["user"]["username"].lower().startswith(query)]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: JSON = {
            "guild_id": str(guild_id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        if data.get("presences"):
            chunk["presences"] = []
        await conn.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _guild_create_payload(self, guild_id: int, conn: GatewayConnection) -> JSON:
        guild = self.guilds[guild_id]
        members = self.guild_members(guild_id)
        if not conn.intents & Intent.GUILD_PRESENCES:
            members = [m for m in members if m["user"]["id"] == self.bot_user["id"]]
        bot_member = self.members[(guild_id, self.application_id)]
        return dict(
            guild,
            channels=self.guild_channels(guild_id),
            members=members,
            member_count=len(self.guild_members(guild_id)),
            joined_at=bot_member["joined_at"],
            large=False,
            unavailable=False,
            lazy=True,
            threads=[],
            voice_states=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )

    # ------------------------------------------------------------------ REST: misc

    async def _get_gateway(self, call: _Call) -> JSON:
        return {"url": self.gateway_url.rstrip("/")}

    async def _get_gateway_bot(self, call: _Call) -> JSON:
        return {
            "url": self.gateway_url.rstrip("/"),
            "shards": self.shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14_400_000,
                "max_concurrency": 1,
            },
        }

    async def _get_me(self, call: _Call) -> JSON:
        return dict(self.bot_user, verified=True, mfa_enabled=False, email=None, flags=0)

    async def _get_user(self, call: _Call) -> JSON:
        user = self.users.get(int(call.params["user_id"]))
        if user is None:
            raise _unknown("User", 10013)
        return user

    async def _create_dm(self, call: _Call) -> JSON:
        user = self.users.get(int(call.body["recipient_id"]))
        if user is None:
            raise _unknown("User", 10013)
        return self.dm_channel_for(user)

    async def _get_application(self, call: _Call) -> JSON:
        return {
            "id": str(self.application_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user,
            "owner": self.application_owner,
            "team": None,
            "verify_key": "0" * 64,
            "flags": self.application_flags,
            "hook": True,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}},
        }

    async def _typing(self, call: _Call) -> None:
        self._channel_or_raise(int(call.params["channel_id"]))

    async def _get_guild(self, call: _Call) -> JSON:
        guild_id = int(call.params["guild_id"])
        guild = self._guild_or_raise(guild_id)
        return dict(guild, approximate_member_count=len(self.guild_members(guild_id)))

    async def _get_guild_channels(self, call: _Call) -> list[JSON]:
        guild_id = int(call.params["guild_id"])
        self._guild_or_raise(guild_id)
        return self.guild_channels(guild_id)

    async def _get_guild_roles(self, call: _Call) -> list[JSON]:
        return list(self._guild_or_raise(int(call.params["guild_id"]))["roles"])

    async def _get_guild_member(self, call: _Call) -> JSON:
        member = self.members.get((int(call.params["guild_id"]), int(call.params["user_id"])))
        if member is None:
            raise _unknown("Member", 10007)
        return member

    # ------------------------------------------------------------------ REST: channels

    async def _get_channel(self, call: _Call) -> JSON:
        return self._channel_or_raise(int(call.params["channel_id"]))

    async def _get_messages(self, call: _Call) -> list[JSON]:
        channel_id = int(call.params["channel_id"])
        self._channel_or_raise(channel_id)
        self._require(channel_id, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        messages = self.channel_messages(channel_id)
        query = call.record.query
        if "before" in query:
            messages = [m for m in messages if int(m["id"]) < int(query["before"])]
        if "after" in query:
            messages = [m for m in messages if int(m["id"]) > int(query["after"])]
        limit = int(query.get("limit", 50))
        if "after" in query:
            return list(reversed(messages[:limit]))
        return list(reversed(messages[-limit:]))

    async def _get_message(self, call: _Call) -> JSON:
        channel_id = int(call.params["channel_id"])
        self._channel_or_raise(channel_id)
        self._require(channel_id, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        return self._message_or_raise(channel_id, int(call.params["message_id"]))

    async def _create_message(self, call: _Call) -> JSON:
        channel_id = int(call.params["channel_id"])
        channel = self._channel_or_raise(channel_id)
        body: JSON = call.body or {}
        self._require(channel_id, Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
        errs = _FormErrors()
        _validate_message_body(errs, body, ())
        extra: JSON = {}
        message_type = 0
        reference = body.get("message_reference")
        if reference:
            ref_type = int(reference.get("type") or 0)
            ref_id = int(reference["message_id"])
            ref_channel = int(reference.get("channel_id") or channel_id)
            referenced = self.messages.get(ref_id)
            if referenced is None or int(referenced["channel_id"]) != ref_channel:
                if reference.get("fail_if_not_exists", True):
                    errs.add(
                        ("message_reference",),
                        "REPLIES_UNKNOWN_MESSAGE",
                        "Unknown message",
                    )
                    errs.raise_if_any()
            elif ref_type == 0:
                self._require(channel_id, Perm.READ_MESSAGE_HISTORY)
                message_type = 19
                extra["referenced_message"] = referenced
                extra["message_reference"] = {
                    "type": 0,
                    "message_id": str(ref_id),
                    "channel_id": str(ref_channel),
                    **({"guild_id": channel["guild_id"]} if channel.get("guild_id") else {}),
                }
        errs.raise_if_any()
        if call.record.files:
            self._require(channel_id, Perm.ATTACH_FILES)
        message = self._new_message(
            channel_id,
            self.bot_user,
            body=body,
            files=call.record.files,
            message_type=message_type,
            extra=extra,
        )
        message["flags"] = int(message["flags"]) & ~FLAG_EPHEMERAL
        message["mentions"] = self._resolve_mentions(message["content"], body)
        if _is_empty_message(message):
            raise ApiError(400, 50006, "Cannot send an empty message")
        self._store_message(message)
        await self._dispatch_message_event("MESSAGE_CREATE", message)
        return message

    def _resolve_mentions(self, content: str, body: JSON) -> list[JSON]:
        """Users mentioned in ``content`` that ``allowed_mentions`` lets through."""
        allowed = body.get("allowed_mentions")
        ids = [int(x) for x in re.findall(r"<@!?(\d+)>", content)]
        if allowed is not None:
            explicit = {int(x) for x in allowed.get("users") or []}
            if "users" not in (allowed.get("parse") or []):
                ids = [i for i in ids if i in explicit]
        return [self.users[i] for i in dict.fromkeys(ids) if i in self.users]

    async def _edit_message(self, call: _Call) -> JSON:
        channel_id = int(call.params["channel_id"])
        self._channel_or_raise(channel_id)
        message = self._message_or_raise(channel_id, int(call.params["message_id"]))
        body: JSON = call.body or {}
        if message["author"]["id"] != self.bot_user["id"]:
            if set(body) - {"flags"}:
                raise ApiError(403, 50005, "Cannot edit a message authored by another user")
            self._require(channel_id, Perm.MANAGE_MESSAGES)
        return await self._apply_edit(message, body, call.record.files)

    async def _apply_edit(
        self,
        message: JSON,
        body: JSON,
        files: Sequence[RecordedFile],
        *,
        loading_done: bool = False,
    ) -> JSON:
        errs = _FormErrors()
        _validate_message_body(errs, body, ())
        errs.raise_if_any()
        updated = dict(message)
        if "content" in body:
            updated["content"] = body["content"] or ""
            updated["mentions"] = self._resolve_mentions(updated["content"], body)
        if "embeds" in body:
            updated["embeds"] = [_normalize_embed(e) for e in body["embeds"] or []]
        if "components" in body:
            updated["components"] = _number_components(body["components"] or [])
        if "attachments" in body or files:
            updated["attachments"] = self._attachments(
                int(message["channel_id"]), body, files, existing=message.get("attachments", [])
            )
        if "flags" in body and body["flags"] is not None:
            keep = int(message["flags"]) & (FLAG_EPHEMERAL | FLAG_COMPONENTS_V2)
            updated["flags"] = (int(body["flags"]) & FLAG_SUPPRESS_EMBEDS) | keep
        if loading_done:
            updated["flags"] = int(updated["flags"]) & ~FLAG_LOADING
        if _is_empty_message(updated) and not int(updated["flags"]) & FLAG_LOADING:
            raise ApiError(400, 50006, "Cannot send an empty message")
        updated["edited_timestamp"] = None if loading_done else iso_timestamp()
        self.messages[int(message["id"])] = updated
        self._changed()
        await self._dispatch_message_event("MESSAGE_UPDATE", updated)
        return updated

    async def _delete_message(self, call: _Call) -> None:
        channel_id = int(call.params["channel_id"])
        self._channel_or_raise(channel_id)
        message = self._message_or_raise(channel_id, int(call.params["message_id"]))
        if message["author"]["id"] != self.bot_user["id"]:
            self._require(channel_id, Perm.MANAGE_MESSAGES)
        await self._remove_message(message)

    async def _remove_message(self, message: JSON) -> None:
        mid = int(message["id"])
        self.messages.pop(mid, None)
        self.deleted_message_ids.append(mid)
        self._changed()
        if int(message.get("flags") or 0) & FLAG_EPHEMERAL:
            return
        if message["author"]["id"] == self.bot_user["id"] and not self.echo_bot_messages:
            return
        data: JSON = {"id": message["id"], "channel_id": message["channel_id"]}
        guild_id = self._guild_id_of_channel(int(message["channel_id"]))
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        needed = Intent.GUILD_MESSAGES if guild_id is not None else Intent.DIRECT_MESSAGES
        for conn in self._connections_for(guild_id):
            if conn.intents & needed:
                await conn.dispatch("MESSAGE_DELETE", data)

    async def _add_reaction(self, call: _Call) -> None:
        channel_id = int(call.params["channel_id"])
        self._channel_or_raise(channel_id)
        message = self._message_or_raise(channel_id, int(call.params["message_id"]))
        self._require(channel_id, Perm.READ_MESSAGE_HISTORY | Perm.ADD_REACTIONS)
        emoji = _parse_emoji(call.params["emoji"])
        reactions = message.setdefault("reactions", [])
        for reaction in reactions:
            if reaction["emoji"] == emoji:
                if not reaction["me"]:
                    reaction["me"] = True
                    reaction["count"] += 1
                    reaction["count_details"]["normal"] += 1
                break
        else:
            reactions.append(
                {
                    "emoji": emoji,
                    "count": 1,
                    "count_details": {"burst": 0, "normal": 1},
                    "me": True,
                    "me_burst": False,
                    "burst_colors": [],
                }
            )
        self._changed()

    async def _remove_reaction(self, call: _Call) -> None:
        channel_id = int(call.params["channel_id"])
        message = self._message_or_raise(channel_id, int(call.params["message_id"]))
        emoji = _parse_emoji(call.params["emoji"])
        for reaction in list(message.get("reactions", [])):
            if reaction["emoji"] == emoji and reaction["me"]:
                reaction["me"] = False
                reaction["count"] -= 1
                reaction["count_details"]["normal"] -= 1
                if reaction["count"] <= 0:
                    message["reactions"].remove(reaction)
        self._changed()

    # ------------------------------------------------------------------ REST: commands

    def _command_scope(self, call: _Call) -> int | None:
        if int(call.params["application_id"]) != self.application_id:
            raise ApiError(403, 50001, "Missing Access")
        guild_id = call.params.get("guild_id")
        if guild_id is not None:
            self._guild_or_raise(int(guild_id))
            return int(guild_id)
        return None

    def _stored_command(self, definition: JSON, scope: int | None, previous: list[JSON]) -> JSON:
        ctype = int(definition.get("type") or 1)
        old = next(
            (c for c in previous if c["name"] == definition["name"] and c["type"] == ctype), None
        )
        command: JSON = {
            "id": old["id"] if old else str(self.new_id()),
            "application_id": str(self.application_id),
            "version": str(self.new_id()),
            "type": ctype,
            "name": definition["name"],
            "description": definition.get("description") or "",
            "options": definition.get("options") or [],
            "default_member_permissions": definition.get("default_member_permissions"),
            "dm_permission": definition.get("dm_permission", True),
            "nsfw": bool(definition.get("nsfw", False)),
            "contexts": definition.get("contexts"),
            "integration_types": definition.get("integration_types") or [0],
            "name_localizations": definition.get("name_localizations"),
            "description_localizations": definition.get("description_localizations"),
        }
        if scope is not None:
            command["guild_id"] = str(scope)
        return command

    async def _get_commands(self, call: _Call) -> list[JSON]:
        return list(self.commands.get(self._command_scope(call), []))

    async def _put_commands(self, call: _Call) -> list[JSON]:
        scope = self._command_scope(call)
        definitions = call.body or []
        _validate_commands(definitions)
        previous = self.commands.get(scope, [])
        self.commands[scope] = [self._stored_command(d, scope, previous) for d in definitions]
        self._changed()
        return self.commands[scope]

    async def _create_command(self, call: _Call) -> JSON:
        scope = self._command_scope(call)
        _validate_commands([call.body])
        previous = self.commands.get(scope, [])
        command = self._stored_command(call.body, scope, previous)
        self.commands[scope] = [c for c in previous if c["id"] != command["id"]] + [command]
        self._changed()
        return command

    def _command_by_id(self, call: _Call) -> tuple[int | None, JSON]:
        scope = self._command_scope(call)
        for command in self.commands.get(scope, []):
            if command["id"] == call.params["command_id"]:
                return scope, command
        raise _unknown("application command", 10063)

    async def _get_command(self, call: _Call) -> JSON:
        return self._command_by_id(call)[1]

    async def _edit_command(self, call: _Call) -> JSON:
        _, command = self._command_by_id(call)
        merged = dict(command, **(call.body or {}))
        _validate_commands([merged])
        command.update(merged)
        return command

    async def _delete_command(self, call: _Call) -> None:
        scope, command = self._command_by_id(call)
        self.commands[scope].remove(command)

    # ------------------------------------------------------------------ REST: interactions

    def _interaction_for_token(self, application_id: str, token: str) -> FakeInteraction:
        interaction = self._interactions_by_token.get(token)
        if (
            interaction is None
            or int(application_id) != self.application_id
            or time.monotonic() - interaction.created_at > INTERACTION_TOKEN_LIFETIME
        ):
            raise _unknown("Webhook", 10015)
        return interaction

    async def _interaction_callback(self, call: _Call) -> JSON | None:
        interaction = self.interactions.get(int(call.params["interaction_id"]))
        if interaction is None or interaction.token != call.params["token"]:
            raise _unknown("interaction", 10062)
        if interaction.acknowledged:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if (
            self.ack_deadline is not None
            and time.monotonic() - interaction.created_at > self.ack_deadline
        ):
            raise _unknown("interaction", 10062)
        body: JSON = call.body or {}
        callback_type = int(body.get("type", 0))
        if callback_type not in _ALLOWED_CALLBACKS.get(interaction.type, frozenset()):
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": f"Response type {callback_type} is not valid for "
                                f"interaction type {interaction.type}.",
                            }
                        ]
                    }
                },
            )
        data: JSON = body.get("data") or {}
        errs = _FormErrors()
        message: JSON | None = None
        component_message: JSON | None = interaction.payload.get("message")
        updates = (CALLBACK_UPDATE_MESSAGE, CALLBACK_DEFERRED_UPDATE_MESSAGE)
        if callback_type in updates and component_message is None:
            raise ApiError(400, 40063, "This interaction has no message to update.")
        if callback_type == CALLBACK_CHANNEL_MESSAGE:
            _validate_message_body(errs, data, ("data",))
            errs.raise_if_any()
            message = self._interaction_message(interaction, data, call.record.files)
            if _is_empty_message(message):
                raise ApiError(400, 50006, "Cannot send an empty message")
        elif callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._interaction_message(interaction, {"flags": flags}, ())
            interaction.fill_loading_on_followup = True
        elif callback_type == CALLBACK_AUTOCOMPLETE_RESULT:
            _validate_choices(errs, data.get("choices"))
            errs.raise_if_any()
        elif callback_type == CALLBACK_MODAL:
            _validate_modal(errs, data)
            errs.raise_if_any()
            interaction.modal = data
            self.modals[str(data["custom_id"])] = data
        interaction.callback_type = callback_type
        if message is not None:
            self._store_message(message)
            interaction.original_message_id = int(message["id"])
            await self._dispatch_message_event("MESSAGE_CREATE", message)
        elif callback_type in (CALLBACK_UPDATE_MESSAGE, CALLBACK_DEFERRED_UPDATE_MESSAGE):
            assert component_message is not None
            interaction.original_message_id = int(component_message["id"])
            if callback_type == CALLBACK_UPDATE_MESSAGE:
                current = self.messages.get(int(component_message["id"]), component_message)
                message = await self._apply_edit(current, data, call.record.files)
        reply = InteractionReply("callback", body, message)
        interaction.responses.append(reply)
        self._changed()
        if call.record.query.get("with_response") not in ("1", "true", "True"):
            return None
        result: JSON = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "activity_instance_id": None,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(
                    message and int(message["flags"]) & FLAG_EPHEMERAL
                ),
            },
            "resource": {"type": callback_type},
        }
        if message is not None:
            result["resource"]["message"] = message
        return result

    def _interaction_message(
        self, interaction: FakeInteraction, data: JSON, files: Sequence[RecordedFile]
    ) -> JSON:
        payload = interaction.payload
        channel_id = int(payload["channel"]["id"])
        command_type = (payload.get("data") or {}).get("type")
        if interaction.type == INTERACTION_APPLICATION_COMMAND:
            message_type = 20 if command_type in (None, 1) else 23
        else:
            message_type = 0
        user = interaction.user
        metadata: JSON = {
            "id": str(interaction.id),
            "type": interaction.type,
            "user": user,
            "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
        }
        extra: JSON = {
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": metadata,
        }
        if interaction.type == INTERACTION_APPLICATION_COMMAND:
            name = (payload.get("data") or {}).get("name")
            metadata["name"] = name
            extra["interaction"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "name": name,
                "user": user,
            }
        message = self._new_message(
            channel_id,
            self.bot_user,
            body=data,
            files=files,
            message_type=message_type,
            extra=extra,
        )
        message["flags"] = int(data.get("flags") or 0)
        message["mentions"] = self._resolve_mentions(message["content"], data)
        return message

    async def _create_followup(self, call: _Call) -> JSON | None:
        interaction = self._interaction_for_token(
            call.params["application_id"], call.params["token"]
        )
        if not interaction.acknowledged or interaction.callback_type in (
            CALLBACK_AUTOCOMPLETE_RESULT,
            CALLBACK_MODAL,
        ):
            raise _unknown("Webhook", 10015)
        body: JSON = call.body or {}
        errs = _FormErrors()
        _validate_message_body(errs, body, ())
        errs.raise_if_any()
        if interaction.fill_loading_on_followup and interaction.original_message_id is not None:
            # The first follow-up after a "thinking" defer replaces the loading message; it
            # keeps the ephemerality chosen when deferring.
            interaction.fill_loading_on_followup = False
            loading = self.messages[interaction.original_message_id]
            edit = {k: v for k, v in body.items() if k != "flags"}
            edit.setdefault("content", "")
            message = await self._apply_edit(loading, edit, call.record.files, loading_done=True)
        else:
            message = self._interaction_message(interaction, body, call.record.files)
            if _is_empty_message(message):
                raise ApiError(400, 50006, "Cannot send an empty message")
            self._store_message(message)
            await self._dispatch_message_event("MESSAGE_CREATE", message)
        interaction.responses.append(InteractionReply("followup", body, message))
        self._changed()
        if call.record.query.get("wait") in ("true", "True", "1"):
            return message
        return None

    def _webhook_message(self, interaction: FakeInteraction, message_id: str) -> JSON:
        if message_id == "@original":
            if interaction.original_message_id is None:
                raise _unknown("Message", 10008)
            mid = interaction.original_message_id
        else:
            mid = int(message_id)
            if not any(
                r.message is not None and int(r.message["id"]) == mid for r in interaction.responses
            ):
                raise _unknown("Message", 10008)
        message = self.messages.get(mid)
        if message is None:
            raise _unknown("Message", 10008)
        return message

    async def _get_webhook_msg(self, call: _Call) -> JSON:
        interaction = self._interaction_for_token(
            call.params["application_id"], call.params["token"]
        )
        return self._webhook_message(interaction, call.params["message_id"])

    async def _edit_webhook_msg(self, call: _Call) -> JSON:
        interaction = self._interaction_for_token(
            call.params["application_id"], call.params["token"]
        )
        message = self._webhook_message(interaction, call.params["message_id"])
        is_original = call.params["message_id"] == "@original"
        loading = bool(int(message["flags"]) & FLAG_LOADING)
        if loading and is_original:
            interaction.fill_loading_on_followup = False
        updated = await self._apply_edit(
            message, call.body or {}, call.record.files, loading_done=loading
        )
        kind = "edit_original" if is_original else "edit_followup"
        interaction.responses.append(InteractionReply(kind, call.body, updated))
        self._changed()
        return updated

    async def _delete_webhook_msg(self, call: _Call) -> None:
        interaction = self._interaction_for_token(
            call.params["application_id"], call.params["token"]
        )
        message = self._webhook_message(interaction, call.params["message_id"])
        await self._remove_message(message)
        kind = "delete_original" if call.params["message_id"] == "@original" else "delete_followup"
        interaction.responses.append(InteractionReply(kind, None, message))
        self._changed()

    # ------------------------------------------------------------------ driving: messages

    async def send_message(
        self,
        content: str = "",
        *,
        channel_id: int | None = None,
        author: JSON | None = None,
        guild_id: int | None = None,
        mentions: Sequence[JSON] = (),
        mention_roles: Sequence[int | JSON] = (),
        referenced_message: JSON | int | None = None,
        embeds: Sequence[JSON] = (),
        attachments: Sequence[JSON] = (),
    ) -> JSON:
        """A user posts a message: dispatch MESSAGE_CREATE and return the message.

        Defaults: :attr:`channel` and :attr:`user`. Authors that are not yet members of the
        channel's guild are added as members. ``guild_id`` is only a consistency check.
        """
        channel = self._channel_or_raise(channel_id or int(self.channel["id"]))
        cid = int(channel["id"])
        channel_guild = self._guild_id_of_channel(cid)
        if guild_id is not None and guild_id != channel_guild:
            raise ValueError(f"channel {cid} is not in guild {guild_id}")
        author = author or self.user
        if channel_guild is not None and (channel_guild, int(author["id"])) not in self.members:
            self.add_member(channel_guild, author)
        extra: JSON = {
            "mentions": list(mentions),
            "mention_roles": [str(_id_of(r)) for r in mention_roles],
        }
        message_type = 0
        if referenced_message is not None:
            ref_id = _id_of(referenced_message)
            referenced = self.messages.get(ref_id)
            if referenced is None:
                raise ValueError(f"unknown referenced message {ref_id}")
            message_type = 19
            extra["referenced_message"] = referenced
            extra["message_reference"] = {
                "type": 0,
                "message_id": referenced["id"],
                "channel_id": referenced["channel_id"],
                **({"guild_id": str(channel_guild)} if channel_guild else {}),
            }
        body = {"content": content, "embeds": list(embeds)}
        message = self._new_message(cid, author, body=body, message_type=message_type, extra=extra)
        message["attachments"] = list(attachments)
        self._store_message(message)
        await self._dispatch_message_event("MESSAGE_CREATE", message)
        return self._message_event(message)

    async def send_dm(self, content: str, *, author: JSON | None = None) -> JSON:
        """A user DMs the bot: dispatch MESSAGE_CREATE in their DM channel; return it.

        The bot only receives it with the ``dm_messages`` intent, like on Discord.
        """
        author = author or self.user
        channel = self.dm_channel_for(author)
        return await self.send_message(content, channel_id=int(channel["id"]), author=author)

    # ------------------------------------------------------------------ driving: interactions

    def _find_command(
        self, name: str, command_type: int, guild_id: int | None
    ) -> tuple[JSON | None, int | None]:
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command["type"] == command_type:
                    return command, scope
        if self.require_registered_commands:
            raise ValueError(f"the bot never registered the command {name!r} (type {command_type})")
        return None, None

    def _build_interaction(
        self,
        interaction_type: int,
        data: JSON,
        *,
        user: JSON | None,
        channel_id: int | None,
        dm: bool,
        roles: Sequence[int | JSON] | None,
        member_permissions: int | None,
        message: JSON | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        user = user or self.user
        iid = self.new_id()
        token = "fake-" + secrets.token_urlsafe(32)
        if dm:
            channel = self.dm_channel_for(user)
        else:
            channel = self._channel_or_raise(channel_id or int(self.channel["id"]))
        cid = int(channel["id"])
        guild_id = self._guild_id_of_channel(cid)
        payload: JSON = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "token": token,
            "version": 1,
            "channel_id": str(cid),
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "app_permissions": str(self.channel_permissions(cid, self.application_id)),
        }
        if data:
            payload["data"] = data
        if message is not None:
            payload["message"] = message
        if guild_id is not None:
            uid = int(user["id"])
            if (guild_id, uid) not in self.members:
                self.add_member(guild_id, user, roles=roles or ())
            member = dict(self.members[(guild_id, uid)])
            if roles is not None:
                member["roles"] = [str(_id_of(r)) for r in roles]
            perms = member_permissions
            if perms is None:
                perms = self.channel_permissions(cid, uid, roles)
            member["permissions"] = str(int(perms))
            payload["member"] = member
            payload["guild_id"] = str(guild_id)
            guild = self.guilds[guild_id]
            payload["guild"] = {
                "id": str(guild_id),
                "locale": guild["preferred_locale"],
                "features": guild["features"],
            }
            payload["guild_locale"] = guild["preferred_locale"]
            payload["channel"] = dict(channel, permissions=str(int(perms)))
            payload["authorizing_integration_owners"] = {"0": str(guild_id)}
            payload["context"] = 0
        else:
            payload["user"] = user
            payload["channel"] = dict(channel, permissions=str(DEFAULT_EVERYONE_PERMISSIONS))
            payload["authorizing_integration_owners"] = {"0": "0"}
            payload["context"] = 1
        interaction = FakeInteraction(
            id=iid,
            token=token,
            type=interaction_type,
            payload=payload,
            created_at=time.monotonic(),
        )
        self.interactions[iid] = interaction
        self.interaction_responses[iid] = interaction.responses
        self._interactions_by_token[token] = interaction
        return interaction

    async def _send_interaction(self, interaction: FakeInteraction) -> FakeInteraction:
        guild_id = interaction.payload.get("guild_id")
        await self.dispatch(
            "INTERACTION_CREATE",
            interaction.payload,
            guild_id=int(guild_id) if guild_id else None,
        )
        return interaction

    def _option_payloads(
        self,
        values: Mapping[str, Any],
        schema: list[JSON] | None,
        resolved: JSON,
        guild_id: int | None,
        *,
        focused: str | None = None,
        check_required: bool = True,
    ) -> list[JSON]:
        by_name = {o["name"]: o for o in schema or []}
        if schema is not None:
            unknown = set(values) - set(by_name)
            if unknown:
                raise ValueError(f"unknown option(s) {sorted(unknown)}; known: {sorted(by_name)}")
            if check_required:
                missing = [
                    o["name"] for o in schema if o.get("required") and o["name"] not in values
                ]
                if missing:
                    raise ValueError(f"missing required option(s) {missing}")
        options: list[JSON] = []
        for name, value in values.items():
            spec = by_name.get(name)
            if (
                isinstance(value, dict)
                and set(value) <= {"type", "value", "focused"}
                and "type" in value
            ):
                option = {"name": name, **value}
            else:
                otype = int(spec["type"]) if spec else _infer_option_type(value)
                option = {
                    "name": name,
                    "type": otype,
                    "value": self._option_value(
                        otype, value, resolved, guild_id, raw=name == focused
                    ),
                }
            if spec and spec.get("choices") and name != focused:
                allowed = [c["value"] for c in spec["choices"]]
                if option["value"] not in allowed:
                    raise ValueError(f"{option['value']!r} is not a choice of {name!r}: {allowed}")
            if name == focused:
                option["focused"] = True
            options.append(option)
        return options

    def _option_value(
        self, otype: int, value: Any, resolved: JSON, guild_id: int | None, *, raw: bool
    ) -> Any:
        if raw:
            return str(value)
        if otype == OPT_STRING:
            return str(value)
        if otype == OPT_INTEGER:
            return int(value)
        if otype == OPT_NUMBER:
            return float(value)
        if otype == OPT_BOOLEAN:
            return bool(value)
        if otype in (OPT_USER, OPT_MENTIONABLE) and (
            (isinstance(value, dict) and "username" in value)
            or (not isinstance(value, dict) and int(value) in self.users)
        ):
            user = value if isinstance(value, dict) else self.users[int(value)]
            resolved.setdefault("users", {})[user["id"]] = user
            if guild_id is not None:
                member = self._member_partial(guild_id, int(user["id"]))
                if member is not None:
                    perms = self.base_permissions(guild_id, int(user["id"]))
                    resolved.setdefault("members", {})[user["id"]] = dict(
                        member, permissions=str(perms)
                    )
            return user["id"]
        if otype in (OPT_ROLE, OPT_MENTIONABLE):
            role_id = _id_of(value)
            role = value if isinstance(value, dict) else None
            if role is None and guild_id is not None:
                role = next(
                    (r for r in self.guilds[guild_id]["roles"] if int(r["id"]) == role_id), None
                )
            if role is None:
                raise ValueError(f"unknown role {role_id}")
            resolved.setdefault("roles", {})[role["id"]] = role
            return role["id"]
        if otype == OPT_CHANNEL:
            channel = value if isinstance(value, dict) else self._channel_or_raise(int(value))
            partial = {
                k: channel.get(k) for k in ("id", "name", "type", "parent_id", "guild_id", "flags")
            }
            partial["permissions"] = str(ALL_PERMISSIONS)
            resolved.setdefault("channels", {})[channel["id"]] = partial
            return channel["id"]
        return value

    async def invoke_slash(
        self,
        name: str,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        options: Mapping[str, Any] | None = None,
        user: JSON | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user runs ``/name [group] [subcommand] option:value...`` (INTERACTION_CREATE type 2).

        Option types come from the command the bot registered (``PUT .../commands``), else they
        are inferred from the Python values (str, int, float, bool, user/role/channel dicts).
        A ``{"type": N, "value": V}`` dict is sent as is. ``roles``/``member_permissions``
        override the invoking member's roles/permissions for this interaction only.
        """
        return await self._invoke_chat_input(
            INTERACTION_APPLICATION_COMMAND,
            name,
            subcommand=subcommand,
            group=group,
            options=options or {},
            focused=None,
            user=user,
            channel_id=channel_id,
            dm=dm,
            roles=roles,
            member_permissions=member_permissions,
            locale=locale,
        )

    async def invoke_autocomplete(
        self,
        name: str,
        *,
        focused: str,
        subcommand: str | None = None,
        group: str | None = None,
        options: Mapping[str, Any] | None = None,
        user: JSON | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user types into option ``focused`` (INTERACTION_CREATE type 4).

        ``options[focused]`` is the partial text typed so far (default ``""``), sent as a string.
        """
        values = dict(options or {})
        values.setdefault(focused, "")
        return await self._invoke_chat_input(
            INTERACTION_AUTOCOMPLETE,
            name,
            subcommand=subcommand,
            group=group,
            options=values,
            focused=focused,
            user=user,
            channel_id=channel_id,
            dm=dm,
            roles=roles,
            member_permissions=member_permissions,
            locale=locale,
        )

    async def _invoke_chat_input(
        self,
        interaction_type: int,
        name: str,
        *,
        subcommand: str | None,
        group: str | None,
        options: Mapping[str, Any],
        focused: str | None,
        user: JSON | None,
        channel_id: int | None,
        dm: bool,
        roles: Sequence[int | JSON] | None,
        member_permissions: int | None,
        locale: str,
    ) -> FakeInteraction:
        if group is not None and subcommand is None:
            raise ValueError("a subcommand group needs a subcommand")
        guild_id = None if dm else self._guild_id_of_channel(channel_id or int(self.channel["id"]))
        command, scope = self._find_command(name, 1, guild_id)
        schema: list[JSON] | None = command.get("options") or [] if command else None
        for level_name in (group, subcommand):
            if level_name is None or schema is None:
                continue
            node = next((o for o in schema if o["name"] == level_name), None)
            if node is None:
                raise ValueError(f"/{name} has no subcommand (group) {level_name!r}")
            schema = node.get("options") or []
        resolved: JSON = {}
        leaf = self._option_payloads(
            options,
            schema,
            resolved,
            guild_id,
            focused=focused,
            check_required=interaction_type != INTERACTION_AUTOCOMPLETE,
        )
        if focused is not None and focused not in options:
            raise ValueError(f"focused option {focused!r} has no value")
        tree: list[JSON] = leaf
        if subcommand is not None:
            tree = [{"type": OPT_SUB_COMMAND, "name": subcommand, "options": leaf}]
        if group is not None:
            tree = [{"type": OPT_SUB_COMMAND_GROUP, "name": group, "options": tree}]
        data: JSON = {
            "id": command["id"] if command else str(self.new_id()),
            "name": name,
            "type": 1,
            "options": tree,
        }
        if resolved:
            data["resolved"] = resolved
        if scope is not None:
            data["guild_id"] = str(scope)
        interaction = self._build_interaction(
            interaction_type,
            data,
            user=user,
            channel_id=channel_id,
            dm=dm,
            roles=roles,
            member_permissions=member_permissions,
            locale=locale,
        )
        return await self._send_interaction(interaction)

    async def invoke_message_command(
        self,
        name: str,
        *,
        target_message: JSON | int,
        user: JSON | None = None,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user runs the message context menu ``name`` on ``target_message`` (data.type 3)."""
        target = self.messages.get(_id_of(target_message))
        if target is None:
            raise ValueError(f"unknown target message {_id_of(target_message)}")
        cid = int(target["channel_id"])
        guild_id = self._guild_id_of_channel(cid)
        command, scope = self._find_command(name, 3, guild_id)
        data: JSON = {
            "id": command["id"] if command else str(self.new_id()),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: self._message_event(target)}},
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        interaction = self._build_interaction(
            INTERACTION_APPLICATION_COMMAND,
            data,
            user=user,
            channel_id=cid,
            dm=guild_id is None,
            roles=roles,
            member_permissions=member_permissions,
            locale=locale,
        )
        return await self._send_interaction(interaction)

    async def invoke_user_command(
        self,
        name: str,
        *,
        target_user: JSON,
        user: JSON | None = None,
        channel_id: int | None = None,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user runs the user context menu ``name`` on ``target_user`` (data.type 2)."""
        guild_id = self._guild_id_of_channel(channel_id or int(self.channel["id"]))
        command, scope = self._find_command(name, 2, guild_id)
        resolved: JSON = {}
        self._option_value(OPT_USER, target_user, resolved, guild_id, raw=False)
        data: JSON = {
            "id": command["id"] if command else str(self.new_id()),
            "name": name,
            "type": 2,
            "target_id": target_user["id"],
            "resolved": resolved,
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        interaction = self._build_interaction(
            INTERACTION_APPLICATION_COMMAND,
            data,
            user=user,
            channel_id=channel_id,
            dm=False,
            roles=roles,
            member_permissions=member_permissions,
            locale=locale,
        )
        return await self._send_interaction(interaction)

    def _find_component(self, message: JSON, custom_id: str) -> JSON:
        def walk(items: Iterable[JSON]) -> Iterable[JSON]:
            for item in items:
                yield item
                yield from walk(item.get("components") or [])
                for key in ("component", "accessory"):
                    if item.get(key):
                        yield from walk([item[key]])

        found = [c for c in walk(message.get("components") or []) if c.get("custom_id")]
        for component in found:
            if component["custom_id"] == custom_id:
                if component.get("disabled"):
                    raise ValueError(f"component {custom_id!r} is disabled")
                return component
        raise ValueError(
            f"message {message['id']} has no component {custom_id!r}; it has "
            f"{[c['custom_id'] for c in found]}"
        )

    def _current_message(self, message: JSON | int) -> JSON:
        current = self.messages.get(_id_of(message))
        if current is None:
            raise ValueError(f"unknown (or deleted) message {_id_of(message)}")
        return current

    async def click_button(
        self,
        custom_id: str,
        *,
        message: JSON | int,
        user: JSON | None = None,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user clicks the button ``custom_id`` on ``message`` (type 3, component_type 2).

        Raises ``ValueError`` if the (current version of the) message has no such enabled button.
        """
        current = self._current_message(message)
        component = self._find_component(current, custom_id)
        if component.get("type") != 2:
            raise ValueError(f"component {custom_id!r} is not a button")
        data: JSON = {"custom_id": custom_id, "component_type": 2}
        if component.get("id") is not None:
            data["id"] = component["id"]
        return await self._component_interaction(
            current, data, user, roles, member_permissions, locale
        )

    async def select_option(
        self,
        custom_id: str,
        values: Sequence[str],
        *,
        message: JSON | int,
        user: JSON | None = None,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user picks ``values`` in the select menu ``custom_id`` on ``message`` (type 3)."""
        current = self._current_message(message)
        component = self._find_component(current, custom_id)
        ctype = int(component.get("type", 0))
        if ctype not in _SELECT_TYPES:
            raise ValueError(f"component {custom_id!r} is not a select menu")
        if ctype == 3:
            known = [o["value"] for o in component.get("options") or []]
            unknown = [v for v in values if v not in known]
            if unknown:
                raise ValueError(f"{unknown} are not options of {custom_id!r}: {known}")
        low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
        if not low <= len(values) <= high:
            raise ValueError(f"{custom_id!r} accepts {low}..{high} values, got {len(values)}")
        data: JSON = {"custom_id": custom_id, "component_type": ctype, "values": list(values)}
        if component.get("id") is not None:
            data["id"] = component["id"]
        return await self._component_interaction(
            current, data, user, roles, member_permissions, locale
        )

    async def _component_interaction(
        self,
        message: JSON,
        data: JSON,
        user: JSON | None,
        roles: Sequence[int | JSON] | None,
        member_permissions: int | None,
        locale: str,
    ) -> FakeInteraction:
        cid = int(message["channel_id"])
        interaction = self._build_interaction(
            INTERACTION_COMPONENT,
            data,
            user=user,
            channel_id=cid,
            dm=self._guild_id_of_channel(cid) is None,
            roles=roles,
            member_permissions=member_permissions,
            message=message,
            locale=locale,
        )
        return await self._send_interaction(interaction)

    async def submit_modal(
        self,
        custom_id: str,
        values: Mapping[str, Any],
        *,
        opened_by: FakeInteraction | None = None,
        user: JSON | None = None,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user submits the modal ``custom_id`` the bot opened (type 5 MODAL_SUBMIT).

        ``values`` maps each input's custom_id to what the user entered: a string for text
        inputs and radio groups, a list of strings for selects/checkbox groups/file uploads, a
        bool for checkboxes. The submitted components mirror the layout the bot sent (action
        rows with text inputs, or label components). Raises ``ValueError`` if the bot never
        opened that modal, for unknown inputs, or for values the Discord client would refuse
        (missing required input, length out of bounds). User and channel default to the
        interaction that opened the modal.
        """
        opener = opened_by
        if opener is None:
            opener = next(
                (
                    i
                    for i in reversed(self.interactions.values())
                    if i.modal is not None and i.modal.get("custom_id") == custom_id
                ),
                None,
            )
        if opener is None or opener.modal is None:
            raise ValueError(f"the bot never opened a modal with custom_id {custom_id!r}")
        modal = opener.modal
        remaining = dict(values)
        components = self._modal_components(modal.get("components") or [], remaining)
        if remaining:
            raise ValueError(f"modal {custom_id!r} has no input(s) {sorted(remaining)}")
        data: JSON = {"custom_id": custom_id, "components": components}
        opener_channel = int(opener.payload["channel"]["id"])
        interaction = self._build_interaction(
            INTERACTION_MODAL_SUBMIT,
            data,
            user=user or opener.user,
            channel_id=opener_channel,
            dm=self._guild_id_of_channel(opener_channel) is None,
            roles=roles,
            member_permissions=member_permissions,
            message=opener.payload.get("message"),
            locale=locale,
        )
        return await self._send_interaction(interaction)

    def _modal_components(self, components: list[JSON], values: dict[str, Any]) -> list[JSON]:
        result: list[JSON] = []
        for component in components:
            ctype = component.get("type")
            if ctype == 1:
                inner = self._modal_components(component.get("components") or [], values)
                result.append({"type": 1, "id": component.get("id"), "components": inner})
            elif ctype == 18:
                inner = self._modal_components([component["component"]], values)
                result.append({"type": 18, "id": component.get("id"), "component": inner[0]})
            elif ctype == 10:
                result.append({"type": 10, "id": component.get("id")})
            elif component.get("custom_id") is not None:
                result.append(self._modal_leaf(component, values))
        return result

    def _modal_leaf(self, component: JSON, values: dict[str, Any]) -> JSON:
        custom_id = component["custom_id"]
        ctype = int(component["type"])
        leaf: JSON = {"type": ctype, "id": component.get("id"), "custom_id": custom_id}
        given = values.pop(custom_id, None)
        if ctype == 4:
            text = str(given) if given is not None else str(component.get("value") or "")
            required = component.get("required", True)
            if required and not text:
                raise ValueError(f"text input {custom_id!r} is required")
            if text:
                low = int(component.get("min_length") or 0)
                high = int(component.get("max_length") or 4000)
                if not low <= len(text) <= high:
                    raise ValueError(f"{custom_id!r} must be {low}..{high} characters long")
            leaf["value"] = text
        elif ctype == 23:
            leaf["value"] = bool(given)
        elif ctype == 21:
            leaf["value"] = given
        else:
            chosen = list(given or [])
            if component.get("required", True) and not chosen and ctype != 22:
                raise ValueError(f"input {custom_id!r} is required")
            leaf["values"] = chosen
        return leaf


def _id_of(value: int | str | JSON) -> int:
    """The snowflake of an object dict, or the int/str itself."""
    if isinstance(value, dict):
        return int(value["id"])
    return int(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _infer_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return OPT_BOOLEAN
    if isinstance(value, int):
        return OPT_INTEGER
    if isinstance(value, float):
        return OPT_NUMBER
    if isinstance(value, dict):
        if "username" in value:
            return OPT_USER
        if "permissions" in value and "color" in value:
            return OPT_ROLE
        if "type" in value and "name" in value:
            return OPT_CHANNEL
    return OPT_STRING


def _normalize_embed(embed: JSON) -> JSON:
    normalized = dict(embed)
    normalized.setdefault("type", "rich")
    normalized.setdefault("content_scan_version", 0)
    return normalized


def _number_components(components: list[JSON]) -> list[JSON]:
    """Copy components, giving each one a numeric ``id`` like Discord does."""
    counter = itertools.count(1)

    def copy(component: JSON) -> JSON:
        result = dict(component)
        result.setdefault("id", next(counter))
        if "components" in result:
            result["components"] = [copy(c) for c in result["components"]]
        for key in ("component", "accessory"):
            if isinstance(result.get(key), dict):
                result[key] = copy(result[key])
        return result

    return [copy(c) for c in components]


def _parse_emoji(raw: str) -> JSON:
    match = re.fullmatch(r"(?P<name>[^:]+):(?P<id>\d+)", raw)
    if match:
        return {"id": match.group("id"), "name": match.group("name")}
    return {"id": None, "name": raw}
