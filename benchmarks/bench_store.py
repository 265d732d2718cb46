"""PostgreSQL store benchmark: how soon an edit serves in another process; concurrent adds.

Run it from the repository root (not part of the test suite; it starts a throwaway PostgreSQL
like the tests do, or uses --url)::

    .venv/bin/python benchmarks/bench_store.py
    .venv/bin/python benchmarks/bench_store.py --edits 300 --url postgresql://...

What is measured:

- **edit visible**: a writer process edits one entry of a server N times (one edit every
  --gap seconds). This process runs a Library over the same database and listens
  (LISTEN/NOTIFY). For each edit, the latency runs from just *before* the writer's
  `edit_entry` call (so it includes the write itself) to the moment this process's Library
  serves that version or a later one. Wall clocks of the two processes are the same machine's.
  Budget: p99 <= 1 s.
- **concurrent adds**: 4 processes add 25 entries each to one server at once (ids picked
  under the database's row lock). Reported: entries stored, distinct ids, audit records,
  wall time, and per-add latency p50/p99. Budget: nothing lost.
- The same adds on the embedded store (files + lock), for comparison.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bot.core.library import Library  # noqa: E402
from bot.core.loader import load_knowledge  # noqa: E402
from bot.core.models import Entry  # noqa: E402
from bot.core.store import GuildChange, open_store  # noqa: E402

GUILD = 424242424242424242
WORKER = ROOT / "tests" / "store_worker.py"
KNOWLEDGE = ROOT / "knowledge"

_EDITOR = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from bot.core.loader import load_knowledge
from bot.core.models import Entry
from bot.core.store import open_store
store = open_store(load_knowledge(Path({knowledge!r})), data_dir=Path('.'),
                   database_url={url!r}, listen=False)
for n in range({edits}):
    entry = Entry(id='shelters', question='Who funds the shelter program in the capital?',
                  answer=f'Moderators: version {{n}}.')
    started = time.time()
    store.edit_entry({guild}, entry, 1)
    print(n, started, flush=True)
    time.sleep({gap})
store.close()
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def bench_edit_visibility(url: str, edits: int, gap: float) -> dict[str, float]:
    """Edits in another process until served here; latency figures in seconds."""
    base = load_knowledge(KNOWLEDGE)
    seed = open_store(base, data_dir=Path("."), database_url=url, listen=False)
    seed.add_entry(
        GUILD,
        Entry(
            id="shelters",
            question="Who funds the shelter program in the capital?",
            answer="Moderators: version start.",
        ),
        1,
    )
    seed.close()
    library = Library(
        KNOWLEDGE,
        Path("."),
        store=lambda b: open_store(b, data_dir=Path("."), database_url=url),
    )
    seen: dict[int, float] = {}
    lock = threading.Lock()

    def on_change(change: GuildChange) -> None:
        # Called after the Library's own listener: what it serves now is visible.
        if change.guild_id != GUILD:
            return
        answer = library.knowledge_for(GUILD).by_id["shelters"].answer
        if answer.startswith("Moderators: version ") and answer[20:-1].isdigit():
            with lock:
                seen.setdefault(int(answer[20:-1]), time.time())

    library.knowledge_for(GUILD)  # first need: the server's entries are read now
    library.store.subscribe(on_change)
    editor = subprocess.run(
        [
            sys.executable,
            "-c",
            _EDITOR.format(
                root=str(ROOT),
                knowledge=str(KNOWLEDGE),
                url=url,
                edits=edits,
                gap=gap,
                guild=GUILD,
            ),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    time.sleep(1.5)  # the last notifications
    library.store.close()
    started = {int(n): float(t) for n, t in (line.split() for line in editor.stdout.splitlines())}
    latencies = []
    missing = 0
    for n, t0 in started.items():
        # An edit is visible once its version, or a later one, is served.
        later = [seen[m] for m in seen if m >= n]
        if not later:
            missing += 1
            continue
        latencies.append(min(later) - t0)
    return {
        "edits": len(started),
        "never visible": missing,
        "p50 ms": 1000 * statistics.median(latencies),
        "p99 ms": 1000 * _percentile(latencies, 0.99),
        "max ms": 1000 * max(latencies),
    }


def bench_concurrent_adds(location: list[str], read_back: dict[str, object]) -> dict[str, float]:
    """4 processes x 25 adds to one server; what was stored and how long it took."""
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                str(KNOWLEDGE),
                *location,
                "--guild",
                str(GUILD + 1),
                "--worker",
                str(w),
                "--count",
                "25",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    ids: list[str] = []
    add_times: list[float] = []
    for worker in workers:
        out, _ = worker.communicate(timeout=600)
        for line in out.splitlines():
            entry_id, seconds = line.split()
            ids.append(entry_id)
            add_times.append(float(seconds))
    wall = time.perf_counter() - started
    store = open_store(load_knowledge(KNOWLEDGE), listen=False, **read_back)  # type: ignore[arg-type]
    stored = [e.id for e in store.read_entries(GUILD + 1).entries]
    audit = [r for r in store.audit_log(GUILD + 1, limit=1000) if r.action == "add"]
    store.close()
    return {
        "adds reported": len(ids),
        "stored": len(stored),
        "distinct ids": len(set(stored)),
        "audit records": len(audit),
        "lost": len(set(ids) - set(stored)),
        "wall s": wall,
        "add p50 ms": 1000 * statistics.median(add_times),
        "add p99 ms": 1000 * _percentile(add_times, 0.99),
    }


def _print(title: str, figures: dict[str, float]) -> None:
    print(title)
    for name, value in figures.items():
        shown = f"{value:.1f}" if isinstance(value, float) else str(value)
        print(f"  {name:<16} {shown}")


def main() -> int:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an existing database (default: a throwaway server)")
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between edits")
    args = parser.parse_args()
    server = None
    url = args.url
    if url is None:
        from pg_server import TempPostgres

        server = TempPostgres().start()
        url = server.create_database("bench")
    try:
        _print(
            f"edit visible in another process (PostgreSQL, {args.edits} edits, "
            f"{args.gap * 1000:.0f} ms apart):",
            bench_edit_visibility(url, args.edits, args.gap),
        )
        _print(
            "4 processes x 25 concurrent adds (PostgreSQL):",
            bench_concurrent_adds(["--url", url], {"data_dir": Path("."), "database_url": url}),
        )
        data = Path(tempfile.mkdtemp(prefix="faqbot-bench-"))
        try:
            _print(
                "4 processes x 25 concurrent adds (embedded files):",
                bench_concurrent_adds(["--data", str(data)], {"data_dir": data}),
            )
        finally:
            shutil.rmtree(data, ignore_errors=True)
    finally:
        if server is not None:
            server.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
