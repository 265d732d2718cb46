"""The `faqbot` commands that reach the store: entries (incl. export/import), forget-user, db.

Every one reads the same settings as `faqbot run` (environment, then `.env`, then the flags),
so FAQ_DATABASE_URL and FAQ_DATA_DIR mean the same thing here as in the bot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from .core.errors import KnowledgeError, Problem, describe_os_error
from .core.loader import load_yaml, parse_entry_file, validation_messages
from .core.models import Entry
from .settings import Settings, SettingsError

if TYPE_CHECKING:
    # The store and the Library are imported by the commands that use them: every `faqbot`
    # command imports this module, and `faqbot ask` without --guild needs neither (about
    # 0.09 s of its start: asyncio, the storage, the store).
    from .core.library import Library
    from .core.store import Store

__all__ = [
    "EXPORT_FORMAT",
    "add_store_commands",
    "cli_settings",
    "open_library",
]

EXPORT_FORMAT = "faqbot-entries/1"


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _fail(error: KnowledgeError) -> int:
    for problem in error.problems:
        print(f"error: {problem}", file=sys.stderr)
    count = len(error.problems)
    print(f"{count} problem{'s' if count != 1 else ''} found.", file=sys.stderr)
    return 1


def cli_settings(args: argparse.Namespace) -> Settings:
    """The bot's settings, with --knowledge and --data taking precedence (as every command)."""
    from .cli import _settings

    return _settings(args)


def open_library(settings: Settings, *, listen: bool = False) -> Library:
    """The Library over the configured store (a database that is down fails at once)."""
    from .core.library import Library
    from .core.store import open_store

    def make_store(base: Any) -> Store:
        return open_store(
            base,
            data_dir=settings.data_dir,
            database_url=settings.database,
            retention_days=settings.retention_days,
            listen=listen,
        )

    from .core.matching.semantic import SemanticModel

    return Library(
        settings.knowledge_dir,
        settings.data_dir,
        settings.match_settings(),
        semantic=SemanticModel(settings.model_cache_dir),
        store=make_store,
    )


def _run(args: argparse.Namespace, command: Any) -> int:
    """Run `command(settings)`, turning every operator fault into one line."""
    from .core.store import StoreUnavailableError

    try:
        settings = cli_settings(args)
    except SettingsError as error:
        for line in error.lines:
            print(f"error: {line}", file=sys.stderr)
        return 1
    try:
        status: int = command(settings)
        return status
    except StoreUnavailableError as error:
        if error.os_error is not None:
            return _error(describe_os_error(error.os_error))
        return _error(error.problems[0].message)
    except KnowledgeError as error:
        return _fail(error)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        return _error(str(error).splitlines()[0])


# -- entries -------------------------------------------------------------------------------------


def _cmd_entries(args: argparse.Namespace) -> int:
    return _run(args, lambda settings: _entries(args, settings))


def _entries(args: argparse.Namespace, settings: Settings) -> int:
    library = open_library(settings)
    try:
        if args.action == "export":
            return _export(args, library.store)
        if args.action == "import":
            return _import(args, library)
        guild = args.guild
        unserved = library.unserved_for(guild)
        if args.action == "list":
            # Served and unserved entries, in the file's order.
            for entry in library.store.read_entries(guild).stored:
                note = f"  (not served: {unserved[entry.id][1]})" if entry.id in unserved else ""
                print(f"{entry.id}: {entry.question}{note}")
            return 0
        if args.action == "remove":
            removed = library.remove_entry(guild, args.id, actor_id=args.actor)
            print(f"removed {removed.id}")
            return 0
        fields = _entry_fields(args)
        if args.action == "add":
            fields.setdefault("id", args.id or "new-entry")
            saved = library.add_entry(
                guild, Entry.model_validate(fields), args.actor, pick_id=args.id is None
            )
        else:
            current = _server_entry(library, guild, args.id)
            if current is None:
                where = (
                    "is part of the shipped FAQ and is read-only here; edit knowledge/faq.yaml"
                    if args.id in library.base.by_id
                    else f"is not an entry of server {guild}"
                )
                return _error(f"'{args.id}' {where}")
            if "paragraph" in fields or "quote" in fields:
                old = current.sources[0] if current.sources else None
                paragraph = fields.pop("paragraph", old.paragraph if old else None)
                quote = fields.pop("quote", old.quote if old else None)
                if paragraph is None or quote is None:
                    return _error("this entry has no source: give --paragraph and --quote")
                fields["sources"] = [{"paragraph": paragraph, "quote": quote}]
            # Only the fields given change; the rest (alternates, source, tags) stay.
            changed = Entry.model_validate({**current.model_dump(), **fields})
            saved = library.edit_entry(guild, changed, actor_id=args.actor)
        print(f"saved {saved.id}")
        return 0
    except ValidationError as error:
        for _loc, message in validation_messages(error):
            print(f"error: {message}", file=sys.stderr)
        return 1
    finally:
        library.store.close()


def _entry_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The entry fields given on the command line (and only those)."""
    fields: dict[str, Any] = {}
    for name in ("question", "answer", "paragraph", "quote"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    if args.alternate is not None:
        fields["alternates"] = tuple(args.alternate)
    if args.tag is not None:
        fields["tags"] = tuple(args.tag)
    if args.action == "add" and ("paragraph" in fields or "quote" in fields):
        fields["sources"] = [
            {"paragraph": fields.pop("paragraph", None), "quote": fields.pop("quote", None)}
        ]
    return fields


def _server_entry(library: Library, guild_id: int, entry_id: str) -> Entry | None:
    """A server's own entry by id, served or not (None when it has none)."""
    for entry in library.store.read_entries(guild_id).stored:
        if entry.id == entry_id:
            return entry
    return None


def _export(args: argparse.Namespace, store: Store) -> int:
    from .core.storage import _Dumper, _write_atomic

    guilds = store.guild_ids() if args.all else [args.guild]
    servers = []
    for guild_id in guilds:
        content = store.read_entries(guild_id)
        settings = store.guild_settings(guild_id)
        server: dict[str, Any] = {"guild_id": guild_id}
        server["entries"] = [e.to_yaml_dict() for e in content.entries]
        if content.synonyms:
            server["synonyms"] = dict(content.synonyms)
        if not settings.is_default:
            server["settings"] = settings.to_dict()
        servers.append(server)
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "source": store.kind,
        "servers": servers,
    }
    text = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    if args.output:
        _write_atomic(Path(args.output), text.encode("utf-8"))
        count = sum(len(s["entries"]) for s in servers)
        print(
            f"exported {count} entr{'y' if count == 1 else 'ies'} of {len(servers)} "
            f"server{'' if len(servers) == 1 else 's'} to {args.output}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return 0


def _import(args: argparse.Namespace, library: Library) -> int:
    """Validate every server of the file as `check` does, then add or update its entries."""
    from .core.storage import _Dumper
    from .core.store import is_snowflake

    name = str(args.file)
    data = load_yaml(Path(args.file))
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise KnowledgeError.single(
            name, f"not an export file: it needs 'format: {EXPORT_FORMAT}' and a 'servers' list"
        )
    raw_servers = data.get("servers")
    if not isinstance(raw_servers, list):
        raise KnowledgeError.single(name, "'servers' must be a list")
    base = library.base
    plan: list[tuple[int, tuple[Entry, ...], dict[str, Any] | None]] = []
    problems: list[Problem] = []
    for index, server in enumerate(raw_servers):
        where = f"{name}: servers[{index}]"
        if not isinstance(server, dict) or not is_snowflake(server.get("guild_id")):
            problems.append(Problem(where, "needs a guild_id (a Discord server id)"))
            continue
        guild_id = int(server["guild_id"])
        section = {"entries": server.get("entries") or []}
        if server.get("synonyms"):
            section["synonyms"] = server["synonyms"]
        text = yaml.dump(section, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
        try:
            content = parse_entry_file(
                text,
                f"{name}: server {guild_id}",
                base.article,
                shipped=False,
                reserved=base.entries,
            )
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            continue
        if content.synonyms:
            problems.append(
                Problem(
                    f"{name}: server {guild_id}",
                    "has synonyms, which import does not carry over; remove them and add them "
                    "to the server's file by hand",
                )
            )
        plan.append((guild_id, content.entries, server.get("settings")))
    if problems:
        raise KnowledgeError(problems)
    added = updated = unchanged = 0
    for guild_id, entries, settings in plan:
        current = {e.id: e for e in library.store.read_entries(guild_id).entries}
        for entry in entries:
            old = current.get(entry.id)
            if old == entry:
                unchanged += 1
            elif old is None:
                library.add_entry(guild_id, entry, args.actor, keep_stamps=True)
                added += 1
            else:
                library.edit_entry(guild_id, entry, args.actor, keep_stamps=True)
                updated += 1
        if settings:
            from .core.store import GuildSettings

            library.set_settings(guild_id, GuildSettings.from_dict(settings, name), args.actor)
    print(f"imported {len(plan)} servers: {added} added, {updated} updated, {unchanged} unchanged")
    return 0


# -- forget-user and db --------------------------------------------------------------------------


def _cmd_forget_user(args: argparse.Namespace) -> int:
    from .core.store import is_snowflake

    if not is_snowflake(args.user_id):
        return _error("forget-user needs the member's Discord id (a number)")

    def forget(settings: Settings) -> int:
        library = open_library(settings)
        try:
            report = library.store.forget_user(args.user_id)
        finally:
            library.store.close()
        print(
            f"forgot member {args.user_id}: deleted {report.votes} votes and {report.asks} "
            f"questions; anonymised {report.entries} entry stamps and {report.audit_records} "
            "audit records"
        )
        return 0

    return _run(args, forget)


def _cmd_db(args: argparse.Namespace) -> int:
    def migrate_command(settings: Settings) -> int:
        if settings.database is None:
            print("the embedded store (no FAQ_DATABASE_URL) upgrades itself when opened")
            return 0
        import psycopg

        from .core.store.postgres import migrate, safe_url

        url = settings.database
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                applied = migrate(conn)
        except psycopg.OperationalError:
            return _error(
                f"cannot reach the database at {safe_url(url)}; check FAQ_DATABASE_URL and that "
                "the server is running"
            )
        if applied:
            print(f"applied migrations {', '.join(map(str, applied))} to {safe_url(url)}")
        else:
            print(f"{safe_url(url)} is up to date")
        return 0

    return _run(args, migrate_command)


def add_store_commands(commands: Any, add: Any, snowflake: Any) -> None:
    """Register entries, forget-user and db on the `faqbot` parser (`add` gives --knowledge
    and --data; `snowflake` is the argparse type of a Discord id)."""
    entries = add("entries", "list, add, edit, remove, export or import servers' entries")
    entries.add_argument("action", choices=["add", "edit", "remove", "list", "export", "import"])
    entries.add_argument("file", nargs="?", help="import: the export file to read")
    entries.add_argument("--guild", type=snowflake, help="server (guild) id")
    entries.add_argument("--all", action="store_true", help="export: every server")
    entries.add_argument("--output", "-o", metavar="FILE", help="export: write here, not stdout")
    entries.add_argument("--id", help="entry id (edit, remove; optional for add)")
    entries.add_argument("--question")
    entries.add_argument("--alternate", action="append", help="another phrasing (repeat)")
    entries.add_argument("--answer")
    entries.add_argument("--paragraph", type=int)
    entries.add_argument("--quote")
    entries.add_argument("--tag", action="append")
    entries.add_argument(
        "--actor", type=snowflake, default=0, help="user id recorded as the author"
    )
    entries.set_defaults(func=_cmd_entries)

    forget = add("forget-user", "delete a member's votes and questions; anonymise their edits")
    forget.add_argument("user_id", type=snowflake, help="the member's Discord id")
    forget.set_defaults(func=_cmd_forget_user)

    db = add("db", "database maintenance (FAQ_DATABASE_URL)")
    db.add_argument("action", choices=["migrate"])
    db.set_defaults(func=_cmd_db)


def check_entries_args(args: argparse.Namespace) -> str | None:
    """What is missing from an `entries` command line, or None."""
    action = args.action
    if action == "export":
        if args.all == (args.guild is not None):
            return "entries export needs --guild ID or --all"
        return None
    if action == "import":
        return None if args.file else "entries import needs the FILE to read"
    if args.guild is None:
        return f"entries {action} needs --guild"
    if action in {"add", "edit"}:
        # An edit changes only the fields it is given.
        needed = ("question", "answer") if action == "add" else ("id",)
        missing = [f for f in needed if getattr(args, f) is None]
        if missing:
            return f"entries {action} needs --{', --'.join(missing)}"
    if action == "remove" and args.id is None:
        return "entries remove needs --id"
    return None
