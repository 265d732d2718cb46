"""A fake Discord (REST API v10 + JSON gateway) for end-to-end tests of discord.py bots.

The fake is an aiohttp application served on a loopback port. The *real* discord.py client is
pointed at it by patching ``discord.http.Route.BASE`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (see :meth:`FakeDiscord.patch_discord`).

What it models, deliberately close to the real service:

* REST under ``/api/v10`` with JSON bodies (``Content-Type`` exactly ``application/json``) and
  multipart bodies (``payload_json`` plus ``files[n]``). Every request is recorded in
  :attr:`FakeDiscord.requests`; requests the fake does not implement get a 404 JSON error and are
  also recorded in :attr:`FakeDiscord.unhandled_requests` (the pytest fixture fails the test on
  those).
* The gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE per guild of the shard, heartbeat ACKs,
  RESUME, REQUEST_GUILD_MEMBERS, presence updates, ``zlib-stream`` transport compression when
  the client asks for it. Events honour the identified intents (guild/DM message intents, and
  the privileged MESSAGE_CONTENT intent blanks content like Discord does).
* Shards: ``GET /gateway/bot`` recommends :attr:`FakeDiscord.shard_count` shards; IDENTIFY says
  ``shard: [id, n]`` and each guild's events go to shard ``(guild_id >> 22) % n`` (DMs to shard
  0), so several clients (or processes) can each run some shards of one bot.
* Sessions outlive connections: a RESUME replays what the session missed, then RESUMED.
* Faults (``fake.faults``, see :mod:`.faults`): 429 with ``retry_after`` per route or for the
  next N requests, 5xx, a dropped gateway connection, op 9 invalid session, op 7 reconnect.
* Interactions: slash commands (with subcommands and groups), autocomplete, message and user
  context menus, buttons, selects and modal submits are dispatched as INTERACTION_CREATE. The
  callback endpoint enforces one acknowledgement per interaction, the valid response types per
  interaction type and (by default) the 3 second acknowledgement deadline, and answers
  ``?with_response=1`` with an InteractionCallbackResponse. Follow-ups and ``@original`` edits
  work through the webhook endpoints; the first follow-up after a "thinking" defer fills the
  loading message, as on Discord.
* Documented limits are validated (message content 2000, embeds 10/6000 and per field limits,
  components, modals, autocomplete choices, application command definitions) and answered with
  Discord's 400 "Invalid Form Body" shape, so a bot that would be rejected by Discord is rejected
  here too. Permissions (roles, @everyone, overwrites, owner, administrator) are computed and
  enforced for sending, replying, editing and deleting messages.

Test-driving API (all ``async``): :meth:`FakeDiscord.send_message`, :meth:`FakeDiscord.send_dm`,
:meth:`FakeDiscord.invoke_slash`, :meth:`FakeDiscord.invoke_autocomplete`,
:meth:`FakeDiscord.invoke_message_command`, :meth:`FakeDiscord.invoke_user_command`,
:meth:`FakeDiscord.click_button`, :meth:`FakeDiscord.select_option`,
:meth:`FakeDiscord.submit_modal`, and the waiting helpers :meth:`FakeDiscord.wait_for`,
:meth:`FakeDiscord.wait_for_request`, :meth:`FakeDiscord.wait_for_interaction_response`,
:meth:`FakeDiscord.wait_for_bot_message`.

All payloads are plain ``dict`` objects shaped like Discord's JSON (snowflakes as strings,
ISO-8601 timestamps). The fake never imports discord.py except to patch it.
"""

from .driver import FakeDiscord
from .faults import Faults, GatewayDrop, RestFault
from .gateway import GatewayConnection, GatewaySession
from .interactions import FakeInteraction, InteractionReply
from .protocol import JSON, ApiError, FakeDiscordTimeout, Intent, Perm, shard_for
from .rest import RecordedRequest
from .world import RecordedFile

__all__ = [
    "JSON",
    "ApiError",
    "FakeDiscord",
    "FakeDiscordTimeout",
    "FakeInteraction",
    "Faults",
    "GatewayConnection",
    "GatewayDrop",
    "GatewaySession",
    "Intent",
    "InteractionReply",
    "Perm",
    "RecordedFile",
    "RecordedRequest",
    "RestFault",
    "shard_for",
]
