"""The fake's gateway: HELLO, IDENTIFY, READY and GUILD_CREATE per shard, heartbeats, RESUME,
member chunks, and event dispatch honouring intents and shards."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import WSMsgType, web

from .faults import Faults
from .protocol import FLAG_EPHEMERAL, JSON, PRIVILEGED_INTENTS, Intent, as_list, shard_for
from .world import World

_log = logging.getLogger(__name__)


REPLAY_BUFFER: Final = 1000
"""Dispatches a session keeps for RESUME; a client further behind is told to IDENTIFY anew."""

# Close codes with which a client ends its session for good; any other close keeps the session
# resumable, as on Discord. (discord.py's ``Client.close()`` asks for 1000, but its pending read
# usually closes the socket with 4000 first, so its sessions stay resumable.)
_SESSION_ENDING_CLOSE_CODES: Final = frozenset({1000, 1001})


@dataclass
class GatewayConnection:
    """One gateway websocket the client opened (one per shard).

    ``shard_id``, ``shard_count``, ``intents`` and ``sequence`` mirror the connection's
    :class:`GatewaySession` once it identified or resumed.
    """

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
    session: GatewaySession | None = None
    #: Dispatches sent again on RESUME because the session missed them.
    replayed: list[JSON] = field(default_factory=list)
    transport: asyncio.Transport | None = None

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
        """Send an op 0 DISPATCH with the next sequence number (of the session, if any)."""
        if self.session is not None:
            await self.session.dispatch(event, data)
            return
        self.sequence += 1
        await self.send({"op": 0, "t": event, "s": self.sequence, "d": data})


@dataclass
class GatewaySession:
    """A gateway session, from IDENTIFY until the client closes it or it is invalidated.

    It outlives its connections: dispatches go to the session, are numbered by it and kept
    (the last :data:`REPLAY_BUFFER`), and reach the client only while a connection is attached.
    A RESUME attaches a new connection and replays what the client missed, as on Discord.
    """

    session_id: str
    shard_id: int
    shard_count: int
    intents: int
    connection: GatewayConnection | None = None
    sequence: int = 0
    backlog: deque[JSON] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))
    ended: bool = False
    #: A fault (a drop, op 7, a resumable op 9) asked the client to RESUME; not done yet.
    awaiting_resume: bool = False

    def handles(self, guild_id: int | None) -> bool:
        """Whether events of ``guild_id`` go to this session (DMs go to shard 0)."""
        if guild_id is None:
            return self.shard_id == 0
        return shard_for(guild_id, self.shard_count) == self.shard_id

    @property
    def connected(self) -> bool:
        """Whether a live connection is attached (else dispatches wait for a RESUME)."""
        return self.connection is not None and not self.connection.closed

    async def dispatch(self, event: str, data: Any) -> None:
        """Number and keep one DISPATCH; send it if the client is connected."""
        self.sequence += 1
        payload: JSON = {"op": 0, "t": event, "s": self.sequence, "d": data}
        self.backlog.append(payload)
        if self.connection is not None and not self.connection.closed:
            self.connection.sequence = self.sequence
            await self.connection.send(payload)

    def missed_since(self, sequence: int) -> list[JSON] | None:
        """Dispatches after ``sequence``; ``None`` if some already left the backlog."""
        if sequence > self.sequence:
            return None
        oldest = self.backlog[0]["s"] if self.backlog else self.sequence + 1
        if sequence + 1 < oldest:
            return None
        return [p for p in self.backlog if p["s"] > sequence]


class Gateway(World):
    """The gateway side of the fake: sessions and connections per shard, event dispatch."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        #: Gateway payloads with an opcode the fake does not implement.
        self.unhandled_gateway_payloads: list[JSON] = []
        #: Every gateway payload received from clients.
        self.gateway_payloads: list[JSON] = []
        #: The ``d`` of every IDENTIFY.
        self.identifies: list[JSON] = []
        #: The ``d`` of every RESUME.
        self.resumes: list[JSON] = []
        #: The ``d`` of every presence update (op 3).
        self.presence_updates: list[JSON] = []
        #: Gateway connections, in the order they were opened.
        self.connections: list[GatewayConnection] = []
        #: Gateway sessions by id, in the order they were identified.
        self.sessions: dict[str, GatewaySession] = {}
        #: Connections that were still open when :meth:`stop` ran (the client was not closed).
        self.connections_open_at_stop = 0
        #: Switches that inject faults (429, 5xx, dropped connections, invalid sessions).
        self.faults = Faults(self)

    def _live_connections(self) -> list[GatewayConnection]:
        return [c for c in self.connections if c.identified and not c.closed]

    def _sessions_for(self, guild_id: int | None) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if not s.ended and s.handles(guild_id)]

    async def dispatch(self, event: str, data: Any, *, guild_id: int | None = None) -> None:
        """Send an arbitrary DISPATCH to the shard of ``guild_id`` (shard 0 if ``None``).

        A session whose connection dropped keeps the event for its RESUME.
        """
        sessions = self._sessions_for(guild_id)
        if not any(s.connected or s.awaiting_resume for s in sessions):
            # Sessions of a client that went away stay resumable, as on Discord, but a test
            # dispatching to nobody has most likely forgotten to run the client.
            raise RuntimeError(
                f"No connected gateway session for guild {guild_id}: is the client running "
                "(use run_client) and did it finish connecting?"
            )
        for session in sessions:
            await session.dispatch(event, data)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(
            ws=ws,
            compress=self.compress_gateway and request.query.get("compress") == "zlib-stream",
            session_id=secrets.token_hex(16),
            transport=request.transport,
        )
        self.connections.append(conn)
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"The fake only speaks JSON")
            return ws
        await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        client_close_code: int | None = None
        try:
            while True:
                msg = await ws.receive()
                if msg.type is WSMsgType.CLOSE:  # the client closed (not the fake)
                    client_close_code = int(msg.data)
                    break
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
            session = conn.session
            if (
                session is not None
                and session.connection is conn
                and client_close_code in _SESSION_ENDING_CLOSE_CODES
            ):
                session.ended = True
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
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
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
        session = GatewaySession(conn.session_id, shard_id, shard_count, int(intents), conn)
        self.sessions[session.session_id] = session
        conn.session = session
        conn.shard_id, conn.shard_count, conn.intents = shard_id, shard_count, int(intents)
        guild_ids = [g for g in self.guilds if session.handles(g)]
        me = dict(self.bot_user, verified=True, mfa_enabled=False, email=None, flags=0)
        await conn.dispatch(
            "READY",
            {
                "v": 10,
                "user": me,
                "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
                "session_id": session.session_id,
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
        """Attach the connection to its session, replay what it missed, then RESUMED."""
        self.resumes.append(data)
        session = self.sessions.get(str(data.get("session_id")))
        missed = None
        if session is not None and not session.ended and data.get("token") == self.token:
            missed = session.missed_since(int(data.get("seq") or 0))
        if session is None or missed is None:
            await conn.send({"op": 9, "d": False})  # not resumable: the client must IDENTIFY
            return
        await self.faults.resume_allowed(session)
        conn.session_id = session.session_id
        conn.shard_id, conn.shard_count = session.shard_id, session.shard_count
        conn.intents, conn.sequence = session.intents, session.sequence
        conn.session = session
        session.connection = conn
        session.awaiting_resume = False
        conn.identified = True
        for payload in missed:
            conn.replayed.append(payload)
            await conn.send(payload)
        await session.dispatch("RESUMED", {"_trace": []})

    async def _request_members(self, conn: GatewayConnection, data: JSON) -> None:
        guild_id = int(data["guild_id"])
        members = self.guild_members(guild_id)
        if data.get("user_ids"):
            ids = {int(u) for u in as_list(data["user_ids"])}
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

    # ------------------------------------------------------------------ message events

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
        for session in self._sessions_for(guild_id):
            if not session.intents & needed:
                continue
            data = payload
            if event_name != "MESSAGE_DELETE" and not session.intents & Intent.MESSAGE_CONTENT:
                data = self._redact(payload, guild_id)
            await session.dispatch(event_name, data)

    def _redact(self, message: JSON, guild_id: int | None) -> JSON:
        """Blank the content fields like Discord does without the MESSAGE_CONTENT intent."""
        if guild_id is None or message["author"]["id"] == self.bot_user["id"]:
            return message
        if any(u["id"] == self.bot_user["id"] for u in message.get("mentions", [])):
            return message
        redacted = dict(message, content="", embeds=[], attachments=[], components=[])
        redacted.pop("poll", None)
        return redacted
