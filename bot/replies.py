"""The one way to present the core's reply to a question, in chat and for `/faq ask` alike."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.core.models import KnowledgeBase, Reply
from bot.embeds import answer_embed, answer_ref
from bot.views import answer_view, suggestions_view

__all__ = ["NOT_SURE", "NO_ANSWER", "PresentedReply", "present_reply"]

NO_ANSWER = (
    "I do not have an answer to that yet. `/faq list` shows what I know; "
    "moderators see unanswered questions in `/faq gaps`."
)
# Discord's limit on a message's text.
_CONTENT_MAX = 2000
NOT_SURE = "I am not sure which entry you mean. Did you mean one of these?"


@dataclass(frozen=True, slots=True)
class PresentedReply:
    """A reply ready to send, and what the stats record about it."""

    content: str | None
    embed: discord.Embed | None
    view: discord.ui.View | None
    # The answer's ref for stats and votes (see embeds.answer_ref); None when unanswered.
    ref: str | None
    # Only the asker should see it (a command answers privately then; chat cannot).
    asker_only: bool


def present_reply(
    reply: Reply, kb: KnowledgeBase, *, asker_id: int, private: bool = False
) -> PresentedReply:
    """The message for `reply`: the sourced answer, "did you mean", or "no answer yet".

    `private` answers are seen by the asker alone, so they get no Dismiss button. A question
    in another language gets its one-line note (the answer is from the English FAQ) on top.
    """
    if reply.answered:
        return PresentedReply(
            content=reply.note,
            embed=answer_embed(reply, kb),
            view=answer_view(reply, asker_id=None if private else asker_id),
            ref=answer_ref(reply),
            asker_only=private,
        )
    if reply.reason == "not_in_article" and reply.answer:
        # "The article doesn't say ...", what it does say on the topic, and the closest entries.
        return PresentedReply(
            content=_noted(reply, reply.answer)[:_CONTENT_MAX],
            embed=None,
            view=suggestions_view(reply, asker_id=asker_id) if reply.suggestions else None,
            ref=None,
            asker_only=private,
        )
    if reply.suggestions:
        return PresentedReply(
            content=_noted(reply, NOT_SURE),
            embed=None,
            view=suggestions_view(reply, asker_id=asker_id),
            ref=None,
            asker_only=private,
        )
    # "No answer" interests nobody else: privately wherever that is possible.
    return PresentedReply(
        content=_noted(reply, NO_ANSWER), embed=None, view=None, ref=None, asker_only=True
    )


def _noted(reply: Reply, content: str) -> str:
    return f"{reply.note}\n{content}" if reply.note else content
