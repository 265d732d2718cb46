"""/faq config (per-server settings, Manage Server) and /faq forget-me, with fake interactions."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import discord
import pytest
from bot_fakes import (
    CHANNEL_ID,
    GUILD_ID,
    MEMBER_ID,
    MOD_ROLE_ID,
    OTHER_CHANNEL_ID,
    OTHER_MEMBER_ID,
    FakeInteraction,
    make_message,
    sent_kwargs,
    sent_text,
)

from bot.checks import NotServerManager, moderator_predicate, server_manager_predicate
from bot.client import FaqBot
from bot.cogs.auto_answer import AutoAnswer
from bot.cogs.faq import FaqCog
from bot.core.stats import Stats
from bot.views import ConfirmView

QUESTION = "What is the nuclear consultative group?"
NEW_ROLE_ID = 900000000000000099


def _guild(*channel_ids: int) -> Any:
    guild = MagicMock(spec=discord.Guild)
    guild.id = GUILD_ID
    channels = {}
    for channel_id in channel_ids:
        channel = MagicMock(spec=discord.TextChannel)
        channel.id = channel_id
        channel.name = f"chan-{channel_id % 1000}"
        channels[channel_id] = channel
    guild.get_channel.side_effect = channels.get
    guild.get_channel_or_thread.side_effect = channels.get
    return guild


def _manager(make_interaction: FakeInteraction, **kwargs: Any) -> Any:
    interaction = make_interaction(manage_guild=True, **kwargs)
    interaction.guild = _guild(CHANNEL_ID, OTHER_CHANNEL_ID)
    return interaction


def _text_channel(channel_id: int) -> Any:
    channel = MagicMock(spec=discord.TextChannel)
    channel.id = channel_id
    channel.mention = f"<#{channel_id}>"
    return channel


def _role(role_id: int) -> Any:
    role = MagicMock(spec=discord.Role)
    role.id = role_id
    role.mention = f"<@&{role_id}>"
    role.is_default.return_value = False
    return role


async def test_show_gives_the_defaults_until_the_server_sets_something(
    faq_cog: FaqCog, make_interaction: FakeInteraction
) -> None:
    interaction = _manager(make_interaction)
    await faq_cog.config_show.callback(faq_cog, interaction)
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    fields = {f.name: f.value for f in kwargs["embeds"][0].fields}
    assert fields == {
        "Answers on its own in": f"<#{CHANNEL_ID}> (the bot's default)",
        "Moderator role": f"<@&{MOD_ROLE_ID}> (the bot's default)",
    }


async def test_adding_a_channel_applies_at_once(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot, auto_cog: AutoAnswer
) -> None:
    before = make_message(QUESTION, channel_id=OTHER_CHANNEL_ID)
    await auto_cog.on_message(before)
    assert before.reply.await_count == 0

    interaction = _manager(make_interaction)
    await faq_cog.config_channel_add.callback(faq_cog, interaction, _text_channel(OTHER_CHANNEL_ID))
    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    assert sent_text(interaction.followup.send) == (
        f"I now answer on my own in <#{CHANNEL_ID}>, <#{OTHER_CHANNEL_ID}>."
    )
    own = bot.library.settings_for(GUILD_ID)
    assert own.auto_answer_channels == {CHANNEL_ID, OTHER_CHANNEL_ID}  # the default kept

    after = make_message(QUESTION, channel_id=OTHER_CHANNEL_ID, author_id=OTHER_MEMBER_ID)
    await auto_cog.on_message(after)
    assert after.reply.await_count == 1


async def test_removing_a_channel_applies_at_once_and_autocompletes(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot, auto_cog: AutoAnswer
) -> None:
    typing = _manager(make_interaction)
    choices = await faq_cog._channel_autocomplete(typing, "chan")
    assert [(c.name, c.value) for c in choices] == [(f"#chan-{CHANNEL_ID % 1000}", str(CHANNEL_ID))]
    assert await faq_cog._channel_autocomplete(make_interaction(), "") == []  # not a manager

    interaction = _manager(make_interaction)
    await faq_cog.config_channel_remove.callback(faq_cog, interaction, str(CHANNEL_ID))
    assert sent_text(interaction.followup.send) == (
        "This server is back to the bot's default channels."
    )
    # Removing the last one of the server's own list goes back to the default, so add
    # another first, then remove the default channel.
    add = _manager(make_interaction)
    await faq_cog.config_channel_add.callback(faq_cog, add, _text_channel(OTHER_CHANNEL_ID))
    remove = _manager(make_interaction)
    await faq_cog.config_channel_remove.callback(faq_cog, remove, str(CHANNEL_ID))
    assert bot.library.settings_for(GUILD_ID).auto_answer_channels == {OTHER_CHANNEL_ID}
    ignored = make_message(QUESTION, channel_id=CHANNEL_ID)
    await auto_cog.on_message(ignored)
    assert ignored.reply.await_count == 0

    unknown = _manager(make_interaction)
    await faq_cog.config_channel_remove.callback(faq_cog, unknown, "not-a-channel")
    assert "not one of my channels" in sent_text(unknown.response.send_message)


async def test_the_mod_role_applies_at_once_and_reset_undoes_it(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot
) -> None:
    member_with_new_role = make_interaction(role_ids=(NEW_ROLE_ID,))
    with pytest.raises(discord.app_commands.CheckFailure):
        await moderator_predicate(member_with_new_role)

    interaction = _manager(make_interaction)
    await faq_cog.config_mod_role.callback(faq_cog, interaction, _role(NEW_ROLE_ID))
    assert sent_text(interaction.followup.send) == (
        f"Members with <@&{NEW_ROLE_ID}> can now edit the FAQ here."
    )
    assert await moderator_predicate(make_interaction(role_ids=(NEW_ROLE_ID,)))

    show = _manager(make_interaction)
    await faq_cog.config_show.callback(faq_cog, show)
    fields = {f.name: f.value for f in sent_kwargs(show.response.send_message)["embeds"][0].fields}
    assert fields["Moderator role"] == f"<@&{NEW_ROLE_ID}> (set here)"

    reset = _manager(make_interaction)
    await faq_cog.config_reset.callback(faq_cog, reset)
    assert bot.library.settings_for(GUILD_ID).is_default
    with pytest.raises(discord.app_commands.CheckFailure):
        await moderator_predicate(make_interaction(role_ids=(NEW_ROLE_ID,)))


async def test_only_manage_server_changes_settings(make_interaction: FakeInteraction) -> None:
    # The moderator role may edit the FAQ, not the settings (it could grant itself more).
    with pytest.raises(NotServerManager, match="Manage Server"):
        await server_manager_predicate(make_interaction(role_ids=(MOD_ROLE_ID,)))
    with pytest.raises(NotServerManager, match="inside a server"):
        await server_manager_predicate(make_interaction(guild_id=None))
    assert await server_manager_predicate(make_interaction(manage_guild=True))


async def test_everyone_can_be_forgotten(
    faq_cog: FaqCog, make_interaction: FakeInteraction, stats: Stats, auto_cog: AutoAnswer
) -> None:
    asked = make_message(QUESTION)
    await auto_cog.on_message(asked)  # recorded with the asker's id
    other = make_interaction(user_id=OTHER_MEMBER_ID)
    await faq_cog.ask.callback(faq_cog, other, "How do I bake bread?", False)
    stats.record_vote(GUILD_ID, 5, "ncg", MEMBER_ID, False)
    stats.record_vote(GUILD_ID, 5, "ncg", OTHER_MEMBER_ID, True)

    interaction = make_interaction(user_id=MEMBER_ID)
    await faq_cog.forget_me.callback(faq_cog, interaction)
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    view = kwargs["view"]
    assert isinstance(view, ConfirmView)
    assert await view.interaction_check(make_interaction(user_id=OTHER_MEMBER_ID)) is False
    click = make_interaction(user_id=MEMBER_ID)
    await view.confirm.callback(click)
    assert sent_kwargs(click.edit_original_response)["content"] == (
        "Done: deleted 1 vote and 1 question; your id was removed from 0 FAQ entries and "
        "0 change-log records."
    )
    # The other member's question and vote stay.
    [row] = stats.entry_stats(GUILD_ID)
    assert (row.entry_id, row.asks, row.helpful, row.not_helpful) == ("ncg", 0, 1, 0)
    assert [g.question for g in stats.gaps(GUILD_ID)] == ["How do I bake bread?"]
