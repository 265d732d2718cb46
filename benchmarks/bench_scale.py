"""Scale benchmark: thousands of servers with their own entries, answered in one process.

Run it from the repository root (it is not part of the test suite)::

    .venv/bin/python benchmarks/bench_scale.py                  # 5,000 servers x 3 entries
    .venv/bin/python benchmarks/bench_scale.py --servers 500    # a smaller world
    .venv/bin/python benchmarks/bench_scale.py --data /tmp/world --keep   # reuse the files

The parent process writes a world to a data dir: ``--servers`` servers with ``--entries``
moderator entries each, in the documented layout (``guilds/<id>.yaml``), every entry valid (its
quote is a verbatim run of words of an article sentence, its phrasings clash with nothing).
Each server's entry ids start with ``s<n>-``, so whose entry a reply is can be told from its id.
It also writes ``--overlay-servers`` servers with 10 entries each, kept out of the question
plan, for the overlay-build figure.

A fresh child process then serves the world, so its peak resident set counts nothing but the
serving (the data generation stays in the parent). The child:

1. imports the bot (timed apart: the same at any number of servers);
2. starts the ``Library`` over the knowledge dir and the data dir (**start-up**);
3. asks, in one shuffled order, three questions per server: one of its own entries' questions
   word for word (it should get that entry), another server's entry question word for word (the
   leak probe), and a shipped FAQ question or an off-topic one. The order is random, so every
   server's first question finds it cold, at a random point of the run;
4. builds the matcher of each ten-entry server once (``matcher_for``: reading its file and
   building its overlay, the cold path of a server's first question) and times it.

Figures: mean per question **start-up included** ((start-up + every question) / questions),
p50/p99/max per question, max RSS of the child (``ru_maxrss``), the cold/warm split, and the
10-entry build, with the overlay build alone (``Matcher.with_entries`` on entries in memory).
Check: no reply is ever another server's entry (every reply is a shipped entry, the asking
server's own entry, an article sentence or nothing). How many own questions got their own
entry is printed too (the generated questions are word salad; the policy may decline one).
The world is regenerated when its parameters or the knowledge (article.md, faq.yaml) change.

Budgets (PASS/FAIL at the end, issue 8): 5,000 servers x 3 entries, mean <= 2 ms a question
start-up included, max RSS <= 300 MiB, no cross-server leak; a 10-entry server's overlay
built in <= 5 ms. ``--strict`` makes a FAIL the exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20230426
DEFAULT_SERVERS = 5_000
DEFAULT_ENTRIES = 3
DEFAULT_OVERLAY_SERVERS = 50
OVERLAY_ENTRIES = 10
FIRST_GUILD = 100_000_000_000_000_000  # realistic snowflake size
WORLD_FILE = "world.json"  # the plan and the parameters it was made with

BUDGET_SERVERS = 5_000
BUDGET_ENTRIES = 3
BUDGET_MEAN_MS = 2.0
BUDGET_RSS_MIB = 300.0
BUDGET_OVERLAY_MS = 5.0

_WORD_SPAN = re.compile(r"\S+")
_LETTERS = re.compile(r"[A-Za-z]+")
# How moderators ask about the article in their own words; {a}..{c} are article words.
TEMPLATES = (
    "What does the author say about {a} and {b}?",
    "why does the article bring up {a}",
    "{a} {b} {c}?",
    "Can someone explain the {a} part about {b}?",
    "what's the point about {a} {c}",
    "Is the {b} bit about {a}?",
    "tldr on {a} and {c}",
    "quick recap: {b} {a}?",
    "How does {a} fit with {b} in the piece?",
    "What is meant by {a} {b}?",
)

OFF_TOPIC = (
    "How do I make bibimbap?",
    "what's the best gaming mouse under 50 bucks",
    "how do i reset my discord password",
    "can someone recommend a good anime",
    "how tall is mount everest",
    "whats the weather tomorrow",
    "how do I center a div",
    "who painted the mona lisa",
)


# ------------------------------------------------------------------------------ the world


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each whitespace-separated word of a paragraph."""
    return [(m.start(), m.end()) for m in _WORD_SPAN.finditer(text)]


def _verbatim_quote(rng: random.Random, paragraph_text: str) -> str:
    """A run of 6 to 14 whole words of the paragraph, cut from it: verbatim by construction."""
    spans = _sentence_spans(paragraph_text)
    length = min(len(spans), rng.randint(6, 14))
    start = rng.randrange(len(spans) - length + 1)
    quote = paragraph_text[spans[start][0] : spans[start + length - 1][1]]
    while len(quote) < 20 and start + length < len(spans):
        length += 1
        quote = paragraph_text[spans[start][0] : spans[start + length - 1][1]]
    return quote


def make_world(
    knowledge: Path, data: Path, servers: int, entries: int, overlay_servers: int, seed: int
) -> dict[str, Any]:
    """Write every server's entries file under `data` and return the question plan."""
    from bot.core.lexicon import STOPWORDS
    from bot.core.loader import load_knowledge
    from bot.core.text import phrasing_key

    base = load_knowledge(knowledge)
    taken = {phrasing_key(p) for e in base.entries for p in e.phrasings}
    rng = random.Random(seed)
    paragraphs = base.article.paragraphs
    words_of = {
        p.number: sorted({w.lower() for w in _LETTERS.findall(p.text) if len(w) >= 4} - STOPWORDS)
        for p in paragraphs
    }
    guilds_dir = data / "guilds"
    guilds_dir.mkdir(parents=True, exist_ok=True)
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def server_entries(number: int, count: int) -> list[dict[str, Any]]:
        made: list[dict[str, Any]] = []
        own: set[str] = set()
        while len(made) < count:
            paragraph = rng.choice(paragraphs)
            vocabulary = words_of[paragraph.number]
            if len(vocabulary) < 3:
                continue
            a, b, c = rng.sample(vocabulary, 3)
            phrasings = [t.format(a=a, b=b, c=c) for t in rng.sample(TEMPLATES, 3)]
            keys = [phrasing_key(p) for p in phrasings]
            if len(set(keys)) < len(keys) or any(k in taken or k in own for k in keys):
                continue
            own.update(keys)
            quote = _verbatim_quote(rng, paragraph.text)
            made.append(
                {
                    "id": f"s{number}-{a}-{b}-{len(made) + 1}"[:48].rstrip("-"),
                    "question": phrasings[0][0].upper() + phrasings[0][1:],
                    "alternates": phrasings[1:],
                    "answer": f"According to the article: {quote}",
                    "sources": [{"paragraph": paragraph.number, "quote": quote}],
                    "created_by": 1_000 + number,
                    "created_at": "2026-01-01T00:00:00+00:00",
                }
            )
        return made

    questions: dict[int, list[dict[str, Any]]] = {}
    for number in range(servers + overlay_servers):
        count = entries if number < servers else OVERLAY_ENTRIES
        made = server_entries(number, count)
        guild = FIRST_GUILD + number
        text = yaml.dump({"entries": made}, Dumper=dumper, allow_unicode=True, sort_keys=False)
        (guilds_dir / f"{guild}.yaml").write_text(text, encoding="utf-8")
        if number < servers:
            questions[number] = made

    shipped = [e.question for e in base.entries]
    plan: list[dict[str, Any]] = []
    for number in range(servers):
        guild = FIRST_GUILD + number
        own = rng.choice(questions[number])
        plan.append(
            {"guild": guild, "kind": "own", "question": own["question"], "expect": own["id"]}
        )
        other = rng.randrange(servers - 1) if servers > 1 else number
        other += other >= number
        if other != number:
            foreign = rng.choice(questions[other])
            plan.append(
                {"guild": guild, "kind": "foreign", "question": foreign["question"], "expect": ""}
            )
        third = rng.choice(shipped) if rng.random() < 0.5 else rng.choice(OFF_TOPIC)
        plan.append({"guild": guild, "kind": "other", "question": third, "expect": ""})
    rng.shuffle(plan)
    overlay = [FIRST_GUILD + n for n in range(servers, servers + overlay_servers)]
    return {
        "servers": servers,
        "entries": entries,
        "overlay_servers": overlay_servers,
        "seed": seed,
        "plan": plan,
        "overlay_guilds": overlay,
    }


# ------------------------------------------------------------------------------ the child


def _rss_kib() -> int:
    """The current resident set (KiB), from /proc (0 where there is none)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _max_rss_kib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def serve(knowledge: Path, data: Path) -> dict[str, Any]:
    """Start a Library over the world and answer its plan; the figures as a mapping."""
    world = json.loads((data / WORLD_FILE).read_text(encoding="utf-8"))
    plan: list[dict[str, Any]] = world["plan"]
    started = time.perf_counter()
    from bot.core.library import Library

    imported = time.perf_counter()
    rss_imported = _rss_kib()
    t0 = time.perf_counter()
    library = Library(knowledge, data)
    startup = time.perf_counter() - t0
    rss_started = _rss_kib()
    shipped_ids = {e.id for e in library.base.entries}

    durations: list[int] = []
    cold: list[int] = []
    seen: set[int] = set()
    leaks: list[str] = []
    misses: list[str] = []  # own questions that did not get their own entry
    own_total = own_right = answered = 0
    t1 = time.perf_counter()
    for item in plan:
        guild = item["guild"]
        q0 = time.perf_counter_ns()
        reply = library.matcher_for(guild).reply(item["question"])
        elapsed = time.perf_counter_ns() - q0
        durations.append(elapsed)
        if guild not in seen:
            seen.add(guild)
            cold.append(elapsed)
        answered += reply.answered
        entry_id = reply.entry_id
        prefix = f"s{guild - FIRST_GUILD}-"
        if entry_id is not None and entry_id not in shipped_ids and not entry_id.startswith(prefix):
            leaks.append(f"server {guild} got {entry_id!r} for {item['question']!r}")
        if item["kind"] == "own":
            own_total += 1
            if entry_id == item["expect"]:
                own_right += 1
            elif len(misses) < 5:
                misses.append(f"server {guild}: {item['question']!r} got {entry_id!r}")
    questions_s = time.perf_counter() - t1
    rss_questions = _rss_kib()

    builds: list[int] = []
    for guild in world["overlay_guilds"]:
        b0 = time.perf_counter_ns()
        library.matcher_for(guild)
        builds.append(time.perf_counter_ns() - b0)
    # The build alone, entries already in memory: an overlay where there are overlays
    # (Matcher.with_entries), else the whole matcher the library built per server.
    shipped = library.matcher_for(None)
    overlays: list[int] = []
    for guild in world["overlay_guilds"]:
        kb = library.knowledge_for(guild)
        own = kb.entries[len(library.base.entries) :]
        b0 = time.perf_counter_ns()
        if hasattr(shipped, "with_entries"):
            shipped.with_entries(own)
        else:
            type(shipped)(kb)
        overlays.append(time.perf_counter_ns() - b0)
    # Server files rejected when read: at start (before) or on first need, by refresh (now).
    errors = len(getattr(library, "startup_errors", ())) + len(library.refresh())

    ordered = sorted(durations)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] / 1e6

    return {
        "servers": world["servers"],
        "entries": world["entries"],
        "questions": len(plan),
        "import_s": imported - started,
        "startup_s": startup,
        "questions_s": questions_s,
        "mean_ms": (startup + questions_s) / len(plan) * 1e3,
        "mean_question_ms": questions_s / len(plan) * 1e3,
        "p50_ms": rank(0.50),
        "p99_ms": rank(0.99),
        "max_ms": ordered[-1] / 1e6,
        "cold_mean_ms": statistics.fmean(cold) / 1e6,
        "warm_mean_ms": (sum(durations) - sum(cold)) / max(1, len(durations) - len(cold)) / 1e6,
        "rss_imported_mib": rss_imported / 1024,
        "rss_started_mib": rss_started / 1024,
        "rss_end_mib": rss_questions / 1024,
        "max_rss_mib": _max_rss_kib() / 1024,
        "leaks": len(leaks),
        "leak_examples": leaks[:5],
        "own_total": own_total,
        "own_right": own_right,
        "own_misses": misses,
        "answered": answered,
        "file_errors": errors,
        "overlay_cache": getattr(library, "overlay_cache", None),
        "build10_n": len(builds),
        "build10_p50_ms": statistics.median(builds) / 1e6 if builds else None,
        "build10_max_ms": max(builds) / 1e6 if builds else None,
        "overlay10_p50_ms": statistics.median(overlays) / 1e6 if overlays else None,
        "overlay10_max_ms": max(overlays) / 1e6 if overlays else None,
    }


# ----------------------------------------------------------------------------- the parent


def machine_lines() -> list[str]:
    """Where the figures come from."""
    lines = [
        f"python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores",
    ]
    with contextlib.suppress(OSError):
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
        lines.append(f"load average (1, 5, 15 min): {load}")
    return lines


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(figures: dict[str, Any], world_s: float) -> tuple[list[str], bool]:
    """The printed report and whether every judged budget passed."""
    f = figures
    lines = [
        f"# bench_scale: {f['servers']:,} servers x {f['entries']} entries, "
        f"{f['questions']:,} questions in one process",
        *machine_lines(),
        f"world written in {world_s:.1f} s (not counted)",
        "",
        f"import            {f['import_s'] * 1e3:8.0f} ms (not counted; the same at any size)",
        f"start-up          {f['startup_s'] * 1e3:8.0f} ms   (Library(knowledge, data dir))",
        f"questions         {f['questions_s']:8.2f} s",
        f"mean a question   {f['mean_ms']:8.3f} ms   start-up included",
        f"                  {f['mean_question_ms']:8.3f} ms   questions only",
        f"p50 / p99 / max   {f['p50_ms']:.3f} / {f['p99_ms']:.3f} / {f['max_ms']:.1f} ms",
        f"cold / warm mean  {f['cold_mean_ms']:.3f} / {f['warm_mean_ms']:.3f} ms  "
        "(a server's first question / the rest)",
        f"RSS after import  {f['rss_imported_mib']:8.1f} MiB",
        f"RSS after start   {f['rss_started_mib']:8.1f} MiB",
        f"RSS at the end    {f['rss_end_mib']:8.1f} MiB",
        f"max RSS           {f['max_rss_mib']:8.1f} MiB",
        f"10-entry server   {f['build10_p50_ms']:.2f} ms median, {f['build10_max_ms']:.2f} ms max "
        f"(its first matcher_for, {f['build10_n']} servers)",
        f"  build alone     {f['overlay10_p50_ms']:.2f} ms median, "
        f"{f['overlay10_max_ms']:.2f} ms max (entries in memory)",
        f"own questions     {f['own_right']:,} / {f['own_total']:,} got their own entry "
        "(a server's entry asked word for word)",
        f"answered          {f['answered']:,} / {f['questions']:,}",
        f"rejected files    {f['file_errors']}",
        f"overlay cache     {f['overlay_cache']} servers (FAQ_OVERLAY_CACHE)",
        f"cross-server leaks {f['leaks']}",
    ]
    lines.extend(f"  leak: {example}" for example in f["leak_examples"])
    lines.extend(f"  own miss: {example}" for example in f["own_misses"])
    judged = f["servers"] >= BUDGET_SERVERS and f["entries"] >= BUDGET_ENTRIES
    checks = [
        ("no cross-server leak", f["leaks"] == 0, True),
        (f"mean <= {BUDGET_MEAN_MS} ms a question, start-up included", None, judged),
        (f"max RSS <= {BUDGET_RSS_MIB:.0f} MiB", None, judged),
        (f"10-entry overlay built <= {BUDGET_OVERLAY_MS} ms (median)", None, True),
    ]
    results = [
        checks[0][1],
        f["mean_ms"] <= BUDGET_MEAN_MS,
        f["max_rss_mib"] <= BUDGET_RSS_MIB,
        f["overlay10_p50_ms"] is not None and f["overlay10_p50_ms"] <= BUDGET_OVERLAY_MS,
    ]
    lines += ["", "budgets:"]
    failed = False
    for (name, _, is_judged), ok in zip(checks, results, strict=True):
        if not is_judged:
            lines.append(f"  {name}: not judged (needs {BUDGET_SERVERS:,} x {BUDGET_ENTRIES})")
            continue
        lines.append(f"  {name}: {_verdict(bool(ok))}")
        failed |= not ok
    return lines, not failed


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--servers", type=positive, default=DEFAULT_SERVERS)
    parser.add_argument("--entries", type=positive, default=DEFAULT_ENTRIES)
    parser.add_argument("--overlay-servers", type=positive, default=DEFAULT_OVERLAY_SERVERS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--data", type=Path, help="data dir to write (or reuse) the world in")
    parser.add_argument("--keep", action="store_true", help="keep the data dir afterwards")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget fails")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the child's mode
    return parser.parse_args(argv)


def _knowledge_hash(knowledge: Path) -> str:
    """What the world's entries were checked against: a changed FAQ may now own a phrasing."""
    digest = hashlib.sha256()
    for name in ("article.md", "faq.yaml"):
        digest.update((knowledge / name).read_bytes())
    return digest.hexdigest()[:16]


def _reusable(data: Path, args: argparse.Namespace) -> bool:
    try:
        world = json.loads((data / WORLD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    wanted = (
        args.servers,
        args.entries,
        args.overlay_servers,
        args.seed,
        _knowledge_hash(args.knowledge),
    )
    found = tuple(
        world.get(key) for key in ("servers", "entries", "overlay_servers", "seed", "knowledge")
    )
    return found == wanted


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve is not None:
        print(json.dumps(serve(args.knowledge, args.serve)))
        return 0
    data = args.data or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        w0 = time.perf_counter()
        if not _reusable(data, args):
            if data.exists() and any(data.iterdir()):
                shutil.rmtree(data / "guilds", ignore_errors=True)
            print(f"writing {args.servers:,} servers to {data} ...", file=sys.stderr)
            world = make_world(
                args.knowledge,
                data,
                args.servers,
                args.entries,
                args.overlay_servers,
                args.seed,
            )
            world["knowledge"] = _knowledge_hash(args.knowledge)
            (data / WORLD_FILE).write_text(json.dumps(world), encoding="utf-8")
        world_s = time.perf_counter() - w0
        print("serving it in a fresh process ...", file=sys.stderr)
        child = subprocess.run(
            [sys.executable, __file__, "--knowledge", str(args.knowledge), "--serve", str(data)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        if args.data is None and not args.keep:
            shutil.rmtree(data, ignore_errors=True)
    lines, passed = report(figures, world_s)
    print("\n".join(lines))
    if args.json:
        print(json.dumps(figures))
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
