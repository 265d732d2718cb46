"""The moderators' entry form (add and edit), and the buttons that open it again.

What the moderator types is checked here first, so every problem comes back at once with
the field to fix, and then again by the core when saving (the core has the last word: a
duplicate phrasing, say, is only known there). Nothing is written unless both agree.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from pydantic import ValidationError

from bot.checks import moderator_predicate
from bot.core.errors import KnowledgeError
from bot.core.loader import entry_problems, validation_messages
from bot.core.models import (
    ANSWER_MAX,
    QUESTION_MAX,
    QUOTE_MAX,
    QUOTE_MIN,
    Article,
    Entry,
    Source,
)
from bot.core.text import normalize_quote, phrasing_key
from bot.embeds import answer_embed, defang_links, entry_reply, problems_embed
from bot.responses import apologise, respond
from bot.views import OwnedView

if TYPE_CHECKING:
    from bot.responses import Interaction

__all__ = [
    "ALTERNATES_MAX",
    "DraftError",
    "EntryDraft",
    "EntryModal",
    "GapsView",
    "RetryView",
    "build_entry",
]

_log = logging.getLogger(__name__)

ALTERNATES_MAX = 30
_ALTERNATES_FIELD_MAX = 4000
_PARAGRAPH_FIELD_MAX = 4


class DraftError(Exception):
    """What the moderator typed cannot be saved; `problems` says what to fix, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """The five fields of the form, as typed."""

    question: str = ""
    alternates: str = ""
    answer: str = ""
    paragraph: str = ""
    quote: str = ""

    @classmethod
    def from_entry(cls, entry: Entry) -> EntryDraft:
        """The form prefilled with an entry (its first source; the others are kept on save)."""
        first = entry.sources[0] if entry.sources else None
        return cls(
            question=entry.question,
            alternates="\n".join(entry.alternates),
            answer=entry.answer,
            paragraph=str(first.paragraph) if first else "",
            quote=first.quote if first else "",
        )


def _length_problem(field: str, text: str, limit: int) -> str | None:
    if len(text) > limit:
        return f"{field}: {len(text)} characters; keep it to {limit}."
    return None


def _paragraphs_with(article: Article, quote: str) -> list[int]:
    needle = normalize_quote(quote)
    return [p.number for p in article.paragraphs if needle in normalize_quote(p.text)]


def build_entry(
    draft: EntryDraft, article: Article, *, entry_id: str, previous: Entry | None = None
) -> Entry:
    """The entry the form describes, or DraftError listing everything to fix.

    Editing (`previous` given) keeps the entry's tags and any sources after the first.
    """
    problems: list[str] = []
    question = draft.question.strip()
    answer = draft.answer.strip()
    if not question:
        problems.append("Question: write the question members ask.")
    if not answer:
        problems.append("Answer: write the answer.")
    problems += filter(None, [_length_problem("Question", question, QUESTION_MAX)])
    problems += filter(None, [_length_problem("Answer", answer, ANSWER_MAX)])

    alternates: list[str] = []
    seen = {phrasing_key(question)}
    lines = [line.strip() for line in draft.alternates.splitlines()]
    for number, line in enumerate((x for x in lines if x), start=1):
        too_long = _length_problem(f"Other ways to ask, line {number}", line, QUESTION_MAX)
        if too_long:
            problems.append(too_long)
            continue
        key = phrasing_key(line)
        if key and key not in seen:
            seen.add(key)
            alternates.append(line)
    if len(alternates) > ALTERNATES_MAX:
        problems.append(f"Other ways to ask: {len(alternates)} lines; keep it to {ALTERNATES_MAX}.")

    sources = _draft_sources(draft, article, problems)
    if previous is not None and previous.sources[1:]:
        sources = sources + previous.sources[1:]
    if problems:
        raise DraftError(problems)
    try:
        entry = Entry(
            id=entry_id,
            question=question,
            alternates=tuple(alternates),
            answer=answer,
            sources=sources,
            tags=previous.tags if previous is not None else (),
        )
    except ValidationError as exc:
        # Plain sentences with the limit, never pydantic's wording.
        raise DraftError([f"{message}." for _loc, message in validation_messages(exc)]) from None
    found = [message for _, message in entry_problems(entry, article, shipped=False)]
    if found:
        raise DraftError(found)
    return entry


def _draft_sources(draft: EntryDraft, article: Article, problems: list[str]) -> tuple[Source, ...]:
    """The source the form gives (paragraph and quote together), checked against the article."""
    raw_paragraph = draft.paragraph.strip().lstrip("¶#").strip()
    quote = " ".join(draft.quote.split())
    count = len(article.paragraphs)
    if not raw_paragraph and not quote:
        return ()
    if not raw_paragraph or not quote:
        problems.append(
            "Source: give both a paragraph number and a quote from it, or leave both empty."
        )
        return ()
    if not raw_paragraph.isdigit():
        problems.append(
            f"Paragraph: {raw_paragraph[:20]!r} is not a number; give one from 1 to {count}."
        )
        return ()
    number = int(raw_paragraph)
    if article.paragraph(number) is None:
        problems.append(
            f"Paragraph: there is no paragraph {number}; the article has paragraphs 1 to {count}."
        )
        return ()
    if len(quote) < QUOTE_MIN:
        problems.append(
            f"Quote: {len(quote)} characters; quote at least {QUOTE_MIN} so it can be checked."
        )
        return ()
    if len(quote) > QUOTE_MAX:
        problems.append(f"Quote: {len(quote)} characters; keep it to {QUOTE_MAX}.")
        return ()
    paragraph = article.paragraph(number)
    assert paragraph is not None
    if normalize_quote(quote) not in normalize_quote(paragraph.text):
        elsewhere = _paragraphs_with(article, quote)
        hint = (
            f" It is in paragraph {elsewhere[0]}: use that number."
            if elsewhere
            else " Copy the words exactly as the article writes them."
        )
        problems.append(f"Quote: not found word for word in paragraph {number}.{hint}")
        return ()
    return (Source(paragraph=number, quote=quote),)


class EntryModal(discord.ui.Modal):
    """Add or edit a moderator entry: question, alternates, answer, paragraph and quote."""

    question: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
        label="Question",
        placeholder="What do members ask?",
        max_length=QUESTION_MAX,
    )
    alternates: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
        label="Other ways to ask it (one per line)",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=_ALTERNATES_FIELD_MAX,
    )
    answer: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
        label="Answer",
        style=discord.TextStyle.paragraph,
        max_length=ANSWER_MAX,
    )
    paragraph: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
        label="Source paragraph number (optional)",
        placeholder="e.g. 2",
        required=False,
        max_length=_PARAGRAPH_FIELD_MAX,
    )
    quote: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
        label="Quote from that paragraph (optional)",
        placeholder="Copied word for word from the article",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=QUOTE_MAX,
    )

    def __init__(
        self, *, guild_id: int, draft: EntryDraft | None = None, editing: Entry | None = None
    ) -> None:
        super().__init__(
            title="Edit an FAQ entry" if editing else "Add an FAQ entry", timeout=1800.0
        )
        self.guild_id = guild_id
        self.editing = editing
        draft = draft or (EntryDraft.from_entry(editing) if editing else EntryDraft())
        for item, text in (
            (self.question, draft.question),
            (self.alternates, draft.alternates),
            (self.answer, draft.answer),
            (self.paragraph, draft.paragraph),
            (self.quote, draft.quote),
        ):
            # Discord rejects a whole modal whose prefilled value is over the field's maximum.
            limit = item.max_length or 4000
            item.default = text[:limit] if text else None

    def draft(self) -> EntryDraft:
        """What the moderator submitted."""
        return EntryDraft(
            question=self.question.value,
            alternates=self.alternates.value,
            answer=self.answer.value,
            paragraph=self.paragraph.value,
            quote=self.quote.value,
        )

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Check again on submit: the member may have lost the role while typing."""
        return await moderator_predicate(interaction)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Validate, save through the library, and report the result privately."""
        await self._save(interaction)

    async def _save(self, interaction: Interaction) -> None:
        bot = interaction.client
        draft = self.draft()
        kb = bot.library.knowledge_for(self.guild_id)
        editing = self.editing
        entry_id = (
            editing.id if editing else bot.library.new_entry_id(self.guild_id, draft.question)
        )
        try:
            entry = build_entry(draft, kb.article, entry_id=entry_id, previous=editing)
            # Saving waits for a lock and fsyncs: answer Discord's 3-second deadline first.
            await interaction.response.defer(ephemeral=True, thinking=True)
            if editing:
                save = functools.partial(bot.library.edit_entry, self.guild_id, entry)
            else:
                # The id above is provisional: the store settles it under its lock, with a
                # suffix when another moderator took it meanwhile.
                save = functools.partial(bot.library.add_entry, self.guild_id, entry, pick_id=True)
            saved = await asyncio.to_thread(save, interaction.user.id)
        except (DraftError, KnowledgeError) as exc:
            problems = (
                exc.problems
                if isinstance(exc, DraftError)
                else tuple(p.message for p in exc.problems)
            )
            retry = RetryView(
                interaction.user.id, guild_id=self.guild_id, draft=draft, editing=editing
            )
            await respond(
                interaction,
                embed=problems_embed("Not saved. Fix this and try again:", problems),
                view=retry,
            )
            return
        verb = "Updated" if editing else "Added"
        kb = bot.library.knowledge_for(self.guild_id)
        _log.info(
            "%s entry %s in server %s by %s",
            verb.lower(),
            saved.id,
            self.guild_id,
            interaction.user.id,
        )
        await respond(
            interaction,
            f"{verb} entry `{saved.id}`. It answers from now on; this is how it looks:",
            embed=answer_embed(entry_reply(saved), kb, direct=True),
        )

    async def on_error(  # type: ignore[override]  # Modal.on_error has no `item`
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        """A refused check gets its reason; anything else a short apology and a traceback."""
        if isinstance(error, app_commands.CheckFailure):
            await respond(interaction, str(error) or "You cannot do that.")
            return
        _log.error("the entry form failed", exc_info=error)
        await apologise(interaction)


class RetryView(OwnedView):
    """One button that opens the form again with what the moderator typed."""

    def __init__(
        self, owner_id: int, *, guild_id: int, draft: EntryDraft, editing: Entry | None
    ) -> None:
        super().__init__(owner_id, timeout=900.0)
        self.guild_id = guild_id
        self.draft = draft
        self.editing = editing

    @discord.ui.button(label="Edit and try again", style=discord.ButtonStyle.primary)
    async def retry(self, interaction: Interaction, button: discord.ui.Button[RetryView]) -> None:
        """Reopen the form, prefilled."""
        await interaction.response.send_modal(
            EntryModal(guild_id=self.guild_id, draft=self.draft, editing=self.editing)
        )


class _AddGapButton(discord.ui.Button["GapsView"]):
    """Opens the form with one gap's question."""

    def __init__(self, number: int, question: str, guild_id: int) -> None:
        super().__init__(label=f"Add #{number}", style=discord.ButtonStyle.success)
        self.question = question
        self.guild_id = guild_id

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Open the add form prefilled with the question."""
        draft = EntryDraft(question=defang_links(self.question))
        await interaction.response.send_modal(EntryModal(guild_id=self.guild_id, draft=draft))


class GapsView(OwnedView):
    """One "Add to FAQ" button per gap, opening the form with that question."""

    def __init__(self, owner_id: int, *, guild_id: int, questions: Sequence[str]) -> None:
        super().__init__(owner_id, timeout=900.0)
        # A message holds 5 rows of 5 buttons at most.
        for number, question in enumerate(questions[:25], start=1):
            self.add_item(_AddGapButton(number, question, guild_id))
