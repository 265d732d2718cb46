"""Discord's documented limits, checked on what the bot sends, answered as 400 Invalid Form Body."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from .protocol import (
    FLAG_COMPONENTS_V2,
    JSON,
    OPT_SUB_COMMAND,
    OPT_SUB_COMMAND_GROUP,
    SELECT_TYPES,
    ApiError,
)

_COMMAND_NAME_RE: Final = re.compile(r"^[-_\w]{1,32}$")


class FormErrors:
    """Collects validation errors and raises them as Discord's 50035 Invalid Form Body."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple[str | int, ...], str, str]] = []

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        self.items.append((path, code, message))

    def length(
        self, path: tuple[str | int, ...], value: Any, *, max_len: int, min_len: int = 0
    ) -> None:
        if value is None:
            if min_len > 0:
                self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return
        size = len(value)
        if size > max_len:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {max_len} or fewer in length.")
        elif size < min_len:
            self.add(path, "BASE_TYPE_MIN_LENGTH", f"Must be {min_len} or more in length.")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        nested: JSON = {}
        for path, code, message in self.items:
            node = nested
            for key in path:
                node = node.setdefault(str(key), {})
            node.setdefault("_errors", []).append({"code": code, "message": message})
        raise ApiError(400, 50035, "Invalid Form Body", nested)


def _validate_url(errs: FormErrors, path: tuple[str | int, ...], url: Any, *, image: bool) -> None:
    if url is None:
        return
    schemes = ("http://", "https://", "attachment://") if image else ("http://", "https://")
    if not isinstance(url, str) or not url.startswith(schemes) or len(url) > 2048:
        errs.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def _validate_embed(errs: FormErrors, path: tuple[str | int, ...], embed: JSON) -> int:
    """Validate one embed; return its character count towards the 6000 total."""
    total = 0
    for key, limit in (("title", 256), ("description", 4096)):
        value = embed.get(key)
        if value is not None:
            errs.length((*path, key), value, max_len=limit)
            total += len(value)
    _validate_url(errs, (*path, "url"), embed.get("url"), image=False)
    color = embed.get("color")
    if color is not None and not 0 <= int(color) <= 0xFFFFFF:
        errs.add((*path, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errs.add((*path, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for index, fld in enumerate(fields):
        errs.length((*path, "fields", index, "name"), fld.get("name"), max_len=256, min_len=1)
        errs.length((*path, "fields", index, "value"), fld.get("value"), max_len=1024, min_len=1)
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    footer = embed.get("footer")
    if footer:
        errs.length((*path, "footer", "text"), footer.get("text"), max_len=2048, min_len=1)
        total += len(footer.get("text") or "")
        _validate_url(errs, (*path, "footer", "icon_url"), footer.get("icon_url"), image=True)
    author = embed.get("author")
    if author:
        errs.length((*path, "author", "name"), author.get("name"), max_len=256, min_len=1)
        total += len(author.get("name") or "")
        _validate_url(errs, (*path, "author", "url"), author.get("url"), image=False)
        _validate_url(errs, (*path, "author", "icon_url"), author.get("icon_url"), image=True)
    for key in ("image", "thumbnail"):
        media = embed.get(key)
        if media:
            _validate_url(errs, (*path, key, "url"), media.get("url"), image=True)
    return total


def _validate_select(errs: FormErrors, path: tuple[str | int, ...], select: JSON) -> None:
    errs.length((*path, "custom_id"), select.get("custom_id"), max_len=100, min_len=1)
    errs.length((*path, "placeholder"), select.get("placeholder"), max_len=150)
    if select["type"] == 3:
        options = select.get("options") or []
        if not 1 <= len(options) <= 25:
            errs.add(
                (*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length."
            )
        for index, option in enumerate(options):
            opath = (*path, "options", index)
            errs.length((*opath, "label"), option.get("label"), max_len=100, min_len=1)
            errs.length((*opath, "value"), option.get("value"), max_len=100, min_len=1)
            errs.length((*opath, "description"), option.get("description"), max_len=100)


def _validate_button(errs: FormErrors, path: tuple[str | int, ...], button: JSON) -> None:
    style = button.get("style")
    errs.length((*path, "label"), button.get("label"), max_len=80)
    if style == 5:
        if not button.get("url") or button.get("custom_id"):
            errs.add(path, "BUTTON_COMPONENT_INVALID_URL", "A link button needs a url only.")
        _validate_url(errs, (*path, "url"), button.get("url"), image=False)
    elif style == 6:
        if not button.get("sku_id"):
            errs.add((*path, "sku_id"), "BASE_TYPE_REQUIRED", "This field is required")
    elif style in (1, 2, 3, 4):
        errs.length((*path, "custom_id"), button.get("custom_id"), max_len=100, min_len=1)
    else:
        errs.add(
            (*path, "style"), "BASE_TYPE_CHOICES", f"Value must be one of (1..6), not {style}."
        )
    if style != 6 and not button.get("label") and not button.get("emoji"):
        errs.add(path, "BUTTON_COMPONENT_NO_LABEL", "A button needs a label or an emoji.")


def _validate_components(
    errs: FormErrors, path: tuple[str | int, ...], components: list[JSON], *, v2: bool
) -> None:
    """Validate message components (classic action rows; components v2 are checked loosely)."""
    custom_ids: set[str] = set()

    def walk(items: Iterable[JSON]) -> Iterable[JSON]:
        for item in items:
            yield item
            yield from walk(item.get("components") or [])
            for key in ("component", "accessory"):
                if item.get(key):
                    yield from walk([item[key]])

    for item in walk(components):
        custom_id = item.get("custom_id")
        if custom_id is not None:
            if custom_id in custom_ids:
                errs.add(
                    path, "COMPONENT_CUSTOM_ID_DUPLICATED", f"Duplicate custom_id {custom_id!r}"
                )
            custom_ids.add(custom_id)
    if v2:
        return
    if len(components) > 5:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for row_index, row in enumerate(components):
        row_path = (*path, row_index)
        if row.get("type") != 1:
            errs.add(
                (*row_path, "type"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "Top-level components must be action rows without the components v2 flag.",
            )
            continue
        children = row.get("components") or []
        if not 1 <= len(children) <= 5:
            errs.add(
                (*row_path, "components"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            )
        for child_index, child in enumerate(children):
            child_path = (*row_path, "components", child_index)
            ctype = child.get("type")
            if ctype == 2:
                _validate_button(errs, child_path, child)
            elif ctype in SELECT_TYPES:
                if len(children) != 1:
                    errs.add(
                        child_path,
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                        "The specified component exceeds the maximum width",
                    )
                _validate_select(errs, child_path, child)
            else:
                errs.add(
                    (*child_path, "type"),
                    "COMPONENT_TYPE_INVALID",
                    f"Component type {ctype} is not valid in a message action row.",
                )


def validate_message_body(errs: FormErrors, body: JSON, prefix: tuple[str | int, ...]) -> None:
    """Validate the documented limits of a message create/edit body."""
    content = body.get("content")
    if content is not None:
        if isinstance(content, str):
            errs.length((*prefix, "content"), content, max_len=2000)
        else:
            errs.add((*prefix, "content"), "STRING_TYPE_CONVERT", "Could not interpret as string.")
    flags = int(body.get("flags") or 0)
    v2 = bool(flags & FLAG_COMPONENTS_V2)
    embeds = body.get("embeds")
    if embeds:
        if v2:
            errs.add((*prefix, "embeds"), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", "")
        if len(embeds) > 10:
            errs.add((*prefix, "embeds"), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        total = sum(
            _validate_embed(errs, (*prefix, "embeds", index), embed)
            for index, embed in enumerate(embeds)
        )
        if total > 6000:
            errs.add(
                (*prefix, "embeds"),
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
            )
    if v2 and content:
        errs.add((*prefix, "content"), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", "")
    components = body.get("components")
    if components:
        _validate_components(errs, (*prefix, "components"), components, v2=v2)
    allowed = body.get("allowed_mentions")
    if allowed:
        parse = allowed.get("parse") or []
        for index, kind in enumerate(parse):
            if kind not in ("users", "roles", "everyone"):
                errs.add((*prefix, "allowed_mentions", "parse", index), "BASE_TYPE_CHOICES", kind)
        for kind in ("users", "roles"):
            if kind in parse and allowed.get(kind):
                errs.add(
                    (*prefix, "allowed_mentions"),
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )


def is_empty_message(message: JSON) -> bool:
    return not (
        (message.get("content") or "").strip()
        or message.get("embeds")
        or message.get("attachments")
        or message.get("components")
        or message.get("sticker_items")
        or message.get("poll")
    )


def validate_modal(errs: FormErrors, modal: JSON) -> None:
    errs.length(("data", "title"), modal.get("title"), max_len=45, min_len=1)
    errs.length(("data", "custom_id"), modal.get("custom_id"), max_len=100, min_len=1)
    components = modal.get("components") or []
    if not 1 <= len(components) <= 5:
        errs.add(
            ("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )
    for index, component in enumerate(components):
        path: tuple[str | int, ...] = ("data", "components", index)
        ctype = component.get("type")
        if ctype == 1:
            inner = component.get("components") or []
            if len(inner) != 1:
                errs.add((*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be 1 in length.")
            leaves = [((*path, "components", i), c) for i, c in enumerate(inner)]
        elif ctype == 18:
            errs.length((*path, "label"), component.get("label"), max_len=45, min_len=1)
            errs.length((*path, "description"), component.get("description"), max_len=100)
            leaves = [((*path, "component"), component.get("component") or {})]
        elif ctype == 10:
            leaves = []
        else:
            errs.add((*path, "type"), "COMPONENT_TYPE_INVALID", f"Invalid modal component {ctype}")
            leaves = []
        for leaf_path, leaf in leaves:
            errs.length((*leaf_path, "custom_id"), leaf.get("custom_id"), max_len=100, min_len=1)
            if leaf.get("type") == 4:
                if ctype == 1:
                    errs.length((*leaf_path, "label"), leaf.get("label"), max_len=45, min_len=1)
                errs.length((*leaf_path, "placeholder"), leaf.get("placeholder"), max_len=100)
                errs.length((*leaf_path, "value"), leaf.get("value"), max_len=4000)
                for key in ("min_length", "max_length"):
                    value = leaf.get(key)
                    if value is not None and not 0 <= int(value) <= 4000:
                        errs.add((*leaf_path, key), "NUMBER_TYPE_MAX", "Must be <= 4000.")
            elif leaf.get("type") in SELECT_TYPES:
                _validate_select(errs, leaf_path, leaf)


def validate_choices(errs: FormErrors, choices: Any) -> None:
    if not isinstance(choices, list):
        errs.add(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    if len(choices) > 25:
        errs.add(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for index, choice in enumerate(choices):
        path = ("data", "choices", index)
        errs.length((*path, "name"), choice.get("name"), max_len=100, min_len=1)
        value = choice.get("value")
        if isinstance(value, str):
            errs.length((*path, "value"), value, max_len=100)
        elif value is None:
            errs.add((*path, "value"), "BASE_TYPE_REQUIRED", "This field is required")


def _validate_command_options(
    errs: FormErrors, path: tuple[str | int, ...], options: list[JSON], *, level: int
) -> None:
    if len(options) > 25:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    names: set[str] = set()
    for index, option in enumerate(options):
        opath = (*path, index)
        name = option.get("name") or ""
        if not _COMMAND_NAME_RE.match(name) or name != name.lower():
            errs.add((*opath, "name"), "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {name!r}")
        if name in names:
            errs.add((*opath, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", name)
        names.add(name)
        errs.length((*opath, "description"), option.get("description"), max_len=100, min_len=1)
        otype = option.get("type")
        if otype in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP):
            if level >= 2 or (otype == OPT_SUB_COMMAND_GROUP and level >= 1):
                errs.add((*opath, "type"), "APPLICATION_COMMAND_OPTION_INVALID_NESTING", "")
            _validate_command_options(
                errs, (*opath, "options"), option.get("options") or [], level=level + 1
            )
            continue
        if option.get("required"):
            if seen_optional:
                errs.add(
                    opath,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if choices and option.get("autocomplete"):
            errs.add(opath, "AUTOCOMPLETE_AND_CHOICES", "Autocomplete and choices are exclusive.")
        if len(choices) > 25:
            errs.add((*opath, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for cindex, choice in enumerate(choices):
            errs.length(
                (*opath, "choices", cindex, "name"), choice.get("name"), max_len=100, min_len=1
            )
            if isinstance(choice.get("value"), str):
                errs.length((*opath, "choices", cindex, "value"), choice["value"], max_len=100)


def validate_commands(commands: list[JSON]) -> None:
    errs = FormErrors()
    seen: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        ctype = int(command.get("type") or 1)
        name = command.get("name") or ""
        if ctype == 1:
            if not _COMMAND_NAME_RE.match(name) or name != name.lower():
                errs.add((index, "name"), "APPLICATION_COMMAND_INVALID_NAME", f"Invalid {name!r}")
            errs.length((index, "description"), command.get("description"), max_len=100, min_len=1)
            _validate_command_options(
                errs, (index, "options"), command.get("options") or [], level=0
            )
        else:
            errs.length((index, "name"), name, max_len=32, min_len=1)
        if (ctype, name) in seen:
            errs.add((index, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", name)
        seen.add((ctype, name))
    if sum(1 for c in commands if int(c.get("type") or 1) == 1) > 100:
        errs.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    errs.raise_if_any()
