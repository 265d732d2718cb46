"""The fake Discord works with the real discord.py client.

A small probe bot defined here (not the project's bot) exercises messages, slash commands with a
subcommand, autocomplete, a persistent button, modals, a message context menu, deferring with
follow-ups, permissions and sharding against :class:`FakeDiscord`; the last tests prove that the
guards of the fixtures detect problems.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from .fake_discord import FakeDiscord, Perm, shard_for
from .harness import ErrorLogGuard, run_client

QUESTIONS = ["How do I deploy?", "How do I roll back a deploy?", "Where are the logs?"]


def probe_intents(*, message_content: bool = True, dm_messages: bool = False) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = message_content
    intents.dm_messages = dm_messages
    return intents


class HelpfulView(discord.ui.View):
    """A persistent view: survives bot restarts thanks to timeout=None and a fixed custom_id."""

    def __init__(self, clicks: list[int]) -> None:
        super().__init__(timeout=None)
        self.clicks = clicks

    @discord.ui.button(label="Helpful", custom_id="faq:helpful", style=discord.ButtonStyle.success)
    async def helpful(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        self.clicks.append(interaction.user.id)
        await interaction.response.send_message("Thanks for the feedback!", ephemeral=True)


class TopicView(discord.ui.View):
    """A select menu whose callback replaces the message (callback type 7 UPDATE_MESSAGE)."""

    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.select(
        custom_id="faq:topic",
        options=[
            discord.SelectOption(label="Deploys", value="deploy"),
            discord.SelectOption(label="Logs", value="logs"),
        ],
    )
    async def topic(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.edit_message(content=f"Topic: {select.values[0]}", view=None)


class SuggestModal(discord.ui.Modal):
    """Classic modal: text inputs wrapped in action rows."""

    question: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Question", custom_id="faq:question", max_length=200
    )
    answer: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Answer", custom_id="faq:answer", style=discord.TextStyle.paragraph, required=False
    )

    def __init__(self, received: list[tuple[str, str]]) -> None:
        super().__init__(title="Suggest an entry", custom_id="faq:suggest")
        self.received = received

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.received.append((self.question.value, self.answer.value))
        await interaction.response.send_message(f"Suggested: {self.question.value}", ephemeral=True)


class LabelledSuggestModal(discord.ui.Modal):
    """Newer modal layout: label components (type 18) wrapping the inputs."""

    def __init__(self, received: list[tuple[str, str]]) -> None:
        super().__init__(title="Suggest an entry", custom_id="faq:suggest")
        self.received = received
        self.question: discord.ui.TextInput[Any] = discord.ui.TextInput(custom_id="faq:question")
        self.answer: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="faq:answer", required=False
        )
        self.add_item(discord.ui.Label(text="Question", component=self.question))
        self.add_item(discord.ui.Label(text="Answer", component=self.answer))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.received.append((self.question.value, self.answer.value))
        await interaction.response.send_message(f"Suggested: {self.question.value}", ephemeral=True)


class ProbeMixin:
    """Shared behaviour of the probe bots (plain and auto-sharded)."""

    clicks: list[int]
    suggestions: list[tuple[str, str]]
    context_targets: list[int]
    seen_contents: list[str]
    send_errors: list[discord.HTTPException]
    modal_kind: str

    def _init_probe(self, modal_kind: str) -> None:
        self.clicks = []
        self.suggestions = []
        self.context_targets = []
        self.seen_contents = []
        self.send_errors = []
        self.modal_kind = modal_kind

    def build_tree(self, tree: app_commands.CommandTree[Any]) -> None:
        faq = app_commands.Group(name="faq", description="Questions and answers")

        @faq.command(name="ask", description="Ask a question")
        @app_commands.describe(question="What you want to know")
        async def ask(interaction: discord.Interaction, question: str) -> None:
            await interaction.response.send_message(f"Answer to: {question}", ephemeral=True)

        @ask.autocomplete("question")
        async def ask_autocomplete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=q, value=q)
                for q in QUESTIONS
                if current.lower() in q.lower()
            ]

        @faq.command(name="suggest", description="Suggest an entry")
        async def suggest(interaction: discord.Interaction) -> None:
            modal_cls = SuggestModal if self.modal_kind == "rows" else LabelledSuggestModal
            await interaction.response.send_modal(modal_cls(self.suggestions))

        @faq.command(name="slow", description="A slow answer")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("Done thinking.")
            await interaction.followup.send("One more thing.", ephemeral=True)

        @faq.command(name="admin", description="Moderators only")
        async def admin(interaction: discord.Interaction) -> None:
            allowed = interaction.permissions.manage_guild
            await interaction.response.send_message(
                "allowed" if allowed else "denied", ephemeral=True
            )

        @faq.command(name="show", description="Show an answer publicly")
        async def show(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Draft answer", view=TopicView())
            message = await interaction.original_response()
            await message.add_reaction("\N{THUMBS UP SIGN}")
            await interaction.edit_original_response(content="Final answer")

        async def add_to_faq(interaction: discord.Interaction, message: discord.Message) -> None:
            self.context_targets.append(message.id)
            await interaction.response.send_message(f"Queued: {message.content}", ephemeral=True)

        tree.add_command(faq)
        tree.add_command(app_commands.ContextMenu(name="Add to FAQ", callback=add_to_faq))

    async def handle_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        self.seen_contents.append(message.content)
        if message.content.startswith("!faq "):
            embed = discord.Embed(title="FAQ", description=f"You asked: {message.content[5:]}")
            await message.reply(
                embed=embed,
                mention_author=False,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        elif message.content == "!panel":
            await message.channel.send("Was this helpful?", view=HelpfulView(self.clicks))
        elif message.content == "!long":
            try:
                await message.channel.send("x" * 2001)
            except discord.HTTPException as exc:
                self.send_errors.append(exc)
        elif message.content == "!boom":
            raise RuntimeError("handler exploded")


class ProbeBot(ProbeMixin, commands.Bot):
    def __init__(self, *, modal_kind: str = "rows", **intent_flags: bool) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned, intents=probe_intents(**intent_flags)
        )
        self._init_probe(modal_kind)

    async def setup_hook(self) -> None:
        self.add_view(HelpfulView(self.clicks))
        self.build_tree(self.tree)
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        await self.handle_message(message)


class ShardedProbeBot(ProbeMixin, commands.AutoShardedBot):
    def __init__(self, **sharding: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned, intents=probe_intents(), **sharding
        )
        self._init_probe("rows")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None  # discord.py sleeps 5 s between shards by default

    async def on_message(self, message: discord.Message) -> None:
        await self.handle_message(message)


async def test_message_reply_with_embed_over_compressed_gateway(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    async with run_client(ProbeBot(), fake):
        assert fake.connections[0].compress, "discord.py asked for zlib-stream"
        assert {c["name"] for c in fake.commands[None]} == {"faq", "Add to FAQ"}
        since = len(fake.requests)
        question = await fake.send_message("!faq how do I deploy?")
        channel_id = int(fake.channel["id"])
        request = await fake.wait_for_request(
            "POST", rf"/channels/{channel_id}/messages", since=since
        )

    body = request.json
    assert body["embeds"][0]["description"] == "You asked: how do I deploy?"
    assert int(body["message_reference"]["message_id"]) == int(question["id"])
    assert body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert request.headers["Authorization"] == f"Bot {fake.token}"
    reply = fake.bot_messages(channel_id)[-1]
    assert reply["type"] == 19
    assert reply["referenced_message"]["id"] == question["id"]


async def test_slash_subcommand_ephemeral_answer(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    async with run_client(ProbeBot(), fake):
        interaction = await fake.invoke_slash(
            "faq", subcommand="ask", options={"question": "What is a canary?"}
        )
        reply = await fake.wait_for_interaction_response(interaction)

    option = interaction.payload["data"]["options"][0]
    assert option["type"] == 1 and option["options"][0]["type"] == 3  # from the synced schema
    assert reply.callback_type == 4
    assert reply.data["flags"] == 64
    assert reply.data["content"] == "Answer to: What is a canary?"
    assert reply.message is not None and reply.ephemeral


async def test_autocomplete_returns_choices(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    async with run_client(ProbeBot(), fake):
        interaction = await fake.invoke_autocomplete(
            "faq", subcommand="ask", focused="question", options={"question": "deploy"}
        )
        reply = await fake.wait_for_interaction_response(interaction)

    assert reply.callback_type == 8
    assert reply.data["choices"] == [
        {"name": "How do I deploy?", "value": "How do I deploy?"},
        {"name": "How do I roll back a deploy?", "value": "How do I roll back a deploy?"},
    ]


async def test_persistent_button_survives_restart(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    async with run_client(ProbeBot(), fake):
        await fake.send_message("!panel")
        panel = await fake.wait_for_bot_message(int(fake.channel["id"]))
    assert panel["components"][0]["components"][0]["custom_id"] == "faq:helpful"

    restarted = ProbeBot()  # a fresh process: only the persistent view knows the button
    async with run_client(restarted, fake):
        interaction = await fake.click_button("faq:helpful", message=panel)
        reply = await fake.wait_for_interaction_response(interaction)

    assert interaction.payload["data"]["custom_id"] == "faq:helpful"
    assert interaction.payload["data"]["component_type"] == 2
    assert reply.callback_type == 4
    assert reply.data["content"] == "Thanks for the feedback!"
    assert restarted.clicks == [int(fake.user["id"])]
    with pytest.raises(ValueError, match="no component 'nope'"):
        await fake.click_button("nope", message=panel)


@pytest.mark.parametrize("modal_kind", ["rows", "labels"])
async def test_modal_opened_by_slash_command_then_submitted(
    fake_discord: FakeDiscord, modal_kind: str
) -> None:
    fake = fake_discord
    bot = ProbeBot(modal_kind=modal_kind)
    async with run_client(bot, fake):
        opener = await fake.invoke_slash("faq", subcommand="suggest")
        opened = await fake.wait_for_interaction_response(opener)
        assert opened.callback_type == 9
        assert opened.data["custom_id"] == "faq:suggest"
        layout = [c["type"] for c in opened.data["components"]]
        assert layout == ([1, 1] if modal_kind == "rows" else [18, 18])

        with pytest.raises(ValueError, match="required"):
            await fake.submit_modal("faq:suggest", {"faq:answer": "no question"})
        with pytest.raises(ValueError, match="no input"):
            await fake.submit_modal("faq:suggest", {"faq:question": "q", "bogus": "x"})

        submit = await fake.submit_modal(
            "faq:suggest", {"faq:question": "Why canaries?", "faq:answer": "Less risk."}
        )
        reply = await fake.wait_for_interaction_response(submit)

    assert bot.suggestions == [("Why canaries?", "Less risk.")]
    assert reply.callback_type == 4
    assert reply.data["content"] == "Suggested: Why canaries?"
    assert submit.user["id"] == fake.user["id"]


async def test_message_context_menu(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    bot = ProbeBot()
    async with run_client(bot, fake):
        target = await fake.send_message("Deploys go through the pipeline.")
        interaction = await fake.invoke_message_command("Add to FAQ", target_message=target)
        reply = await fake.wait_for_interaction_response(interaction)

    assert interaction.payload["data"]["type"] == 3
    assert bot.context_targets == [int(target["id"])]
    assert reply.callback_type == 4
    assert reply.data["content"] == "Queued: Deploys go through the pipeline."


async def test_defer_then_followups(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    async with run_client(ProbeBot(), fake):
        interaction = await fake.invoke_slash("faq", subcommand="slow")
        second = await fake.wait_for_interaction_response(interaction, index=2)

    defer, first = interaction.responses[0], interaction.responses[1]
    assert defer.callback_type == 5
    assert first.kind == "followup" and first.message is not None
    # The first follow-up replaces the "thinking" message: same id, loading flag cleared.
    assert int(first.message["id"]) == interaction.original_message_id
    assert first.message["content"] == "Done thinking."
    assert int(first.message["flags"]) & (1 << 7) == 0
    assert second.kind == "followup" and second.ephemeral
    assert second.message is not None and second.message["id"] != first.message["id"]


async def test_original_response_edit_reaction_and_select_update(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    async with run_client(ProbeBot(), fake):
        interaction = await fake.invoke_slash("faq", subcommand="show")
        edit = await fake.wait_for_interaction_response(interaction, index=1)
        original_id = interaction.original_message_id
        assert original_id is not None
        await fake.wait_for(lambda: fake.messages[original_id].get("reactions"))

        pick = await fake.select_option("faq:topic", ["logs"], message=original_id)
        update = await fake.wait_for_interaction_response(pick)

    sent = interaction.responses[0]
    assert sent.callback_type == 4 and not sent.ephemeral
    assert edit.kind == "edit_original" and edit.data["content"] == "Final answer"
    assert update.callback_type == 7
    final = fake.messages[original_id]
    assert final["content"] == "Topic: logs"
    assert final["components"] == []
    assert final["reactions"][0]["emoji"] == {"id": None, "name": "\N{THUMBS UP SIGN}"}
    assert final["interaction_metadata"]["user"]["id"] == fake.user["id"]


async def test_rest_surface_files_edits_history_dm_chunking_and_resume(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    guild_id = int(fake.guild["id"])
    intents = probe_intents()
    intents.members = True  # privileged: discord.py chunks the guild over the gateway (op 8)
    bot = commands.Bot(command_prefix="!", intents=intents)

    @bot.tree.command(name="file", description="Answer with a file", guild=discord.Object(guild_id))
    async def file_cmd(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "here", file=discord.File(io.BytesIO(b"hi"), "a.txt")
        )
        followup = await interaction.followup.send("draft", wait=True)
        await interaction.followup.edit_message(followup.id, content="final")
        await interaction.delete_original_response()

    @bot.tree.context_menu(name="Who is this")
    async def who(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"That is {member.name}", ephemeral=True)

    async def setup_hook() -> None:
        await bot.tree.sync(guild=discord.Object(guild_id))
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    async with run_client(bot, fake, reconnect=True):
        guild = bot.get_guild(guild_id)
        assert guild is not None
        assert sorted(m.name for m in guild.members) == ["TestBot", "alice", "guild-owner"]
        channel = bot.get_channel(int(fake.channel["id"]))
        assert isinstance(channel, discord.TextChannel)
        async with channel.typing():
            sent = await channel.send("with file", file=discord.File(io.BytesIO(b"abc"), "x.bin"))
        assert await sent.attachments[0].read() == b"abc"
        assert (await sent.edit(content="edited")).content == "edited"
        assert (await channel.fetch_message(sent.id)).content == "edited"
        assert [m.content async for m in channel.history(limit=5)] == ["edited"]
        await sent.delete()
        user = await bot.fetch_user(int(fake.user["id"]))
        await user.send("hello in a DM")
        assert (await guild.fetch_member(user.id)).name == "alice"

        command = await fake.invoke_slash("file")
        await fake.wait_for_interaction_response(command, index=3)
        target = await fake.invoke_user_command("Who is this", target_user=fake.user)
        who_reply = await fake.wait_for_interaction_response(target)

        first = fake.connections[0]
        await first.ws.close(code=4000)  # Discord drops the connection: discord.py resumes
        await fake.wait_for(lambda: [c for c in fake._live_connections() if c is not first])
        await fake.send_message("after the resume")
        await fake.wait_for(lambda: channel.last_message_id == int(fake.channel["last_message_id"]))

    assert command.payload["data"]["guild_id"] == str(guild_id)  # a guild command
    kinds = [r.kind for r in command.responses]
    assert kinds == ["callback", "followup", "edit_followup", "delete_original"]
    assert command.responses[0].message is not None
    assert command.responses[0].message["attachments"][0]["filename"] == "a.txt"
    assert command.responses[2].message is not None
    assert command.responses[2].message["content"] == "final"
    assert who_reply.data["content"] == "That is alice"
    assert fake.deleted_message_ids[0] == sent.id
    assert [p["op"] for p in fake.gateway_payloads if p["op"] in (2, 6, 8)] == [2, 8, 6]
    dm_channel = fake.dm_channel_for(fake.user)
    assert fake.channel_messages(int(dm_channel["id"]))[0]["content"] == "hello in a DM"


async def test_wrong_token_is_rejected(fake_discord: FakeDiscord) -> None:
    with pytest.raises(discord.LoginFailure):
        async with run_client(ProbeBot(), fake_discord, token="not-the-token"):
            pytest.fail("must not get here")
    assert fake_discord.requests[-1].summary() == "GET /users/@me -> 401"


async def test_member_permissions_reach_the_bot(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    guild_id = int(fake.guild["id"])
    moderators = fake.add_role(guild_id, "Moderators", permissions=int(Perm.MANAGE_GUILD))
    async with run_client(ProbeBot(), fake):
        answers = []
        for kwargs in ({}, {"roles": [moderators]}, {"member_permissions": int(Perm.MANAGE_GUILD)}):
            interaction = await fake.invoke_slash("faq", subcommand="admin", **kwargs)
            answers.append((await fake.wait_for_interaction_response(interaction)).data["content"])
        as_owner = await fake.invoke_slash("faq", subcommand="admin", user=fake.owner)
        answers.append((await fake.wait_for_interaction_response(as_owner)).data["content"])

    assert answers == ["denied", "allowed", "allowed", "allowed"]


async def test_auto_sharded_bot_over_plain_text_gateway(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    fake.shard_count = 2
    fake.compress_gateway = False
    channels = []
    for shard in (0, 1):
        guild = fake.add_guild(f"Shard {shard} guild", shard_id=shard)
        channels.append(fake.add_channel(int(guild["id"]), "general"))
    bot = ShardedProbeBot()
    async with run_client(bot, fake):
        assert bot.shard_count == 2
        for channel in channels:
            await fake.send_message("!faq sharded?", channel_id=int(channel["id"]))
        for channel in channels:
            await fake.wait_for_bot_message(int(channel["id"]))
        shard_of = {g.id: g.shard_id for g in bot.guilds}

    assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
    assert not any(c.compress for c in fake.connections)
    for shard, channel in enumerate(channels):
        assert shard_of[int(channel["guild_id"])] == shard


async def test_two_clients_each_get_the_guilds_of_their_own_shard(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    fake.shard_count = 2
    channels = []
    for shard in (0, 1):
        guild = fake.add_guild(f"Shard {shard} guild", shard_id=shard)
        channels.append(int(fake.add_channel(int(guild["id"]), "general")["id"]))
    bots = [ShardedProbeBot(shard_ids=[shard], shard_count=2) for shard in (0, 1)]
    async with run_client(bots[0], fake), run_client(bots[1], fake):
        for shard, channel_id in enumerate(channels):
            await fake.send_message(f"!faq for shard {shard}", channel_id=channel_id)
        for channel_id in channels:
            await fake.wait_for_bot_message(channel_id)
        guilds_seen = [{g.id for g in bot.guilds} for bot in bots]

    assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
    for shard, bot in enumerate(bots):
        expected = {g for g in fake.guilds if (g >> 22) % 2 == shard}
        assert expected and guilds_seen[shard] == expected
        assert {shard_for(g, 2) for g in guilds_seen[shard]} == {shard}
        # Each client got the message of its own shard's guild, and only that one.
        assert bot.seen_contents == [f"!faq for shard {shard}"]


async def test_rate_limited_route_is_retried_after_retry_after(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    channel_id = int(fake.channel["id"])
    fault = fake.faults.rate_limit(method="POST", path=r"/channels/\d+/messages", retry_after=0.3)
    async with run_client(ProbeBot(), fake):
        await fake.send_message("!faq rate limited?")
        await fake.wait_for_bot_message(channel_id)

    posts = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert [r.status for r in posts] == [429, 200]
    assert posts[0].response == {
        "message": "You are being rate limited.",
        "retry_after": 0.3,
        "global": False,
    }
    assert posts[1].received_at - posts[0].received_at >= 0.3
    assert posts[1].json == posts[0].json
    assert fault.hits == [posts[0]] and fault.remaining == 0


async def test_global_rate_limit_and_server_errors(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    channel_id = int(fake.channel["id"])
    async with run_client(ProbeBot(), fake) as bot:
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        since = len(fake.requests)
        fake.faults.rate_limit(times=2, retry_after=0.1, scope="global")  # any route
        await channel.send("after a global rate limit")
        fake.faults.server_error(method="POST", status=500)  # discord.py retries after 1 s
        await channel.send("after a 500")
        fake.faults.server_error(path=r"/channels/\d+/messages", status=503)  # not retried
        with pytest.raises(discord.DiscordServerError):
            await channel.send("lost to a 503")
        await channel.send("after the 503")

    statuses = [r.status for r in fake.requests[since:]]
    assert statuses == [429, 429, 200, 500, 200, 503, 200]
    assert fake.requests[since].response["global"] is True
    assert [m["content"] for m in fake.bot_messages(channel_id)] == [
        "after a global rate limit",
        "after a 500",
        "after the 503",
    ]
    assert fake.faults.rest[-1].remaining == 0


@pytest.mark.parametrize("abort", [False, True], ids=["close-4000", "tcp-cut"])
async def test_dropped_connection_resumes_and_replays_what_it_missed(
    fake_discord: FakeDiscord, abort: bool
) -> None:
    fake = fake_discord
    channel_id = int(fake.channel["id"])
    async with run_client(ProbeBot(), fake) as bot:
        drop = await fake.faults.drop_gateway(abort=abort, hold_resume=True)
        missed = await fake.send_message("!faq sent while the bot was away")
        assert bot.seen_contents == []
        drop.release()
        await fake.wait_for(lambda: drop.resumed, description="the RESUME")
        await fake.wait_for_bot_message(channel_id)
        await fake.send_message("!faq after the resume")
        await fake.wait_for_bot_message(channel_id, count=2)

    assert len(fake.identifies) == 1 and len(fake.resumes) == 1
    resumed = fake.connections[-1]
    assert [(p["t"], p["d"]["id"]) for p in resumed.replayed] == [("MESSAGE_CREATE", missed["id"])]
    dispatches = [p for p in fake.sessions[resumed.session_id].backlog]
    assert [p["s"] for p in dispatches] == list(range(1, len(dispatches) + 1))
    assert bot.seen_contents == ["!faq sent while the bot was away", "!faq after the resume"]


async def test_invalid_session_makes_the_client_identify_again(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    channel_id = int(fake.channel["id"])
    async with run_client(ShardedProbeBot(), fake) as bot:
        (invalidated,) = await fake.faults.invalidate_session()
        await fake.wait_for(
            lambda: len(fake.identifies) == 2 and fake._live_connections(),
            description="a second IDENTIFY",
        )
        await fake.send_message("!faq after a new session")
        await fake.wait_for_bot_message(channel_id)

    assert invalidated.ended and fake.resumes == []
    assert len(fake.sessions) == 2
    assert bot.seen_contents == ["!faq after a new session"]
    # Neither an invalidated session nor an unknown one can be resumed.
    resume = {"token": fake.token, "session_id": invalidated.session_id, "seq": 1}
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        assert (await ws.receive_json())["op"] == 10
        for session_id in (invalidated.session_id, "no-such-session"):
            await ws.send_json({"op": 6, "d": {**resume, "session_id": session_id}})
            assert await ws.receive_json() == {"op": 9, "d": False}


async def test_reconnect_request_is_answered_with_a_resume(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    async with run_client(ProbeBot(), fake):
        (session,) = await fake.faults.request_reconnect()
        first = session.connection
        await fake.wait_for(lambda: session.connected and session.connection is not first)
        await fake.send_message("!faq after the reconnect")
        await fake.wait_for_bot_message(int(fake.channel["id"]))

    assert len(fake.identifies) == 1 and len(fake.resumes) == 1
    assert fake.resumes[0]["session_id"] == session.session_id
    # The session stays resumable, but nobody is connected: the fake says so.
    with pytest.raises(RuntimeError, match="is the client running"):
        await fake.invoke_slash("faq", subcommand="ask", options={"question": "anyone?"})


async def test_dm_and_message_content_intent(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    bot = ProbeBot(message_content=False, dm_messages=True)
    async with run_client(bot, fake):
        await fake.send_message("!faq hidden without the intent")
        dm = await fake.send_dm("!faq in a DM")
        answer = await fake.wait_for_bot_message(int(dm["channel_id"]))

    # Guild content is blanked without the MESSAGE_CONTENT intent; DMs keep their content.
    assert bot.seen_contents == ["", "!faq in a DM"]
    assert answer["embeds"][0]["description"] == "You asked: in a DM"
    assert fake.bot_messages(int(fake.channel["id"])) == []


async def test_fake_rejects_what_discord_rejects(
    fake_discord: FakeDiscord, log_guard: ErrorLogGuard
) -> None:
    fake = fake_discord
    bot = ProbeBot()
    async with run_client(bot, fake):
        await fake.send_message("!long")
        await fake.wait_for(lambda: bot.send_errors, description="the 2001-char send to fail")

        fake.ack_deadline = 0.0  # every interaction is now too late to acknowledge
        interaction = await fake.invoke_slash("faq", subcommand="ask", options={"question": "q"})
        await fake.wait_for_request("POST", rf"/interactions/{interaction.id}/.*/callback")
        await fake.wait_for(lambda: log_guard.records, description="the app command error log")
        log_guard.expect(r"Unknown interaction")

    (error,) = bot.send_errors
    assert error.status == 400 and error.code == 50035
    assert "2000 or fewer" in str(error)
    assert not interaction.acknowledged


async def test_error_log_guard_detects_records() -> None:
    guard = ErrorLogGuard()
    warning = logging.LogRecord("discord.client", logging.WARNING, __file__, 1, "meh", None, None)
    guard.handle(warning)
    guard.check()  # warnings are fine

    try:
        raise RuntimeError("handler exploded")
    except RuntimeError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "discord.client",
        logging.ERROR,
        __file__,
        1,
        "Ignoring exception in %s",
        ("on_message",),
        exc_info,
    )
    guard.handle(record)
    with pytest.raises(AssertionError, match=r"(?s)Ignoring exception in on_message.*exploded"):
        guard.check()
    guard.check()  # already reported

    guard.expect("tolerated")
    guard.handle(logging.LogRecord("x", logging.ERROR, __file__, 1, "tolerated", None, None))
    guard.check()


async def test_error_log_guard_sees_bot_handler_exceptions(
    fake_discord: FakeDiscord, log_guard: ErrorLogGuard
) -> None:
    fake = fake_discord
    async with run_client(ProbeBot(), fake):
        await fake.send_message("!boom")
        await fake.wait_for(lambda: log_guard.records, description="the on_message error log")

    (record,) = log_guard.records
    assert "Ignoring exception in on_message" in record.getMessage()
    with pytest.raises(AssertionError, match="handler exploded"):
        log_guard.check()


async def test_unhandled_request_guard(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    async with aiohttp.ClientSession() as session:
        url = f"{fake.base_url}/guilds/1/audit-logs"
        async with session.get(url, headers={"Authorization": f"Bot {fake.token}"}) as response:
            assert response.status == 404
            assert response.headers["Content-Type"] == "application/json"
            assert await response.json() == {"message": "404: Not Found", "code": 0}

    bot = ProbeBot()
    async with run_client(bot, fake):
        channel = bot.get_channel(int(fake.channel["id"]))
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.NotFound):
            await asyncio.wait_for(channel.create_invite(), timeout=2)

    assert [r.summary() for r in fake.unhandled_requests] == [
        "GET /guilds/1/audit-logs -> 404",
        f"POST /channels/{fake.channel['id']}/invites -> 404",
    ]
    with pytest.raises(AssertionError, match="invites"):
        fake.check_unhandled()
    fake.unhandled_requests.clear()  # handled by this test: keep the fixture's guard quiet


INNER_CONFTEST = """
from e2e.conftest import fake_discord, log_guard, pytest_runtest_call  # noqa: F401
"""

INNER_TESTS = """
import logging

import aiohttp


async def test_logs_an_error(fake_discord):
    logging.getLogger("some.module").error("something broke")


async def test_makes_an_unhandled_request(fake_discord):
    async with aiohttp.ClientSession() as session:
        async with session.get(fake_discord.base_url + "/not-implemented") as response:
            assert response.status == 404


async def test_clean(fake_discord):
    assert fake_discord.unhandled_requests == []
"""


def test_guards_fail_tests_in_a_real_pytest_run(tmp_path: Path) -> None:
    """Run a throwaway test module with these fixtures in a child pytest and read its verdicts."""
    (tmp_path / "conftest.py").write_text(INNER_CONFTEST)
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    (tmp_path / "pytest.ini").write_text(
        textwrap.dedent(
            """
            [pytest]
            asyncio_mode = auto
            asyncio_default_fixture_loop_scope = function
            """
        )
    )
    tests_dir = Path(__file__).resolve().parent.parent  # makes `e2e` importable
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tests_dir), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-rA", str(tmp_path)),
            *("-p", "no:cacheprovider", "-p", "no:hypothesispytest"),  # faster start-up
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "FAILED test_inner.py::test_logs_an_error" in output, output
    assert "ERROR some.module: something broke" in output, output
    assert "FAILED test_inner.py::test_makes_an_unhandled_request" in output, output
    assert "unhandled request: GET /not-implemented -> 404" in output, output
    assert "PASSED test_inner.py::test_clean" in output, output
    assert "2 failed, 1 passed" in output, output
