"""The fake's HTTP server: REST under /api/v10 (users, channels, messages, reactions, guilds,
application commands), request recording, and the websocket upgrade to the gateway."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .gateway import Gateway
from .protocol import (
    API_PREFIX,
    FLAG_COMPONENTS_V2,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    JSON,
    ApiError,
    Intent,
    Perm,
    iso_timestamp,
    unknown_error,
)
from .validation import FormErrors, is_empty_message, validate_commands, validate_message_body
from .world import RecordedFile, normalize_embed, number_components

if TYPE_CHECKING:
    from collections.abc import Awaitable

    import pytest

_log = logging.getLogger(__name__)


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
    received_at: float = 0.0
    """``time.monotonic()`` when the request arrived."""

    def summary(self) -> str:
        """One line: method, path, query and status."""
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status}"


@dataclass
class _Call:
    request: web.Request
    record: RecordedRequest
    params: dict[str, str]

    @property
    def body(self) -> Any:
        return self.record.json


_Handler = Callable[[_Call], "Awaitable[Any]"]


class Rest(Gateway):
    """The HTTP side of the fake: lifecycle, routing, recording and the REST endpoints."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._request_counter = itertools.count()
        self._runner: web.AppRunner | None = None
        self._reported_problems = 0
        #: Every REST request, in the order they were answered.
        self.requests: list[RecordedRequest] = []
        #: REST requests the fake does not implement (answered 404).
        self.unhandled_requests: list[RecordedRequest] = []
        #: Registered application commands: ``None`` (global) or a guild id -> commands.
        self.commands: dict[int | None, list[JSON]] = {}
        self._routes = [(m, re.compile(p), h, auth) for m, p, h, auth in self._route_table()]

    # ------------------------------------------------------------------ lifecycle

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

    # ------------------------------------------------------------------ HTTP plumbing

    def _route_table(self) -> list[tuple[str, str, _Handler, bool]]:
        """``(method, path regex, handler, needs bot auth)`` of every endpoint the fake serves."""
        ch = r"/channels/(?P<channel_id>\d+)"
        msg = ch + r"/messages/(?P<message_id>\d+)"
        cmds = r"/applications/(?P<application_id>\d+)(?:/guilds/(?P<guild_id>\d+))?/commands"
        guild = r"/guilds/(?P<guild_id>\d+)"
        return [
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
            ("GET", cmds, self._get_commands, True),
            ("PUT", cmds, self._put_commands, True),
            ("POST", cmds, self._create_command, True),
            ("GET", cmds + r"/(?P<command_id>\d+)", self._get_command, True),
            ("PATCH", cmds + r"/(?P<command_id>\d+)", self._edit_command, True),
            ("DELETE", cmds + r"/(?P<command_id>\d+)", self._delete_command, True),
        ]

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
        fault = self.faults.take(record)
        if fault is not None:  # turned away before doing anything, as Discord does
            body, headers = fault.answer()
            return self._respond(record, fault.status, body, headers)
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
        received_at = time.monotonic()
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
            received_at=received_at,
        )

    def _finish(self, record: RecordedRequest) -> None:
        self.requests.append(record)
        if not record.handled:
            self.unhandled_requests.append(record)
        self._changed()

    def _respond(
        self,
        record: RecordedRequest,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        record.status = status
        record.response = body
        self._finish(record)
        if status == 204 or body is None:
            return web.Response(status=status, headers=headers)
        # discord.py only parses JSON when the content type is exactly "application/json".
        return web.Response(
            status=status,
            body=json.dumps(body).encode(),
            headers={**(headers or {}), "Content-Type": "application/json"},
        )

    def _unhandled(self, record: RecordedRequest) -> web.Response:
        record.handled = False
        return self._respond(record, 404, {"message": "404: Not Found", "code": 0})

    def _check_auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise ApiError(401, 0, "401: Unauthorized")

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
            raise unknown_error("User", 10013)
        return user

    async def _create_dm(self, call: _Call) -> JSON:
        user = self.users.get(int(call.body["recipient_id"]))
        if user is None:
            raise unknown_error("User", 10013)
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
            raise unknown_error("Member", 10007)
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
        errs = FormErrors()
        validate_message_body(errs, body, ())
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
        if is_empty_message(message):
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
        errs = FormErrors()
        validate_message_body(errs, body, ())
        errs.raise_if_any()
        updated = dict(message)
        if "content" in body:
            updated["content"] = body["content"] or ""
            updated["mentions"] = self._resolve_mentions(updated["content"], body)
        if "embeds" in body:
            updated["embeds"] = [normalize_embed(e) for e in body["embeds"] or []]
        if "components" in body:
            updated["components"] = number_components(body["components"] or [])
        if "attachments" in body or files:
            updated["attachments"] = self._attachments(
                int(message["channel_id"]), body, files, existing=message.get("attachments", [])
            )
        if "flags" in body and body["flags"] is not None:
            keep = int(message["flags"]) & (FLAG_EPHEMERAL | FLAG_COMPONENTS_V2)
            updated["flags"] = (int(body["flags"]) & FLAG_SUPPRESS_EMBEDS) | keep
        if loading_done:
            updated["flags"] = int(updated["flags"]) & ~FLAG_LOADING
        if is_empty_message(updated) and not int(updated["flags"]) & FLAG_LOADING:
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
        for session in self._sessions_for(guild_id):
            if session.intents & needed:
                await session.dispatch("MESSAGE_DELETE", data)

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
        validate_commands(definitions)
        previous = self.commands.get(scope, [])
        self.commands[scope] = [self._stored_command(d, scope, previous) for d in definitions]
        self._changed()
        return self.commands[scope]

    async def _create_command(self, call: _Call) -> JSON:
        scope = self._command_scope(call)
        validate_commands([call.body])
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
        raise unknown_error("application command", 10063)

    async def _get_command(self, call: _Call) -> JSON:
        return self._command_by_id(call)[1]

    async def _edit_command(self, call: _Call) -> JSON:
        _, command = self._command_by_id(call)
        merged = dict(command, **(call.body or {}))
        validate_commands([merged])
        command.update(merged)
        return command

    async def _delete_command(self, call: _Call) -> None:
        scope, command = self._command_by_id(call)
        self.commands[scope].remove(command)


def _parse_emoji(raw: str) -> JSON:
    match = re.fullmatch(r"(?P<name>[^:]+):(?P<id>\d+)", raw)
    if match:
        return {"id": match.group("id"), "name": match.group("name")}
    return {"id": None, "name": raw}
