"""The FAQ bot keeps answering through Discord's faults, injected with the fake's switches.

A 429 on the reply is waited out and retried; a 5xx that discord.py gives up on costs that one
reply, with a one-line warning and no traceback, and starts no cooldown; a dropped gateway
connection is resumed, and the question asked meanwhile is answered from the replay; an
invalid session is followed by a new IDENTIFY. Each test then checks that the next question is
answered too.
"""

from __future__ import annotations

import logging

import pytest

from .conftest import StartFaqBot
from .fake_discord import FakeDiscord
from .test_bot_flows import NCG_QUESTION, creating_request, reference_of, reply_to

OTHER_QUESTION = "What is the article about?"

# discord.py waits 5 s before a new IDENTIFY (its default before_identify_hook).
REIDENTIFY_TIMEOUT = 10.0


def message_posts(fake: FakeDiscord, channel_id: int) -> list[int]:
    """Statuses of the bot's ``POST /channels/{id}/messages``, in order."""
    path = f"/channels/{channel_id}/messages"
    return [r.status for r in fake.requests if r.method == "POST" and r.path == path]


async def test_rate_limited_reply_is_retried_and_arrives(
    fake_discord: FakeDiscord, start_faq_bot: StartFaqBot
) -> None:
    fake = fake_discord
    fault = fake.faults.rate_limit(method="POST", path=r"/channels/\d+/messages", retry_after=0.3)
    async with start_faq_bot(user_cooldown=0, channel_entry_cooldown=0) as run:
        question = await fake.send_message(NCG_QUESTION)
        reply = await reply_to(fake, question)

    assert message_posts(fake, run.channel_id) == [429, 200]
    (limited,) = fault.hits
    sent = creating_request(fake, reply)
    assert sent.json == limited.json  # the same reply, sent again
    assert sent.received_at - limited.received_at >= 0.3
    assert reply["embeds"][0]["title"] == NCG_QUESTION


async def test_server_error_on_the_reply_costs_that_reply_only(
    fake_discord: FakeDiscord,
    start_faq_bot: StartFaqBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = fake_discord
    caplog.set_level(logging.WARNING)
    # 503 is not retried by discord.py (500/502/504 are, for up to 25 s): the send fails.
    fault = fake.faults.server_error(method="POST", path=r"/channels/\d+/messages", status=503)
    async with start_faq_bot(user_cooldown=0, channel_entry_cooldown=0) as run:
        lost = await fake.send_message(NCG_QUESTION)
        await fake.wait_for(lambda: fault.hits, description="the failed reply")
        later = await fake.send_message(OTHER_QUESTION)
        reply = await reply_to(fake, later)

    assert message_posts(fake, run.channel_id) == [503, 200]
    assert [reply] == fake.bot_messages()
    assert str(fault.hits[0].json["message_reference"]["message_id"]) == lost["id"]
    failures = [r for r in caplog.records if "could not answer" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].levelno == logging.WARNING and failures[0].exc_info is None
    assert all(r.levelno < logging.ERROR and r.exc_info is None for r in caplog.records)


async def test_a_reply_lost_to_a_server_error_starts_no_cooldown(
    fake_discord: FakeDiscord, start_faq_bot: StartFaqBot
) -> None:
    """Issue 9, finding 5: the member and the entry are not silenced by a reply never sent."""
    fake = fake_discord
    bob = fake.make_user("bob")
    fault = fake.faults.server_error(method="POST", path=r"/channels/\d+/messages", status=503)
    async with start_faq_bot(user_cooldown=60, channel_entry_cooldown=300) as run:
        await fake.send_message(NCG_QUESTION)  # the reply is lost to the 503
        await fake.wait_for(lambda: fault.hits, description="the failed reply")
        again = await fake.send_message(NCG_QUESTION)  # same member, same entry: answered
        answer = await reply_to(fake, again)
        # Now a reply was sent, both cooldowns hold: Alice and the entry are quiet here.
        await fake.send_message(OTHER_QUESTION)
        await fake.send_message(NCG_QUESTION, author=bob)
        sentinel = await fake.send_message(OTHER_QUESTION, author=bob)
        await reply_to(fake, sentinel)

    assert message_posts(fake, run.channel_id) == [503, 200, 200]
    assert [reference_of(m) for m in fake.bot_messages()] == [again["id"], sentinel["id"]]
    assert answer["embeds"][0]["title"] == NCG_QUESTION


@pytest.mark.parametrize("abort", [False, True], ids=["closed-by-discord", "network-cut"])
async def test_dropped_gateway_is_resumed_and_the_question_asked_meanwhile_answered(
    fake_discord: FakeDiscord, start_faq_bot: StartFaqBot, abort: bool
) -> None:
    fake = fake_discord
    async with start_faq_bot(user_cooldown=0, channel_entry_cooldown=0):
        first = await fake.send_message(OTHER_QUESTION)
        await reply_to(fake, first)
        drop = await fake.faults.drop_gateway(abort=abort, hold_resume=True)
        meanwhile = await fake.send_message(NCG_QUESTION)
        drop.release()
        reply = await reply_to(fake, meanwhile)
        after = await fake.send_message(OTHER_QUESTION)
        await reply_to(fake, after)

    assert len(fake.identifies) == 1 and len(fake.resumes) == 1
    replayed = [p["d"]["id"] for p in fake.connections[-1].replayed if p["t"] == "MESSAGE_CREATE"]
    assert replayed == [meanwhile["id"]]
    assert reply["embeds"][0]["title"] == NCG_QUESTION
    assert len(fake.bot_messages()) == 3


async def test_invalid_session_is_followed_by_a_new_identify_and_answers(
    fake_discord: FakeDiscord, start_faq_bot: StartFaqBot
) -> None:
    fake = fake_discord
    async with start_faq_bot(user_cooldown=0, channel_entry_cooldown=0):
        (invalidated,) = await fake.faults.invalidate_session()
        await fake.wait_for(
            lambda: len(fake.identifies) == 2 and fake._live_connections(),
            timeout=REIDENTIFY_TIMEOUT,
            description="a new IDENTIFY",
        )
        question = await fake.send_message(NCG_QUESTION)
        reply = await reply_to(fake, question)

    assert invalidated.ended and fake.resumes == []
    assert reply["embeds"][0]["title"] == NCG_QUESTION
