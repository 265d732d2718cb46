"""The chat listener: who it answers, how it answers, and how often."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from bot_fakes import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    MEMBER_ID,
    OTHER_CHANNEL_ID,
    OTHER_MEMBER_ID,
    make_message,
    reference_to,
    sent_kwargs,
    sent_text,
)

from bot.client import FaqBot
from bot.cogs.auto_answer import AutoAnswer, ChatQuestion, chat_question
from bot.core.models import Reply, Suggestion
from bot.core.stats import Stats

QUESTION = "What is the nuclear consultative group?"
CHANNELS = frozenset({CHANNEL_ID})


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def listener(bot: FaqBot, clock: Clock) -> AutoAnswer:
    """A fresh auto-answer cog on the test bot, with a hand-moved clock."""
    cog_class = type(bot.get_cog("AutoAnswer"))
    cog: AutoAnswer = cog_class(bot, clock=clock)
    return cog


# -- the guards -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (make_message(QUESTION), (QUESTION, False)),
        (make_message(QUESTION, author_bot=True), None),
        (make_message(QUESTION, author_id=BOT_ID, author_bot=True), None),
        (make_message(QUESTION, webhook_id=5), None),
        (make_message(QUESTION, channel_id=OTHER_CHANNEL_ID), None),
        (
            make_message(
                f"<@{BOT_ID}> {QUESTION}", channel_id=OTHER_CHANNEL_ID, mentions=(BOT_ID,)
            ),
            (QUESTION, True),
        ),
        (make_message(QUESTION, in_guild=False), None),
        (
            make_message(f"<@!{BOT_ID}> {QUESTION}", in_guild=False, mentions=(BOT_ID,)),
            (QUESTION, True),
        ),
        (make_message(QUESTION, reference=reference_to(OTHER_MEMBER_ID)), None),
        (make_message(QUESTION, reference=reference_to(BOT_ID)), (QUESTION, False)),
        (
            make_message(
                f"<@{BOT_ID}> {QUESTION}",
                reference=reference_to(OTHER_MEMBER_ID),
                mentions=(BOT_ID,),
            ),
            (QUESTION, True),
        ),
        (make_message(f"> {QUESTION}"), None),
        (make_message(f"```\n{QUESTION}\n```"), None),
        (make_message(f"`{QUESTION}`"), None),
        (make_message(f"<@{BOT_ID}>", mentions=(BOT_ID,)), None),
    ],
)
def test_chat_question_guards(message: Any, expected: tuple[str, bool] | None) -> None:
    found = chat_question(message, BOT_ID, CHANNELS)
    assert (None if found is None else (found.text, found.addressed)) == expected


def test_system_messages_are_ignored() -> None:
    message = make_message(QUESTION)
    message.type = discord.MessageType.pins_add
    assert chat_question(message, BOT_ID, CHANNELS) is None


def test_threads_of_a_configured_channel_count() -> None:
    message = make_message(QUESTION, channel_id=OTHER_CHANNEL_ID)
    thread = MagicMock(spec=discord.Thread)
    thread.id = OTHER_CHANNEL_ID
    thread.parent_id = CHANNEL_ID
    message.channel = thread
    assert chat_question(message, BOT_ID, CHANNELS) is not None


def test_a_forum_posts_title_is_part_of_its_first_message() -> None:
    message = make_message("see title, thanks", channel_id=OTHER_CHANNEL_ID)
    post = MagicMock(spec=discord.Thread)
    post.id = message.id  # a forum post's first message has the post's id
    post.parent_id = CHANNEL_ID
    post.parent = MagicMock(spec=discord.ForumChannel)
    post.name = "When was the AUKUS deal announced?"
    message.channel = post
    found = chat_question(message, BOT_ID, CHANNELS)
    assert found is not None and found.text.startswith("When was the AUKUS deal announced?\n")
    later = make_message("see title, thanks", channel_id=OTHER_CHANNEL_ID)
    later.channel = post  # a later message in the post: the title is not repeated
    assert chat_question(later, BOT_ID, CHANNELS) == ChatQuestion("see title, thanks", False)


def test_no_channels_means_mentions_only() -> None:
    assert chat_question(make_message(QUESTION), BOT_ID, frozenset()) is None
    mentioned = make_message(f"<@{BOT_ID}> {QUESTION}", mentions=(BOT_ID,))
    assert chat_question(mentioned, BOT_ID, frozenset()) is not None


# -- answering ------------------------------------------------------------------------


async def test_a_question_gets_a_sourced_reply_without_ping(
    listener: AutoAnswer, stats: Stats
) -> None:
    message = make_message(QUESTION)
    await listener.on_message(message)
    kwargs = sent_kwargs(message.reply)
    assert kwargs["mention_author"] is False
    assert kwargs["allowed_mentions"].to_dict() == discord.AllowedMentions.none().to_dict()
    embed = kwargs["embed"]
    assert embed.title == QUESTION
    assert embed.description == "The two countries will set up a nuclear consultative group."
    source = embed.fields[0].value or ""
    assert source.startswith("¶2 “the two countries will establish a nuclear consultative group”")
    assert "April 26, 2023" in source
    custom_ids = [c.custom_id for c in kwargs["view"].children]
    assert f"faq:dismiss:{MEMBER_ID}" in custom_ids
    [row] = stats.entry_stats(GUILD_ID)
    assert (row.entry_id, row.asks) == ("ncg", 1)


@pytest.mark.parametrize(
    "text", ["hello everyone!", "thanks, that helps", "I went to Seoul last year", "lol"]
)
async def test_chat_that_is_not_a_question_gets_nothing(
    listener: AutoAnswer, stats: Stats, text: str
) -> None:
    message = make_message(text)
    await listener.on_message(message)
    assert message.reply.await_count == 0
    assert stats.gaps(GUILD_ID) == []


async def test_suggestions_without_an_answer_stay_silent_but_count_as_a_gap(
    listener: AutoAnswer, bot: FaqBot, stats: Stats, monkeypatch: pytest.MonkeyPatch
) -> None:
    matcher = MagicMock()
    matcher.reply.return_value = Reply(
        question="q", answered=False, suggestions=(Suggestion("ncg", "What is the NCG?", 50),)
    )
    monkeypatch.setattr(bot.library, "matcher_for", lambda guild_id: matcher)
    message = make_message("what about that group thing?")
    await listener.on_message(message)
    assert message.reply.await_count == 0
    matcher.reply.assert_called_once_with(
        "what about that group thing?", chat=True, addressed=False
    )
    assert [g.question for g in stats.gaps(GUILD_ID)] == ["what about that group thing?"]


async def test_mentioned_without_an_answer_says_so(
    listener: AutoAnswer, bot: FaqBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    matcher = MagicMock()
    matcher.reply.return_value = Reply(question="q", answered=False)
    monkeypatch.setattr(bot.library, "matcher_for", lambda guild_id: matcher)
    message = make_message(f"<@{BOT_ID}> how do I bake bread?", mentions=(BOT_ID,))
    await listener.on_message(message)
    matcher.reply.assert_called_once_with("how do I bake bread?", chat=True, addressed=True)
    assert "do not have an answer" in sent_text(message.reply)
    assert sent_kwargs(message.reply)["allowed_mentions"].to_dict() == (
        discord.AllowedMentions.none().to_dict()
    )


async def test_member_cooldown(listener: AutoAnswer, clock: Clock) -> None:
    first = make_message(QUESTION)
    await listener.on_message(first)
    assert first.reply.await_count == 1
    again = make_message("How old is the alliance between the US and South Korea?")
    await listener.on_message(again)
    assert again.reply.await_count == 0
    clock.now += 31
    later = make_message("How old is the alliance between the US and South Korea?")
    await listener.on_message(later)
    assert later.reply.await_count == 1


async def test_same_answer_is_not_repeated_in_a_channel(listener: AutoAnswer, clock: Clock) -> None:
    await listener.on_message(make_message(QUESTION))
    other = make_message("what is the ncg?", author_id=OTHER_MEMBER_ID)
    await listener.on_message(other)
    assert other.reply.await_count == 0
    elsewhere = make_message(
        f"<@{BOT_ID}> what is the ncg?",
        author_id=OTHER_MEMBER_ID,
        channel_id=OTHER_CHANNEL_ID,
        mentions=(BOT_ID,),
    )
    await listener.on_message(elsewhere)
    assert elsewhere.reply.await_count == 1
    clock.now += 301
    late = make_message("what is the ncg?", author_id=555)
    await listener.on_message(late)
    assert late.reply.await_count == 1


async def test_a_burst_gets_one_answer(listener: AutoAnswer) -> None:
    questions = [
        QUESTION,
        "How old is the alliance between the US and South Korea?",
        "Which strategic assets will the United States deploy?",
    ]
    # Chatter first: it must not swallow the real question right behind it.
    burst = [make_message("hello all!")] + [make_message(questions[i % 3]) for i in range(49)]
    await asyncio.gather(*(listener.on_message(m) for m in burst))
    answered = [i for i, m in enumerate(burst) if m.reply.await_count]
    assert answered == [1]
    assert listener._member_locks == {}


async def test_a_refused_post_pauses_the_channel_and_logs_once(
    listener: AutoAnswer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    refused = make_message(QUESTION)
    refused.reply = AsyncMock(
        side_effect=discord.Forbidden(MagicMock(status=403, reason="Forbidden"), "Missing Access")
    )
    with caplog.at_level(logging.WARNING, logger="bot.cogs.auto_answer"):
        await listener.on_message(refused)
        clock.now += 31
        nxt = make_message("How old is the alliance between the US and South Korea?", author_id=7)
        await listener.on_message(nxt)
    assert refused.reply.await_count == 1
    assert nxt.reply.await_count == 0  # no retry loop against a 403
    warnings = [r for r in caplog.records if "no permission to answer" in r.getMessage()]
    assert len(warnings) == 1
    clock.now += 601
    after = make_message("How old is the alliance between the US and South Korea?", author_id=8)
    await listener.on_message(after)
    assert after.reply.await_count == 1


async def test_a_stats_failure_does_not_stop_the_answer(
    listener: AutoAnswer, bot: FaqBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.stats.stats.record_ask = MagicMock(side_effect=RuntimeError("disk I/O error"))  # type: ignore[method-assign]
    message = make_message(QUESTION)
    with caplog.at_level(logging.WARNING, logger="bot.bookkeeping"):
        await listener.on_message(message)
    assert message.reply.await_count == 1
    assert "a question was not counted" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- what a failed send uses up, and the per-channel cap -----------------------------------


def _server_error() -> discord.HTTPException:
    return discord.HTTPException(MagicMock(status=500, reason="Internal Server Error"), "oops")


async def test_a_failed_send_uses_up_no_cooldown(listener: AutoAnswer) -> None:
    failed = make_message(QUESTION)
    failed.reply = AsyncMock(side_effect=_server_error())
    await listener.on_message(failed)
    assert failed.reply.await_count == 1
    # The same member at once, and another member with the same question: both answered.
    again = make_message(QUESTION)
    await listener.on_message(again)
    assert again.reply.await_count == 1
    other = make_message("what is the ncg?", author_id=OTHER_MEMBER_ID)
    await listener.on_message(other)
    assert other.reply.await_count == 0  # now the entry's window runs: it was just answered
    assert len(listener.channel_cap) == 1


def _unanswerable(author_id: int) -> Any:
    return make_message(
        f"<@{BOT_ID}> how do I bake bread?", author_id=author_id, mentions=(BOT_ID,)
    )


async def test_a_channel_gets_at_most_five_replies_in_ten_seconds(
    listener: AutoAnswer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    assert (listener.channel_cap.limit, listener.channel_cap.seconds) == (5, 10.0)
    burst = [_unanswerable(MEMBER_ID + i) for i in range(8)]
    with caplog.at_level(logging.DEBUG, logger="bot.cogs.auto_answer"):
        for message in burst:
            await listener.on_message(message)
    assert [m.reply.await_count for m in burst] == [1] * 5 + [0] * 3
    assert not caplog.records  # dropped silently
    elsewhere = make_message(
        f"<@{BOT_ID}> how do I bake bread?",
        author_id=MEMBER_ID + 20,
        channel_id=OTHER_CHANNEL_ID,
        mentions=(BOT_ID,),
    )
    await listener.on_message(elsewhere)
    assert elsewhere.reply.await_count == 1  # the cap is per channel
    clock.now += 10.5
    later = _unanswerable(MEMBER_ID + 30)
    await listener.on_message(later)
    assert later.reply.await_count == 1


async def test_the_channel_cap_is_a_setting(bot: FaqBot, settings: Any) -> None:
    bot.settings = settings.model_copy(
        update={"channel_reply_limit": 2, "channel_reply_window_seconds": 60.0}
    )
    cog = type(bot.get_cog("AutoAnswer"))(bot)
    assert (cog.channel_cap.limit, cog.channel_cap.seconds) == (2, 60.0)
