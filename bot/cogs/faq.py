"""The `/faq` slash commands and the "Add to FAQ" message menu.

Each command turns its interaction into one call on the core (matcher, library, stats) and
the result into an embed. "Not found" and errors are private (ephemeral).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.bookkeeping import StatsUnavailable
from bot.checks import (
    apply_moderator_only,
    is_moderator,
    moderator_only,
    moderator_predicate,
    owner_only,
    server_manager_only,
)
from bot.core.errors import KnowledgeError
from bot.core.models import Entry, KnowledgeBase, Suggestion
from bot.core.store import GuildSettings
from bot.core.text import MAX_QUERY_CHARS
from bot.embeds import (
    CHOICE_NAME_MAX,
    MESSAGE_MAX,
    answer_embed,
    defang_links,
    entry_list_pages,
    entry_reply,
    gaps_embed,
    member_text,
    paragraph_embeds,
    problem_line,
    problems_embed,
    safe_text,
    stats_embed,
    truncate,
)
from bot.modals import EntryDraft, EntryModal, GapsView
from bot.replies import present_reply
from bot.responses import respond, within_deadline
from bot.server_settings import (
    CHANNELS_MAX,
    channels_shown,
    effective_channels,
    settings_embed,
    with_channels,
    with_mod_role,
)
from bot.views import ConfirmView, PagedView, answer_view

if TYPE_CHECKING:
    from bot.client import FaqBot
    from bot.responses import Interaction

__all__ = ["FaqCog", "setup"]

_log = logging.getLogger(__name__)

SHIPPED_REJECTED = (
    "The shipped FAQ files were changed and rejected; the bot's operator sees the details "
    "in the log."
)
FORGET_QUESTION = (
    "Delete what the bot keeps about you, in every server: your Helpful / Not helpful votes "
    "and the questions you asked it. Your id is also removed from FAQ entries and the "
    "change log. This cannot be undone."
)
AUTOCOMPLETE_MAX = 25
GAPS_SHOWN = 10
# Lookups that post in the channel: 5 per member per 30 seconds.
LOOKUP_RATE, LOOKUP_PER = 5, 30.0


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _member_key(interaction: Interaction) -> int:
    return interaction.user.id


def _guild_id(interaction: Interaction) -> int:
    """The server of a moderator command (the moderator check guarantees there is one)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage("This only works inside a server.")
    return interaction.guild_id


class FaqCog(commands.Cog):
    """Look-ups for everyone and FAQ editing for moderators."""

    faq = app_commands.Group(
        name="faq", description="Answers about the article, with the paragraph they come from."
    )
    config = app_commands.Group(
        name="config", description="The bot's settings in this server (Manage Server).", parent=faq
    )

    def __init__(self, bot: FaqBot) -> None:
        self.bot = bot
        self.add_menu = apply_moderator_only(
            app_commands.ContextMenu(name="Add to FAQ", callback=self.add_from_message)
        )

    async def cog_load(self) -> None:
        """Register the message menu (context menus cannot live inside a cog class)."""
        self.bot.tree.add_command(self.add_menu)

    async def cog_unload(self) -> None:
        """Unregister the message menu."""
        self.bot.tree.remove_command(self.add_menu.name, type=self.add_menu.type)

    def _kb(self, interaction: Interaction) -> KnowledgeBase:
        return self.bot.library.knowledge_for(interaction.guild_id)

    # -- everyone -----------------------------------------------------------------------

    @faq.command(name="ask", description="Ask a question about the article.")
    @app_commands.describe(
        question="Your question, in your own words",
        private="Only you see the answer (default: everyone in the channel)",
    )
    @app_commands.checks.cooldown(LOOKUP_RATE, LOOKUP_PER, key=_member_key)
    async def ask(
        self,
        interaction: Interaction,
        question: app_commands.Range[str, 1, MAX_QUERY_CHARS],
        private: bool = False,
    ) -> None:
        """Answer with the lookup rules, or offer up to three suggestions."""
        guild_id = interaction.guild_id
        reply = await within_deadline(
            interaction, self.bot.reply_for(guild_id, question), ephemeral=private
        )
        presented = present_reply(
            reply, self._kb(interaction), asker_id=interaction.user.id, private=private
        )
        message_id = await respond(
            interaction,
            presented.content,
            embed=presented.embed,
            view=presented.view,
            ephemeral=presented.asker_only,
        )
        await self.bot.record_ask(
            guild_id,
            question,
            presented.ref,
            reply.answered,
            message_id,
            user_id=interaction.user.id,
        )

    @faq.command(name="show", description="Show one FAQ entry.")
    @app_commands.describe(entry="Start typing to search the entries")
    @app_commands.checks.cooldown(LOOKUP_RATE, LOOKUP_PER, key=_member_key)
    async def show(self, interaction: Interaction, entry: str) -> None:
        """Post the entry picked in the autocomplete."""
        kb = self._kb(interaction)
        found = kb.by_id.get(entry)
        if found is None:
            await respond(
                interaction,
                f"No entry “{member_text(entry, 100)}”. Pick one from the list as you type.",
            )
            return
        reply = entry_reply(found)
        await respond(
            interaction,
            embed=answer_embed(reply, kb, direct=True),
            view=answer_view(reply, asker_id=interaction.user.id),
            ephemeral=False,
        )

    @show.autocomplete("entry")
    async def _show_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._entry_choices(interaction, current, own_only=False)

    async def _entry_choices(
        self, interaction: Interaction, current: str, *, own_only: bool
    ) -> list[app_commands.Choice[str]]:
        """Up to 25 entries matching what was typed (only the server's own with `own_only`)."""
        library = self.bot.library
        guild_id = interaction.guild_id

        def search() -> list[Suggestion]:
            matcher = library.matcher_for(guild_id)
            kb = matcher.kb
            if not own_only:
                return matcher.search_entries(current, limit=AUTOCOMPLETE_MAX)
            hits = matcher.search_entries(current, limit=len(kb.entries))
            return [h for h in hits if kb.by_id[h.entry_id].is_moderator_entry]

        try:
            hits = await asyncio.to_thread(search)
        except Exception:
            # An autocomplete error would only show an empty list anyway; keep the log.
            _log.exception("entry autocomplete failed for %r", current)
            return []
        return [
            app_commands.Choice(name=truncate(h.question, CHOICE_NAME_MAX), value=h.entry_id)
            for h in hits[:AUTOCOMPLETE_MAX]
        ]

    @faq.command(name="list", description="Browse the FAQ entries, page by page.")
    @app_commands.describe(tag="Only the entries with this tag")
    async def list_entries(self, interaction: Interaction, tag: str | None = None) -> None:
        """A private, paginated list of the entries."""
        kb = self._kb(interaction)
        entries = [e for e in kb.entries if tag is None or tag in e.tags]
        if tag is not None and not entries:
            known = ", ".join(f"`{t}`" for t in kb.tags) or "none"
            await respond(
                interaction,
                truncate(
                    f"No entry has the tag “{member_text(tag, 40)}”. Tags: {known}.", MESSAGE_MAX
                ),
            )
            return
        heading = f"FAQ entries tagged {tag}" if tag else "FAQ entries"
        pages = entry_list_pages(entries, heading=heading)
        view = PagedView(interaction.user.id, pages) if len(pages) > 1 else None
        await respond(interaction, embed=pages[0], view=view)

    @list_entries.autocomplete("tag")
    async def _tag_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.casefold().strip()
        tags = [t for t in self._kb(interaction).tags if typed in t]
        return [app_commands.Choice(name=t, value=t) for t in tags[:AUTOCOMPLETE_MAX]]

    @faq.command(name="paragraph", description="Read one paragraph of the article.")
    @app_commands.describe(number="The paragraph number, as in ¶2 under an answer")
    async def paragraph(
        self, interaction: Interaction, number: app_commands.Range[int, 1, 9999]
    ) -> None:
        """The whole paragraph, privately."""
        article = self._kb(interaction).article
        if article.paragraph(number) is None:
            await respond(
                interaction,
                f"There is no paragraph {number}: the article has paragraphs "
                f"1 to {len(article.paragraphs)}.",
            )
            return
        await respond(interaction, embeds=paragraph_embeds(article, [number]))

    # -- moderators ---------------------------------------------------------------------

    @faq.command(name="add", description="Add an entry to this server's FAQ (moderators).")
    @moderator_only()
    async def add(self, interaction: Interaction) -> None:
        """Open the empty entry form."""
        await interaction.response.send_modal(EntryModal(guild_id=_guild_id(interaction)))

    async def add_from_message(self, interaction: Interaction, message: discord.Message) -> None:
        """Message menu "Add to FAQ": the form, with the message's text as the question."""
        text = message.content.strip()
        if not text:
            await respond(interaction, "That message has no text to use as a question.")
            return
        # A member wrote it: links in it must not become clickable in an entry.
        draft = EntryDraft(question=defang_links(text))
        modal = EntryModal(guild_id=_guild_id(interaction), draft=draft)
        await interaction.response.send_modal(modal)

    async def _own_entry(self, interaction: Interaction, entry_id: str) -> Entry | None:
        """The server's entry with that id, or None after telling the moderator why not."""
        found = self._kb(interaction).by_id.get(entry_id)
        if found is None:
            await respond(interaction, f"No entry “{member_text(entry_id, 100)}” in this server.")
            return None
        if not found.is_moderator_entry:
            await respond(
                interaction,
                f"`{found.id}` is part of the shipped FAQ, which is read-only here; "
                "change it in knowledge/faq.yaml.",
            )
            return None
        return found

    @faq.command(name="edit", description="Edit one of this server's FAQ entries (moderators).")
    @app_commands.describe(entry="The entry to edit (only this server's own entries)")
    @moderator_only()
    async def edit(self, interaction: Interaction, entry: str) -> None:
        """Open the entry form, prefilled."""
        found = await self._own_entry(interaction, entry)
        if found is not None:
            modal = EntryModal(guild_id=_guild_id(interaction), editing=found)
            await interaction.response.send_modal(modal)

    @faq.command(name="remove", description="Remove one of this server's FAQ entries (moderators).")
    @app_commands.describe(entry="The entry to remove (only this server's own entries)")
    @moderator_only()
    async def remove(self, interaction: Interaction, entry: str) -> None:
        """Ask for confirmation, then remove the entry."""
        guild_id = _guild_id(interaction)
        found = await self._own_entry(interaction, entry)
        if found is None:
            return
        library = self.bot.library
        actor = interaction.user.id

        async def confirmed(click: Interaction) -> None:
            await click.response.defer()
            try:
                await asyncio.to_thread(library.remove_entry, guild_id, found.id, actor)
            except KnowledgeError as exc:
                problems = "; ".join(p.message for p in exc.problems)
                text = f"Not removed: {safe_text(problems, 1500)}"
            else:
                _log.info("removed entry %s in server %s by %s", found.id, guild_id, actor)
                text = f"Removed `{found.id}`."
            await click.edit_original_response(
                content=text, view=None, allowed_mentions=discord.AllowedMentions.none()
            )

        view = ConfirmView(
            actor,
            confirm_label="Remove",
            on_confirm=confirmed,
            still_allowed=moderator_predicate,
        )
        await respond(
            interaction,
            f"Remove `{found.id}` ({safe_text(found.question, 300)})? It stops answering at once.",
            view=view,
        )

    @edit.autocomplete("entry")
    @remove.autocomplete("entry")
    async def _own_entry_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not is_moderator(interaction):
            return []
        return await self._entry_choices(interaction, current, own_only=True)

    @faq.command(name="gaps", description="Questions the FAQ answers badly (moderators).")
    @moderator_only()
    async def gaps(self, interaction: Interaction) -> None:
        """The most frequent unanswered and "Not helpful" questions, each with an add button."""
        guild_id = _guild_id(interaction)
        # Reading the stats can take seconds on a big or busy database.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            found = await self.bot.stats.gaps(guild_id, limit=GAPS_SHOWN)
        except StatsUnavailable as exc:
            await respond(interaction, str(exc))
            return
        view = None
        if found:
            questions = [g.question for g in found]
            view = GapsView(interaction.user.id, guild_id=guild_id, questions=questions)
        await respond(interaction, embed=gaps_embed(found), view=view)

    @faq.command(name="stats", description="Asks and votes per FAQ entry (moderators).")
    @moderator_only()
    async def stats(self, interaction: Interaction) -> None:
        """Asks, helpful and not helpful per entry in this server."""
        guild_id = _guild_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            rows = await self.bot.stats.entry_stats(guild_id)
        except StatsUnavailable as exc:
            await respond(interaction, str(exc))
            return
        await respond(interaction, embed=stats_embed(rows, self._kb(interaction)))

    @faq.command(name="reload", description="Reload the FAQ files now (moderators).")
    @moderator_only()
    async def reload(self, interaction: Interaction) -> None:
        """Pick up changed files at once, and say what is wrong for this server.

        Only this server's file is detailed (another server's rejected file is none of its
        business); the shipped files are the operator's, so they are only mentioned.
        """
        guild_id = _guild_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.to_thread(self.bot.library.refresh)
        rejected = self.bot.library.rejected_for(guild_id)
        if rejected:
            problems: list[str] = []
            for error in rejected:
                if error.guild_id is None:
                    problems.append(SHIPPED_REJECTED)
                else:
                    problems += [problem_line(p) for p in error.problems]
            title = "Some files were rejected; the last good versions keep serving"
            await respond(interaction, embed=problems_embed(title, problems))
            return
        kb = self._kb(interaction)
        own = sum(1 for e in kb.entries if e.is_moderator_entry)
        await respond(
            interaction, f"Up to date: {len(kb.entries)} entries here, {own} of them this server's."
        )

    # -- members' data -------------------------------------------------------------------

    @faq.command(
        name="forget-me", description="Delete your votes and the questions you asked the bot."
    )
    async def forget_me(self, interaction: Interaction) -> None:
        """Ask for confirmation, then delete everything stored about the member, everywhere."""
        user_id = interaction.user.id
        bot = self.bot

        async def confirmed(click: Interaction) -> None:
            await click.response.edit_message(content="Deleting…", view=None)
            try:
                report = await bot.stats.run(
                    "forgetting a member", lambda: bot.library.store.forget_user(user_id)
                )
            except StatsUnavailable:
                text = (
                    "I could not delete your data just now; please try again in a minute "
                    "(trying again is safe)."
                )
            else:
                text = (
                    f"Done: deleted {_count(report.votes, 'vote')} and "
                    f"{_count(report.asks, 'question')}; your id was removed from "
                    f"{_count(report.entries, 'FAQ entry', 'FAQ entries')} and "
                    f"{_count(report.audit_records, 'change-log record')}."
                )
            await click.edit_original_response(
                content=text, allowed_mentions=discord.AllowedMentions.none()
            )

        view = ConfirmView(user_id, confirm_label="Delete my data", on_confirm=confirmed)
        await respond(interaction, FORGET_QUESTION, view=view)

    # -- server settings (Manage Server) --------------------------------------------------

    @config.command(name="show", description="Show the bot's settings in this server.")
    @server_manager_only()
    async def config_show(self, interaction: Interaction) -> None:
        """The server's own settings, and the defaults where it set nothing."""
        guild_id = _guild_id(interaction)
        own = self.bot.library.settings_for(guild_id)
        embed = settings_embed(own, self.bot.settings, interaction.guild)
        await respond(interaction, embed=embed)

    @config.command(name="channel-add", description="Answer questions on my own in a channel.")
    @app_commands.describe(channel="A text channel of this server")
    @server_manager_only()
    async def config_channel_add(
        self, interaction: Interaction, channel: discord.TextChannel
    ) -> None:
        """Add a channel to the server's auto-answer channels."""
        guild_id = _guild_id(interaction)
        own = self.bot.library.settings_for(guild_id)
        current = effective_channels(own, self.bot.settings, interaction.guild)
        if channel.id in current:
            await respond(interaction, f"I already answer on my own in {channel.mention}.")
            return
        if len(current) >= CHANNELS_MAX:
            await respond(
                interaction,
                f"This server has {CHANNELS_MAX} auto-answer channels, the most I keep; "
                "remove one first.",
            )
            return
        changed = with_channels(own, current | {channel.id})
        await self._save_settings(
            interaction,
            changed,
            f"I now answer on my own in {channels_shown(changed.auto_answer_channels)}.",
        )

    @config.command(name="channel-remove", description="Stop answering on my own in a channel.")
    @app_commands.describe(channel="One of the channels I answer in (start typing)")
    @server_manager_only()
    async def config_channel_remove(self, interaction: Interaction, channel: str) -> None:
        """Remove a channel from the server's auto-answer channels."""
        guild_id = _guild_id(interaction)
        own = self.bot.library.settings_for(guild_id)
        current = effective_channels(own, self.bot.settings, interaction.guild)
        picked = int(channel) if channel.isdigit() else None
        if picked not in current:
            await respond(
                interaction, "That is not one of my channels here; pick one from the list."
            )
            return
        left = current - {picked}
        if left:
            done = f"I now answer on my own in {channels_shown(left)}."
        elif self.bot.settings.auto_answer_channels:
            done = "This server is back to the bot's default channels."
        else:
            done = "I now answer in this server only when mentioned."
        await self._save_settings(interaction, with_channels(own, left), done)

    @config_channel_remove.autocomplete("channel")
    async def _channel_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            return []
        own = self.bot.library.settings_for(interaction.guild_id)
        typed = current.casefold().strip().lstrip("#")
        choices = []
        for channel_id in sorted(effective_channels(own, self.bot.settings, interaction.guild)):
            found = interaction.guild.get_channel(channel_id) if interaction.guild else None
            name = f"#{found.name}" if found is not None else f"#{channel_id} (not found)"
            if typed in name.casefold():
                choices.append(
                    app_commands.Choice(name=truncate(name, CHOICE_NAME_MAX), value=str(channel_id))
                )
        return choices[:AUTOCOMPLETE_MAX]

    @config.command(name="mod-role", description="The role that may edit the FAQ here.")
    @app_commands.describe(role="Leave empty to go back to the bot's default")
    @server_manager_only()
    async def config_mod_role(
        self, interaction: Interaction, role: discord.Role | None = None
    ) -> None:
        """Set (or clear) the server's moderator role."""
        guild_id = _guild_id(interaction)
        if role is not None and role.is_default():
            await respond(interaction, "Pick a role other than @everyone.")
            return
        own = self.bot.library.settings_for(guild_id)
        done = (
            f"Members with {role.mention} can now edit the FAQ here."
            if role is not None
            else "The moderator role is back to the bot's default."
        )
        await self._save_settings(interaction, with_mod_role(own, role.id if role else None), done)

    @config.command(name="reset", description="Go back to the bot's default settings here.")
    @server_manager_only()
    async def config_reset(self, interaction: Interaction) -> None:
        """Forget every setting of this server."""
        await self._save_settings(
            interaction, GuildSettings(), "This server is back to the bot's default settings."
        )

    async def _save_settings(
        self, interaction: Interaction, changed: GuildSettings, done: str
    ) -> None:
        """Save the server's settings (they apply at once) and say what changed, privately."""
        guild_id = _guild_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await asyncio.to_thread(
                self.bot.library.set_settings, guild_id, changed, interaction.user.id
            )
        except KnowledgeError as exc:
            problems = "; ".join(p.message for p in exc.problems)
            await respond(interaction, f"Not saved: {safe_text(problems, 1500)}")
            return
        _log.info("server %s: settings changed by %s", guild_id, interaction.user.id)
        await respond(interaction, done)

    @faq.command(name="sync", description="Publish the bot's commands to Discord (bot owner).")
    @app_commands.describe(here="Only to this server, at once (default: everywhere)")
    @owner_only()
    async def sync(self, interaction: Interaction, here: bool = False) -> None:
        """Sync the command tree, globally or to this server."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        tree = interaction.client.tree
        if here and interaction.guild_id is not None:
            guild = discord.Object(id=interaction.guild_id)
            tree.copy_global_to(guild=guild)
            synced = await tree.sync(guild=guild)
            where = "to this server"
        else:
            synced = await tree.sync()
            where = "globally"
        _log.info("synced %d commands %s", len(synced), where)
        await respond(interaction, f"Synced {len(synced)} commands {where}.")


async def setup(bot: FaqBot) -> None:
    """Load the FAQ cog."""
    await bot.add_cog(FaqCog(bot))
