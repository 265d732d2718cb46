"""/faq commands and the "Add to FAQ" menu, driven with fake interactions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from bot_fakes import (
    GUILD_ID,
    MEMBER_ID,
    MOD_ROLE_ID,
    OTHER_MEMBER_ID,
    OWNER_ID,
    PARAGRAPH_2_QUOTE,
    FakeInteraction,
    last_send,
    make_message,
    sent_kwargs,
    sent_text,
)

from bot.checks import NotModerator, NotOwner
from bot.client import FaqBot
from bot.cogs.faq import SHIPPED_REJECTED, FaqCog
from bot.core.models import Entry, Reply, Suggestion
from bot.core.stats import Stats
from bot.modals import EntryDraft, EntryModal, GapsView, RetryView
from bot.responses import SOMETHING_WENT_WRONG
from bot.views import ConfirmView, PagedView

NO_MENTIONS = discord.AllowedMentions.none().to_dict()


def _fill(modal: EntryModal, **values: str) -> None:
    """Type into the form as a moderator would."""
    for name, value in values.items():
        getattr(modal, name)._value = value


async def _open_add_modal(cog: FaqCog, interaction: Any) -> EntryModal:
    await cog.add.callback(cog, interaction)
    modal = interaction.response.send_modal.await_args.args[0]
    assert isinstance(modal, EntryModal)
    return modal


async def _add_entry(
    cog: FaqCog, make_interaction: FakeInteraction, **values: str
) -> tuple[EntryModal, Any]:
    modal = await _open_add_modal(cog, make_interaction(manage_guild=True))
    _fill(modal, **values)
    submit = make_interaction(manage_guild=True)
    await modal.on_submit(submit)
    return modal, submit


def _guild_file(bot: FaqBot) -> Path:
    return bot.library.store.path_for(GUILD_ID)


# -- /faq ask ---------------------------------------------------------------------------


async def test_ask_answers_publicly_with_buttons(
    faq_cog: FaqCog, make_interaction: FakeInteraction, stats: Stats
) -> None:
    interaction = make_interaction()
    await faq_cog.ask.callback(faq_cog, interaction, "What is the NCG?", False)
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is False
    assert kwargs["allowed_mentions"].to_dict() == NO_MENTIONS
    [embed] = kwargs["embeds"]
    assert embed.title == "What is the nuclear consultative group?"
    assert (embed.fields[0].value or "").startswith(f"¶2 “{PARAGRAPH_2_QUOTE}”")
    assert (embed.footer.text or "").startswith("Confidence ")
    ids = [c.custom_id for c in kwargs["view"].children]
    assert ids == ["faq:vote:1:ncg", "faq:vote:0:ncg", "faq:para:ncg", f"faq:dismiss:{MEMBER_ID}"]
    [row] = stats.entry_stats(GUILD_ID)
    assert (row.entry_id, row.asks) == ("ncg", 1)


async def test_ask_private_is_ephemeral_without_dismiss(
    faq_cog: FaqCog, make_interaction: FakeInteraction
) -> None:
    interaction = make_interaction()
    await faq_cog.ask.callback(faq_cog, interaction, "What is the NCG?", True)
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert not any("dismiss" in c.custom_id for c in kwargs["view"].children)


async def test_ask_without_answer_is_private_and_becomes_a_gap(
    faq_cog: FaqCog, make_interaction: FakeInteraction, stats: Stats
) -> None:
    interaction = make_interaction()
    await faq_cog.ask.callback(faq_cog, interaction, "How do I bake sourdough bread?", False)
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert "do not have an answer" in sent_text(interaction.response.send_message)
    [gap] = stats.gaps(GUILD_ID)
    assert (gap.question, gap.unanswered) == ("How do I bake sourdough bread?", 1)


async def test_ask_offers_up_to_three_suggestions(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    matcher = MagicMock()
    matcher.reply.return_value = Reply(
        question="q",
        answered=False,
        suggestions=tuple(Suggestion(f"entry-{i}", f"Question {i}?", 50) for i in range(5)),
    )
    monkeypatch.setattr(bot.library, "matcher_for", lambda guild_id: matcher)
    interaction = make_interaction()
    await faq_cog.ask.callback(faq_cog, interaction, "something vague", False)
    kwargs = sent_kwargs(interaction.response.send_message)
    assert "Did you mean" in sent_text(interaction.response.send_message)
    assert [c.custom_id for c in kwargs["view"].children] == [
        f"faq:pick:{MEMBER_ID}:entry-0",
        f"faq:pick:{MEMBER_ID}:entry-1",
        f"faq:pick:{MEMBER_ID}:entry-2",
    ]
    matcher.reply.assert_called_once_with("something vague", chat=False, addressed=False)


async def test_ask_has_a_cooldown(faq_cog: FaqCog) -> None:
    checks = faq_cog.ask.checks
    assert checks, "ask must be rate limited"


# -- /faq show, list, paragraph -------------------------------------------------------


async def test_show_posts_the_entry(faq_cog: FaqCog, make_interaction: FakeInteraction) -> None:
    interaction = make_interaction()
    await faq_cog.show.callback(faq_cog, interaction, "strategic-assets")
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is False
    assert kwargs["embeds"][0].title == "Which strategic assets will the United States deploy?"
    assert kwargs["embeds"][0].footer.text == "FAQ entry · strategic-assets"


async def test_show_unknown_entry_is_private(
    faq_cog: FaqCog, make_interaction: FakeInteraction
) -> None:
    interaction = make_interaction()
    await faq_cog.show.callback(faq_cog, interaction, "**nope** @everyone")
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    text = sent_text(interaction.response.send_message)
    assert "No entry" in text and "@everyone" not in text


async def test_autocomplete_gives_at_most_25_short_choices(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    interaction = make_interaction()
    choices = await faq_cog._show_autocomplete(interaction, "nuclear")
    assert choices and choices[0].value in {"ncg", "strategic-assets"}

    matcher = MagicMock()
    matcher.kb = bot.library.base
    matcher.search_entries.return_value = [
        Suggestion(f"e-{i}", "A very long question " * 10, 60) for i in range(40)
    ]
    monkeypatch.setattr(bot.library, "matcher_for", lambda guild_id: matcher)
    choices = await faq_cog._show_autocomplete(interaction, "long")
    assert len(choices) == 25
    assert all(1 <= len(c.name) <= 100 for c in choices)


async def test_autocomplete_failure_gives_no_choices(
    faq_cog: FaqCog,
    make_interaction: FakeInteraction,
    bot: FaqBot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(guild_id: int | None) -> Any:
        raise RuntimeError("index gone")

    monkeypatch.setattr(bot.library, "matcher_for", broken)
    with caplog.at_level(logging.ERROR):
        assert await faq_cog._show_autocomplete(make_interaction(), "x") == []
    assert "autocomplete failed" in caplog.text


async def test_list_is_paginated_and_private(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    interaction = make_interaction()
    await faq_cog.list_entries.callback(faq_cog, interaction, None)
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert "3 entries" in (kwargs["embeds"][0].footer.text or "")
    assert kwargs["view"] is discord.utils.MISSING  # one page: no buttons

    many = tuple(Entry(id=f"e-{i}", question=f"Question {i}?", answer="a") for i in range(25))
    kb = bot.library.base.with_entries(many)
    monkeypatch.setattr(bot.library, "knowledge_for", lambda guild_id: kb)
    interaction = make_interaction()
    await faq_cog.list_entries.callback(faq_cog, interaction, None)
    view = sent_kwargs(interaction.response.send_message)["view"]
    assert isinstance(view, PagedView) and len(view.pages) == 3


async def test_list_by_tag(faq_cog: FaqCog, make_interaction: FakeInteraction) -> None:
    interaction = make_interaction()
    await faq_cog.list_entries.callback(faq_cog, interaction, "nuclear")
    description = sent_kwargs(interaction.response.send_message)["embeds"][0].description
    assert "`ncg`" in description and "`strategic-assets`" in description
    assert "seventy-years" not in description

    interaction = make_interaction()
    await faq_cog.list_entries.callback(faq_cog, interaction, "cooking")
    assert "Tags: `history`, `nuclear`" in sent_text(interaction.response.send_message)
    choices = await faq_cog._tag_autocomplete(make_interaction(), "nuc")
    assert [c.value for c in choices] == ["nuclear"]


async def test_paragraph(faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot) -> None:
    interaction = make_interaction()
    await faq_cog.paragraph.callback(faq_cog, interaction, 8)
    [embed] = sent_kwargs(interaction.response.send_message)["embeds"]
    assert embed.title == "¶8"
    assert (embed.description or "").startswith("But for now, observers should welcome")

    interaction = make_interaction()
    await faq_cog.paragraph.callback(faq_cog, interaction, 42)
    count = len(bot.library.base.article.paragraphs)
    assert sent_text(interaction.response.send_message) == (
        f"There is no paragraph 42: the article has paragraphs 1 to {count}."
    )


# -- permissions --------------------------------------------------------------------------

MODERATOR_COMMANDS = ("add", "edit", "remove", "gaps", "stats", "reload")


@pytest.mark.parametrize("name", MODERATOR_COMMANDS)
async def test_moderator_commands_refuse_members_at_run_time(
    faq_cog: FaqCog, make_interaction: FakeInteraction, name: str
) -> None:
    command = getattr(faq_cog, name)
    member = make_interaction()
    with pytest.raises(NotModerator, match="Only moderators"):
        for check in command.checks:
            await check(member)
    for allowed in (make_interaction(manage_guild=True), make_interaction(role_ids=(MOD_ROLE_ID,))):
        assert all([await check(allowed) for check in command.checks])
    with pytest.raises(NotModerator, match="inside a server"):
        for check in command.checks:
            await check(make_interaction(guild_id=None))


async def test_sync_is_for_the_owner_only(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(NotOwner):
        for check in faq_cog.sync.checks:
            await check(make_interaction(manage_guild=True))
    owner = make_interaction(user_id=OWNER_ID)
    assert all([await check(owner) for check in faq_cog.sync.checks])
    sync = AsyncMock(return_value=[object()] * 2)
    monkeypatch.setattr(bot.tree, "sync", sync)
    await faq_cog.sync.callback(faq_cog, owner, False)
    sync.assert_awaited_once_with()
    assert sent_text(owner.followup.send) == "Synced 2 commands globally."


async def test_refusal_goes_through_the_tree_error_handler(
    bot: FaqBot, make_interaction: FakeInteraction
) -> None:
    interaction = make_interaction()
    await bot.tree.on_error(interaction, NotModerator("Only moderators (x) can do that."))
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert sent_text(interaction.response.send_message) == "Only moderators (x) can do that."


# -- /faq add and the form --------------------------------------------------------------


async def test_add_saves_a_valid_entry(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot
) -> None:
    _, submit = await _add_entry(
        faq_cog,
        make_interaction,
        question="Who will consult before using nuclear weapons?",
        alternates="who consults seoul\n\nWho consults Seoul?\nconsultation on nuclear use",
        answer="Washington will consult Seoul before using nuclear weapons on the peninsula.",
        paragraph="2",
        quote="Washington will commit to take every effort to consult with Seoul",
    )
    text = sent_text(last_send(submit))
    assert "Added entry `consult-before-using-nuclear-weapons`" in text
    assert sent_kwargs(last_send(submit))["ephemeral"] is True
    saved = bot.library.knowledge_for(GUILD_ID).by_id["consult-before-using-nuclear-weapons"]
    # Blank lines and a repeat differing only in case are dropped.
    assert saved.alternates == ("who consults seoul", "consultation on nuclear use")
    assert saved.created_by == MEMBER_ID
    assert _guild_file(bot).exists()
    # It answers at once.
    reply = bot.library.matcher_for(GUILD_ID).reply(
        "Who will consult before using nuclear weapons?"
    )
    assert reply.entry_id == "consult-before-using-nuclear-weapons"


async def test_an_id_taken_while_the_form_was_saved_is_settled_under_the_lock(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot, monkeypatch: Any
) -> None:
    # Issue 9, finding 8: the form picked the id before the store's lock, so two moderators
    # adding questions with the same id at once got "already exists". Replay that race: the
    # id read before the lock is the one the other moderator has just saved.
    values = {
        "question": "Who chairs the new consultative meetings?",
        "answer": "The author says the group will meet more frequently.",
    }
    before = set(bot.library.knowledge_for(GUILD_ID).by_id)
    await _add_entry(faq_cog, make_interaction, **values)
    [first] = set(bot.library.knowledge_for(GUILD_ID).by_id) - before
    monkeypatch.setattr(bot.library, "new_entry_id", lambda guild_id, question: first)
    values["question"] = "Who chairs the new consultative meetings now?"
    _, submit = await _add_entry(faq_cog, make_interaction, **values)
    text = sent_text(last_send(submit))
    assert "Added entry `" in text and f"`{first}`" not in text, text
    assert len(set(bot.library.knowledge_for(GUILD_ID).by_id) - before) == 2


async def test_add_without_source_is_labelled_moderators(
    faq_cog: FaqCog, make_interaction: FakeInteraction
) -> None:
    _, submit = await _add_entry(
        faq_cog,
        make_interaction,
        question="Where can I discuss the article?",
        answer="In the #articles channel.",
    )
    embed = sent_kwargs(last_send(submit))["embeds"][0]
    assert [(f.name, f.value) for f in embed.fields] == [("Source", "Added by moderators")]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"paragraph": "2", "quote": "South Korea will build its own nuclear bomb today"},
            "Quote: not found word for word in paragraph 2. Copy the words exactly",
        ),
        (
            {"paragraph": "2", "quote": "Last year marked 70 years of the American alliance"},
            "It is in paragraph 1: use that number.",
        ),
        (
            {"paragraph": "99", "quote": "Last year marked 70 years of the American alliance"},
            "Paragraph: there is no paragraph 99; the article has paragraphs 1 to 8.",
        ),
        ({"paragraph": "two", "quote": PARAGRAPH_2_QUOTE}, "Paragraph: 'two' is not a number"),
        ({"paragraph": "2", "quote": ""}, "Source: give both a paragraph number and a quote"),
        ({"paragraph": "2", "quote": "too short"}, "Quote: 9 characters; quote at least 20"),
        ({"question": "x" * 300}, "Question: 300 characters; keep it to 256."),
        ({"alternates": "ok\n" + "y" * 257}, "Other ways to ask, line 2: 257 characters"),
        ({"answer": "z" * 4001}, "Answer: 4001 characters; keep it to 4000."),
        (
            {"question": "What is the nuclear consultative group?"},
            "is already used by entry 'ncg'",
        ),
    ],
)
async def test_bad_input_is_explained_and_nothing_is_saved(
    faq_cog: FaqCog,
    make_interaction: FakeInteraction,
    bot: FaqBot,
    fields: dict[str, str],
    expected: str,
) -> None:
    values = {"question": "A brand new question?", "answer": "A brand new answer.", **fields}
    _, submit = await _add_entry(faq_cog, make_interaction, **values)
    kwargs = sent_kwargs(last_send(submit))
    assert kwargs["ephemeral"] is True
    assert kwargs["allowed_mentions"].to_dict() == NO_MENTIONS
    text = sent_text(last_send(submit))
    assert text.startswith("Not saved. Fix this and try again:")
    assert expected in text
    assert isinstance(kwargs["view"], RetryView)
    assert not _guild_file(bot).exists()
    assert len(bot.library.knowledge_for(GUILD_ID).entries) == 3


async def test_retry_reopens_the_form_with_what_was_typed(
    faq_cog: FaqCog, make_interaction: FakeInteraction
) -> None:
    _, submit = await _add_entry(
        faq_cog, make_interaction, question="Q?", answer="A.", paragraph="99", quote="q" * 30
    )
    retry = sent_kwargs(last_send(submit))["view"]
    click = make_interaction(manage_guild=True)
    await retry.retry.callback(click)
    modal = click.response.send_modal.await_args.args[0]
    assert (modal.question.default, modal.paragraph.default) == ("Q?", "99")


def test_form_fields_are_bounded() -> None:
    modal = EntryModal(guild_id=GUILD_ID)
    assert modal.question.max_length == 256
    assert modal.answer.max_length == 4000
    assert modal.quote.max_length == 1000
    assert modal.paragraph.max_length == 4
    assert modal.alternates.max_length == 4000
    # A prefilled value over a field's maximum would make Discord reject the whole form.
    long_draft = EntryDraft(question="q" * 500, answer="a" * 5000, quote="x" * 2000)
    prefilled = EntryModal(guild_id=GUILD_ID, draft=long_draft)
    assert len(prefilled.question.default or "") == 256
    assert len(prefilled.answer.default or "") == 4000
    assert len(prefilled.quote.default or "") == 1000


async def test_markdown_and_everyone_in_an_entry_are_harmless(
    faq_cog: FaqCog, make_interaction: FakeInteraction
) -> None:
    _, submit = await _add_entry(
        faq_cog,
        make_interaction,
        question="Is @everyone **invited** to the summit?",
        answer="@here [free nitro](https://evil.example) <@&123456789012345678>",
    )
    kwargs = sent_kwargs(last_send(submit))
    assert kwargs["allowed_mentions"].to_dict() == NO_MENTIONS
    embed = kwargs["embeds"][0]
    assert "@\u200beveryone" in (embed.title or "") and "\\*\\*invited\\*\\*" in (embed.title or "")
    assert "@\u200bhere" in (embed.description or "")
    assert "\\[free nitro]" in (embed.description or "")
    assert "<@&123456789012345678>" not in (embed.description or "")

    ask = make_interaction()
    await faq_cog.ask.callback(faq_cog, ask, "Is @everyone **invited** to the summit?", False)
    answer = sent_kwargs(ask.response.send_message)
    assert answer["allowed_mentions"].to_dict() == NO_MENTIONS
    assert "@here" not in (answer["embeds"][0].description or "")


async def test_a_member_who_lost_the_role_cannot_submit(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot
) -> None:
    modal = await _open_add_modal(faq_cog, make_interaction(manage_guild=True))
    _fill(modal, question="Sneaky question?", answer="Sneaky answer.")
    submit = make_interaction()
    # What discord.py runs on submit: interaction_check, then on_submit; errors to on_error.
    try:
        allowed = await modal.interaction_check(submit)
    except NotModerator as exc:
        await modal.on_error(submit, exc)
        allowed = False
    assert allowed is False
    assert "Only moderators" in sent_text(last_send(submit))
    assert not _guild_file(bot).exists()


async def test_form_error_handler_apologises_and_logs(
    make_interaction: FakeInteraction, caplog: pytest.LogCaptureFixture
) -> None:
    modal = EntryModal(guild_id=GUILD_ID)
    interaction = make_interaction(manage_guild=True)
    with caplog.at_level(logging.ERROR):
        await modal.on_error(interaction, RuntimeError("boom"))
    assert sent_text(interaction.response.send_message) == SOMETHING_WENT_WRONG
    assert "the entry form failed" in caplog.text


async def test_context_menu_prefills_the_question(
    faq_cog: FaqCog, make_interaction: FakeInteraction
) -> None:
    menu = faq_cog.add_menu
    assert menu.name == "Add to FAQ"
    member = make_interaction()
    with pytest.raises(NotModerator):
        for check in menu.checks:
            await check(member)
    interaction = make_interaction(manage_guild=True)
    await menu.callback(interaction, make_message("  When is the G7 meeting?  "))
    modal = interaction.response.send_modal.await_args.args[0]
    assert isinstance(modal, EntryModal)
    assert modal.question.default == "When is the G7 meeting?"
    assert modal.title == "Add an FAQ entry"

    long_text = make_interaction(manage_guild=True)
    await menu.callback(long_text, make_message("w" * 3000))
    assert len(long_text.response.send_modal.await_args.args[0].question.default) == 256

    empty = make_interaction(manage_guild=True)
    await menu.callback(empty, make_message("   "))
    assert "no text" in sent_text(empty.response.send_message)


# -- /faq edit and remove ---------------------------------------------------------------


async def _moderator_entry(cog: FaqCog, make_interaction: FakeInteraction) -> str:
    await _add_entry(
        cog,
        make_interaction,
        question="When will Biden visit Japan?",
        alternates="biden japan trip",
        answer="Next month, for the G7.",
        paragraph="4",
        quote="next month, Biden will visit Japan for the G7",
    )
    return "biden-visit-japan"


async def test_edit_prefills_and_saves(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot
) -> None:
    entry_id = await _moderator_entry(faq_cog, make_interaction)
    interaction = make_interaction(manage_guild=True)
    await faq_cog.edit.callback(faq_cog, interaction, entry_id)
    modal = interaction.response.send_modal.await_args.args[0]
    assert modal.title == "Edit an FAQ entry"
    assert (modal.question.default, modal.alternates.default) == (
        "When will Biden visit Japan?",
        "biden japan trip",
    )
    assert (modal.paragraph.default, modal.quote.default) == (
        "4",
        "next month, Biden will visit Japan for the G7",
    )
    _fill(
        modal,
        question="When will Biden visit Japan?",
        alternates="biden japan trip",
        answer="Next month, for the G7 in Hiroshima.",
        paragraph="4",
        quote="next month, Biden will visit Japan for the G7",
    )
    submit = make_interaction(manage_guild=True, user_id=OTHER_MEMBER_ID)
    await modal.on_submit(submit)
    assert "Updated entry `biden-visit-japan`" in sent_text(last_send(submit))
    saved = bot.library.knowledge_for(GUILD_ID).by_id[entry_id]
    assert saved.answer == "Next month, for the G7 in Hiroshima."
    assert (saved.created_by, saved.updated_by) == (MEMBER_ID, OTHER_MEMBER_ID)


async def test_shipped_entries_are_read_only(
    faq_cog: FaqCog, make_interaction: FakeInteraction
) -> None:
    for command in (faq_cog.edit, faq_cog.remove):
        interaction = make_interaction(manage_guild=True)
        await command.callback(faq_cog, interaction, "ncg")
        assert "read-only here" in sent_text(interaction.response.send_message)
        assert interaction.response.send_modal.await_count == 0
    interaction = make_interaction(manage_guild=True)
    await faq_cog.edit.callback(faq_cog, interaction, "no-such-entry")
    assert "No entry “no-such-entry”" in sent_text(interaction.response.send_message)


async def test_edit_autocomplete_lists_only_the_servers_entries(
    faq_cog: FaqCog, make_interaction: FakeInteraction
) -> None:
    entry_id = await _moderator_entry(faq_cog, make_interaction)
    choices = await faq_cog._own_entry_autocomplete(make_interaction(manage_guild=True), "")
    assert [c.value for c in choices] == [entry_id]
    assert await faq_cog._own_entry_autocomplete(make_interaction(), "") == []


async def test_remove_asks_for_confirmation(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot
) -> None:
    entry_id = await _moderator_entry(faq_cog, make_interaction)
    interaction = make_interaction(manage_guild=True)
    await faq_cog.remove.callback(faq_cog, interaction, entry_id)
    view = sent_kwargs(interaction.response.send_message)["view"]
    assert isinstance(view, ConfirmView)
    assert entry_id in bot.library.knowledge_for(GUILD_ID).by_id  # not yet
    assert await view.interaction_check(make_interaction(user_id=OTHER_MEMBER_ID)) is False
    click = make_interaction(manage_guild=True)
    await view.confirm.callback(click)
    assert sent_kwargs(click.edit_original_response)["content"] == f"Removed `{entry_id}`."
    assert entry_id not in bot.library.knowledge_for(GUILD_ID).by_id


async def test_remove_confirmation_checks_the_moderator_again(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot
) -> None:
    entry_id = await _moderator_entry(faq_cog, make_interaction)
    interaction = make_interaction(manage_guild=True)
    await faq_cog.remove.callback(faq_cog, interaction, entry_id)
    view = sent_kwargs(interaction.response.send_message)["view"]
    # The same member clicks Remove after losing Manage Server.
    click = make_interaction(manage_guild=False)
    assert await view.interaction_check(click) is True  # still the owner of the question
    await view.confirm.callback(click)
    content = sent_kwargs(click.response.edit_message)["content"]
    assert content.startswith("Only moderators") and content.endswith("Nothing changed.")
    assert entry_id in bot.library.knowledge_for(GUILD_ID).by_id
    assert view.confirmed is False


# -- /faq gaps, stats, reload -----------------------------------------------------------


async def test_gaps_list_counts_and_open_the_form(
    faq_cog: FaqCog, make_interaction: FakeInteraction, stats: Stats
) -> None:
    for _ in range(3):
        stats.record_ask(GUILD_ID, "How do I bake sourdough bread?", None, False)
    stats.record_ask(GUILD_ID, "Where is the summit?", None, False)
    interaction = make_interaction(manage_guild=True)
    await faq_cog.gaps.callback(faq_cog, interaction)
    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    kwargs = sent_kwargs(interaction.followup.send)
    assert kwargs["ephemeral"] is True
    description = kwargs["embeds"][0].description or ""
    assert description.splitlines()[:2] == [
        "**1.** How do I bake sourdough bread?",
        "asked 3×, unanswered 3, not helpful 0",
    ]
    view = kwargs["view"]
    assert isinstance(view, GapsView)
    assert [b.label for b in view.children] == ["Add #1", "Add #2"]
    click = make_interaction(manage_guild=True)
    await view.children[0].callback(click)
    modal = click.response.send_modal.await_args.args[0]
    assert modal.question.default == "How do I bake sourdough bread?"


async def test_stats_show_asks_and_votes(
    faq_cog: FaqCog, make_interaction: FakeInteraction, stats: Stats
) -> None:
    stats.record_ask(GUILD_ID, "what is the ncg", "ncg", True, 5)
    stats.record_vote(GUILD_ID, 5, "ncg", MEMBER_ID, True)
    stats.record_vote(GUILD_ID, 5, "ncg", OTHER_MEMBER_ID, False)
    interaction = make_interaction(manage_guild=True)
    await faq_cog.stats.callback(faq_cog, interaction)
    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    embed = sent_kwargs(interaction.followup.send)["embeds"][0]
    assert embed.description == "What is the nuclear consultative group?: 1 asks, 👍 1, 👎 1"


async def test_reload_reports_rejected_files(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot
) -> None:
    interaction = make_interaction(manage_guild=True)
    await faq_cog.reload.callback(faq_cog, interaction)
    assert (
        sent_text(interaction.followup.send)
        == "Up to date: 3 entries here, 0 of them this server's."
    )

    path = _guild_file(bot)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("entries:\n  - id: Bad Id\n    question: q\n", encoding="utf-8")
    interaction = make_interaction(manage_guild=True)
    await faq_cog.reload.callback(faq_cog, interaction)
    embed = sent_kwargs(interaction.followup.send)["embeds"][0]
    assert embed.title == "Some files were rejected; the last good versions keep serving"
    assert str(GUILD_ID) in (embed.description or "")
    assert path.read_text(encoding="utf-8").startswith("entries:\n  - id: Bad Id")


async def test_reload_shows_only_this_servers_problems_without_paths(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot
) -> None:
    other = bot.library.store.path_for(GUILD_ID + 1)
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_text("entries:\n  - id: Their Secret\n    question: q\n", encoding="utf-8")
    interaction = make_interaction(manage_guild=True)
    await faq_cog.reload.callback(faq_cog, interaction)
    # Another server's rejected file is not this server's business.
    assert sent_text(interaction.followup.send).startswith("Up to date:")

    own = _guild_file(bot)
    own.write_text("entries:\n  - id: Bad Id\n    question: q\n", encoding="utf-8")
    interaction = make_interaction(manage_guild=True)
    await faq_cog.reload.callback(faq_cog, interaction)
    description = sent_kwargs(interaction.followup.send)["embeds"][0].description or ""
    assert description.startswith(f"• {GUILD_ID}.yaml")
    assert "Their Secret" not in description and str(GUILD_ID + 1) not in description
    assert str(own.parent) not in description and "/" not in description.replace("\\/", "")

    # Reported again on the next reload while the file stays rejected (not only once).
    again = make_interaction(manage_guild=True)
    await faq_cog.reload.callback(faq_cog, again)
    assert sent_kwargs(again.followup.send)["embeds"][0].description == description


async def test_reload_only_mentions_rejected_shipped_files(
    faq_cog: FaqCog, make_interaction: FakeInteraction, bot: FaqBot
) -> None:
    faq = bot.library.knowledge_dir / "faq.yaml"
    faq.write_text("entries: [unclosed\n", encoding="utf-8")
    interaction = make_interaction(manage_guild=True)
    await faq_cog.reload.callback(faq_cog, interaction)
    description = sent_kwargs(interaction.followup.send)["embeds"][0].description or ""
    assert description == f"• {SHIPPED_REJECTED}"
