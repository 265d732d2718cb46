"""The buttons: persistent ids that survive a restart, votes, paragraphs, dismiss, pages."""

from __future__ import annotations

import logging
import re
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from bot_fakes import (
    GUILD_ID,
    MEMBER_ID,
    MOD_ROLE_ID,
    OTHER_MEMBER_ID,
    FakeInteraction,
    last_send,
    make_message,
    sent_kwargs,
    sent_text,
)

from bot.client import FaqBot
from bot.core.models import ID_MAX, Entry, Reply, Source, Suggestion
from bot.core.stats import Stats
from bot.embeds import entry_reply
from bot.responses import SOMETHING_WENT_WRONG
from bot.views import (
    PERSISTENT_ITEMS,
    ConfirmView,
    DismissButton,
    PagedView,
    ParagraphButton,
    SuggestionButton,
    VoteButton,
    answer_view,
    suggestions_view,
)

LONGEST_ID = "a" * ID_MAX
MAX_SNOWFLAKE = 2**64 - 1


def _answered(entry_id: str = "ncg") -> Reply:
    return Reply(
        question="q",
        answered=True,
        kind="faq",
        entry_id=entry_id,
        title="t",
        answer="a",
        sources=(Source(paragraph=2, quote="the two countries will establish"),),
        score=90,
    )


def _template(cls: type[discord.ui.DynamicItem[Any]]) -> re.Pattern[str]:
    return cls.__discord_ui_compiled_template__


def _custom_ids(view: discord.ui.View) -> list[str]:
    return [str(getattr(item, "custom_id", "")) for item in view.children]


def test_answer_view_is_persistent_and_fits() -> None:
    view = answer_view(_answered(LONGEST_ID), asker_id=MAX_SNOWFLAKE)
    assert view.timeout is None
    assert view.is_persistent()
    ids = _custom_ids(view)
    assert ids == [
        f"faq:vote:1:{LONGEST_ID}",
        f"faq:vote:0:{LONGEST_ID}",
        f"faq:para:{LONGEST_ID}",
        f"faq:dismiss:{MAX_SNOWFLAKE}",
    ]
    for custom_id in ids:
        assert len(custom_id) <= 100
        # Each id is recognised by exactly one registered class after a restart.
        owners = [
            c for c in PERSISTENT_ITEMS if c.__discord_ui_compiled_template__.fullmatch(custom_id)
        ]
        assert len(owners) == 1, custom_id
    labels = [getattr(getattr(item, "item", None), "label", None) for item in view.children]
    assert labels == ["Helpful", "Not helpful", "Show paragraph", "Dismiss"]


def test_private_and_sourceless_answers_get_fewer_buttons() -> None:
    reply = Reply(question="q", answered=True, kind="faq", entry_id="x", answer="a", score=80)
    assert _custom_ids(answer_view(reply, asker_id=None)) == ["faq:vote:1:x", "faq:vote:0:x"]


def test_article_answers_use_a_paragraph_ref() -> None:
    reply = Reply(
        question="q",
        answered=True,
        kind="article",
        answer="a",
        sources=(Source(paragraph=7, quote="x" * 20),),
        score=70,
    )
    assert "faq:para:#7" in _custom_ids(answer_view(reply, asker_id=1))


def test_suggestion_buttons_fit() -> None:
    long_question = "Why " * 100
    reply = Reply(
        question="q",
        answered=False,
        suggestions=tuple(Suggestion(f"{LONGEST_ID[:-1]}{i}", long_question, 50) for i in range(5)),
    )
    view = suggestions_view(reply, asker_id=MAX_SNOWFLAKE)
    assert len(view.children) == 3
    for item in view.children:
        assert isinstance(item, SuggestionButton)
        assert len(item.custom_id) <= 100
        assert len(item.item.label or "") <= 80


async def test_from_custom_id_rebuilds_each_item(make_interaction: FakeInteraction) -> None:
    interaction = make_interaction()
    for original in (
        VoteButton("ncg", helpful=False),
        ParagraphButton("#3"),
        DismissButton(MEMBER_ID),
        SuggestionButton(MEMBER_ID, "ncg", "What is the NCG?"),
    ):
        cls = type(original)
        match = cls.__discord_ui_compiled_template__.fullmatch(original.custom_id)
        assert match is not None
        rebuilt = await cls.from_custom_id(interaction, original.item, match)
        assert rebuilt.custom_id == original.custom_id
        assert vars(rebuilt).keys() >= {"item"}


async def test_votes_one_per_member_per_answer(
    make_interaction: FakeInteraction, stats: Stats
) -> None:
    answer = make_message("answer")
    helpful = VoteButton("ncg", helpful=True)
    not_helpful = VoteButton("ncg", helpful=False)

    async def click(button: VoteButton, user_id: int = MEMBER_ID) -> tuple[str, dict[str, Any]]:
        interaction = make_interaction(user_id=user_id, message=answer)
        await button.callback(interaction)
        # Acknowledged first, privately; the result follows.
        interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
        send = interaction.followup.send
        return sent_text(send), sent_kwargs(send)

    text, kwargs = await click(helpful)
    assert text == "Thanks! Counted as helpful."
    assert kwargs["ephemeral"] is True
    assert kwargs["allowed_mentions"].to_dict() == discord.AllowedMentions.none().to_dict()
    assert (await click(helpful))[0] == "You already marked this answer helpful."
    assert (await click(not_helpful))[0].startswith("Changed your vote to not helpful.")
    await click(helpful, user_id=OTHER_MEMBER_ID)
    [row] = stats.entry_stats(GUILD_ID)
    assert (row.entry_id, row.helpful, row.not_helpful) == ("ncg", 1, 1)


async def test_show_paragraph_sends_the_whole_paragraph(
    make_interaction: FakeInteraction, bot: FaqBot
) -> None:
    interaction = make_interaction(message=make_message("answer"))
    await ParagraphButton("ncg").callback(interaction)
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    [embed] = kwargs["embeds"]
    paragraph = bot.library.base.article.paragraphs[1].text
    assert embed.title == "¶2"
    assert embed.description == discord.utils.escape_markdown(paragraph)

    interaction = make_interaction(message=make_message("answer"))
    await ParagraphButton("#5").callback(interaction)
    assert sent_kwargs(interaction.response.send_message)["embeds"][0].title == "¶5"

    interaction = make_interaction(message=make_message("answer"))
    await ParagraphButton("removed-entry").callback(interaction)
    assert sent_text(interaction.response.send_message) == "That FAQ entry no longer exists."


@pytest.mark.parametrize(
    ("user_id", "manage_guild", "roles", "deleted"),
    [
        (MEMBER_ID, False, (), True),  # the asker
        (OTHER_MEMBER_ID, True, (), True),  # Manage Server
        (OTHER_MEMBER_ID, False, (MOD_ROLE_ID,), True),  # the moderator role
        (OTHER_MEMBER_ID, False, (), False),  # anyone else
    ],
)
async def test_dismiss(
    make_interaction: FakeInteraction,
    user_id: int,
    manage_guild: bool,
    roles: tuple[int, ...],
    deleted: bool,
) -> None:
    answer = make_message("answer")
    interaction = make_interaction(
        user_id=user_id, manage_guild=manage_guild, role_ids=roles, message=answer
    )
    await DismissButton(MEMBER_ID).callback(interaction)
    assert answer.delete.await_count == (1 if deleted else 0)
    if not deleted:
        assert "Only the member who asked" in sent_text(interaction.response.send_message)


async def test_suggestion_pick_by_the_asker_becomes_the_answer(
    make_interaction: FakeInteraction,
) -> None:
    interaction = make_interaction(message=make_message("suggestions"))
    await SuggestionButton(MEMBER_ID, "ncg", "What is the nuclear consultative group?").callback(
        interaction
    )
    kwargs = sent_kwargs(interaction.response.edit_message)
    assert kwargs["embed"].title == "What is the nuclear consultative group?"
    assert kwargs["content"] is None
    assert "faq:dismiss:" + str(MEMBER_ID) in _custom_ids(kwargs["view"])


async def test_suggestion_pick_by_someone_else_is_private(
    make_interaction: FakeInteraction,
) -> None:
    interaction = make_interaction(user_id=OTHER_MEMBER_ID, message=make_message("suggestions"))
    await SuggestionButton(MEMBER_ID, "ncg", "label").callback(interaction)
    assert interaction.response.edit_message.await_count == 0
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert kwargs["embeds"][0].title == "What is the nuclear consultative group?"


async def test_a_failing_button_apologises_and_logs(
    make_interaction: FakeInteraction, bot: FaqBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.stats.record_vote = AsyncMock(side_effect=RuntimeError("disk on fire"))  # type: ignore[method-assign]
    interaction = make_interaction(message=make_message("answer"))
    with caplog.at_level(logging.ERROR, logger="bot.views"):
        await VoteButton("ncg", helpful=True).callback(interaction)
    assert sent_text(last_send(interaction)) == SOMETHING_WENT_WRONG
    assert any(r.exc_info and "disk on fire" in str(r.exc_info[1]) for r in caplog.records)


async def test_paged_view_turns_pages_for_its_owner_only(
    make_interaction: FakeInteraction,
) -> None:
    pages = [discord.Embed(title=f"page {i}") for i in range(3)]
    view = PagedView(MEMBER_ID, pages)
    assert view.previous.disabled and not view.next.disabled
    stranger = make_interaction(user_id=OTHER_MEMBER_ID)
    assert await view.interaction_check(stranger) is False
    assert "belong to whoever ran the command" in sent_text(stranger.response.send_message)
    owner = make_interaction()
    assert await view.interaction_check(owner) is True
    await view.next.callback(owner)
    assert sent_kwargs(owner.response.edit_message)["embed"].title == "page 1"
    await view.next.callback(make_interaction())
    assert view.index == 2 and view.next.disabled
    await view.previous.callback(make_interaction())
    assert view.index == 1


async def test_confirm_view(make_interaction: FakeInteraction) -> None:
    confirmed = AsyncMock()
    view = ConfirmView(MEMBER_ID, confirm_label="Remove", on_confirm=confirmed)
    assert view.confirm.label == "Remove"
    assert await view.interaction_check(make_interaction(user_id=OTHER_MEMBER_ID)) is False
    click = make_interaction()
    await view.confirm.callback(click)
    confirmed.assert_awaited_once_with(click)
    assert view.confirmed is True and view.is_finished()

    cancel_view = ConfirmView(MEMBER_ID, confirm_label="Remove", on_confirm=confirmed)
    click = make_interaction()
    await cancel_view.cancel.callback(click)
    assert confirmed.await_count == 1
    assert sent_kwargs(click.response.edit_message)["content"].startswith("Cancelled")


def test_persistent_items_match_no_foreign_ids() -> None:
    for custom_id in ("faq:vote:2:ncg", "faq:para:Bad_Id", "faq:dismiss:abc", "other:vote:1:x"):
        assert not any(_template(c).fullmatch(custom_id) for c in PERSISTENT_ITEMS)


def test_dynamic_item_survives_a_restart_by_template() -> None:
    # What discord.py does on a click after a restart: match the id against the templates.
    entry = Entry(
        id="ncg", question="q?", answer="a", sources=(Source(paragraph=2, quote="x" * 20),)
    )
    view = answer_view(entry_reply(entry), asker_id=MEMBER_ID)
    store = discord.ui.view.ViewStore(MagicMock())
    store.add_dynamic_items(*PERSISTENT_ITEMS)
    for custom_id in _custom_ids(view):
        assert any(p.fullmatch(custom_id) for p in store._dynamic_items), custom_id
