"""Fakes of Discord objects for the adapter tests, built on discord.py's own classes (`spec`),
so a misspelt attribute fails; plus the ids and tiny knowledge the tests share.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, MagicMock

import discord

if TYPE_CHECKING:
    from bot.client import FaqBot

ARTICLE = Path(__file__).resolve().parents[2] / "knowledge" / "article.md"

BOT_ID = 900000000000000001
OWNER_ID = 900000000000000002
GUILD_ID = 900000000000000003
CHANNEL_ID = 900000000000000004
OTHER_CHANNEL_ID = 900000000000000005
MEMBER_ID = 900000000000000006
OTHER_MEMBER_ID = 900000000000000007
MOD_ROLE_ID = 900000000000000008

# Three shipped entries quoting article.md verbatim (independent of knowledge/faq.yaml).
SMALL_FAQ = """\
entries:
  - id: seventy-years
    question: How old is the alliance between the US and South Korea?
    alternates:
      - how long has the alliance lasted
      - age of the us korea alliance
      - when did the alliance start
      - how many years is the alliance
      - alliance anniversary
    answer: Last year marked 70 years of the American alliance with South Korea.
    tags: [history]
    sources:
      - paragraph: 1
        quote: Last year marked 70 years of the American alliance with South Korea.
  - id: ncg
    question: What is the nuclear consultative group?
    alternates:
      - what is the ncg
      - ncg meaning
      - what does the ncg do
      - nuclear consultative grp
      - explain the consultative group
    answer: The two countries will set up a nuclear consultative group.
    tags: [nuclear]
    sources:
      - paragraph: 2
        quote: the two countries will establish a nuclear consultative group
  - id: strategic-assets
    question: Which strategic assets will the United States deploy?
    alternates:
      - what strategic assets will be deployed
      - which assets will the us send
      - will submarines be deployed
      - what are the visible deployments
      - which bombers will come
    answer: Ballistic missile submarines, nuclear-capable bombers and aircraft carriers.
    tags: [nuclear]
    sources:
      - paragraph: 2
        quote: >-
          including ballistic missile submarines, nuclear-capable bombers,
          and aircraft carriers
"""

PARAGRAPH_2_QUOTE = "the two countries will establish a nuclear consultative group"


_ids = itertools.count(800000000000000001)


def _member(user_id: int, *, role_ids: tuple[int, ...] = (), bot: bool = False) -> MagicMock:
    member = MagicMock(spec=discord.Member)
    member.id = user_id
    member.bot = bot
    member.mention = f"<@{user_id}>"
    member.get_role.side_effect = lambda rid: (
        MagicMock(spec=discord.Role) if rid in role_ids else None
    )
    return member


class FakeInteraction:
    """Builds `MagicMock(spec=discord.Interaction)`s whose responses record what was sent."""

    def __init__(self, bot: FaqBot) -> None:
        self.bot = bot

    def __call__(
        self,
        *,
        user_id: int = MEMBER_ID,
        guild_id: int | None = GUILD_ID,
        manage_guild: bool = False,
        role_ids: tuple[int, ...] = (),
        message: Any = None,
    ) -> MagicMock:
        interaction = MagicMock(spec=discord.Interaction)
        interaction.client = self.bot
        interaction.guild_id = guild_id
        interaction.channel_id = CHANNEL_ID
        interaction.user = (
            _member(user_id, role_ids=role_ids) if guild_id is not None else _user(user_id)
        )
        interaction.permissions = discord.Permissions(manage_guild=manage_guild)
        interaction.message = message
        interaction.command = None
        interaction.data = {}

        done = {"value": False}

        def finish(result: Any = None) -> Callable[..., Any]:
            async def effect(*args: Any, **kwargs: Any) -> Any:
                done["value"] = True
                return result() if callable(result) else result

            return effect

        def callback_response() -> Any:
            response = MagicMock(spec=discord.InteractionCallbackResponse)
            response.message_id = next(_ids)
            return response

        response = MagicMock(spec=discord.InteractionResponse)
        response.is_done.side_effect = lambda: done["value"]
        response.send_message = AsyncMock(side_effect=finish(callback_response))
        response.send_modal = AsyncMock(side_effect=finish())
        response.defer = AsyncMock(side_effect=finish())
        response.edit_message = AsyncMock(side_effect=finish())
        interaction.response = response

        def webhook_message() -> Any:
            sent = MagicMock(spec=discord.WebhookMessage)
            sent.id = next(_ids)
            return sent

        followup = MagicMock(spec=discord.Webhook)
        followup.send = AsyncMock(side_effect=lambda *a, **k: webhook_message())
        interaction.followup = followup
        return interaction


def _user(user_id: int) -> MagicMock:
    user = MagicMock(spec=discord.User)
    user.id = user_id
    user.bot = False
    return user


def make_message(
    content: str,
    *,
    author_id: int = MEMBER_ID,
    author_bot: bool = False,
    channel_id: int = CHANNEL_ID,
    in_guild: bool = True,
    mentions: tuple[int, ...] = (),
    reference: Any = None,
    webhook_id: int | None = None,
) -> MagicMock:
    """A `MagicMock(spec=discord.Message)` as the gateway would deliver it."""
    message = MagicMock(spec=discord.Message)
    message.id = next(_ids)
    message.content = content
    message.author = _member(author_id, bot=author_bot)
    message.webhook_id = webhook_id
    message.type = discord.MessageType.reply if reference else discord.MessageType.default
    message.raw_mentions = list(mentions)
    if in_guild:
        guild = MagicMock(spec=discord.Guild)
        guild.id = GUILD_ID
        message.guild = guild
        channel = MagicMock(spec=discord.TextChannel)
    else:
        message.guild = None
        channel = MagicMock(spec=discord.DMChannel)
    channel.id = channel_id
    message.channel = channel
    message.reference = reference
    flags = discord.MessageFlags()
    message.flags = flags

    async def reply(*args: Any, **kwargs: Any) -> Any:
        sent = MagicMock(spec=discord.Message)
        sent.id = next(_ids)
        return sent

    message.reply = AsyncMock(side_effect=reply)
    message.delete = AsyncMock()
    return message


def reference_to(author_id: int) -> MagicMock:
    """A message reference whose resolved message was written by `author_id`."""
    replied = make_message("earlier message", author_id=author_id)
    reference = MagicMock(spec=discord.MessageReference)
    reference.resolved = replied
    return reference


def sent_kwargs(mock: AsyncMock) -> dict[str, Any]:
    """The keyword arguments of the last call of a send-like mock."""
    assert mock.await_count >= 1, "nothing was sent"
    return dict(mock.await_args.kwargs)


def sent_text(mock: AsyncMock) -> str:
    """Everything the last send put in front of the user: content and embed text."""
    call = mock.await_args
    assert call is not None, "nothing was sent"
    parts = [str(a) for a in call.args if isinstance(a, str)]
    kwargs = call.kwargs
    if isinstance(kwargs.get("content"), str):
        parts.append(kwargs["content"])
    embeds = [e for e in kwargs.get("embeds") or [] if isinstance(e, discord.Embed)]
    if isinstance(kwargs.get("embed"), discord.Embed):
        embeds.append(kwargs["embed"])
    for embed in embeds:
        parts += [embed.title or "", embed.description or "", embed.footer.text or ""]
        parts += [f"{f.name} {f.value}" for f in embed.fields]
    return "\n".join(parts)


def last_send(interaction: Any) -> AsyncMock:
    """Whichever of response.send_message and followup.send carried the final message."""
    followup: AsyncMock = interaction.followup.send
    if followup.await_count:
        return followup
    send: AsyncMock = interaction.response.send_message
    return send
