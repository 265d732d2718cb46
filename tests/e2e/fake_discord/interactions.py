"""Interactions: building and dispatching INTERACTION_CREATE, and the callback and webhook
endpoints the bot answers them with (one acknowledgement, valid types, the 3 s deadline)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .protocol import (
    CALLBACK_AUTOCOMPLETE_RESULT,
    CALLBACK_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_UPDATE_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE_MESSAGE,
    DEFAULT_EVERYONE_PERMISSIONS,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    INTERACTION_APPLICATION_COMMAND,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    JSON,
    ApiError,
    id_of,
    unknown_error,
)
from .rest import Rest, _Call, _Handler
from .validation import (
    FormErrors,
    is_empty_message,
    validate_choices,
    validate_message_body,
    validate_modal,
)
from .world import RecordedFile

ATTACHMENT_SIZE_LIMIT: Final = 10 * 1024 * 1024

INTERACTION_TOKEN_LIFETIME: Final = 15 * 60.0

_ALLOWED_CALLBACKS: Final[dict[int, frozenset[int]]] = {
    INTERACTION_APPLICATION_COMMAND: frozenset({4, 5, 9}),
    INTERACTION_COMPONENT: frozenset({4, 5, 6, 7, 9}),
    INTERACTION_AUTOCOMPLETE: frozenset({8}),
    INTERACTION_MODAL_SUBMIT: frozenset({4, 5, 6, 7}),
}


@dataclass
class InteractionReply:
    """Something the bot did with an interaction token, in order.

    ``kind`` is one of ``callback`` (the initial response, ``body`` is ``{"type", "data"}``),
    ``followup``, ``edit_original``, ``delete_original``, ``edit_followup``,
    ``delete_followup`` (``body`` is the webhook request body). ``message`` is the message the
    request created or changed, when there is one.
    """

    kind: str
    body: Any
    message: JSON | None = None

    @property
    def callback_type(self) -> int | None:
        """The interaction callback type of an initial response, else ``None``."""
        if self.kind == "callback" and isinstance(self.body, dict):
            return int(self.body["type"])
        return None

    @property
    def data(self) -> JSON:
        """The message-ish data: ``body["data"]`` of a callback, the body of a webhook call."""
        if self.kind == "callback":
            return (self.body or {}).get("data") or {}
        return self.body if isinstance(self.body, dict) else {}

    @property
    def ephemeral(self) -> bool:
        """Whether the reply is (or produced) an ephemeral message."""
        flags = int(self.data.get("flags") or 0)
        if self.message is not None:
            flags |= int(self.message.get("flags") or 0)
        return bool(flags & FLAG_EPHEMERAL)


@dataclass
class FakeInteraction:
    """An interaction the fake dispatched, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    payload: JSON
    created_at: float
    responses: list[InteractionReply] = field(default_factory=list)
    callback_type: int | None = None
    original_message_id: int | None = None
    fill_loading_on_followup: bool = False
    modal: JSON | None = None

    @property
    def acknowledged(self) -> bool:
        """Whether the initial response (callback) was accepted."""
        return self.callback_type is not None

    @property
    def user(self) -> JSON:
        """The user who triggered the interaction."""
        member: JSON | None = self.payload.get("member")
        user: JSON = member["user"] if member else self.payload["user"]
        return user


class Interactions(Rest):
    """Interaction state and the endpoints that answer interactions."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.interactions: dict[int, FakeInteraction] = {}
        #: Interaction id -> everything the bot answered (same lists as ``responses``).
        self.interaction_responses: dict[int, list[InteractionReply]] = {}
        self._interactions_by_token: dict[str, FakeInteraction] = {}
        #: The last modal the bot opened, per custom_id.
        self.modals: dict[str, JSON] = {}

    def _route_table(self) -> list[tuple[str, str, _Handler, bool]]:
        hook = r"/webhooks/(?P<application_id>\d+)/(?P<token>[^/]+)"
        return [
            *super()._route_table(),
            (
                "POST",
                r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback",
                self._interaction_callback,
                False,
            ),
            ("POST", hook, self._create_followup, False),
            (
                "GET",
                hook + r"/messages/(?P<message_id>@original|\d+)",
                self._get_webhook_msg,
                False,
            ),
            (
                "PATCH",
                hook + r"/messages/(?P<message_id>@original|\d+)",
                self._edit_webhook_msg,
                False,
            ),
            (
                "DELETE",
                hook + r"/messages/(?P<message_id>@original|\d+)",
                self._delete_webhook_msg,
                False,
            ),
        ]

    def _interaction_for_token(self, application_id: str, token: str) -> FakeInteraction:
        interaction = self._interactions_by_token.get(token)
        if (
            interaction is None
            or int(application_id) != self.application_id
            or time.monotonic() - interaction.created_at > INTERACTION_TOKEN_LIFETIME
        ):
            raise unknown_error("Webhook", 10015)
        return interaction

    async def _interaction_callback(self, call: _Call) -> JSON | None:
        interaction = self.interactions.get(int(call.params["interaction_id"]))
        if interaction is None or interaction.token != call.params["token"]:
            raise unknown_error("interaction", 10062)
        if interaction.acknowledged:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if (
            self.ack_deadline is not None
            and time.monotonic() - interaction.created_at > self.ack_deadline
        ):
            raise unknown_error("interaction", 10062)
        body: JSON = call.body or {}
        callback_type = int(body.get("type", 0))
        if callback_type not in _ALLOWED_CALLBACKS.get(interaction.type, frozenset()):
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": f"Response type {callback_type} is not valid for "
                                f"interaction type {interaction.type}.",
                            }
                        ]
                    }
                },
            )
        data: JSON = body.get("data") or {}
        errs = FormErrors()
        message: JSON | None = None
        component_message: JSON | None = interaction.payload.get("message")
        updates = (CALLBACK_UPDATE_MESSAGE, CALLBACK_DEFERRED_UPDATE_MESSAGE)
        if callback_type in updates and component_message is None:
            raise ApiError(400, 40063, "This interaction has no message to update.")
        if callback_type == CALLBACK_CHANNEL_MESSAGE:
            validate_message_body(errs, data, ("data",))
            errs.raise_if_any()
            message = self._interaction_message(interaction, data, call.record.files)
            if is_empty_message(message):
                raise ApiError(400, 50006, "Cannot send an empty message")
        elif callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._interaction_message(interaction, {"flags": flags}, ())
            interaction.fill_loading_on_followup = True
        elif callback_type == CALLBACK_AUTOCOMPLETE_RESULT:
            validate_choices(errs, data.get("choices"))
            errs.raise_if_any()
        elif callback_type == CALLBACK_MODAL:
            validate_modal(errs, data)
            errs.raise_if_any()
            interaction.modal = data
            self.modals[str(data["custom_id"])] = data
        interaction.callback_type = callback_type
        if message is not None:
            self._store_message(message)
            interaction.original_message_id = int(message["id"])
            await self._dispatch_message_event("MESSAGE_CREATE", message)
        elif callback_type in (CALLBACK_UPDATE_MESSAGE, CALLBACK_DEFERRED_UPDATE_MESSAGE):
            assert component_message is not None
            interaction.original_message_id = int(component_message["id"])
            if callback_type == CALLBACK_UPDATE_MESSAGE:
                current = self.messages.get(int(component_message["id"]), component_message)
                message = await self._apply_edit(current, data, call.record.files)
        reply = InteractionReply("callback", body, message)
        interaction.responses.append(reply)
        self._changed()
        if call.record.query.get("with_response") not in ("1", "true", "True"):
            return None
        result: JSON = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "activity_instance_id": None,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(
                    message and int(message["flags"]) & FLAG_EPHEMERAL
                ),
            },
            "resource": {"type": callback_type},
        }
        if message is not None:
            result["resource"]["message"] = message
        return result

    def _interaction_message(
        self, interaction: FakeInteraction, data: JSON, files: Sequence[RecordedFile]
    ) -> JSON:
        payload = interaction.payload
        channel_id = int(payload["channel"]["id"])
        command_type = (payload.get("data") or {}).get("type")
        if interaction.type == INTERACTION_APPLICATION_COMMAND:
            message_type = 20 if command_type in (None, 1) else 23
        else:
            message_type = 0
        user = interaction.user
        metadata: JSON = {
            "id": str(interaction.id),
            "type": interaction.type,
            "user": user,
            "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
        }
        extra: JSON = {
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": metadata,
        }
        if interaction.type == INTERACTION_APPLICATION_COMMAND:
            name = (payload.get("data") or {}).get("name")
            metadata["name"] = name
            extra["interaction"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "name": name,
                "user": user,
            }
        message = self._new_message(
            channel_id,
            self.bot_user,
            body=data,
            files=files,
            message_type=message_type,
            extra=extra,
        )
        message["flags"] = int(data.get("flags") or 0)
        message["mentions"] = self._resolve_mentions(message["content"], data)
        return message

    async def _create_followup(self, call: _Call) -> JSON | None:
        interaction = self._interaction_for_token(
            call.params["application_id"], call.params["token"]
        )
        if not interaction.acknowledged or interaction.callback_type in (
            CALLBACK_AUTOCOMPLETE_RESULT,
            CALLBACK_MODAL,
        ):
            raise unknown_error("Webhook", 10015)
        body: JSON = call.body or {}
        errs = FormErrors()
        validate_message_body(errs, body, ())
        errs.raise_if_any()
        if interaction.fill_loading_on_followup and interaction.original_message_id is not None:
            # The first follow-up after a "thinking" defer replaces the loading message; it
            # keeps the ephemerality chosen when deferring.
            interaction.fill_loading_on_followup = False
            loading = self.messages[interaction.original_message_id]
            edit = {k: v for k, v in body.items() if k != "flags"}
            edit.setdefault("content", "")
            message = await self._apply_edit(loading, edit, call.record.files, loading_done=True)
        else:
            message = self._interaction_message(interaction, body, call.record.files)
            if is_empty_message(message):
                raise ApiError(400, 50006, "Cannot send an empty message")
            self._store_message(message)
            await self._dispatch_message_event("MESSAGE_CREATE", message)
        interaction.responses.append(InteractionReply("followup", body, message))
        self._changed()
        if call.record.query.get("wait") in ("true", "True", "1"):
            return message
        return None

    def _webhook_message(self, interaction: FakeInteraction, message_id: str) -> JSON:
        if message_id == "@original":
            if interaction.original_message_id is None:
                raise unknown_error("Message", 10008)
            mid = interaction.original_message_id
        else:
            mid = int(message_id)
            if not any(
                r.message is not None and int(r.message["id"]) == mid for r in interaction.responses
            ):
                raise unknown_error("Message", 10008)
        message = self.messages.get(mid)
        if message is None:
            raise unknown_error("Message", 10008)
        return message

    async def _get_webhook_msg(self, call: _Call) -> JSON:
        interaction = self._interaction_for_token(
            call.params["application_id"], call.params["token"]
        )
        return self._webhook_message(interaction, call.params["message_id"])

    async def _edit_webhook_msg(self, call: _Call) -> JSON:
        interaction = self._interaction_for_token(
            call.params["application_id"], call.params["token"]
        )
        message = self._webhook_message(interaction, call.params["message_id"])
        is_original = call.params["message_id"] == "@original"
        loading = bool(int(message["flags"]) & FLAG_LOADING)
        if loading and is_original:
            interaction.fill_loading_on_followup = False
        updated = await self._apply_edit(
            message, call.body or {}, call.record.files, loading_done=loading
        )
        kind = "edit_original" if is_original else "edit_followup"
        interaction.responses.append(InteractionReply(kind, call.body, updated))
        self._changed()
        return updated

    async def _delete_webhook_msg(self, call: _Call) -> None:
        interaction = self._interaction_for_token(
            call.params["application_id"], call.params["token"]
        )
        message = self._webhook_message(interaction, call.params["message_id"])
        await self._remove_message(message)
        kind = "delete_original" if call.params["message_id"] == "@original" else "delete_followup"
        interaction.responses.append(InteractionReply(kind, None, message))
        self._changed()

    # ------------------------------------------------------------------ building interactions

    def _build_interaction(
        self,
        interaction_type: int,
        data: JSON,
        *,
        user: JSON | None,
        channel_id: int | None,
        dm: bool,
        roles: Sequence[int | JSON] | None,
        member_permissions: int | None,
        message: JSON | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        user = user or self.user
        iid = self.new_id()
        token = "fake-" + secrets.token_urlsafe(32)
        if dm:
            channel = self.dm_channel_for(user)
        else:
            channel = self._channel_or_raise(channel_id or int(self.channel["id"]))
        cid = int(channel["id"])
        guild_id = self._guild_id_of_channel(cid)
        payload: JSON = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "token": token,
            "version": 1,
            "channel_id": str(cid),
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "app_permissions": str(self.channel_permissions(cid, self.application_id)),
        }
        if data:
            payload["data"] = data
        if message is not None:
            payload["message"] = message
        if guild_id is not None:
            uid = int(user["id"])
            if (guild_id, uid) not in self.members:
                self.add_member(guild_id, user, roles=roles or ())
            member = dict(self.members[(guild_id, uid)])
            if roles is not None:
                member["roles"] = [str(id_of(r)) for r in roles]
            perms = member_permissions
            if perms is None:
                perms = self.channel_permissions(cid, uid, roles)
            member["permissions"] = str(int(perms))
            payload["member"] = member
            payload["guild_id"] = str(guild_id)
            guild = self.guilds[guild_id]
            payload["guild"] = {
                "id": str(guild_id),
                "locale": guild["preferred_locale"],
                "features": guild["features"],
            }
            payload["guild_locale"] = guild["preferred_locale"]
            payload["channel"] = dict(channel, permissions=str(int(perms)))
            payload["authorizing_integration_owners"] = {"0": str(guild_id)}
            payload["context"] = 0
        else:
            payload["user"] = user
            payload["channel"] = dict(channel, permissions=str(DEFAULT_EVERYONE_PERMISSIONS))
            payload["authorizing_integration_owners"] = {"0": "0"}
            payload["context"] = 1
        interaction = FakeInteraction(
            id=iid,
            token=token,
            type=interaction_type,
            payload=payload,
            created_at=time.monotonic(),
        )
        self.interactions[iid] = interaction
        self.interaction_responses[iid] = interaction.responses
        self._interactions_by_token[token] = interaction
        return interaction

    async def _send_interaction(self, interaction: FakeInteraction) -> FakeInteraction:
        guild_id = interaction.payload.get("guild_id")
        await self.dispatch(
            "INTERACTION_CREATE",
            interaction.payload,
            guild_id=int(guild_id) if guild_id else None,
        )
        return interaction
