"""The one plain message for failures, whichever part of the adapter failed."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from bot_fakes import FakeInteraction, last_send, make_message, sent_kwargs, sent_text
from discord import app_commands

from bot.client import FaqBot
from bot.modals import EntryModal
from bot.responses import DEFER_AFTER, SOMETHING_WENT_WRONG, apologise, within_deadline
from bot.views import PagedView, VoteButton


async def test_every_failure_gets_the_same_plain_message(
    bot: FaqBot, make_interaction: FakeInteraction, caplog: pytest.LogCaptureFixture
) -> None:
    command = MagicMock(spec=app_commands.Command)
    command.name = "ask"
    command.qualified_name = "faq ask"
    failures = []

    in_command = make_interaction()
    in_command.command = command
    await bot.tree.on_error(in_command, app_commands.CommandInvokeError(command, ValueError()))
    failures.append(in_command)

    bot.stats.record_vote = AsyncMock(side_effect=RuntimeError("disk"))  # type: ignore[method-assign]
    in_button = make_interaction(message=make_message("answer"))
    await VoteButton("ncg", helpful=True).callback(in_button)
    failures.append(in_button)

    in_view = make_interaction()
    view = PagedView(in_view.user.id, [discord.Embed(title="page")])
    await view.on_error(in_view, RuntimeError("view"), view.next)
    failures.append(in_view)

    in_form = make_interaction(manage_guild=True)
    with caplog.at_level(logging.ERROR):
        await EntryModal(guild_id=1).on_error(in_form, RuntimeError("form"))
    failures.append(in_form)

    for interaction in failures:
        sent = last_send(interaction)
        assert sent_text(sent) == SOMETHING_WENT_WRONG
        assert sent_kwargs(sent)["ephemeral"] is True
        assert "Traceback" not in SOMETHING_WENT_WRONG


async def test_an_apology_to_an_expired_interaction_is_dropped(
    make_interaction: FakeInteraction,
) -> None:
    interaction = make_interaction()
    interaction.response.send_message.side_effect = discord.NotFound(
        MagicMock(status=404, reason="Unknown interaction"), "Unknown interaction"
    )
    await apologise(interaction)
    assert interaction.response.send_message.await_count == 1
    assert interaction.followup.send.await_count == 0


async def test_slow_work_is_deferred_before_the_deadline(
    make_interaction: FakeInteraction,
) -> None:
    quick = make_interaction()
    assert await within_deadline(quick, asyncio.sleep(0, "fast"), ephemeral=False) == "fast"
    assert quick.response.defer.await_count == 0  # answered in one response

    slow = make_interaction()
    result = await within_deadline(slow, asyncio.sleep(0.2, "slow"), ephemeral=True, after=0.05)
    assert result == "slow"
    slow.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)


async def test_faq_ask_defers_when_the_matcher_is_slow(
    bot: FaqBot, make_interaction: FakeInteraction, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bot.reply_for

    async def slow_reply_for(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(DEFER_AFTER + 0.3)  # e.g. a server's matcher being rebuilt
        return await real(*args, **kwargs)

    monkeypatch.setattr(bot, "reply_for", slow_reply_for)
    cog = bot.get_cog("FaqCog")
    interaction = make_interaction()
    await cog.ask.callback(cog, interaction, "What is the NCG?", True)  # type: ignore[union-attr]
    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    assert "nuclear consultative group" in sent_text(interaction.followup.send)
