"""Answering an interaction the one safe way: no mentions, and follow-up when already answered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import discord

if TYPE_CHECKING:
    from bot.client import FaqBot

    # Every interaction the bot handles comes from the FaqBot: typed once, here.
    Interaction: TypeAlias = discord.Interaction[FaqBot]

__all__ = [
    "DEFER_AFTER",
    "NO_MENTIONS",
    "SOMETHING_WENT_WRONG",
    "Interaction",
    "apologise",
    "respond",
    "within_deadline",
]

_log = logging.getLogger(__name__)

T = TypeVar("T")

NO_MENTIONS = discord.AllowedMentions.none()

# Discord wants a first response within 3 s: work still running after this long is deferred.
DEFER_AFTER = 1.0

# The one message for a failure the member cannot fix (the traceback goes to the log).
SOMETHING_WENT_WRONG = "Something went wrong on my side. Please try again in a moment."


async def respond(
    interaction: Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: Sequence[discord.Embed] = (),
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> int | None:
    """Send the response, or a follow-up when the interaction is already answered.

    Returns the id of the message sent when Discord reports it (for stats and votes).
    """
    all_embeds = [embed] if embed is not None else list(embeds)
    # MISSING, not None: discord.py sends no "components" key at all then.
    items: Any = view if view is not None else discord.utils.MISSING
    if not interaction.response.is_done():
        result = await interaction.response.send_message(
            content,
            embeds=all_embeds,
            view=items,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )
        message_id = getattr(result, "message_id", None)
        return message_id if isinstance(message_id, int) else None
    message = await interaction.followup.send(
        content if content is not None else discord.utils.MISSING,
        embeds=all_embeds,
        view=items,
        ephemeral=ephemeral,
        allowed_mentions=NO_MENTIONS,
        wait=True,
    )
    message_id = getattr(message, "id", None)
    return message_id if isinstance(message_id, int) else None


async def apologise(interaction: Interaction) -> None:
    """Tell the member, privately, that something failed; best effort, never retried."""
    try:
        await respond(interaction, SOMETHING_WENT_WRONG)
    except discord.HTTPException:
        # The interaction may have expired: there is nobody left to tell.
        _log.debug("could not tell the user about a failure", exc_info=True)


async def within_deadline(
    interaction: Interaction, work: Awaitable[T], *, ephemeral: bool, after: float = DEFER_AFTER
) -> T:
    """The result of `work`; when it takes longer than `after`, defer the interaction first.

    Quick work answers in one response; slow work ("thinking…") never misses the deadline.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=after)
        if not done and not interaction.response.is_done():
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        return await task
    finally:
        # Cancelled while waiting (or the defer failed): do not leave the work running.
        if not task.done():
            task.cancel()
