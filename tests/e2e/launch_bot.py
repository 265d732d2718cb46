"""Run the ``faqbot`` command line with discord.py pointed at a fake Discord.

The multi-process end-to-end tests start ``python launch_bot.py run`` the way an operator starts
``faqbot run``: same entry point, settings from the environment. The only difference is where
Discord is: ``FAKE_DISCORD_API`` (the REST base, ``http://127.0.0.1:PORT/api/v10``) and
``FAKE_DISCORD_GATEWAY`` (``ws://127.0.0.1:PORT/``) replace discord.com, exactly as the in-process
fixture patches them. Loopback addresses only.
"""

from __future__ import annotations

import os
import sys

import discord.gateway
import discord.http
import yarl

from bot.cli import main


def point_discord_at(api_base: str, gateway: str) -> None:
    """Make discord.py use the fake's REST base and gateway (loopback only)."""
    for url in (api_base, gateway):
        host = yarl.URL(url).host
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise SystemExit(f"launch_bot: {url} is not a loopback address")
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


if __name__ == "__main__":
    point_discord_at(os.environ["FAKE_DISCORD_API"], os.environ["FAKE_DISCORD_GATEWAY"])
    sys.exit(main(sys.argv[1:]))
