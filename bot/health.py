"""A liveness signal per process: `GET /healthz` on a loopback port (FAQ_HEALTH_PORT).

200 with `{"status": "ok", ...}` while the bot is connected and ready; 503 with the reason
otherwise (starting, Discord unreachable, closed). Only 127.0.0.1 is bound: it is for the
machine's own supervisor (`faqbot health`, a container health check), not the network.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Protocol

from aiohttp import web

__all__ = ["HealthServer", "check_health"]

HOST = "127.0.0.1"


class _Bot(Protocol):
    def is_ready(self) -> bool: ...
    def is_closed(self) -> bool: ...


class HealthServer:
    """Serves /healthz for whichever bot is current (the start-up retries make new ones)."""

    def __init__(self, port: int, shards: str) -> None:
        self.port = port
        self.shards = shards
        self.bot: _Bot | None = None
        self.problem = "starting"
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Listen on 127.0.0.1:port; return the port (useful when it was 0)."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, self.port)
        await site.start()
        self._runner = runner
        for address in runner.addresses:
            self.port = int(address[1])
        return self.port

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def status(self) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body /healthz answers now."""
        body: dict[str, Any] = {
            "shards": self.shards,
            "uptime_seconds": round(time.monotonic() - self._started),
        }
        bot = self.bot
        if bot is not None and bot.is_ready() and not bot.is_closed():
            latency = getattr(bot, "latency", None)
            if isinstance(latency, float) and latency == latency:  # not NaN
                body["latency_ms"] = round(latency * 1000)
            return 200, {"status": "ok", **body}
        reason = "closed" if bot is not None and bot.is_closed() else self.problem
        return 503, {"status": reason, **body}

    async def _healthz(self, _request: web.Request) -> web.Response:
        code, body = self.status()
        return web.json_response(body, status=code)


def check_health(port: int, timeout: float = 5.0) -> tuple[bool, str]:
    """Ask a local bot's /healthz; (healthy, one line saying so)."""
    url = f"http://{HOST}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
            return True, f"ok: {body.get('status')} (shards {body.get('shards')})"
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read().decode("utf-8"))
        except ValueError:
            body = {}
        return False, f"unhealthy: {body.get('status', exc.code)} (HTTP {exc.code})"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"no answer from {url} ({reason}); is `faqbot run` running?"
