"""The client: intents, mentions, sharding, start-up wiring and the one error handler."""

from __future__ import annotations

import asyncio
import inspect
import logging
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from bot_fakes import FakeInteraction, sent_kwargs, sent_text
from discord import app_commands

from bot.client import EXTENSIONS, FaqBot, create_bot, make_intents, run_bot
from bot.core.errors import KnowledgeError, Problem
from bot.core.library import Library
from bot.core.stats import Stats
from bot.settings import Settings, load_settings
from bot.views import PERSISTENT_ITEMS


def test_intents_are_exactly_the_three() -> None:
    expected = discord.Intents.none()
    expected.guilds = expected.guild_messages = expected.message_content = True
    assert make_intents().value == expected.value
    assert not make_intents().dm_messages
    assert not make_intents().members


def test_bot_defaults(bot: FaqBot) -> None:
    assert bot.intents.value == make_intents().value
    assert bot.allowed_mentions is not None
    assert bot.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    assert isinstance(bot, discord.AutoShardedClient)
    assert {name for name in bot.extensions} == set(EXTENSIONS)


def test_shards_come_from_the_settings(
    settings: Settings, library: Library, stats: Stats, knowledge_dir: Path, tmp_path: Path
) -> None:
    sharded = load_settings(
        env_file=None,
        DISCORD_TOKEN="t",
        FAQ_KNOWLEDGE_DIR=str(knowledge_dir),
        FAQ_DATA_DIR=str(tmp_path / "data"),
        FAQ_SHARD_COUNT="4",
        FAQ_SHARD_IDS="2,3",
    )
    bot = create_bot(sharded, library, stats)
    assert (bot.shard_count, bot.shard_ids) == (4, [2, 3])
    assert create_bot(settings, library, stats).shard_ids is None


async def test_setup_hook_loads_cogs_registers_buttons_and_starts_watching(
    settings: Settings, library: Library, stats: Stats, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = settings.model_copy(update={"dev_guild_id": 4242})
    bot = create_bot(dev, library, stats)
    sync = AsyncMock(return_value=[])
    monkeypatch.setattr(bot.tree, "sync", sync)
    watching = asyncio.Event()

    async def watch(interval: float = 2.0, on_error: Any = None) -> None:
        assert on_error == bot.report_knowledge_error
        watching.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(library, "watch", watch)
    await bot.setup_hook()
    await asyncio.wait_for(watching.wait(), 1)
    assert set(bot.extensions) == set(EXTENSIONS)
    patterns = bot._connection._view_store._dynamic_items
    assert set(patterns.values()) == set(PERSISTENT_ITEMS)
    # Synced to the dev guild only, never globally on start.
    sync.assert_awaited_once()
    assert sync.await_args.kwargs["guild"].id == 4242
    task = bot._watch_task
    assert task is not None and not task.done()
    task.cancel()


async def test_no_sync_on_start_without_a_dev_guild(
    settings: Settings, library: Library, stats: Stats, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = create_bot(settings, library, stats)
    sync = AsyncMock()
    monkeypatch.setattr(bot.tree, "sync", sync)
    monkeypatch.setattr(library, "watch", AsyncMock())
    await bot.setup_hook()
    assert sync.await_count == 0


async def test_rejected_files_are_posted_to_the_mod_log_once(
    settings: Settings, library: Library, stats: Stats, caplog: pytest.LogCaptureFixture
) -> None:
    bot = create_bot(settings.model_copy(update={"mod_log_channel_id": 77}), library, stats)
    bot.wait_until_ready = AsyncMock()  # type: ignore[method-assign]  # as after login
    channel = MagicMock(spec=discord.TextChannel)
    channel.send = AsyncMock()
    bot.get_channel = MagicMock(return_value=channel)  # type: ignore[method-assign]
    error = KnowledgeError(
        [Problem("data/guilds/1.yaml", "quote is not in paragraph 2 @everyone", 3, 5)]
    )
    await bot.report_knowledge_error(error)
    kwargs = sent_kwargs(channel.send)
    assert kwargs["allowed_mentions"].to_dict() == discord.AllowedMentions.none().to_dict()
    description = kwargs["embed"].description
    assert "1.yaml, line 3: quote is not in paragraph 2 @\u200beveryone" in description

    channel.send.side_effect = discord.Forbidden(
        MagicMock(status=403, reason="no"), "Missing Access"
    )
    with caplog.at_level(logging.WARNING):
        await bot.report_knowledge_error(error)
        await bot.report_knowledge_error(error)
    assert channel.send.await_count == 2  # the refused one, then no more attempts
    assert caplog.text.count("cannot post to the mod-log channel") == 1


async def test_a_servers_rejected_file_is_posted_only_in_that_server(
    settings: Settings, library: Library, stats: Stats
) -> None:
    bot = create_bot(settings.model_copy(update={"mod_log_channel_id": 77}), library, stats)
    bot.wait_until_ready = AsyncMock()  # type: ignore[method-assign]
    channel = MagicMock(spec=discord.TextChannel)
    channel.guild = MagicMock(spec=discord.Guild)
    channel.guild.id = 1111
    channel.send = AsyncMock()
    bot.get_channel = MagicMock(return_value=channel)  # type: ignore[method-assign]

    def rejected(guild_id: int | None) -> KnowledgeError:
        error = KnowledgeError([Problem(f"/srv/bot/data/guilds/{guild_id}.yaml", "secret text")])
        error.guild_id = guild_id
        return error

    await bot.report_knowledge_error(rejected(2222))  # another server's file
    assert channel.send.await_count == 0
    await bot.report_knowledge_error(rejected(1111))
    await bot.report_knowledge_error(rejected(None))  # the shipped files: the operator's
    assert channel.send.await_count == 2
    for call in channel.send.await_args_list:
        assert "/srv/bot" not in (call.kwargs["embed"].description or "")
    bot.stats.close()


async def test_no_mod_log_channel_means_no_post(
    bot: FaqBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    get_channel = MagicMock()
    monkeypatch.setattr(bot, "get_channel", get_channel)
    await bot.report_knowledge_error(KnowledgeError([Problem("f", "m")]))
    assert get_channel.call_count == 0


# -- the app-command error handler -----------------------------------------------------


def _command(qualified_name: str) -> Any:
    command = MagicMock(spec=app_commands.Command)
    command.name = qualified_name.split()[-1]
    command.qualified_name = qualified_name
    return command


async def test_cooldown_message(bot: FaqBot, make_interaction: FakeInteraction) -> None:
    interaction = make_interaction()
    cooldown = app_commands.CommandOnCooldown(app_commands.Cooldown(1, 30), 12.4)
    await bot.tree.on_error(interaction, cooldown)
    assert sent_text(interaction.response.send_message) == "Slow down a little: try again in 12 s."
    assert sent_kwargs(interaction.response.send_message)["ephemeral"] is True


async def test_unexpected_errors_are_logged_and_apologised_for(
    bot: FaqBot, make_interaction: FakeInteraction, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = make_interaction()
    command = _command("faq ask")
    interaction.command = command
    error = app_commands.CommandInvokeError(command, ValueError("kaboom"))
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        await bot.tree.on_error(interaction, error)
    assert "Something went wrong" in sent_text(interaction.response.send_message)
    [record] = [r for r in caplog.records if r.name == "bot.client"]
    assert record.getMessage() == "/faq ask failed"
    assert record.exc_info is not None and "kaboom" in str(record.exc_info[1])


async def test_errors_after_a_response_use_a_follow_up(
    bot: FaqBot, make_interaction: FakeInteraction
) -> None:
    interaction = make_interaction()
    await interaction.response.defer()
    command = _command("faq reload")
    await bot.tree.on_error(interaction, app_commands.CommandInvokeError(command, OSError()))
    assert sent_kwargs(interaction.followup.send)["ephemeral"] is True


async def test_forbidden_is_logged_not_retried(
    bot: FaqBot, make_interaction: FakeInteraction, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = make_interaction()
    command = _command("faq ask")
    forbidden = discord.Forbidden(MagicMock(status=403, reason="no"), "Missing Permissions")
    with caplog.at_level(logging.WARNING, logger="bot.client"):
        await bot.tree.on_error(interaction, app_commands.CommandInvokeError(command, forbidden))
    assert "missing a permission" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert interaction.response.send_message.await_count == 1


async def test_a_failed_error_report_is_not_retried(
    bot: FaqBot, make_interaction: FakeInteraction
) -> None:
    interaction = make_interaction()
    interaction.response.send_message.side_effect = discord.NotFound(
        MagicMock(status=404, reason="Unknown interaction"), "Unknown interaction"
    )
    await bot.tree.on_error(interaction, app_commands.CheckFailure("no"))
    assert interaction.response.send_message.await_count == 1
    assert interaction.followup.send.await_count == 0


def test_run_bot_is_what_the_cli_calls() -> None:
    parameters = inspect.signature(run_bot).parameters
    assert list(parameters) == ["settings", "configure_logging"]


def test_run_bot_refuses_invalid_knowledge_with_one_message(
    settings: Settings, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (knowledge_dir / "faq.yaml").write_text("entries:\n  - id: Bad Id\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        assert run_bot(settings, configure_logging=False) == 1
    [record] = [r for r in caplog.records if r.name == "bot.client"]
    assert "is invalid; fix it and start again" in record.getMessage()
    assert "faq.yaml" in record.getMessage()
    assert "test-token-never-shown" not in caplog.text
