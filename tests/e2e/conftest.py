"""Fixtures for end-to-end tests: the fake Discord server and the guards.

* ``log_guard`` (autouse): fails the test on any ERROR (or higher) log record from any logger.
  Tests that provoke an error on purpose call ``log_guard.expect(regex)``.
* ``fake_discord``: a started :class:`~.fake_discord.FakeDiscord` with discord.py patched to use
  it; fails the test if the fake got requests or gateway payloads it does not implement, or if
  a client was still connected when the test ended.

Both checks run right after the test body (so a problem is reported as a test failure) and again
at teardown for whatever happened afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from .fake_discord import FakeDiscord
from .harness import ErrorLogGuard, run_client

__all__ = ["fake_discord", "log_guard", "run_client"]


@pytest.fixture(autouse=True)
def log_guard() -> Iterator[ErrorLogGuard]:
    """Record ERROR+ log records of the test; fail the test if there are unexpected ones."""
    guard = ErrorLogGuard()
    guard.install()
    try:
        yield guard
    finally:
        guard.uninstall()
    try:
        guard.check()
    except AssertionError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest_asyncio.fixture
async def fake_discord(
    monkeypatch: pytest.MonkeyPatch, log_guard: ErrorLogGuard
) -> AsyncIterator[FakeDiscord]:
    """A started fake Discord on 127.0.0.1 with discord.py pointed at it."""
    fake = FakeDiscord()
    await fake.start()
    fake.patch_discord(monkeypatch)
    try:
        yield fake
    finally:
        await fake.stop()
    problems = _fake_problems(fake)
    if problems:
        pytest.fail(problems, pytrace=False)


def _fake_problems(fake: FakeDiscord) -> str:
    lines = fake.new_problems()
    if fake.connections_open_at_stop:
        lines.append(
            f"{fake.connections_open_at_stop} gateway connection(s) were still open when the "
            "fake stopped: close the client (run_client does) before the test ends"
        )
    if not lines:
        return ""
    return "The fake Discord saw protocol problems:\n  " + "\n  ".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Turn guard findings into a failure of the test itself (not only a teardown error)."""
    funcargs = getattr(item, "funcargs", {})
    guard = funcargs.get("log_guard")
    fake = funcargs.get("fake_discord")
    try:
        result = yield
    except BaseException:
        # The test failed already; pytest shows the captured log. Do not report twice.
        if isinstance(guard, ErrorLogGuard):
            guard.mark_reported()
        raise
    messages = []
    if isinstance(guard, ErrorLogGuard):
        try:
            guard.check()
        except AssertionError as exc:
            messages.append(str(exc))
    if isinstance(fake, FakeDiscord):
        problems = _fake_problems(fake)
        if problems:
            messages.append(problems)
    if messages:
        pytest.fail("\n\n".join(messages), pytrace=False)
    return result
