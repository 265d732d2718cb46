"""One way to present a reply: the chat listener and /faq ask show the same message."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from bot_fakes import BOT_ID, MEMBER_ID, FakeInteraction, make_message, sent_kwargs, sent_text

from bot.client import FaqBot
from bot.cogs.auto_answer import AutoAnswer
from bot.cogs.faq import FaqCog
from bot.core.models import LANGUAGE_NOTES, Reply, Suggestion
from bot.replies import NO_ANSWER, NOT_SURE


def _shown(kwargs: dict[str, Any]) -> tuple[Any, ...]:
    embeds = kwargs.get("embeds") or ([kwargs["embed"]] if kwargs.get("embed") else [])
    view = kwargs.get("view")
    ids = [getattr(c, "custom_id", None) for c in view.children] if view else []
    return tuple(e.to_dict() for e in embeds), tuple(ids)


@pytest.mark.parametrize(
    ("reply", "content"),
    [
        (None, None),  # the real matcher's answer
        (Reply(question="q", answered=False), NO_ANSWER),
        (
            Reply(
                question="q", answered=False, suggestions=(Suggestion("ncg", "What is it?", 50),)
            ),
            NOT_SURE,
        ),
        (
            Reply(
                question="q",
                answered=False,
                answer="The article doesn't say who. What it says on this topic: a group.",
                suggestions=(Suggestion("ncg", "What is it?", 50),),
                reason="not_in_article",
            ),
            "The article doesn't say who. What it says on this topic: a group.",
        ),
    ],
    ids=["answer", "no-answer", "did-you-mean", "not-in-article"],
)
async def test_chat_and_ask_present_a_reply_alike(
    bot: FaqBot,
    faq_cog: FaqCog,
    auto_cog: AutoAnswer,
    make_interaction: FakeInteraction,
    monkeypatch: pytest.MonkeyPatch,
    reply: Reply | None,
    content: str | None,
) -> None:
    question = "What is the nuclear consultative group?"
    if reply is not None:
        matcher = MagicMock()
        matcher.reply.return_value = reply
        monkeypatch.setattr(bot.library, "matcher_for", lambda guild_id: matcher)
    message = make_message(f"<@{BOT_ID}> {question}", mentions=(BOT_ID,))
    await auto_cog.on_message(message)
    interaction = make_interaction(user_id=MEMBER_ID)
    await faq_cog.ask.callback(faq_cog, interaction, question, False)

    in_chat = message.reply.await_args
    assert in_chat is not None
    chat_content = in_chat.args[0] if in_chat.args else in_chat.kwargs.get("content")
    ask_kwargs = sent_kwargs(interaction.response.send_message)
    ask_content = interaction.response.send_message.await_args.args[0]
    assert chat_content == ask_content == content
    assert _shown(in_chat.kwargs) == _shown(ask_kwargs)
    if content is None:
        assert "nuclear consultative group" in sent_text(message.reply)


@pytest.mark.parametrize("answered", [True, False], ids=["answer", "no-answer"])
async def test_a_korean_question_gets_its_note_in_chat_and_ask_alike(
    bot: FaqBot,
    faq_cog: FaqCog,
    auto_cog: AutoAnswer,
    make_interaction: FakeInteraction,
    monkeypatch: pytest.MonkeyPatch,
    answered: bool,
) -> None:
    question = "핵협의그룹이 뭐야?"
    entry = bot.library.base.entries[0]
    reply = (
        Reply.for_entry(entry, question=question, score=80, language="ko")
        if answered
        else Reply(question=question, answered=False, reason="unsure", language="ko")
    )
    matcher = MagicMock()
    matcher.reply.return_value = reply
    monkeypatch.setattr(bot.library, "matcher_for", lambda guild_id: matcher)
    message = make_message(f"<@{BOT_ID}> {question}", mentions=(BOT_ID,))
    await auto_cog.on_message(message)
    interaction = make_interaction(user_id=MEMBER_ID)
    await faq_cog.ask.callback(faq_cog, interaction, question, False)

    ask_content = interaction.response.send_message.await_args.args[0]
    if answered:
        in_chat = message.reply.await_args
        assert in_chat is not None
        chat_content = in_chat.args[0] if in_chat.args else in_chat.kwargs.get("content")
        assert chat_content == ask_content == LANGUAGE_NOTES["ko"][0]
        assert _shown(in_chat.kwargs) == _shown(sent_kwargs(interaction.response.send_message))
        assert entry.answer[:20] in sent_text(message.reply)
    else:
        assert ask_content == f"{LANGUAGE_NOTES['ko'][1]}\n{NO_ANSWER}"
