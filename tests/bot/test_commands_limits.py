"""Every command, form and button against Discord's limits, which discord.py does not all check."""

from __future__ import annotations

import re
from typing import Any

import discord
from bot_fakes import GUILD_ID

from bot.client import FaqBot
from bot.core.models import Entry
from bot.modals import EntryDraft, EntryModal, GapsView

SLASH_NAME = re.compile(r"^[-_\w]{1,32}$")
CONTRACT = {
    "ask",
    "show",
    "list",
    "paragraph",
    "add",
    "edit",
    "remove",
    "gaps",
    "stats",
    "reload",
    "sync",
    "forget-me",
    "config",
}
MODERATOR_ONLY = {"add", "edit", "remove", "gaps", "stats", "reload"}


def _check_option(option: dict[str, Any], path: str) -> None:
    name = option["name"]
    assert SLASH_NAME.match(name) and name == name.lower(), f"{path}: bad name {name!r}"
    assert 1 <= len(option["description"]) <= 100, f"{path}.{name}: description length"
    assert option["description"] != "…", f"{path}.{name}: undocumented option"
    children = option.get("options", [])
    assert len(children) <= 25, f"{path}.{name}: too many options"
    assert len(option.get("choices", [])) <= 25, f"{path}.{name}: too many choices"
    for choice in option.get("choices", []):
        assert 1 <= len(choice["name"]) <= 100
    for child in children:
        _check_option(child, f"{path}.{name}")
    if option.get("type") in (1, 2):  # subcommand, group
        return
    if "max_length" in option:
        assert option["max_length"] <= 6000


def test_slash_commands_fit_discords_limits(bot: FaqBot) -> None:
    commands = bot.tree.get_commands(type=discord.AppCommandType.chat_input)
    assert [c.name for c in commands] == ["faq"]
    [group] = commands
    payload = group.to_dict(bot.tree)
    _check_option(payload, "")
    assert {o["name"] for o in payload["options"]} == CONTRACT
    # Total characters of names, descriptions and values of one command: at most 8000.
    assert len(str(payload)) < 8000


def test_the_context_menu_fits_and_is_moderator_only(bot: FaqBot) -> None:
    [menu] = bot.tree.get_commands(type=discord.AppCommandType.message)
    payload = menu.to_dict(bot.tree)
    assert payload["name"] == "Add to FAQ"
    assert 1 <= len(payload["name"]) <= 32
    assert payload["default_member_permissions"] == discord.Permissions(manage_guild=True).value
    assert menu.checks


def test_moderator_subcommands_carry_the_check(bot: FaqBot) -> None:
    group = bot.tree.get_command("faq")
    assert isinstance(group, discord.app_commands.Group)
    for command in group.commands:
        if isinstance(command, discord.app_commands.Group):
            assert command.name == "config"
            continue
        assert isinstance(command, discord.app_commands.Command)
        # The same rule as default permission (ignored by Discord on subcommands) and check.
        has_default = command.default_permissions == discord.Permissions(manage_guild=True)
        assert has_default == (command.name in MODERATOR_ONLY), command.name
        if command.name in MODERATOR_ONLY:
            assert command.checks, command.name


def _check_modal(modal: discord.ui.Modal) -> None:
    payload = modal.to_dict()
    assert 1 <= len(payload["title"]) <= 45
    assert len(payload["custom_id"]) <= 100
    rows = payload["components"]
    assert 1 <= len(rows) <= 5
    for row in rows:
        [field] = row["components"]
        assert 1 <= len(field["label"]) <= 45
        assert len(field.get("placeholder") or "") <= 100
        assert 1 <= field.get("max_length", 4000) <= 4000
        assert len(field.get("value") or "") <= field.get("max_length", 4000)


def test_entry_forms_fit() -> None:
    _check_modal(EntryModal(guild_id=GUILD_ID))
    entry = Entry(id="x", question="q" * 256, alternates=("a" * 256,) * 30, answer="b" * 4000)
    _check_modal(EntryModal(guild_id=GUILD_ID, editing=entry))
    _check_modal(EntryModal(guild_id=GUILD_ID, draft=EntryDraft(question="c" * 9000)))


def test_button_rows_fit() -> None:
    view = GapsView(1, guild_id=GUILD_ID, questions=["q"] * 40)
    components = view.to_components()
    assert len(components) <= 5
    assert all(len(row["components"]) <= 5 for row in components)
    assert all(len(b["label"]) <= 80 for row in components for b in row["components"])


def test_server_settings_are_for_manage_server_only(bot: FaqBot) -> None:
    group = bot.tree.get_command("faq")
    assert isinstance(group, discord.app_commands.Group)
    config = group.get_command("config")
    assert isinstance(config, discord.app_commands.Group)
    names = {c.name for c in config.commands}
    assert names == {"show", "channel-add", "channel-remove", "mod-role", "reset"}
    for command in config.commands:
        assert isinstance(command, discord.app_commands.Command)
        assert command.default_permissions == discord.Permissions(manage_guild=True)
        assert [c.__qualname__ for c in command.checks] == ["server_manager_predicate"]
