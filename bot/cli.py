"""The `faqbot` command line: the answer engine without Discord, and the bot's launcher."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .cli_store import add_store_commands, check_entries_args
from .core.coverage import coverage_lines, sentence_coverage
from .core.errors import KnowledgeError, Problem, describe_os_error
from .core.evaluation import RATES, load_eval_set, run_eval
from .core.loader import load_entry_file, load_knowledge
from .core.matcher import Matcher
from .core.matching.semantic import SemanticModel
from .core.models import KnowledgeBase, Reply
from .settings import Settings, SettingsError, load_settings, parse_snowflake

if TYPE_CHECKING:
    pass

__all__ = ["format_reply", "main", "plural"]

_SILENT = "(the bot stays silent)"
# The flags that override a setting, by its environment name.
_FLAGS = {"FAQ_KNOWLEDGE_DIR": "knowledge", "FAQ_DATA_DIR": "data"}


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """ "1 entry", "2 entries": a count with its noun agreeing."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


def _settings(args: argparse.Namespace) -> Settings:
    """The bot's settings (environment, then .env, then this command's flags)."""
    overrides = {
        name: getattr(args, flag)
        for name, flag in _FLAGS.items()
        if getattr(args, flag, None) is not None
    }
    try:
        return load_settings(require_token=False, **overrides)
    except SettingsError as error:
        # Name the flag when the bad value came from one.
        lines = []
        for line in error.lines:
            name = line.split(":", 1)[0]
            if name in overrides:
                line = f"--{_FLAGS[name]} ({name}){line[len(name) :]}"
            lines.append(line)
        raise SettingsError(lines) from None


def _fail(error: KnowledgeError) -> int:
    for problem in error.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"{plural(len(error.problems), 'problem')} found.", file=sys.stderr)
    return 1


def _snowflake(text: str) -> int:
    """argparse type for a server or user id."""
    try:
        return parse_snowflake(text, "Discord id")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def format_reply(reply: Reply, kb: KnowledgeBase, *, chat: bool = False) -> str:
    """A reply as plain text, the way the console shows it."""
    # A question in another language: its one-line note comes first (silence stays silent).
    note = [reply.note] if reply.note and (reply.answered or not chat) else []
    if not reply.answered:
        lines = [*note, _SILENT if chat else f"No answer (best score {reply.score})."]
        if reply.suggestions and not chat:
            lines.append("Did you mean:")
            lines += [f"  - {s.question}  [{s.entry_id}, {s.score}]" for s in reply.suggestions]
        return "\n".join(lines)
    label = f"{reply.kind}: {reply.entry_id}" if reply.entry_id else str(reply.kind)
    lines = [*note, f"{reply.title}  [{label}, score {reply.score}]", reply.answer or ""]
    for source in reply.sources:
        lines.append(f'¶{source.paragraph} "{source.quote}"')
    if not reply.sources:
        lines.append("(Added by moderators)")
    article = kb.article
    lines.append(
        f"Source: “{article.title}”, {article.date_text}"
        + (f", {article.url}" if article.url else "")
    )
    return "\n".join(lines)


def _cmd_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    try:
        kb = load_knowledge(settings.knowledge_dir)
    except KnowledgeError as error:
        return _fail(error)
    quotes = sum(len(e.sources) for e in kb.entries)
    problems, servers, entries = _check_server_files(settings.data_dir, kb)
    if problems:
        return _fail(KnowledgeError(problems))
    print(
        f"{plural(len(kb.entries), 'entry', 'entries')}, "
        f"{plural(len(kb.article.paragraphs), 'paragraph')}, "
        f"{plural(quotes, 'quote')} verified"
        + (
            f"; {plural(servers, 'server file')} with "
            f"{plural(entries, 'moderator entry', 'moderator entries')} valid"
            if servers
            else ""
        )
    )
    if args.coverage:
        print("\n".join(coverage_lines(sentence_coverage(kb))))
    return 0


def _check_server_files(data_dir: Path, kb: KnowledgeBase) -> tuple[list[Problem], int, int]:
    """Every problem of the data dir's server files, and each entry that does not serve."""
    from .core.storage import GUILDS_DIR

    problems: list[Problem] = []
    servers = entries = 0
    for path in sorted((data_dir / GUILDS_DIR).glob("*.yaml")):
        try:
            parse_snowflake(path.stem)
        except ValueError:
            print(f"warning: {path}: not named after a server id; the bot ignores it")
            continue
        try:
            content = load_entry_file(
                path, kb.article, shipped=False, reserved=kb.entries, keep_clashes=True
            )
        except KnowledgeError as error:
            problems += error.problems
            continue
        servers += 1
        entries += len(content.stored)
        for entry_id, reason in content.unserved.items():
            problems.append(
                Problem(
                    str(path),
                    f"not served: {reason}; edit it or remove it "
                    f"(faqbot entries edit|remove --guild {path.stem} --id {entry_id})",
                    entry_id=entry_id,
                )
            )
    return problems, servers, entries


def _load_matcher(args: argparse.Namespace) -> Matcher | int:
    """The shipped knowledge's matcher, with the bot's thresholds."""
    settings = _settings(args)
    try:
        return Matcher(
            load_knowledge(settings.knowledge_dir),
            settings.match_settings(),
            semantic=SemanticModel(settings.model_cache_dir),
            eager=False,  # a command reads only the entries its questions need
        )
    except KnowledgeError as error:
        return _fail(error)


def _question_lines(args: argparse.Namespace) -> Iterator[tuple[str, int | None]]:
    """(question, server) pairs: the argument, or stdin lines (text, or with --json a JSON
    object {"question": …, "guild": "ID"}), read one at a time so replies stream in order."""
    if args.question is not None:
        yield args.question, args.guild
        return
    for number, raw in enumerate(sys.stdin, start=1):
        line = raw.rstrip("\r\n")
        if args.json and line.lstrip().startswith("{"):
            try:
                item = json.loads(line)
                question = item["question"]
                guild = item.get("guild", args.guild)
                guild = None if guild is None else int(guild)
                if not isinstance(question, str) or (guild is not None and guild <= 0):
                    raise ValueError
            except (ValueError, KeyError, TypeError, AttributeError):
                raise _BadLine(
                    f'stdin line {number}: expected {{"question": "…", "guild": "ID"}}'
                ) from None
            yield question, guild
        else:
            yield line, args.guild


class _BadLine(Exception):
    """A stdin line of `ask --json` that is neither text nor the documented object."""


def _cmd_ask(args: argparse.Namespace) -> int:
    from .cli_store import open_library

    shipped = _load_matcher(args)
    if isinstance(shipped, int):
        return shipped
    library = None

    def matcher_for(guild: int | None) -> Matcher:
        nonlocal library
        if guild is None:
            return shipped
        if library is None:
            # Opened on the first question for a server: plain asks never touch the store.
            library = open_library(_settings(args))
        return library.matcher_for(guild)

    several = args.question is None
    try:
        for question, guild in _question_lines(args):
            matcher = matcher_for(guild)
            reply = matcher.reply(question, chat=args.chat)
            if args.json:
                print(json.dumps(reply.to_json_dict(), ensure_ascii=False), flush=several)
            else:
                print(format_reply(reply, matcher.kb, chat=args.chat))
                if several:
                    print(flush=True)
    except _BadLine as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except SettingsError as error:
        for line in error.lines:
            print(f"error: {line}", file=sys.stderr)
        return 1
    except KnowledgeError as error:
        return _fail(error)
    finally:
        if library is not None:
            library.store.close()
    sys.stdout.flush()
    return 0


def _cmd_console(args: argparse.Namespace) -> int:
    matcher = _load_matcher(args)
    if isinstance(matcher, int):
        return matcher
    kb = matcher.kb
    print(
        f"“{kb.article.title}” ({kb.article.date_text}): "
        f"{plural(len(kb.entries), 'FAQ entry', 'FAQ entries')}."
    )
    print("Ask as you would in the auto-answer channel. Ctrl-D or 'quit' to leave.")
    while True:
        try:
            question = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question.strip().lower() in {"quit", "exit", ":q"}:
            return 0
        if question.strip():
            print(format_reply(matcher.reply(question, chat=True), kb, chat=True))


def _cmd_eval(args: argparse.Namespace) -> int:
    floors: dict[str, float] = {}
    for floor in args.min or ():
        name, _, value = floor.partition("=")
        try:
            floor_rate = float(value)
        except ValueError:
            floor_rate = -1.0
        if name not in RATES or not 0 <= floor_rate <= 1:
            print(
                f"error: --min {floor!r}: expected NAME=RATE with RATE from 0 to 1 and NAME one "
                f"of {', '.join(RATES)}",
                file=sys.stderr,
            )
            return 2
        floors[name] = floor_rate
    matcher = _load_matcher(args)
    if isinstance(matcher, int):
        return matcher
    try:
        eval_set = load_eval_set(Path(args.file))
    except KnowledgeError as error:
        return _fail(error)
    report = run_eval(matcher, eval_set)
    for miss in report.misses:
        reply = miss.reply
        if reply.answered:
            got = f"answered {reply.entry_id or reply.kind} ¶{[s.paragraph for s in reply.sources]}"
        else:
            got = "declined" + (
                f", suggested {reply.suggestions[0].entry_id}" if reply.suggestions else ""
            )
        section = miss.case.section
        if section == "meta":
            want = repr(miss.case.expect)
        elif section in {"on_topic", "korean", "multi"}:
            want = f"¶{list(miss.case.paragraphs)}"
        else:
            want = "silence/decline"
        print(
            f"  miss [{miss.rate}] line {miss.case.line}: {miss.case.question!r}: "
            f"want {want}, got {got} (score {reply.score}, reason {reply.reason})"
        )
    below: list[str] = []
    for name, label in RATES.items():
        rate = report.rate(name)
        if rate is None:
            print(f"{name:<14} {'n/a':>6}  (no cases)  {label}")
            continue
        print(
            f"{name:<14} {rate:6.1%}  ({report.passed.get(name, 0)}/{report.totals[name]})  {label}"
        )
        if name in floors and rate < floors[name]:
            below.append(f"{name} {rate:.3f} < {floors[name]:.3f}")
    for name in floors:
        if report.rate(name) is None:
            below.append(f"{name} has no cases")
    if below:
        print(f"below the floor: {'; '.join(below)}", file=sys.stderr)
        return 1
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.discord_token is None:
        print("DISCORD_TOKEN is not set: starting the console instead.", file=sys.stderr)
        return _cmd_console(args)
    from .client import run_bot

    return run_bot(settings)


def _cmd_health(args: argparse.Namespace) -> int:
    from .health import check_health

    port = args.port if args.port is not None else _settings(args).health_port
    if port is None:
        print(
            "error: no port: set FAQ_HEALTH_PORT (as for `faqbot run`) or give --port",
            file=sys.stderr,
        )
        return 2
    healthy, line = check_health(port)
    print(line)
    return 0 if healthy else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faqbot", description="An FAQ bot for one article, with sources."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--knowledge",
            metavar="DIR",
            help="knowledge directory (default: FAQ_KNOWLEDGE_DIR from the environment or "
            ".env, else ./knowledge)",
        )
        sub.add_argument(
            "--data",
            metavar="DIR",
            help="data directory (default: FAQ_DATA_DIR from the environment or .env, else ./data)",
        )
        return sub

    check = add("check", "validate the knowledge base and every quote")
    check.add_argument(
        "--coverage",
        action="store_true",
        help="also list every article sentence that no entry quotes or answers",
    )
    check.set_defaults(func=_cmd_check)
    ask = add("ask", "answer a question as the bot would (stdin: one per line)")
    ask.add_argument("question", nargs="?", help="the question; omit to read lines from stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--chat", action="store_true", help="use the auto-answer listener's rules")
    ask.add_argument("--guild", type=_snowflake, help="answer with this server's entries too")
    ask.set_defaults(func=_cmd_ask)
    add("console", "an interactive prompt that answers as the bot does in chat").set_defaults(
        func=_cmd_console
    )
    ev = add("eval", "score the matcher on an evaluation set")
    ev.add_argument(
        "file",
        help="evaluation YAML (on_topic, off_topic, near_miss, chat_noise, korean, korean_off, "
        "multi, meta)",
    )
    ev.add_argument(
        "--min",
        action="append",
        metavar="NAME=RATE",
        help=f"exit 1 when a rate is below RATE (0-1); NAME one of {', '.join(RATES)} (repeat)",
    )
    ev.set_defaults(func=_cmd_eval)
    add("run", "start the Discord bot (the console when DISCORD_TOKEN is unset)").set_defaults(
        func=_cmd_run
    )
    health = add("health", "ask the running bot's /healthz (FAQ_HEALTH_PORT); exit 1 unless ok")
    health.add_argument("--port", type=int, help="the port (default: FAQ_HEALTH_PORT)")
    health.set_defaults(func=_cmd_health)
    add_store_commands(commands, add, _snowflake)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "entries":
        missing = check_entries_args(args)
        if missing:
            print(f"error: {missing}", file=sys.stderr)
            return 2
    try:
        status: int = args.func(args)
    except BrokenPipeError:  # e.g. `faqbot eval ... | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except SettingsError as error:
        for line in error.lines:
            print(f"error: {line}", file=sys.stderr)
        return 1
    # Operator faults: one line saying what to do, never a traceback.
    except OSError as error:
        print(f"error: {describe_os_error(error)}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as error:
        print(
            f"error: the stats database could not be used ({error}); move "
            "stats.sqlite3 out of the data directory and try again",
            file=sys.stderr,
        )
        return 1
    return status
