"""Answering questions asked in chat, in the configured channels or wherever the bot is named.

The cog only decides whether a message is for the bot and how often it may answer; whether
the text is a question and what answers it is the core's decision (`Matcher.reply`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.cooldowns import Cooldown, ReplyCap
from bot.core.text import MAX_QUERY_CHARS, normalize
from bot.replies import present_reply
from bot.responses import NO_MENTIONS

if TYPE_CHECKING:
    from bot.client import FaqBot

__all__ = ["FORBIDDEN_PAUSE_SECONDS", "AutoAnswer", "ChatQuestion", "chat_question", "setup"]

_log = logging.getLogger(__name__)

# After Discord refuses a post in a channel, the bot stays quiet there this long: repeated
# 403s count toward Discord's invalid-request limit, which can ban the bot's IP.
FORBIDDEN_PAUSE_SECONDS = 600.0

_ANSWERED_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


@dataclass(frozen=True, slots=True)
class ChatQuestion:
    """A message the bot should look at: its text, and whether the bot was named in it."""

    text: str
    addressed: bool


def _channel_listed(channel: object, channels: Collection[int]) -> bool:
    channel_id = getattr(channel, "id", None)
    if channel_id in channels:
        return True
    # A thread of a configured channel counts as that channel.
    return isinstance(channel, discord.Thread) and channel.parent_id in channels


def _forum_title(message: discord.Message) -> str | None:
    """The title of the forum post that `message` opens (its id is the post's), if it does."""
    channel = message.channel
    if not isinstance(channel, discord.Thread) or channel.id != message.id:
        return None
    parent = channel.parent
    return channel.name if isinstance(parent, discord.ForumChannel) else None


def chat_question(
    message: discord.Message, bot_id: int, channels: Collection[int]
) -> ChatQuestion | None:
    """The question a message asks the bot, or None when the bot must ignore it."""
    if message.author.bot or message.webhook_id is not None:
        return None
    if message.type not in _ANSWERED_TYPES:
        return None
    # A mention in the text, not the implicit one of a reply to the bot.
    addressed = bot_id in message.raw_mentions
    if not addressed:
        if message.guild is None or not _channel_listed(message.channel, channels):
            return None
        reference = message.reference
        if reference is not None:
            replied = reference.resolved
            # A reply to another member is their conversation; a reply to the bot is for it.
            if not (isinstance(replied, discord.Message) and replied.author.id == bot_id):
                return None
    text = re.sub(rf"<@!?{bot_id}>", " ", message.content[: MAX_QUERY_CHARS * 2]).strip()
    title = _forum_title(message)
    if title:
        # A forum post's title is part of its first message: often the question itself.
        text = f"{title}\n{text}"
    # Only quoted lines, code or mentions: nothing left to match.
    if not normalize(text):
        return None
    return ChatQuestion(text=text, addressed=addressed)


class AutoAnswer(commands.Cog):
    """Replies to questions in chat, with cooldowns per member and per channel and entry, and
    a cap on replies per channel."""

    def __init__(self, bot: FaqBot, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.bot = bot
        settings = bot.settings
        self.member_cooldown = Cooldown(settings.user_cooldown_seconds, clock=clock)
        self.entry_cooldown = Cooldown(settings.channel_entry_cooldown_seconds, clock=clock)
        self.refused_channels = Cooldown(FORBIDDEN_PAUSE_SECONDS, clock=clock)
        self.channel_cap = ReplyCap(
            settings.channel_reply_limit, settings.channel_reply_window_seconds, clock=clock
        )
        # One message per member at a time, in order: in a burst, the first answer starts the
        # cooldown before the next message is looked at, and no real question is dropped.
        self._member_locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer the message when it is a question for the bot and no cooldown holds."""
        me = self.bot.user
        if me is None:
            return
        guild_id = message.guild.id if message.guild is not None else None
        question = chat_question(message, me.id, self.bot.auto_answer_channels_for(guild_id))
        if question is None:
            return
        author = message.author.id
        lock, waiting = self._member_locks.get(author, (asyncio.Lock(), 0))
        self._member_locks[author] = (lock, waiting + 1)
        try:
            async with lock:
                if self.member_cooldown.active(author) or self.refused_channels.active(
                    message.channel.id
                ):
                    return
                await self._answer(message, question)
        finally:
            lock, waiting = self._member_locks[author]
            if waiting == 1:
                del self._member_locks[author]
            else:
                self._member_locks[author] = (lock, waiting - 1)

    async def _answer(self, message: discord.Message, question: ChatQuestion) -> None:
        guild_id = message.guild.id if message.guild is not None else None
        asker = message.author.id
        reply = await self.bot.reply_for(
            guild_id, question.text, chat=True, addressed=question.addressed
        )
        if not reply.answered and not question.addressed:
            # Silent in plain chat; but a near miss is a gap moderators should see. Chatter
            # that matches nothing is not recorded: it is not a question about the article.
            if reply.suggestions:
                await self.bot.record_ask(guild_id, question.text, None, False, user_id=asker)
            return
        presented = present_reply(reply, self.bot.library.knowledge_for(guild_id), asker_id=asker)
        channel = message.channel.id
        key = (channel, presented.ref)
        if presented.ref is not None and self.entry_cooldown.active(key):
            # Just answered here: the same answer again would only be noise.
            await self.bot.record_ask(guild_id, question.text, presented.ref, True, user_id=asker)
            return
        if not self.channel_cap.take(channel):
            # The channel had its share of replies: drop this one silently (still counted).
            await self.bot.record_ask(
                guild_id, question.text, presented.ref, reply.answered, user_id=asker
            )
            return
        # Named, the bot always says something (an answer, "did you mean", or "no answer").
        # The windows are claimed before sending, so a message handled meanwhile sees them.
        if presented.ref is not None:
            self.entry_cooldown.trigger(key)
        self.member_cooldown.trigger(asker)
        sent = await self._send(
            message, content=presented.content, embed=presented.embed, view=presented.view
        )
        if sent is None:
            # Nothing reached the channel: nothing is used up.
            self.channel_cap.give_back(channel)
            self.entry_cooldown.clear(key)
            self.member_cooldown.clear(asker)
        await self.bot.record_ask(
            guild_id,
            question.text,
            presented.ref,
            reply.answered,
            sent.id if sent is not None else None,
            user_id=asker,
        )

    async def _send(
        self,
        message: discord.Message,
        *,
        content: str | None = None,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
    ) -> discord.Message | None:
        """Reply without pinging anyone; a refusal pauses the channel and is logged once."""
        try:
            return await message.reply(
                content,
                # MISSING, not None, is discord.py's "not given".
                embed=embed if embed is not None else discord.utils.MISSING,
                view=view if view is not None else discord.utils.MISSING,
                mention_author=False,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.Forbidden:
            self.refused_channels.trigger(message.channel.id)
            _log.warning(
                "no permission to answer in channel %s; staying quiet there for %d minutes",
                message.channel.id,
                FORBIDDEN_PAUSE_SECONDS // 60,
            )
        except discord.HTTPException as exc:
            _log.warning("could not answer message %s: %s", message.id, exc)
        return None


async def setup(bot: FaqBot) -> None:
    """Load the auto-answer cog."""
    await bot.add_cog(AutoAnswer(bot))
