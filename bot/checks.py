"""Who may do what: one moderator check, used both at run time and as the default permission.

Like RoboDanny's `hybrid_permissions_check`, `moderator_only()` applies the same rule twice:
as Discord's `default_member_permissions` (Manage Server), which hides the command from
members without it, and as a check that runs on every call, which is the real gate (Discord
ignores default permissions on subcommands, and server admins can override them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.responses import Interaction

__all__ = [
    "MODERATOR_PERMISSIONS",
    "NotModerator",
    "NotOwner",
    "NotServerManager",
    "apply_moderator_only",
    "is_moderator",
    "moderator_only",
    "moderator_predicate",
    "owner_only",
    "server_manager_only",
    "server_manager_predicate",
]

_log = logging.getLogger(__name__)

T = TypeVar("T")

MODERATOR_PERMISSIONS = discord.Permissions(manage_guild=True)


class NotModerator(app_commands.CheckFailure):
    """The member is not a moderator of this server (or the command ran outside a server)."""


class NotOwner(app_commands.CheckFailure):
    """The user does not own the bot."""


def is_moderator(interaction: Interaction) -> bool:
    """True when the interaction's user may edit the FAQ: Manage Server, or the mod role.

    The mod role is the server's own (`/faq config mod-role`), else the bot's default.
    """
    user = interaction.user
    if interaction.guild_id is None or not isinstance(user, discord.Member):
        return False
    # `interaction.permissions` are the member's resolved permissions sent with the interaction,
    # so they are right even when the member is not cached.
    if interaction.permissions.manage_guild:
        return True
    mod_role_id = interaction.client.mod_role_for(interaction.guild_id)
    return mod_role_id is not None and user.get_role(mod_role_id) is not None


async def moderator_predicate(interaction: Interaction) -> bool:
    """The run-time half of `moderator_only`; raises NotModerator with the reason."""
    if interaction.guild_id is None:
        raise NotModerator("FAQ editing works inside a server, not in direct messages.")
    if not is_moderator(interaction):
        who = "members with Manage Server"
        if interaction.client.mod_role_for(interaction.guild_id) is not None:
            who += " or the moderator role"
        raise NotModerator(f"Only moderators ({who}) can do that.")
    return True


class NotServerManager(app_commands.CheckFailure):
    """The member lacks Manage Server (or the command ran outside a server)."""


async def server_manager_predicate(interaction: Interaction) -> bool:
    """Only Manage Server may change a server's settings (not the mod role it sets)."""
    if interaction.guild_id is None:
        raise NotServerManager("Server settings work inside a server, not in direct messages.")
    if not interaction.permissions.manage_guild:
        raise NotServerManager("Only members with Manage Server can change the bot's settings.")
    return True


def server_manager_only() -> Callable[[T], T]:
    """Decorator: Manage Server only, by default permission and by a run-time check."""

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(MODERATOR_PERMISSIONS)(func)
        return app_commands.check(server_manager_predicate)(func)

    return decorator


def moderator_only() -> Callable[[T], T]:
    """Decorator: moderators only, by default permission and by a run-time check."""

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(MODERATOR_PERMISSIONS)(func)
        return app_commands.check(moderator_predicate)(func)

    return decorator


def apply_moderator_only(command: app_commands.ContextMenu) -> app_commands.ContextMenu:
    """The same rule as `moderator_only`, for a context menu built at run time."""
    command.default_permissions = MODERATOR_PERMISSIONS
    command.add_check(moderator_predicate)
    return command


async def _owner_predicate(interaction: Interaction) -> bool:
    bot = interaction.client
    if not await bot.is_owner(interaction.user):
        raise NotOwner("Only the bot's owner can do that.")
    return True


def owner_only() -> Callable[[T], T]:
    """Decorator: only the bot's owner (or its team) may run the command."""
    return app_commands.check(_owner_predicate)
