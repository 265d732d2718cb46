"""The fake's world: users, guilds, roles, channels, members, messages and permissions."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .protocol import (
    ALL_PERMISSIONS,
    API_PREFIX,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    DISCORD_EPOCH_MS,
    JSON,
    PRIVILEGED_INTENTS,
    Perm,
    id_of,
    iso_timestamp,
    missing_permissions,
    shard_for,
    snowflake_time,
    unknown_error,
)


@dataclass
class RecordedFile:
    """A file part of a multipart request."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes


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


class World:
    """Everything the fake Discord knows, and the settings it was started with.

    The default world: the bot user (:attr:`bot_user`), a guild (:attr:`guild`) owned by
    :attr:`owner`, a text channel (:attr:`channel`) and a regular member (:attr:`user`).
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
        self._change_event = asyncio.Event()
        self._port: int | None = None
        self._attachment_data: dict[str, tuple[str | None, bytes]] = {}

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

        self.bot_user: JSON = self.make_user(bot_name, bot=True)
        self.application_id = int(self.bot_user["id"])
        self.application_owner: JSON = self.make_user("app-owner")
        self.application_flags = (1 << 13) | (1 << 15) | (1 << 19)  # *_LIMITED intents
        self.owner: JSON = self.make_user("guild-owner")
        self.user: JSON = self.make_user("alice")
        self.guild: JSON = self.add_guild("Test Guild", owner=self.owner)
        self.channel: JSON = self.add_channel(int(self.guild["id"]), "general")
        self.add_member(int(self.guild["id"]), self.user)

    # ------------------------------------------------------------------ addresses

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
            while shard_for(gid, self.shard_count) != shard_id:
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
            "roles": [str(id_of(r)) for r in roles],
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

    def _changed(self) -> None:
        event, self._change_event = self._change_event, asyncio.Event()
        event.set()

    # ------------------------------------------------------------------ lookups

    def _guild_or_raise(self, guild_id: int) -> JSON:
        try:
            return self.guilds[int(guild_id)]
        except KeyError:
            raise unknown_error("Guild", 10004) from None

    def _channel_or_raise(self, channel_id: int) -> JSON:
        try:
            return self.channels[int(channel_id)]
        except KeyError:
            raise unknown_error("Channel", 10003) from None

    def _message_or_raise(self, channel_id: int, message_id: int) -> JSON:
        message = self.messages.get(int(message_id))
        if message is None or int(message["channel_id"]) != int(channel_id):
            raise unknown_error("Message", 10008)
        return message

    def _member_role_ids(
        self, guild_id: int, user_id: int, roles: Sequence[int | JSON] | None
    ) -> set[int]:
        if roles is not None:
            return {id_of(r) for r in roles}
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
            raise missing_permissions()

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
            "embeds": [normalize_embed(e) for e in body.get("embeds") or []],
            "components": number_components(body.get("components") or []),
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


def normalize_embed(embed: JSON) -> JSON:
    normalized = dict(embed)
    normalized.setdefault("type", "rich")
    normalized.setdefault("content_scan_version", 0)
    return normalized


def number_components(components: list[JSON]) -> list[JSON]:
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
