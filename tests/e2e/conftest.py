"""Fixtures for end-to-end tests: the fake Discord server and the guards.

* ``log_guard`` (autouse): fails the test on any ERROR (or higher) log record from any logger.
  Tests that provoke an error on purpose call ``log_guard.expect(regex)``.
* ``fake_discord``: a started :class:`~.fake_discord.FakeDiscord` with discord.py patched to use
  it; fails the test if the fake got requests or gateway payloads it does not implement, or if
  a client was still connected when the test ended.
* ``start_faq_bot``: runs the project's FaqBot against the fake (see :class:`FaqBotRun`), over a
  temporary copy of the shipped knowledge and a temporary data dir.

Both checks run right after the test body (so a problem is reported as a test failure) and again
at teardown for whatever happened afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import pytest_asyncio

from bot.client import STATS_FILE, FaqBot, create_bot
from bot.core.library import Library
from bot.core.stats import Stats
from bot.settings import Settings, load_settings

from .fake_discord import FakeDiscord
from .harness import ErrorLogGuard, run_client

__all__ = ["FaqBotRun", "StartFaqBot", "fake_discord", "log_guard", "run_client", "start_faq_bot"]


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


# Names of the tasks discord.py runs handlers in: events, app commands, views, modals and
# dynamic items. The gateway's own tasks are not among them.
_HANDLER_TASK_PREFIXES = ("discord.py: ", "CommandTree-", "discord-ui-")


async def _settle_handlers(timeout: float = 3.0) -> None:  # noqa: ASYNC109
    """Wait for the bot's running handlers (e.g. a stats write after a reply) to finish.

    A test ends as soon as it has seen the reply it waits for; the handler that sent it may
    still be recording the question. Closing the stats under it would log an error.
    """
    current = asyncio.current_task()
    for _ in range(10):  # handlers can start others (a reply echoed back as a new message)
        pending = {
            task
            for task in asyncio.all_tasks()
            if task is not current
            and not task.done()
            and task.get_name().startswith(_HANDLER_TASK_PREFIXES)
        }
        if not pending:
            return
        _, still = await asyncio.wait(pending, timeout=timeout)
        if still:
            names = sorted(t.get_name() for t in still)
            raise AssertionError(f"bot handlers still running after {timeout}s: {names}")


@dataclass(frozen=True)
class FaqBotRun:
    """The project's bot, connected to the fake, with what it was built from."""

    fake: FakeDiscord
    bot: FaqBot
    settings: Settings
    library: Library
    stats: Stats

    @property
    def guild_id(self) -> int:
        """The fake's default guild (also the dev guild the commands are synced to)."""
        return int(self.fake.guild["id"])

    @property
    def channel_id(self) -> int:
        """The fake's default channel, the one auto-answer channel."""
        return int(self.fake.channel["id"])

    @property
    def guild_file(self) -> Path:
        """Where the moderator entries of the default guild are stored."""
        return self.settings.data_dir / "guilds" / f"{self.guild_id}.yaml"


class StartFaqBot(Protocol):
    """The ``start_faq_bot`` fixture: ``async with start_faq_bot(...) as run:``."""

    def __call__(
        self, *, user_cooldown: float, channel_entry_cooldown: float, **env: str
    ) -> contextlib.AbstractAsyncContextManager[FaqBotRun]: ...


@pytest.fixture
def start_faq_bot(
    fake_discord: FakeDiscord, knowledge_copy: Path, tmp_path: Path
) -> Iterator[StartFaqBot]:
    """Run the FaqBot against the fake: cooldowns are explicit, other settings via ``env``.

    The fake's default channel is the auto-answer channel and its guild the dev guild, so the
    commands are synced there at start (and the fake checks every invocation against them).
    Leaving the ``async with`` waits for the bot's handlers; the stats stay readable until the
    test ends.
    """
    fake = fake_discord
    fake.require_registered_commands = True
    opened: list[Stats] = []

    @contextlib.asynccontextmanager
    async def start(
        *, user_cooldown: float, channel_entry_cooldown: float, **env: str
    ) -> AsyncIterator[FaqBotRun]:
        values: dict[str, Any] = {
            "DISCORD_TOKEN": fake.token,
            "FAQ_KNOWLEDGE_DIR": str(knowledge_copy),
            "FAQ_DATA_DIR": str(tmp_path / "data"),
            "FAQ_AUTO_ANSWER_CHANNELS": str(fake.channel["id"]),
            "FAQ_DEV_GUILD_ID": str(fake.guild["id"]),
            "FAQ_USER_COOLDOWN_SECONDS": str(user_cooldown),
            "FAQ_CHANNEL_ENTRY_COOLDOWN_SECONDS": str(channel_entry_cooldown),
            **env,
        }
        settings = load_settings(env_file=None, **values)
        library = Library(settings.knowledge_dir, settings.data_dir, settings.match_settings())
        stats = Stats(settings.data_dir / STATS_FILE)
        opened.append(stats)
        bot = create_bot(settings, library, stats)
        async with run_client(bot, fake):
            yield FaqBotRun(fake, bot, settings, library, stats)
            await _settle_handlers()

    try:
        yield start
    finally:
        for stats in opened:
            stats.close()
