"""The Discord client: an AutoShardedBot built from its settings, library and stats.

Everything the bot needs comes in through `FaqBot.__init__` (no module globals), the cogs
are loaded in `setup_hook`, and application commands are synced only on demand (`/faq sync`)
or to the dev guild named in the settings, never on every start.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.bookkeeping import Bookkeeping
from bot.core.errors import KnowledgeError, describe_os_error
from bot.core.library import Library
from bot.core.matching.semantic import SemanticModel
from bot.core.models import KnowledgeBase, Reply
from bot.core.stats import Counters
from bot.core.store import Store, StoreUnavailableError, open_store
from bot.embeds import problem_line, problems_embed
from bot.health import HealthServer
from bot.logs import configure_logging as setup_logging
from bot.logs import event_shard
from bot.responses import NO_MENTIONS, apologise, respond
from bot.settings import Settings
from bot.views import PERSISTENT_ITEMS

if TYPE_CHECKING:
    from bot.responses import Interaction

__all__ = [
    "EXTENSIONS",
    "STATS_FILE",
    "FaqBot",
    "FaqTree",
    "create_bot",
    "make_intents",
    "run_bot",
    "start_bot",
]

_log = logging.getLogger(__name__)

EXTENSIONS = ("bot.cogs.faq", "bot.cogs.auto_answer")
STATS_FILE = "stats.sqlite3"


def make_intents() -> discord.Intents:
    """Guilds, guild messages and message content: all the bot needs, nothing more.

    Direct messages are not among them, so DMs never reach the bot (slash commands still
    work there, since interactions need no intent).
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    return intents


class FaqTree(app_commands.CommandTree["FaqBot"]):
    """The command tree with the bot's one app-command error handler."""

    async def on_error(
        self, interaction: Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        """Short private messages for refusals and cooldowns; a traceback for the unexpected."""
        # A check raised inside the callback (e.g. NoPrivateMessage) arrives wrapped.
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        name = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(original, app_commands.CommandOnCooldown):
            message = f"Slow down a little: try again in {original.retry_after:.0f} s."
        elif isinstance(original, app_commands.BotMissingPermissions):
            message = "I am missing permissions here: " + ", ".join(original.missing_permissions)
        elif isinstance(original, app_commands.CheckFailure):
            message = str(original) or "You cannot use this command here."
        elif isinstance(original, app_commands.TransformerError):
            message = "That value does not work here; pick one from the list."
        elif isinstance(original, discord.Forbidden):
            # Logged once for this call, and never retried.
            _log.warning("/%s: missing a permission in channel %s", name, interaction.channel_id)
            message = "I do not have permission to do that in this channel."
        else:
            _log.error("/%s failed", name, exc_info=original)
            await apologise(interaction)
            return
        try:
            await respond(interaction, message, ephemeral=True)
        except discord.HTTPException:
            # The interaction may have expired; telling the user is best effort, never retried.
            _log.debug("could not report the error of /%s", name, exc_info=True)


class FaqBot(commands.AutoShardedBot):
    """The FAQ bot: answers in chat, slash commands, moderator editing."""

    def __init__(self, settings: Settings, library: Library, stats: Bookkeeping) -> None:
        # The bot uses no voice: discord.py's "PyNaCl/davey is not installed" warnings at every
        # start would only worry the operator.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        sharding: dict[str, Any] = {"shard_count": settings.shard_count}
        if settings.shard_ids is not None:
            sharding["shard_ids"] = list(settings.shard_ids)
        super().__init__(
            # Prefix commands are not used; on_message below never processes them.
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=make_intents(),
            allowed_mentions=NO_MENTIONS,
            tree_cls=FaqTree,
            **sharding,
            # Replies carry the message they answer; no message cache is needed.
            max_messages=None,
        )
        self.settings = settings
        self.library = library
        self.stats = stats
        self._watch_task: asyncio.Task[None] | None = None
        self._mod_log_failed = False

    async def setup_hook(self) -> None:
        """Load the cogs, register the persistent buttons, start the hot reload."""
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(*PERSISTENT_ITEMS)
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            _log.info("synced %d commands to the dev guild %s", len(synced), guild.id)
        self._watch_task = asyncio.create_task(
            self.library.watch(on_error=self.report_knowledge_error), name="faq-knowledge-watch"
        )

    async def launch_shard(
        self, gateway: yarl.URL, shard_id: int, *, initial: bool = False
    ) -> None:
        """Connect a shard as discord.py does, with its id in every log line it causes.

        The shard's reader task, and every event task it starts, copy the id from here.
        """
        token = event_shard.set(shard_id)
        try:
            await super().launch_shard(gateway, shard_id, initial=initial)
        finally:
            event_shard.reset(token)

    async def on_message(self, message: discord.Message, /) -> None:
        """Do nothing here: the auto-answer cog listens, and there are no prefix commands."""

    async def close(self) -> None:
        """Stop the hot reload and the stats worker, then disconnect."""
        task = self._watch_task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.stats.close()
        await super().close()

    def mod_role_for(self, guild_id: int | None) -> int | None:
        """The moderator role of a server: its own setting, else FAQ_MOD_ROLE_ID."""
        own = self.library.settings_for(guild_id).mod_role_id
        return own if own is not None else self.settings.mod_role_id

    def auto_answer_channels_for(self, guild_id: int | None) -> frozenset[int]:
        """Where the bot answers on its own in a server: its own channels, else the default
        (FAQ_AUTO_ANSWER_CHANNELS)."""
        own = self.library.settings_for(guild_id).auto_answer_channels
        return own or self.settings.auto_answer_channels

    async def reply_for(
        self, guild_id: int | None, question: str, *, chat: bool = False, addressed: bool = False
    ) -> Reply:
        """The core's reply for a server, computed off the event loop.

        Building a server's matcher after its entries change takes a moment, and so can a
        long question; neither should hold up the other messages.
        """

        def reply() -> Reply:
            matcher = self.library.matcher_for(guild_id)
            return matcher.reply(question, chat=chat, addressed=addressed)

        return await asyncio.to_thread(reply)

    async def record_ask(
        self,
        guild_id: int | None,
        question: str,
        ref: str | None,
        answered: bool,
        message_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        """Count a question, after its reply went out; a failure never stops an answer."""
        await self.stats.record_ask(guild_id, question, ref, answered, message_id, user_id)

    async def report_knowledge_error(self, error: KnowledgeError) -> None:
        """Post a rejected knowledge file's problems to the mod-log channel, when one is set.

        A server's file is reported only when the channel is in that server: its entries are
        nobody else's business. The library has already logged the error (with the paths);
        a failure to post is logged once.
        """
        channel_id = self.settings.mod_log_channel_id
        if channel_id is None or self._mod_log_failed:
            return
        await self.wait_until_ready()
        embed = problems_embed(
            "A knowledge file was rejected; the last good version keeps serving",
            [problem_line(problem) for problem in error.problems],
        )
        try:
            channel = self.get_channel(channel_id) or await self.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                raise TypeError(f"channel {channel_id} cannot receive messages")
            channel_guild = getattr(channel, "guild", None)
            if error.guild_id is not None and getattr(channel_guild, "id", None) != error.guild_id:
                _log.debug(
                    "not posting server %s's rejected file to another server", error.guild_id
                )
                return
            await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
        except (discord.HTTPException, TypeError) as exc:
            self._mod_log_failed = True
            _log.warning(
                "cannot post to the mod-log channel %s (%s); not trying again until restart",
                channel_id,
                exc,
            )


def create_bot(settings: Settings, library: Library, stats: Counters | Bookkeeping) -> FaqBot:
    """The bot, wired to its dependencies (stats on a worker of their own, with deadlines)."""
    bookkeeping = stats if isinstance(stats, Bookkeeping) else Bookkeeping(stats)
    return FaqBot(settings, library, bookkeeping)


async def start_bot(
    settings: Settings, *, retry_delay: float = 1.0, max_retry_delay: float = 60.0
) -> None:
    """Open the store, load the knowledge, and run the bot until it is closed.

    A database that is down at start is retried (one log line says so); once running, the
    bot answers from memory whatever the store does. When Discord cannot be reached at start,
    it tries again after `retry_delay` seconds, doubling up to `max_retry_delay`, with one
    warning line per try.
    """

    def make_store(base: KnowledgeBase) -> Store:
        return open_store(
            base,
            data_dir=settings.data_dir,
            database_url=settings.database,
            retention_days=settings.retention_days,
            wait=True,
        )

    library = await asyncio.to_thread(
        functools.partial(
            Library,
            settings.knowledge_dir,
            settings.data_dir,
            settings.match_settings(),
            overlay_cache=settings.overlay_cache,
            semantic=SemanticModel(settings.model_cache_dir),
            store=make_store,
        )
    )
    stats = library.store
    # The model loads beside the gateway's start, not on a member's first question.
    library.warm_model_in_background()
    prune_task = asyncio.create_task(_prune_daily(stats, settings.retention_days))
    health: HealthServer | None = None
    try:
        if settings.health_port is not None:
            health = HealthServer(settings.health_port, _shards_label(settings))
            await health.start()
            _log.info("liveness signal on http://127.0.0.1:%d/healthz", health.port)
        delay = retry_delay
        while True:
            async with create_bot(settings, library, stats) as bot:
                if health is not None:
                    health.bot = bot
                try:
                    await bot.start(settings.token)
                    return
                except (TimeoutError, OSError, discord.DiscordServerError) as exc:
                    if bot.user is not None:
                        raise  # logged in: discord.py reconnects by itself from here
                    # No network yet, or Discord is down: discord.py only reconnects once it
                    # has logged in, so the first connection is retried here.
                    reason = _reason(exc)
                    if health is not None:
                        health.bot = None
                        health.problem = f"cannot reach Discord ({reason})"
                    _log.warning("cannot reach Discord (%s); retrying in %.0f s", reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_retry_delay)
    finally:
        if health is not None:
            await health.close()
        prune_task.cancel()
        await asyncio.to_thread(stats.close)


async def _prune_daily(store: Store, retention_days: int) -> None:
    """Drop asked-question text past FAQ_RETENTION_DAYS, at start and then once a day."""
    while True:
        try:
            pruned = await asyncio.to_thread(store.prune, retention_days)
            if pruned:
                _log.info(
                    "pruned the text of %d questions older than %d days", pruned, retention_days
                )
        except Exception as exc:
            _log.warning("pruning old questions failed (%s); trying again tomorrow", exc)
        await asyncio.sleep(86_400)


def _shards_label(settings: Settings) -> str:
    """The shards this process runs, for log lines and /healthz."""
    shards = settings.shard_ids
    return ",".join(map(str, shards)) if shards is not None else "all"


def _reason(error: BaseException) -> str:
    """A short reason for a connection failure, for one log line."""
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, discord.DiscordServerError):
        return f"Discord answered {error.status}"
    return str(error) or type(error).__name__


def run_bot(settings: Settings, *, configure_logging: bool = True) -> int:
    """Run the bot until Ctrl+C (what `faqbot run` calls); return the process exit code.

    Start-up failures an operator can fix (invalid knowledge, a refused token, the message
    content intent not enabled) are logged as one clear message and return 1.
    """
    if configure_logging:
        setup_logging(settings.log_level, _shards_label(settings))
    _log.info(
        "starting: knowledge %s, data %s, %d auto-answer channels",
        settings.knowledge_dir,
        settings.data_dir,
        len(settings.auto_answer_channels),
    )
    try:
        asyncio.run(start_bot(settings))
    except KeyboardInterrupt:
        _log.info("stopped")
    except StoreUnavailableError as exc:
        _log.error("%s", exc.problems[0].message)
        return 1
    except KnowledgeError as exc:
        _log.error(
            "the knowledge in %s is invalid; fix it and start again:\n%s",
            settings.knowledge_dir,
            exc,
        )
        return 1
    except discord.LoginFailure:
        _log.error(
            "Discord refused DISCORD_TOKEN; copy the bot token again from the developer portal"
        )
        return 1
    except OSError as exc:
        _log.error("%s", describe_os_error(exc))
        return 1
    except sqlite3.DatabaseError as exc:
        _log.error(
            "the stats database %s could not be used (%s); move it aside and start again",
            settings.data_dir / STATS_FILE,
            exc,
        )
        return 1
    except discord.PrivilegedIntentsRequired:
        _log.error(
            "the Message Content intent is not enabled: turn it on in the developer portal "
            "(Bot > Privileged Gateway Intents) and start again"
        )
        return 1
    return 0
