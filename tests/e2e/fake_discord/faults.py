"""Switches that make the fake fail the way Discord sometimes does, for tests of a bot's resilience.

REST: :meth:`Faults.rate_limit` answers matching requests with 429 and ``retry_after`` (per
route or the next N requests of any route, per-user or global), :meth:`Faults.server_error`
with a 5xx. The request is recorded with that status and does nothing, like a request Discord
turned away; discord.py retries 429s after ``retry_after``, and 500/502/504 after 1, 3, 5... s.

Gateway: :meth:`Faults.drop_gateway` closes a shard's connection (the session stays resumable,
and what is dispatched meanwhile is replayed on RESUME), :meth:`Faults.invalidate_session` sends
op 9 (a new IDENTIFY is needed), :meth:`Faults.request_reconnect` sends op 7.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from .protocol import JSON

if TYPE_CHECKING:
    from .gateway import Gateway, GatewayConnection, GatewaySession
    from .rest import RecordedRequest

_REASONS: Final = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class RestFault:
    """One REST fault: which requests it answers, how many more times, and with what."""

    status: int
    method: str | None = None
    path: re.Pattern[str] | None = None
    remaining: int | None = 1
    """Requests still to fault; ``None``: every matching request until :meth:`Faults.clear`."""
    retry_after: float = 0.0
    scope: str = "user"
    #: The requests this fault answered, in order.
    hits: list[RecordedRequest] = field(default_factory=list)

    def matches(self, record: RecordedRequest) -> bool:
        """Whether the fault applies to ``record`` (and has uses left)."""
        return (
            (self.remaining is None or self.remaining > 0)
            and (self.method is None or record.method == self.method)
            and (self.path is None or self.path.fullmatch(record.path) is not None)
        )

    def answer(self) -> tuple[JSON, dict[str, str]]:
        """The JSON body and headers Discord sends with this status."""
        if self.status != 429:
            reason = _REASONS.get(self.status, "Server Error")
            return {"message": f"{self.status}: {reason}", "code": 0}, {}
        is_global = self.scope == "global"
        body: JSON = {
            "message": "You are being rate limited.",
            "retry_after": self.retry_after,
            "global": is_global,
        }
        headers = {
            # discord.py treats a 429 without Via as a Cloudflare ban and does not retry.
            "Via": "1.1 google",
            "Retry-After": str(math.ceil(self.retry_after)),
            "X-RateLimit-Scope": self.scope,
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update(
                {
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
                    "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
                    "X-RateLimit-Bucket": f"fake-{id(self):x}",
                }
            )
        return body, headers


@dataclass
class GatewayDrop:
    """Connections :meth:`Faults.drop_gateway` closed, and their sessions."""

    connections: list[GatewayConnection]
    sessions: list[GatewaySession]
    gate: asyncio.Event | None = None

    def release(self) -> None:
        """Let held RESUMEs of these sessions through (see ``hold_resume``)."""
        if self.gate is not None:
            self.gate.set()

    @property
    def resumed(self) -> bool:
        """Whether every dropped session has a new live connection."""
        return all(s.connected and s.connection not in self.connections for s in self.sessions)


class Faults:
    """The fault switches of one fake (``fake.faults``)."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        #: Active REST faults, checked in order; a request takes the first that matches.
        self.rest: list[RestFault] = []
        self._resume_gates: dict[str, asyncio.Event] = {}

    # ------------------------------------------------------------------ REST

    def rate_limit(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        retry_after: float = 0.25,
        scope: str = "user",
    ) -> RestFault:
        """Answer the next ``times`` requests matching ``method``/``path`` with 429.

        ``path`` is a regex full-matched against the path under ``/api/v10`` (e.g.
        ``r"/channels/\\d+/messages"``); without it any route matches. ``times=None`` keeps the
        route limited until :meth:`clear`. ``scope="global"`` makes it a global rate limit.
        """
        if scope not in ("user", "global", "shared"):
            raise ValueError(f"unknown rate limit scope {scope!r}")
        return self._add(429, method, path, times, retry_after=retry_after, scope=scope)

    def server_error(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        status: int = 500,
    ) -> RestFault:
        """Answer the next ``times`` requests matching ``method``/``path`` with a 5xx."""
        if not 500 <= status <= 599:
            raise ValueError(f"{status} is not a server error")
        return self._add(status, method, path, times)

    def _add(
        self,
        status: int,
        method: str | None,
        path: str | None,
        times: int | None,
        *,
        retry_after: float = 0.0,
        scope: str = "user",
    ) -> RestFault:
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        fault = RestFault(
            status,
            method.upper() if method else None,
            re.compile(path) if path is not None else None,
            times,
            retry_after=retry_after,
            scope=scope,
        )
        self.rest.append(fault)
        return fault

    def take(self, record: RecordedRequest) -> RestFault | None:
        """The fault that answers ``record``, if any, using up one of its times."""
        for fault in self.rest:
            if fault.matches(record):
                if fault.remaining is not None:
                    fault.remaining -= 1
                fault.hits.append(record)
                return fault
        return None

    def clear(self) -> None:
        """Remove every REST fault and let held RESUMEs through."""
        self.rest.clear()
        for gate in self._resume_gates.values():
            gate.set()
        self._resume_gates.clear()

    # ------------------------------------------------------------------ gateway

    def _connected_sessions(self, shard_id: int | None) -> list[GatewaySession]:
        sessions = [
            s
            for s in self._gateway.sessions.values()
            if not s.ended and s.connected and (shard_id is None or s.shard_id == shard_id)
        ]
        if not sessions:
            raise RuntimeError(f"no connected gateway session for shard {shard_id}")
        return sessions

    async def drop_gateway(
        self,
        shard_id: int | None = None,
        *,
        code: int = 4000,
        abort: bool = False,
        hold_resume: bool = False,
    ) -> GatewayDrop:
        """Close the connection of ``shard_id`` (every shard if ``None``) with ``code``.

        With ``abort`` the TCP connection is cut instead, without a close frame, like a network
        failure. Either way the session stays resumable: events dispatched until the client
        resumes are replayed then, in order, before RESUMED. With ``hold_resume`` the fake
        answers those RESUMEs only after :meth:`GatewayDrop.release`, so a test can dispatch
        events "during the outage" without racing the reconnect.
        """
        sessions = self._connected_sessions(shard_id)
        gate = asyncio.Event() if hold_resume else None
        connections = []
        for session in sessions:
            conn = session.connection
            assert conn is not None
            if gate is not None:
                self._resume_gates[session.session_id] = gate
            conn.closed = True  # from now on, dispatches wait for the RESUME
            session.awaiting_resume = True
            connections.append(conn)
            if abort and conn.transport is not None:
                conn.transport.abort()
            else:
                await conn.ws.close(code=code, message=b"fake Discord dropped the connection")
        self._gateway._changed()
        return GatewayDrop(connections, sessions, gate)

    async def invalidate_session(
        self, shard_id: int | None = None, *, resumable: bool = False
    ) -> list[GatewaySession]:
        """Send op 9 INVALID_SESSION on the connection of ``shard_id`` (every shard if ``None``).

        Not ``resumable`` (Discord's usual case), the session ends at once: nothing more is
        dispatched to it, a RESUME is refused, and the client has to IDENTIFY again.
        """
        sessions = self._connected_sessions(shard_id)
        for session in sessions:
            if resumable:
                session.awaiting_resume = True
            else:
                session.ended = True
            assert session.connection is not None
            await session.connection.send({"op": 9, "d": resumable})
        self._gateway._changed()
        return sessions

    async def request_reconnect(self, shard_id: int | None = None) -> list[GatewaySession]:
        """Send op 7 RECONNECT: the client should reconnect and RESUME."""
        sessions = self._connected_sessions(shard_id)
        for session in sessions:
            assert session.connection is not None
            session.awaiting_resume = True
            await session.connection.send({"op": 7, "d": None})
        return sessions

    async def resume_allowed(self, session: GatewaySession) -> None:
        """Wait while a :meth:`drop_gateway` with ``hold_resume`` holds this session's RESUME."""
        gate = self._resume_gates.get(session.session_id)
        if gate is not None:
            await gate.wait()
            self._resume_gates.pop(session.session_id, None)
