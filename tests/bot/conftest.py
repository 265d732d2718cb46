"""Fixtures for the adapter tests: a tiny knowledge dir, a real Library and Stats, and a FaqBot
that never connects. The fakes themselves live in bot_fakes.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import cast
from unittest.mock import MagicMock

import discord
import pytest
from bot_fakes import (
    BOT_ID,
    CHANNEL_ID,
    MOD_ROLE_ID,
    OWNER_ID,
    SMALL_FAQ,
    FakeInteraction,
)

from bot.client import EXTENSIONS, FaqBot, create_bot
from bot.cogs.auto_answer import AutoAnswer
from bot.cogs.faq import FaqCog
from bot.core.library import Library
from bot.core.stats import Stats
from bot.settings import Settings, load_settings


@pytest.fixture
def knowledge_dir(make_knowledge: Callable[[str], Path]) -> Path:
    """knowledge/ with the real article and a three-entry faq.yaml."""
    return make_knowledge(SMALL_FAQ)


@pytest.fixture
def settings(knowledge_dir: Path, tmp_path: Path) -> Settings:
    """Settings for the tests: one auto-answer channel, a moderator role, short cooldowns."""
    return load_settings(
        env_file=None,
        DISCORD_TOKEN="test-token-never-shown",
        FAQ_KNOWLEDGE_DIR=str(knowledge_dir),
        FAQ_DATA_DIR=str(tmp_path / "data"),
        FAQ_AUTO_ANSWER_CHANNELS=str(CHANNEL_ID),
        FAQ_MOD_ROLE_ID=str(MOD_ROLE_ID),
        FAQ_USER_COOLDOWN_SECONDS="30",
        FAQ_CHANNEL_ENTRY_COOLDOWN_SECONDS="300",
    )


@pytest.fixture
def library(settings: Settings) -> Library:
    """The real library over the tiny knowledge dir."""
    return Library(settings.knowledge_dir, settings.data_dir, settings.match_settings())


@pytest.fixture
def stats(settings: Settings) -> Iterator[Stats]:
    """A real stats database in the temporary data dir."""
    database = Stats(settings.data_dir / "stats.sqlite3")
    yield database
    database.close()


@pytest.fixture
async def bot(settings: Settings, library: Library, stats: Stats) -> AsyncIterator[FaqBot]:
    """A FaqBot with its cogs loaded, a user and an owner, that never connects."""
    faq_bot = create_bot(settings, library, stats)
    for extension in EXTENSIONS:
        await faq_bot.load_extension(extension)
    me = MagicMock(spec=discord.ClientUser)
    me.id = BOT_ID
    me.bot = True
    faq_bot._connection.user = me
    faq_bot.owner_id = OWNER_ID
    yield faq_bot
    # AutoShardedBot.close() needs a login; nothing here holds a connection. Only the stats
    # worker thread needs stopping.
    faq_bot.stats.close()


@pytest.fixture
def faq_cog(bot: FaqBot) -> FaqCog:
    """The loaded /faq cog."""
    # load_extension executes the module afresh, so compare by name, not by class identity.
    cog = bot.get_cog("FaqCog")
    assert type(cog).__name__ == "FaqCog"
    return cast(FaqCog, cog)


@pytest.fixture
def auto_cog(bot: FaqBot) -> AutoAnswer:
    """The loaded auto-answer cog."""
    cog = bot.get_cog("AutoAnswer")
    assert type(cog).__name__ == "AutoAnswer"
    return cast(AutoAnswer, cog)


@pytest.fixture
def make_interaction(bot: FaqBot) -> FakeInteraction:
    """Factory of fake interactions addressed to the test bot."""
    return FakeInteraction(bot)
