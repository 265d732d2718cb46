"""A server's own settings as `/faq config` shows and changes them.

The server's values come from the store (through the Library's in-memory copy); what it has
not set falls back to the bot's environment settings, which stay the defaults.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import discord

from bot.core.store import GuildSettings
from bot.embeds import ANSWER_COLOUR
from bot.settings import Settings

__all__ = [
    "CHANNELS_MAX",
    "channels_shown",
    "effective_channels",
    "settings_embed",
    "with_channels",
    "with_mod_role",
]

# What one autocomplete list can show, and plenty for one server.
CHANNELS_MAX = 25

# Settings a server can only have set elsewhere (the CLI); shown when set.
_OTHER = {
    "answer_threshold": "Answer threshold",
    "chat_threshold": "Chat threshold",
    "user_cooldown_seconds": "Member cooldown (s)",
    "channel_entry_cooldown_seconds": "Same-answer cooldown (s)",
}


def channels_shown(ids: Collection[int]) -> str:
    """Channel mentions (they never ping), in a stable order."""
    return ", ".join(f"<#{i}>" for i in sorted(ids)) or "none"


def settings_embed(
    own: GuildSettings, defaults: Settings, guild: discord.Guild | None
) -> discord.Embed:
    """This server's settings: its own values, and the defaults where it set nothing."""
    embed = discord.Embed(title="The FAQ bot's settings in this server", colour=ANSWER_COLOUR)
    if own.auto_answer_channels:
        channels = f"{channels_shown(own.auto_answer_channels)} (set here)"
    else:
        here = _in_guild(defaults.auto_answer_channels, guild)
        channels = (
            f"{channels_shown(here)} (the bot's default)"
            if here
            else "none: I answer only when mentioned (the bot's default)"
        )
    embed.add_field(name="Answers on its own in", value=channels, inline=False)
    if own.mod_role_id is not None:
        role = f"<@&{own.mod_role_id}> (set here)"
    elif defaults.mod_role_id is not None:
        role = f"<@&{defaults.mod_role_id}> (the bot's default)"
    else:
        role = "none: only members with Manage Server"
    embed.add_field(name="Moderator role", value=role, inline=False)
    raw: dict[str, Any] = own.to_dict()
    for name, label in _OTHER.items():
        if name in raw:
            embed.add_field(name=label, value=f"{raw[name]} (set here)", inline=True)
    embed.set_footer(
        text="Change with /faq config channel-add, channel-remove, mod-role; "
        "/faq config reset goes back to the defaults."
    )
    return embed


def _in_guild(channel_ids: Collection[int], guild: discord.Guild | None) -> set[int]:
    if guild is None:
        return set()
    return {c for c in channel_ids if guild.get_channel_or_thread(c) is not None}


def effective_channels(
    own: GuildSettings, defaults: Settings, guild: discord.Guild | None
) -> set[int]:
    """The channels the bot answers in here: the server's own list, else the defaults here."""
    return set(own.auto_answer_channels) or _in_guild(defaults.auto_answer_channels, guild)


def with_channels(own: GuildSettings, channels: Collection[int]) -> GuildSettings:
    """`own` with this list of channels (empty: back to the bot's default)."""
    return GuildSettings.from_dict({**own.to_dict(), "auto_answer_channels": sorted(channels)})


def with_mod_role(own: GuildSettings, role_id: int | None) -> GuildSettings:
    """`own` with this moderator role (None: back to the bot's default)."""
    raw = own.to_dict()
    raw.pop("mod_role_id", None)
    if role_id is not None:
        raw["mod_role_id"] = role_id
    return GuildSettings.from_dict(raw)
