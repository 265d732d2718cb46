"""Buttons: the persistent ones under every answer, and the short-lived ones of commands.

The buttons under an answer are `DynamicItem`s whose custom id carries what they need
(the entry id, or the asker for Dismiss), so they keep working after a restart without any
stored state: `FaqBot.setup_hook` registers the classes in `PERSISTENT_ITEMS`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Self

import discord
from discord import app_commands

from bot.checks import is_moderator
from bot.core.models import KnowledgeBase, Reply
from bot.core.stats import VoteResult
from bot.embeds import (
    ARTICLE_REF_PREFIX,
    BUTTON_LABEL_MAX,
    answer_embed,
    answer_ref,
    entry_reply,
    paragraph_embeds,
    truncate,
)
from bot.responses import apologise, respond

if TYPE_CHECKING:
    from bot.responses import Interaction

__all__ = [
    "PERSISTENT_ITEMS",
    "ConfirmView",
    "DismissButton",
    "OwnedView",
    "PagedView",
    "ParagraphButton",
    "SuggestionButton",
    "VoteButton",
    "answer_view",
    "suggestions_view",
]

_log = logging.getLogger(__name__)

# What an answer is about (see embeds.answer_ref): an entry id, or "#N" for the article.
_REF = r"(?P<ref>[a-z0-9]+(?:-[a-z0-9]+)*|#[0-9]{1,4})"
_ENTRY = r"(?P<entry>[a-z0-9]+(?:-[a-z0-9]+)*)"
_USER = r"(?P<user>[0-9]{1,20})"

Button = discord.ui.Button[discord.ui.View]


def _knowledge(interaction: Interaction) -> KnowledgeBase:
    """What the interaction's server sees (in memory; no disk access)."""
    return interaction.client.library.knowledge_for(interaction.guild_id)


class _AnswerButton(
    discord.ui.DynamicItem[Button],
    # The base is never registered; each subclass gives the template it answers to.
    template=re.compile(r"(?!)"),
):
    """A persistent button under an answer: its custom id carries all it needs.

    A subclass builds itself from the regex match of its custom id (`from_match`) and does
    its work in `run`; an unexpected failure there gets the one apology and a traceback.
    """

    def __init__(
        self,
        custom_id: str,
        label: str,
        *,
        emoji: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init__(
            discord.ui.Button(label=label, emoji=emoji, style=style, custom_id=custom_id)
        )

    @classmethod
    def from_match(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        """The button its custom id describes."""
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from its custom id (after a restart, too)."""
        return cls.from_match(match, item)

    async def run(self, interaction: Interaction) -> None:
        """What a click does."""
        raise NotImplementedError

    # discord.py's UI hooks are generic over the client, so overrides take any client.
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the click; a refusal by Discord is logged, anything else apologised for."""
        try:
            await self.run(interaction)
        except discord.Forbidden:
            _log.warning("missing a permission while handling %s", interaction.data)
        except Exception:
            _log.exception("a button failed (%s)", interaction.data)
            await apologise(interaction)


class VoteButton(_AnswerButton, template=re.compile(rf"faq:vote:(?P<helpful>[01]):{_REF}")):
    """Helpful / Not helpful: one vote per member per answer; a second click can change it."""

    def __init__(self, ref: str, helpful: bool) -> None:
        super().__init__(
            f"faq:vote:{int(helpful)}:{ref}",
            "Helpful" if helpful else "Not helpful",
            emoji="👍" if helpful else "👎",
        )
        self.ref = ref
        self.helpful = helpful

    @classmethod
    def from_match(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        """See _AnswerButton.from_match."""
        return cls(match["ref"], match["helpful"] == "1")

    async def run(self, interaction: Interaction) -> None:
        """Acknowledge at once, count the vote, then confirm it privately."""
        if interaction.message is None:
            await respond(interaction, "This answer is gone, so the vote was not counted.")
            return
        # Discord's 3-second deadline must never depend on the stats database.
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await interaction.client.stats.record_vote(
            interaction.guild_id,
            interaction.message.id,
            self.ref,
            interaction.user.id,
            self.helpful,
        )
        if result is None:
            await respond(
                interaction, "Your vote could not be saved just now; please try again later."
            )
            return
        verdict = "helpful" if self.helpful else "not helpful"
        text = {
            VoteResult.NEW: f"Thanks! Counted as {verdict}.",
            VoteResult.CHANGED: f"Changed your vote to {verdict}.",
            VoteResult.UNCHANGED: f"You already marked this answer {verdict}.",
        }[result]
        if not self.helpful and result is not VoteResult.UNCHANGED:
            text += " Moderators will see this question in /faq gaps."
        await respond(interaction, text)


class ParagraphButton(_AnswerButton, template=re.compile(rf"faq:para:{_REF}")):
    """Show paragraph: the whole source paragraph(s), privately."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"faq:para:{ref}", "Show paragraph", emoji="📖")
        self.ref = ref

    @classmethod
    def from_match(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        """See _AnswerButton.from_match."""
        return cls(match["ref"])

    async def run(self, interaction: Interaction) -> None:
        """Send the paragraph text ephemerally."""
        kb = _knowledge(interaction)
        if self.ref.startswith(ARTICLE_REF_PREFIX):
            numbers = [int(self.ref.removeprefix(ARTICLE_REF_PREFIX))]
        else:
            entry = kb.by_id.get(self.ref)
            if entry is None:
                await respond(interaction, "That FAQ entry no longer exists.")
                return
            numbers = [s.paragraph for s in entry.sources]
        embeds = paragraph_embeds(kb.article, numbers)
        if not embeds:
            await respond(interaction, "This answer has no source paragraph to show.")
            return
        await respond(interaction, embeds=embeds)


class DismissButton(_AnswerButton, template=re.compile(rf"faq:dismiss:{_USER}")):
    """Dismiss: the member who asked, or a moderator, deletes the answer."""

    def __init__(self, asker_id: int) -> None:
        super().__init__(f"faq:dismiss:{asker_id}", "Dismiss", emoji="✖️")
        self.asker_id = asker_id

    @classmethod
    def from_match(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        """See _AnswerButton.from_match."""
        return cls(int(match["user"]))

    async def run(self, interaction: Interaction) -> None:
        """Delete the answer when allowed; otherwise say who may."""
        allowed = interaction.user.id == self.asker_id or is_moderator(interaction)
        if not allowed:
            await respond(
                interaction, "Only the member who asked, or a moderator, can dismiss this."
            )
            return
        await interaction.response.defer()
        if interaction.message is not None:
            try:
                await interaction.message.delete()
            except discord.NotFound:
                _log.debug("answer %s was already deleted", interaction.message.id)


class SuggestionButton(_AnswerButton, template=re.compile(rf"faq:pick:{_USER}:{_ENTRY}")):
    """A "did you mean" choice: the asker's click turns the suggestions into the answer."""

    def __init__(self, asker_id: int, entry_id: str, label: str) -> None:
        super().__init__(
            f"faq:pick:{asker_id}:{entry_id}",
            truncate(label, BUTTON_LABEL_MAX) or entry_id,
            style=discord.ButtonStyle.primary,
        )
        self.asker_id = asker_id
        self.entry_id = entry_id

    @classmethod
    def from_match(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        """See _AnswerButton.from_match (the label is kept by Discord)."""
        label = getattr(item, "label", None) or match["entry"]
        return cls(int(match["user"]), match["entry"], label)

    async def run(self, interaction: Interaction) -> None:
        """Show the chosen entry: in place for the asker, privately for anyone else."""
        kb = _knowledge(interaction)
        entry = kb.by_id.get(self.entry_id)
        if entry is None:
            await respond(interaction, "That FAQ entry no longer exists.")
            return
        reply = entry_reply(entry)
        embed = answer_embed(reply, kb, direct=True)
        message = interaction.message
        ephemeral = bool(message is not None and message.flags.ephemeral)
        if interaction.user.id == self.asker_id:
            view = answer_view(reply, asker_id=None if ephemeral else self.asker_id)
            await interaction.response.edit_message(
                content=None,
                embed=embed,
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        await respond(interaction, embed=embed, view=answer_view(reply, asker_id=None))


PERSISTENT_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    VoteButton,
    ParagraphButton,
    DismissButton,
    SuggestionButton,
)


def answer_view(reply: Reply, *, asker_id: int | None) -> discord.ui.View:
    """The buttons under an answer; Dismiss only when someone can see it besides the asker."""
    ref = answer_ref(reply)
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(ref, helpful=True))
    view.add_item(VoteButton(ref, helpful=False))
    if reply.sources:
        view.add_item(ParagraphButton(ref))
    if asker_id is not None:
        view.add_item(DismissButton(asker_id))
    return view


def suggestions_view(reply: Reply, *, asker_id: int) -> discord.ui.View:
    """Up to three "did you mean" buttons for an unanswered question."""
    view = discord.ui.View(timeout=None)
    for suggestion in reply.suggestions[:3]:
        view.add_item(SuggestionButton(asker_id, suggestion.entry_id, suggestion.question))
    return view


class OwnedView(discord.ui.View):
    """Buttons of one command's reply: only the member who ran the command may use them."""

    def __init__(self, owner_id: int, *, timeout: float | None = 300.0) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Refuse, privately, anyone but the owner."""
        if interaction.user.id == self.owner_id:
            return True
        await respond(interaction, "These buttons belong to whoever ran the command.")
        return False

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[Any],
        /,
    ) -> None:
        """Log the traceback and tell the member, privately."""
        _log.error("a button failed in %s", type(self).__name__, exc_info=error)
        await apologise(interaction)


class PagedView(OwnedView):
    """Previous / Next through a list of embeds (the pages of /faq list)."""

    def __init__(self, owner_id: int, pages: Sequence[discord.Embed]) -> None:
        super().__init__(owner_id)
        if not pages:
            raise ValueError("PagedView needs at least one page")
        self.pages = list(pages)
        self.index = 0
        self._sync_buttons()

    @property
    def page(self) -> discord.Embed:
        """The embed now shown."""
        return self.pages[self.index]

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def _turn(self, interaction: Interaction, step: int) -> None:
        self.index = min(max(self.index + step, 0), len(self.pages) - 1)
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.page, view=self)

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: Interaction, button: Button) -> None:
        """Show the page before."""
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: Interaction, button: Button) -> None:
        """Show the page after."""
        await self._turn(interaction, 1)


Confirmed = Callable[["Interaction"], Awaitable[None]]
Check = Callable[["Interaction"], Awaitable[bool]]


class ConfirmView(OwnedView):
    """A yes/no question; `on_confirm` runs on yes, and only the owner can answer.

    `still_allowed` is the command's own check, run again on yes: the owner may have lost
    the right to do it since the question was asked (it raises CheckFailure with the reason).
    """

    def __init__(
        self,
        owner_id: int,
        *,
        confirm_label: str,
        on_confirm: Confirmed,
        still_allowed: Check | None = None,
    ) -> None:
        super().__init__(owner_id, timeout=120.0)
        self.confirm.label = confirm_label
        self._on_confirm = on_confirm
        self._still_allowed = still_allowed
        self.confirmed: bool | None = None

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: Interaction, button: Button) -> None:
        """Run the confirmed action, if the owner may still do it."""
        self.stop()
        if self._still_allowed is not None:
            try:
                await self._still_allowed(interaction)
            except app_commands.CheckFailure as refused:
                self.confirmed = False
                await interaction.response.edit_message(
                    content=f"{refused} Nothing changed.",
                    view=None,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
                return
        self.confirmed = True
        await self._on_confirm(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: Interaction, button: Button) -> None:
        """Do nothing, and say so."""
        self.confirmed = False
        self.stop()
        await interaction.response.edit_message(content="Cancelled; nothing changed.", view=None)
