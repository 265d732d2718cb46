"""The test-driving API: what users do (messages, commands, clicks, modals), and waiting."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from .interactions import FakeInteraction, InteractionReply, Interactions
from .protocol import (
    ALL_PERMISSIONS,
    INTERACTION_APPLICATION_COMMAND,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    JSON,
    OPT_BOOLEAN,
    OPT_CHANNEL,
    OPT_INTEGER,
    OPT_MENTIONABLE,
    OPT_NUMBER,
    OPT_ROLE,
    OPT_STRING,
    OPT_SUB_COMMAND,
    OPT_SUB_COMMAND_GROUP,
    OPT_USER,
    SELECT_TYPES,
    FakeDiscordTimeout,
    id_of,
)
from .rest import RecordedRequest

T = TypeVar("T")


class FakeDiscord(Interactions):
    """An in-process fake of Discord's REST API and gateway, for one test.

    Built in layers, each module adding to the one below: :class:`~.world.World` (state),
    :class:`~.gateway.Gateway`, :class:`~.rest.Rest`, :class:`~.interactions.Interactions`, and
    this driver API for tests.

    A default world is created: the bot user (:attr:`bot_user`), a guild (:attr:`guild`) owned by
    :attr:`owner`, a text channel (:attr:`channel`) and a regular member (:attr:`user`). Add
    more with :meth:`make_user`, :meth:`add_guild`, :meth:`add_channel`, :meth:`add_role` and
    :meth:`add_member` before the client connects (GUILD_CREATE is sent on IDENTIFY).

    Args:
        token: The bot token the fake accepts (REST ``Authorization`` and IDENTIFY).
        bot_name: Username of the bot user.
        shard_count: What ``GET /gateway/bot`` recommends.
        compress_gateway: Honour ``compress=zlib-stream``; if false, send plain text frames.
        ack_deadline: Seconds the bot has to acknowledge an interaction (Discord: 3); ``None``
            disables the check.
        heartbeat_interval_ms: Sent in HELLO.
        echo_bot_messages: Dispatch MESSAGE_CREATE/UPDATE/DELETE for the bot's own messages,
            like Discord does.
        enabled_privileged_intents: Privileged intents "enabled in the developer portal";
            IDENTIFY asking for others is closed with 4014, like Discord does.
        require_registered_commands: If true, invoking an application command that the bot
            never registered raises ``ValueError`` instead of inferring the option types.
    """

    # ------------------------------------------------------------------ waiting

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        description: str = "condition",
    ) -> T:
        """Wait until ``predicate()`` returns something truthy and return it.

        The predicate is re-evaluated whenever the fake's state changes (request answered,
        gateway payload received) and every 20 ms, so it may also look at the bot's state.
        Raises :class:`FakeDiscordTimeout` after ``timeout``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n  ".join(r.summary() for r in self.requests[-15:]) or "(none)"
                raise FakeDiscordTimeout(
                    f"Timed out after {timeout}s waiting for {description}.\n"
                    f"Last requests:\n  {recent}"
                )
            # Wake up on any change of the fake, and poll now and then for predicates over
            # other state (the bot's, log records).
            event = self._change_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=min(remaining, 0.02))

    async def wait_for_request(
        self,
        method: str,
        path: str,
        *,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> RecordedRequest:
        """Wait for an answered request; ``path`` is a regex full-matched against the path.

        Only ``self.requests[since:]`` are considered (pass ``len(fake.requests)`` taken before
        an action to ignore earlier requests).
        """
        pattern = re.compile(path)

        def find() -> RecordedRequest | None:
            for record in self.requests[since:]:
                if (
                    record.method == method.upper()
                    and pattern.fullmatch(record.path)
                    and (predicate is None or predicate(record))
                ):
                    return record
            return None

        return await self.wait_for(find, timeout=timeout, description=f"{method} {path}")

    async def wait_for_interaction_response(
        self,
        interaction: FakeInteraction | int,
        *,
        index: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionReply:
        """Wait until the bot did ``index + 1`` things with the interaction; return that one."""
        iid = interaction if isinstance(interaction, int) else interaction.id
        replies = self.interaction_responses[iid]
        return await self.wait_for(
            lambda: replies[index] if len(replies) > index else None,
            timeout=timeout,
            description=f"response #{index} to interaction {iid}",
        )

    async def wait_for_bot_message(
        self,
        channel_id: int | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        """Wait until the bot authored ``count`` messages (in the channel); return the last."""
        return await self.wait_for(
            lambda: (
                msgs[count - 1] if len(msgs := self.bot_messages(channel_id)) >= count else None
            ),
            timeout=timeout,
            description=f"bot message #{count} in channel {channel_id}",
        )

    async def wait_until_connected(
        self,
        shards: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``shards`` (default: :attr:`shard_count`) connections have identified."""
        wanted = shards or self.shard_count
        await self.wait_for(
            lambda: len({c.shard_id for c in self._live_connections()}) >= wanted,
            timeout=timeout,
            description=f"{wanted} identified gateway connection(s)",
        )

    # ------------------------------------------------------------------ driving: messages

    async def send_message(
        self,
        content: str = "",
        *,
        channel_id: int | None = None,
        author: JSON | None = None,
        guild_id: int | None = None,
        mentions: Sequence[JSON] = (),
        mention_roles: Sequence[int | JSON] = (),
        referenced_message: JSON | int | None = None,
        embeds: Sequence[JSON] = (),
        attachments: Sequence[JSON] = (),
    ) -> JSON:
        """A user posts a message: dispatch MESSAGE_CREATE and return the message.

        Defaults: :attr:`channel` and :attr:`user`. Authors that are not yet members of the
        channel's guild are added as members. ``guild_id`` is only a consistency check.
        """
        channel = self._channel_or_raise(channel_id or int(self.channel["id"]))
        cid = int(channel["id"])
        channel_guild = self._guild_id_of_channel(cid)
        if guild_id is not None and guild_id != channel_guild:
            raise ValueError(f"channel {cid} is not in guild {guild_id}")
        author = author or self.user
        if channel_guild is not None and (channel_guild, int(author["id"])) not in self.members:
            self.add_member(channel_guild, author)
        extra: JSON = {
            "mentions": list(mentions),
            "mention_roles": [str(id_of(r)) for r in mention_roles],
        }
        message_type = 0
        if referenced_message is not None:
            ref_id = id_of(referenced_message)
            referenced = self.messages.get(ref_id)
            if referenced is None:
                raise ValueError(f"unknown referenced message {ref_id}")
            message_type = 19
            extra["referenced_message"] = referenced
            extra["message_reference"] = {
                "type": 0,
                "message_id": referenced["id"],
                "channel_id": referenced["channel_id"],
                **({"guild_id": str(channel_guild)} if channel_guild else {}),
            }
        body = {"content": content, "embeds": list(embeds)}
        message = self._new_message(cid, author, body=body, message_type=message_type, extra=extra)
        message["attachments"] = list(attachments)
        self._store_message(message)
        await self._dispatch_message_event("MESSAGE_CREATE", message)
        return self._message_event(message)

    async def send_dm(self, content: str, *, author: JSON | None = None) -> JSON:
        """A user DMs the bot: dispatch MESSAGE_CREATE in their DM channel; return it.

        The bot only receives it with the ``dm_messages`` intent, like on Discord.
        """
        author = author or self.user
        channel = self.dm_channel_for(author)
        return await self.send_message(content, channel_id=int(channel["id"]), author=author)

    # ------------------------------------------------------------------ driving: interactions

    def _find_command(
        self, name: str, command_type: int, guild_id: int | None
    ) -> tuple[JSON | None, int | None]:
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command["type"] == command_type:
                    return command, scope
        if self.require_registered_commands:
            raise ValueError(f"the bot never registered the command {name!r} (type {command_type})")
        return None, None

    def _option_payloads(
        self,
        values: Mapping[str, Any],
        schema: list[JSON] | None,
        resolved: JSON,
        guild_id: int | None,
        *,
        focused: str | None = None,
        check_required: bool = True,
    ) -> list[JSON]:
        by_name = {o["name"]: o for o in schema or []}
        if schema is not None:
            unknown = set(values) - set(by_name)
            if unknown:
                raise ValueError(f"unknown option(s) {sorted(unknown)}; known: {sorted(by_name)}")
            if check_required:
                missing = [
                    o["name"] for o in schema if o.get("required") and o["name"] not in values
                ]
                if missing:
                    raise ValueError(f"missing required option(s) {missing}")
        options: list[JSON] = []
        for name, value in values.items():
            spec = by_name.get(name)
            if (
                isinstance(value, dict)
                and set(value) <= {"type", "value", "focused"}
                and "type" in value
            ):
                option = {"name": name, **value}
            else:
                otype = int(spec["type"]) if spec else _infer_option_type(value)
                option = {
                    "name": name,
                    "type": otype,
                    "value": self._option_value(
                        otype, value, resolved, guild_id, raw=name == focused
                    ),
                }
            if spec and spec.get("choices") and name != focused:
                allowed = [c["value"] for c in spec["choices"]]
                if option["value"] not in allowed:
                    raise ValueError(f"{option['value']!r} is not a choice of {name!r}: {allowed}")
            if name == focused:
                option["focused"] = True
            options.append(option)
        return options

    def _option_value(
        self, otype: int, value: Any, resolved: JSON, guild_id: int | None, *, raw: bool
    ) -> Any:
        if raw:
            return str(value)
        if otype == OPT_STRING:
            return str(value)
        if otype == OPT_INTEGER:
            return int(value)
        if otype == OPT_NUMBER:
            return float(value)
        if otype == OPT_BOOLEAN:
            return bool(value)
        if otype in (OPT_USER, OPT_MENTIONABLE) and (
            (isinstance(value, dict) and "username" in value)
            or (not isinstance(value, dict) and int(value) in self.users)
        ):
            user = value if isinstance(value, dict) else self.users[int(value)]
            resolved.setdefault("users", {})[user["id"]] = user
            if guild_id is not None:
                member = self._member_partial(guild_id, int(user["id"]))
                if member is not None:
                    perms = self.base_permissions(guild_id, int(user["id"]))
                    resolved.setdefault("members", {})[user["id"]] = dict(
                        member, permissions=str(perms)
                    )
            return user["id"]
        if otype in (OPT_ROLE, OPT_MENTIONABLE):
            role_id = id_of(value)
            role = value if isinstance(value, dict) else None
            if role is None and guild_id is not None:
                role = next(
                    (r for r in self.guilds[guild_id]["roles"] if int(r["id"]) == role_id), None
                )
            if role is None:
                raise ValueError(f"unknown role {role_id}")
            resolved.setdefault("roles", {})[role["id"]] = role
            return role["id"]
        if otype == OPT_CHANNEL:
            channel = value if isinstance(value, dict) else self._channel_or_raise(int(value))
            partial = {
                k: channel.get(k) for k in ("id", "name", "type", "parent_id", "guild_id", "flags")
            }
            partial["permissions"] = str(ALL_PERMISSIONS)
            resolved.setdefault("channels", {})[channel["id"]] = partial
            return channel["id"]
        return value

    async def invoke_slash(
        self,
        name: str,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        options: Mapping[str, Any] | None = None,
        user: JSON | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user runs ``/name [group] [subcommand] option:value...`` (INTERACTION_CREATE type 2).

        Option types come from the command the bot registered (``PUT .../commands``), else they
        are inferred from the Python values (str, int, float, bool, user/role/channel dicts).
        A ``{"type": N, "value": V}`` dict is sent as is. ``roles``/``member_permissions``
        override the invoking member's roles/permissions for this interaction only.
        """
        return await self._invoke_chat_input(
            INTERACTION_APPLICATION_COMMAND,
            name,
            subcommand=subcommand,
            group=group,
            options=options or {},
            focused=None,
            user=user,
            channel_id=channel_id,
            dm=dm,
            roles=roles,
            member_permissions=member_permissions,
            locale=locale,
        )

    async def invoke_autocomplete(
        self,
        name: str,
        *,
        focused: str,
        subcommand: str | None = None,
        group: str | None = None,
        options: Mapping[str, Any] | None = None,
        user: JSON | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user types into option ``focused`` (INTERACTION_CREATE type 4).

        ``options[focused]`` is the partial text typed so far (default ``""``), sent as a string.
        """
        values = dict(options or {})
        values.setdefault(focused, "")
        return await self._invoke_chat_input(
            INTERACTION_AUTOCOMPLETE,
            name,
            subcommand=subcommand,
            group=group,
            options=values,
            focused=focused,
            user=user,
            channel_id=channel_id,
            dm=dm,
            roles=roles,
            member_permissions=member_permissions,
            locale=locale,
        )

    async def _invoke_chat_input(
        self,
        interaction_type: int,
        name: str,
        *,
        subcommand: str | None,
        group: str | None,
        options: Mapping[str, Any],
        focused: str | None,
        user: JSON | None,
        channel_id: int | None,
        dm: bool,
        roles: Sequence[int | JSON] | None,
        member_permissions: int | None,
        locale: str,
    ) -> FakeInteraction:
        if group is not None and subcommand is None:
            raise ValueError("a subcommand group needs a subcommand")
        guild_id = None if dm else self._guild_id_of_channel(channel_id or int(self.channel["id"]))
        command, scope = self._find_command(name, 1, guild_id)
        schema: list[JSON] | None = command.get("options") or [] if command else None
        for level_name in (group, subcommand):
            if level_name is None or schema is None:
                continue
            node = next((o for o in schema if o["name"] == level_name), None)
            if node is None:
                raise ValueError(f"/{name} has no subcommand (group) {level_name!r}")
            schema = node.get("options") or []
        resolved: JSON = {}
        leaf = self._option_payloads(
            options,
            schema,
            resolved,
            guild_id,
            focused=focused,
            check_required=interaction_type != INTERACTION_AUTOCOMPLETE,
        )
        if focused is not None and focused not in options:
            raise ValueError(f"focused option {focused!r} has no value")
        tree: list[JSON] = leaf
        if subcommand is not None:
            tree = [{"type": OPT_SUB_COMMAND, "name": subcommand, "options": leaf}]
        if group is not None:
            tree = [{"type": OPT_SUB_COMMAND_GROUP, "name": group, "options": tree}]
        data: JSON = {
            "id": command["id"] if command else str(self.new_id()),
            "name": name,
            "type": 1,
            "options": tree,
        }
        if resolved:
            data["resolved"] = resolved
        if scope is not None:
            data["guild_id"] = str(scope)
        interaction = self._build_interaction(
            interaction_type,
            data,
            user=user,
            channel_id=channel_id,
            dm=dm,
            roles=roles,
            member_permissions=member_permissions,
            locale=locale,
        )
        return await self._send_interaction(interaction)

    async def invoke_message_command(
        self,
        name: str,
        *,
        target_message: JSON | int,
        user: JSON | None = None,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user runs the message context menu ``name`` on ``target_message`` (data.type 3)."""
        target = self.messages.get(id_of(target_message))
        if target is None:
            raise ValueError(f"unknown target message {id_of(target_message)}")
        cid = int(target["channel_id"])
        guild_id = self._guild_id_of_channel(cid)
        command, scope = self._find_command(name, 3, guild_id)
        data: JSON = {
            "id": command["id"] if command else str(self.new_id()),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: self._message_event(target)}},
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        interaction = self._build_interaction(
            INTERACTION_APPLICATION_COMMAND,
            data,
            user=user,
            channel_id=cid,
            dm=guild_id is None,
            roles=roles,
            member_permissions=member_permissions,
            locale=locale,
        )
        return await self._send_interaction(interaction)

    async def invoke_user_command(
        self,
        name: str,
        *,
        target_user: JSON,
        user: JSON | None = None,
        channel_id: int | None = None,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user runs the user context menu ``name`` on ``target_user`` (data.type 2)."""
        guild_id = self._guild_id_of_channel(channel_id or int(self.channel["id"]))
        command, scope = self._find_command(name, 2, guild_id)
        resolved: JSON = {}
        self._option_value(OPT_USER, target_user, resolved, guild_id, raw=False)
        data: JSON = {
            "id": command["id"] if command else str(self.new_id()),
            "name": name,
            "type": 2,
            "target_id": target_user["id"],
            "resolved": resolved,
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        interaction = self._build_interaction(
            INTERACTION_APPLICATION_COMMAND,
            data,
            user=user,
            channel_id=channel_id,
            dm=False,
            roles=roles,
            member_permissions=member_permissions,
            locale=locale,
        )
        return await self._send_interaction(interaction)

    def _find_component(self, message: JSON, custom_id: str) -> JSON:
        def walk(items: Iterable[JSON]) -> Iterable[JSON]:
            for item in items:
                yield item
                yield from walk(item.get("components") or [])
                for key in ("component", "accessory"):
                    if item.get(key):
                        yield from walk([item[key]])

        found = [c for c in walk(message.get("components") or []) if c.get("custom_id")]
        for component in found:
            if component["custom_id"] == custom_id:
                if component.get("disabled"):
                    raise ValueError(f"component {custom_id!r} is disabled")
                return component
        raise ValueError(
            f"message {message['id']} has no component {custom_id!r}; it has "
            f"{[c['custom_id'] for c in found]}"
        )

    def _current_message(self, message: JSON | int) -> JSON:
        current = self.messages.get(id_of(message))
        if current is None:
            raise ValueError(f"unknown (or deleted) message {id_of(message)}")
        return current

    async def click_button(
        self,
        custom_id: str,
        *,
        message: JSON | int,
        user: JSON | None = None,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user clicks the button ``custom_id`` on ``message`` (type 3, component_type 2).

        Raises ``ValueError`` if the (current version of the) message has no such enabled button.
        """
        current = self._current_message(message)
        component = self._find_component(current, custom_id)
        if component.get("type") != 2:
            raise ValueError(f"component {custom_id!r} is not a button")
        data: JSON = {"custom_id": custom_id, "component_type": 2}
        if component.get("id") is not None:
            data["id"] = component["id"]
        return await self._component_interaction(
            current, data, user, roles, member_permissions, locale
        )

    async def select_option(
        self,
        custom_id: str,
        values: Sequence[str],
        *,
        message: JSON | int,
        user: JSON | None = None,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user picks ``values`` in the select menu ``custom_id`` on ``message`` (type 3)."""
        current = self._current_message(message)
        component = self._find_component(current, custom_id)
        ctype = int(component.get("type", 0))
        if ctype not in SELECT_TYPES:
            raise ValueError(f"component {custom_id!r} is not a select menu")
        if ctype == 3:
            known = [o["value"] for o in component.get("options") or []]
            unknown = [v for v in values if v not in known]
            if unknown:
                raise ValueError(f"{unknown} are not options of {custom_id!r}: {known}")
        low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
        if not low <= len(values) <= high:
            raise ValueError(f"{custom_id!r} accepts {low}..{high} values, got {len(values)}")
        data: JSON = {"custom_id": custom_id, "component_type": ctype, "values": list(values)}
        if component.get("id") is not None:
            data["id"] = component["id"]
        return await self._component_interaction(
            current, data, user, roles, member_permissions, locale
        )

    async def _component_interaction(
        self,
        message: JSON,
        data: JSON,
        user: JSON | None,
        roles: Sequence[int | JSON] | None,
        member_permissions: int | None,
        locale: str,
    ) -> FakeInteraction:
        cid = int(message["channel_id"])
        interaction = self._build_interaction(
            INTERACTION_COMPONENT,
            data,
            user=user,
            channel_id=cid,
            dm=self._guild_id_of_channel(cid) is None,
            roles=roles,
            member_permissions=member_permissions,
            message=message,
            locale=locale,
        )
        return await self._send_interaction(interaction)

    async def submit_modal(
        self,
        custom_id: str,
        values: Mapping[str, Any],
        *,
        opened_by: FakeInteraction | None = None,
        user: JSON | None = None,
        roles: Sequence[int | JSON] | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user submits the modal ``custom_id`` the bot opened (type 5 MODAL_SUBMIT).

        ``values`` maps each input's custom_id to what the user entered: a string for text
        inputs and radio groups, a list of strings for selects/checkbox groups/file uploads, a
        bool for checkboxes. The submitted components mirror the layout the bot sent (action
        rows with text inputs, or label components). Raises ``ValueError`` if the bot never
        opened that modal, for unknown inputs, or for values the Discord client would refuse
        (missing required input, length out of bounds). User and channel default to the
        interaction that opened the modal.
        """
        opener = opened_by
        if opener is None:
            opener = next(
                (
                    i
                    for i in reversed(self.interactions.values())
                    if i.modal is not None and i.modal.get("custom_id") == custom_id
                ),
                None,
            )
        if opener is None or opener.modal is None:
            raise ValueError(f"the bot never opened a modal with custom_id {custom_id!r}")
        modal = opener.modal
        remaining = dict(values)
        components = self._modal_components(modal.get("components") or [], remaining)
        if remaining:
            raise ValueError(f"modal {custom_id!r} has no input(s) {sorted(remaining)}")
        data: JSON = {"custom_id": custom_id, "components": components}
        opener_channel = int(opener.payload["channel"]["id"])
        interaction = self._build_interaction(
            INTERACTION_MODAL_SUBMIT,
            data,
            user=user or opener.user,
            channel_id=opener_channel,
            dm=self._guild_id_of_channel(opener_channel) is None,
            roles=roles,
            member_permissions=member_permissions,
            message=opener.payload.get("message"),
            locale=locale,
        )
        return await self._send_interaction(interaction)

    def _modal_components(self, components: list[JSON], values: dict[str, Any]) -> list[JSON]:
        result: list[JSON] = []
        for component in components:
            ctype = component.get("type")
            if ctype == 1:
                inner = self._modal_components(component.get("components") or [], values)
                result.append({"type": 1, "id": component.get("id"), "components": inner})
            elif ctype == 18:
                inner = self._modal_components([component["component"]], values)
                result.append({"type": 18, "id": component.get("id"), "component": inner[0]})
            elif ctype == 10:
                result.append({"type": 10, "id": component.get("id")})
            elif component.get("custom_id") is not None:
                result.append(self._modal_leaf(component, values))
        return result

    def _modal_leaf(self, component: JSON, values: dict[str, Any]) -> JSON:
        custom_id = component["custom_id"]
        ctype = int(component["type"])
        leaf: JSON = {"type": ctype, "id": component.get("id"), "custom_id": custom_id}
        given = values.pop(custom_id, None)
        if ctype == 4:
            text = str(given) if given is not None else str(component.get("value") or "")
            required = component.get("required", True)
            if required and not text:
                raise ValueError(f"text input {custom_id!r} is required")
            if text:
                low = int(component.get("min_length") or 0)
                high = int(component.get("max_length") or 4000)
                if not low <= len(text) <= high:
                    raise ValueError(f"{custom_id!r} must be {low}..{high} characters long")
            leaf["value"] = text
        elif ctype == 23:
            leaf["value"] = bool(given)
        elif ctype == 21:
            leaf["value"] = given
        else:
            chosen = list(given or [])
            if component.get("required", True) and not chosen and ctype != 22:
                raise ValueError(f"input {custom_id!r} is required")
            leaf["values"] = chosen
        return leaf


def _infer_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return OPT_BOOLEAN
    if isinstance(value, int):
        return OPT_INTEGER
    if isinstance(value, float):
        return OPT_NUMBER
    if isinstance(value, dict):
        if "username" in value:
            return OPT_USER
        if "permissions" in value and "color" in value:
            return OPT_ROLE
        if "type" in value and "name" in value:
            return OPT_CHANNEL
    return OPT_STRING
