"""Helpers for end-to-end tests: running a discord.py client against the fake, and the ERROR log
guard.

discord.py logs exceptions raised by event handlers, views, modals and app commands instead of
raising them, so a bot that crashes while handling an event would otherwise let the test pass
(or time out without a reason). :class:`ErrorLogGuard` records every ERROR (or higher) log record
from any logger so the fixtures can fail the test and show the records.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import discord

    from .fake_discord import FakeDiscord

ClientT = TypeVar("ClientT", bound="discord.Client")


class ErrorLogGuard(logging.Handler):
    """A logging handler that keeps every record at ERROR or above.

    Install it with :meth:`install` (on the root logger), call :meth:`check` to raise
    ``AssertionError`` listing the records not yet reported and not expected via :meth:`expect`.
    """

    def __init__(self, level: int = logging.ERROR) -> None:
        super().__init__(level=level)
        self.records: list[logging.LogRecord] = []
        self._expected: list[re.Pattern[str]] = []
        self._reported = 0
        self._saved_root_level: int | None = None
        self._seen: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        # Also filter here: handle() called directly does not check the handler level.
        if record.levelno >= self.level and id(record) not in self._seen:
            self._seen.add(id(record))  # attached twice (root + "discord"): keep one copy
            self.records.append(record)

    def install(self) -> None:
        """Attach to the root logger (making sure ERROR records reach it) and to ``discord``.

        The extra handler on the ``discord`` logger keeps working if the code under test sets
        ``propagate = False`` on it (as some logging setups do).
        """
        root = logging.getLogger()
        if root.getEffectiveLevel() > self.level:
            self._saved_root_level = root.level
            root.setLevel(self.level)
        root.addHandler(self)
        logging.getLogger("discord").addHandler(self)

    def uninstall(self) -> None:
        """Detach from the loggers, restoring the root level."""
        root = logging.getLogger()
        root.removeHandler(self)
        logging.getLogger("discord").removeHandler(self)
        if self._saved_root_level is not None:
            root.setLevel(self._saved_root_level)
            self._saved_root_level = None

    def expect(self, pattern: str) -> None:
        """Tolerate records whose message (or exception text) matches the regex ``pattern``."""
        self._expected.append(re.compile(pattern))

    @staticmethod
    def describe(record: logging.LogRecord) -> str:
        """``LEVEL logger: message`` plus the formatted exception, if any."""
        text = f"{record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        elif record.exc_text:
            text += "\n" + record.exc_text
        return text

    def unexpected(self) -> list[logging.LogRecord]:
        """Records not matched by any :meth:`expect` pattern."""
        return [
            r for r in self.records if not any(p.search(self.describe(r)) for p in self._expected)
        ]

    def mark_reported(self) -> None:
        """Consider every record so far as reported (:meth:`check` ignores them)."""
        self._reported = len(self.records)

    def check(self) -> None:
        """Raise ``AssertionError`` for unexpected records not reported yet (then mark them)."""
        fresh = self.records[self._reported :]
        self.mark_reported()
        bad = [r for r in fresh if r in self.unexpected()]
        if bad:
            details = "\n\n".join(self.describe(r) for r in bad)
            raise AssertionError(f"{len(bad)} ERROR log record(s) during the test:\n\n{details}")


@contextlib.asynccontextmanager
async def run_client(
    client: ClientT,
    fake: FakeDiscord,
    token: str | None = None,
    *,
    ready_timeout: float = 5.0,
    guild_ready_timeout: float | None = 0.05,
    reconnect: bool = False,
) -> AsyncIterator[ClientT]:
    """Log ``client`` in against ``fake``, connect, wait for ``on_ready``; close on exit.

    ``guild_ready_timeout`` shortens discord.py's wait for more GUILD_CREATEs before READY
    (default 2 s) so tests stay fast; ``None`` keeps the client's own setting. With
    ``reconnect=False`` a dropped gateway connection ends the client instead of retrying.
    The token defaults to ``fake.token``.
    """
    if guild_ready_timeout is not None:
        client._connection.guild_ready_timeout = guild_ready_timeout
    try:
        await asyncio.wait_for(client.login(token or fake.token), timeout=ready_timeout)
    except BaseException:
        await client.close()  # no "Unclosed client session" error log later
        raise
    connect = asyncio.create_task(client.connect(reconnect=reconnect), name="discord-connect")
    ready = asyncio.create_task(client.wait_until_ready(), name="discord-wait-until-ready")
    try:
        done, _ = await asyncio.wait(
            {connect, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if connect in done:
                exc = connect.exception()
                raise RuntimeError(f"client stopped before it was ready: {exc!r}") from exc
            raise TimeoutError(f"client not ready after {ready_timeout}s")
        yield client
    finally:
        ready.cancel()
        await client.close()
        try:
            await asyncio.wait_for(connect, timeout=5.0)
        except asyncio.CancelledError:
            if not connect.cancelled():
                raise
        except TimeoutError:
            connect.cancel()
            raise
