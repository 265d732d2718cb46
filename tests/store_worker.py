"""A writer process for the store tests and benchmark: add entries to one server, print ids.

    python tests/store_worker.py KNOWLEDGE_DIR (--data DIR | --url URL) --guild ID --worker N
        [--count N | --forever] [--actor ID]

Each entry gets a question no other worker uses and an id picked under the store's lock.
One line per saved entry: "<id> <seconds the add took>".
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.loader import load_knowledge  # noqa: E402
from bot.core.models import Entry  # noqa: E402
from bot.core.store import open_store  # noqa: E402


def main() -> int:
    """Add entries until the count is reached (or forever); exit 0."""
    parser = argparse.ArgumentParser()
    parser.add_argument("knowledge")
    parser.add_argument("--data")
    parser.add_argument("--url")
    parser.add_argument("--guild", type=int, required=True)
    parser.add_argument("--worker", type=int, required=True)
    parser.add_argument("--count", type=int, default=25)
    parser.add_argument("--forever", action="store_true")
    parser.add_argument("--actor", type=int, default=4242)
    args = parser.parse_args()
    base = load_knowledge(Path(args.knowledge))
    store = open_store(base, data_dir=Path(args.data or "."), database_url=args.url, listen=False)
    numbers = itertools.count() if args.forever else range(args.count)
    try:
        for number in numbers:
            entry = Entry(
                id="placeholder",
                question=f"What did writer {args.worker} note as item {number} for the shelters?",
                answer=f"Moderators: writer {args.worker} noted item {number}.",
            )
            started = time.perf_counter()
            saved = store.add_entry(args.guild, entry, args.actor, pick_id=True)
            print(saved.id, f"{time.perf_counter() - started:.4f}", flush=True)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
