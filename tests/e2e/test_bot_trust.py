"""Issue 9 through the fake Discord: what members write cannot turn into links, deadlines
are kept while bookkeeping is slow, cooldowns and caps, and what moderators see is their own.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from bot.client import STATS_FILE

from .conftest import StartFaqBot
from .fake_discord import FakeDiscord, FakeInteraction, InteractionReply, Perm
from .harness import ErrorLogGuard
from .test_bot_flows import (
    NCG_ID,
    NCG_QUESTION,
    QUESTION,
    REPLY_TIMEOUT,
    modal_inputs,
    reply_to,
)

JSON = dict[str, Any]

# A scheme's colon before a slash: what a linkifier needs. And a "[" Discord reads as markup.
LINK_START = re.compile(r":[/\\]")
UNESCAPED_BRACKET = re.compile(r"(?<!\\)(?:\\\\)*\[")
# For what may wait on a deadline of the bot's own (a follow-up after a deferral).
SLOW_TIMEOUT = 6.0
LINKS = (
    "is [free nitro](https://evil.example/a) or [claim it](http://evil.example/b) "
    "real? https://evil.example/c <https://evil.example/d>"
)


def make_moderator(fake: FakeDiscord, name: str = "mod") -> JSON:
    """A member with a role that grants Manage Server."""
    guild_id = int(fake.guild["id"])
    role = fake.add_role(guild_id, f"{name}-role", permissions=int(Perm.MANAGE_GUILD))
    moderator = fake.make_user(name)
    fake.add_member(guild_id, moderator, roles=[role])
    return moderator


async def final_reply(fake: FakeDiscord, interaction: FakeInteraction) -> InteractionReply:
    """The message the member ends up seeing: the response, or the follow-up after a defer."""
    first = await fake.wait_for_interaction_response(interaction, timeout=REPLY_TIMEOUT)
    if first.callback_type != 5:
        return first
    return await fake.wait_for_interaction_response(interaction, index=1, timeout=REPLY_TIMEOUT)


def unescape(text: str) -> str:
    """What Discord shows for escaped text."""
    return re.sub(r"\\([^0-9A-Za-z])", r"\1", text)


# -- finding 3: links in what members wrote ------------------------------------------------


async def test_links_in_a_members_question_are_dead_in_gaps_and_in_the_form(
    fake_discord: FakeDiscord, start_faq_bot: StartFaqBot
) -> None:
    fake = fake_discord
    moderator = make_moderator(fake)
    mention = f"<@{fake.bot_user['id']}>"
    async with start_faq_bot(user_cooldown=0, channel_entry_cooldown=0):
        asked = await fake.send_message(f"{mention} {LINKS}", mentions=[fake.bot_user])
        await reply_to(fake, asked)  # "no answer yet": recorded as a gap
        gaps = await fake.invoke_slash("faq", subcommand="gaps", user=moderator)
        shown = await final_reply(fake, gaps)
        menu = await fake.invoke_message_command("Add to FAQ", target_message=asked, user=moderator)
        opened = await fake.wait_for_interaction_response(menu, timeout=REPLY_TIMEOUT)

    (embed,) = shown.data["embeds"]
    description = embed["description"]
    assert "free nitro" in description and "evil.example/c" in description
    assert not UNESCAPED_BRACKET.search(description), description
    assert not LINK_START.search(unescape(description)), description
    assert opened.callback_type == 9
    prefilled = modal_inputs(opened.data)[QUESTION]["value"]
    assert "free nitro" in prefilled
    assert "://" not in prefilled and ":/" not in prefilled


# -- finding 2: answering never waits on bookkeeping ----------------------------------------


async def test_a_locked_stats_database_costs_no_reply_and_no_deadline(
    fake_discord: FakeDiscord, start_faq_bot: StartFaqBot
) -> None:
    fake = fake_discord
    moderator = make_moderator(fake)
    bob = fake.make_user("bob")
    assert fake.ack_deadline == 3.0  # the fake refuses a late first response, as Discord does
    async with start_faq_bot(user_cooldown=0, channel_entry_cooldown=0) as run:
        # Another process holds the write lock (SQLite's busy timeout is 10 s).
        locker = sqlite3.connect(run.settings.data_dir / STATS_FILE, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            question = await fake.send_message(NCG_QUESTION)
            answer = await reply_to(fake, question)
            click = await fake.click_button(f"faq:vote:1:{NCG_ID}", message=answer, user=bob)
            acknowledged = await fake.wait_for_interaction_response(click, timeout=REPLY_TIMEOUT)
            asked = []
            for _ in range(3):
                ask = await fake.invoke_slash(
                    "faq", subcommand="ask", options={"question": NCG_QUESTION}
                )
                asked.append(await fake.wait_for_interaction_response(ask, timeout=REPLY_TIMEOUT))
            gaps = await fake.invoke_slash("faq", subcommand="gaps", user=moderator)
            gaps_deferred = await fake.wait_for_interaction_response(gaps, timeout=REPLY_TIMEOUT)
            # The count gives up after its 1 s deadline; the follow-up says so.
            vote_result = await fake.wait_for_interaction_response(
                click, index=1, timeout=SLOW_TIMEOUT
            )
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        gaps_shown = await fake.wait_for_interaction_response(gaps, index=1, timeout=SLOW_TIMEOUT)

    assert answer["embeds"][0]["title"] == NCG_QUESTION
    assert acknowledged.callback_type == 5 and acknowledged.ephemeral
    assert "could not be saved just now" in vote_result.data["content"]
    for reply in asked:
        assert reply.callback_type == 4
        assert reply.data["embeds"][0]["title"] == NCG_QUESTION
    assert gaps_deferred.callback_type == 5 and gaps_deferred.ephemeral
    assert gaps_shown.data["embeds"][0]["title"] == "Questions the FAQ does not answer well"


# -- finding 5: a failed send uses nothing up; a cap per channel ------------------------------


async def test_a_reply_lost_to_a_server_error_leaves_no_cooldown_behind(
    fake_discord: FakeDiscord, start_faq_bot: StartFaqBot
) -> None:
    fake = fake_discord
    bob = fake.make_user("bob")
    # 503 is not retried by discord.py: the send fails for good.
    fault = fake.faults.server_error(method="POST", path=r"/channels/\d+/messages", status=503)
    async with start_faq_bot(user_cooldown=60, channel_entry_cooldown=300):
        lost = await fake.send_message(NCG_QUESTION)
        await fake.wait_for(lambda: fault.hits, description="the failed reply")
        again = await fake.send_message(NCG_QUESTION)  # same member, same entry, at once
        answer = await reply_to(fake, again)
        repeat = await fake.send_message(NCG_QUESTION, author=bob)  # now the entry's window runs
        sentinel = await fake.send_message("What is the article about?", author=bob)
        await reply_to(fake, sentinel)

    assert str(fault.hits[0].json["message_reference"]["message_id"]) == lost["id"]
    assert answer["embeds"][0]["title"] == NCG_QUESTION
    replied_to = [m["message_reference"]["message_id"] for m in fake.bot_messages()]
    assert repeat["id"] not in replied_to
    assert len(fake.bot_messages()) == 2


async def test_many_members_at_once_get_at_most_five_replies_in_a_channel(
    fake_discord: FakeDiscord, start_faq_bot: StartFaqBot
) -> None:
    fake = fake_discord
    members = [fake.make_user(f"member-{i}") for i in range(12)]
    async with start_faq_bot(user_cooldown=0, channel_entry_cooldown=0) as run:
        questions = [e.question for e in run.library.base.entries][: len(members)]
        for member, question in zip(members, questions, strict=True):
            await fake.send_message(question, author=member)
        await fake.wait_for_bot_message(run.channel_id, count=5, timeout=REPLY_TIMEOUT)
        # The cap is per channel: another channel still gets its answer. (Leaving the block
        # waits for every handler, so the counts below are final.)
        other = int(fake.add_channel(run.guild_id, "other")["id"])
        elsewhere = await fake.send_message(
            f"<@{fake.bot_user['id']}> {NCG_QUESTION}",
            channel_id=other,
            author=members[0],
            mentions=[fake.bot_user],
        )
        await reply_to(fake, elsewhere)

    assert len(fake.bot_messages(run.channel_id)) == 5
    assert len(fake.bot_messages(other)) == 1


# -- finding 4: /faq reload shows a server its own problems only ----------------------------


async def test_reload_shows_each_server_only_its_own_rejected_file(
    fake_discord: FakeDiscord,
    start_faq_bot: StartFaqBot,
    log_guard: ErrorLogGuard,
    tmp_path: Path,
) -> None:
    fake = fake_discord
    moderator_a = make_moderator(fake, "mod-a")
    owner_b = fake.make_user("owner-b")
    guild_b = fake.add_guild("Other server", owner=owner_b)
    channel_b = int(fake.add_channel(int(guild_b["id"]), "general")["id"])
    file_b = tmp_path / "data" / "guilds" / f"{guild_b['id']}.yaml"
    file_b.parent.mkdir(parents=True)
    file_b.write_text(
        "entries:\n  - id: Secret Plans of B\n    question: What does B plan?\n",
        encoding="utf-8",
    )
    log_guard.expect(r"its entries file is invalid")
    async with start_faq_bot(user_cooldown=0, channel_entry_cooldown=0):
        # Publish the commands everywhere, as the bot's owner would.
        sync = await fake.invoke_slash("faq", subcommand="sync", user=fake.application_owner)
        await final_reply(fake, sync)
        reload_a = await fake.invoke_slash("faq", subcommand="reload", user=moderator_a)
        shown_a = await final_reply(fake, reload_a)
        reload_b = await fake.invoke_slash(
            "faq", subcommand="reload", user=owner_b, channel_id=channel_b
        )
        shown_b = await final_reply(fake, reload_b)

    assert shown_a.ephemeral and shown_a.data["content"].startswith("Up to date:")
    assert "Secret Plans" not in json.dumps(shown_a.data)
    assert shown_b.ephemeral
    (embed,) = shown_b.data["embeds"]
    assert embed["title"] == "Some files were rejected; the last good versions keep serving"
    assert f"{guild_b['id']}.yaml" in embed["description"]
    assert "Secret Plans of B" in embed["description"]  # its own file, quoted to its own mods
    assert str(tmp_path) not in json.dumps(shown_b.data)


# -- per-server settings and members' data ----------------------------------------------------


async def test_server_settings_apply_at_once_and_a_member_can_be_forgotten(
    fake_discord: FakeDiscord, start_faq_bot: StartFaqBot
) -> None:
    fake = fake_discord
    manager = make_moderator(fake, "manager")
    guild_id = int(fake.guild["id"])
    quiet = fake.add_channel(guild_id, "quiet")
    team = fake.add_role(guild_id, "FAQ team", permissions=0)
    editor = fake.make_user("editor")
    fake.add_member(guild_id, editor, roles=[team])
    async with start_faq_bot(user_cooldown=0, channel_entry_cooldown=0) as run:
        ignored = await fake.send_message(NCG_QUESTION, channel_id=int(quiet["id"]))
        refused = await fake.invoke_slash("faq", subcommand="gaps", user=editor)
        refused_reply = await final_reply(fake, refused)

        add = await fake.invoke_slash(
            "faq",
            group="config",
            subcommand="channel-add",
            options={"channel": quiet},
            user=manager,
        )
        added = await final_reply(fake, add)
        role = await fake.invoke_slash(
            "faq", group="config", subcommand="mod-role", options={"role": team}, user=manager
        )
        await final_reply(fake, role)
        answered = await fake.send_message(NCG_QUESTION, channel_id=int(quiet["id"]))
        answer = await reply_to(fake, answered)
        allowed = await fake.invoke_slash("faq", subcommand="gaps", user=editor)
        allowed_reply = await final_reply(fake, allowed)

        vote = await fake.click_button(f"faq:vote:1:{NCG_ID}", message=answer)
        await fake.wait_for_interaction_response(vote, index=1, timeout=REPLY_TIMEOUT)
        forget = await fake.invoke_slash("faq", subcommand="forget-me")
        question = await fake.wait_for_interaction_response(forget, timeout=REPLY_TIMEOUT)
        confirm = buttons_of(question.data)["Delete my data"]
        click = await fake.click_button(confirm, message=question.message or question.data)
        done = await fake.wait_for_interaction_response(click, index=1, timeout=REPLY_TIMEOUT)
        left = run.stats.entry_stats(run.guild_id)

    assert added.ephemeral
    assert added.data["content"].startswith("I now answer on my own in")
    assert quiet["id"] in added.data["content"]
    assert refused_reply.data["content"].startswith("Only moderators")
    assert allowed_reply.data["embeds"][0]["title"] == "Questions the FAQ does not answer well"
    assert answer["embeds"][0]["title"] == NCG_QUESTION
    replied_to = [(m.get("message_reference") or {}).get("message_id") for m in fake.bot_messages()]
    assert ignored["id"] not in replied_to  # asked before the channel was added
    assert question.ephemeral
    assert done.data["content"].startswith("Done: deleted 1 vote and 1 question;")
    assert all((row.asks, row.helpful, row.not_helpful) == (0, 0, 0) for row in left)


def buttons_of(data: JSON) -> dict[str, str]:
    """Button label -> custom_id of a message's components."""
    return {
        item["label"]: item["custom_id"]
        for row in data.get("components") or []
        for item in row.get("components") or []
        if item.get("type") == 2
    }
