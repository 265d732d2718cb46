"""Dump the matcher's decision for every question of the evaluation sets, one JSON line each.

For speed work that must not change behaviour: dump before, change, dump after, and diff::

    .venv/bin/python tools/decisions.py > /tmp/before.jsonl
    ... change the matcher ...
    .venv/bin/python tools/decisions.py > /tmp/after.jsonl
    diff /tmp/before.jsonl /tmp/after.jsonl && echo same

Every question is asked in lookup and in chat, and the whole reply is written (answered,
entry, score, reason, suggestions, sources), with the ranked entries' confidences (rounded to
1e-9) beside it. The files are read mechanically, never looked at: tests/data/heldout.yaml
is never read, and the blind validation sets' items are only written to the dump.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.evaluation import load_eval_set  # noqa: E402
from bot.core.loader import load_knowledge  # noqa: E402
from bot.core.matcher import Matcher  # noqa: E402
from bot.core.matching.semantic import SemanticModel  # noqa: E402

# Sets that are never read, not even by this tool.
NEVER = frozenset({"heldout.yaml"})


def main(argv: list[str] | None = None) -> int:
    """Write one JSON line per question and mode to stdout."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cache", type=Path, help="model cache directory (default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="decisions-") as scratch:
        cache = args.cache or Path(scratch)
        matcher = Matcher(load_knowledge(ROOT / "knowledge"), semantic=SemanticModel(cache))
        for path in sorted((ROOT / "tests/data").glob("*.yaml")):
            if path.name in NEVER:
                continue
            for number, case in enumerate(load_eval_set(path).cases):
                entries, sentences = matcher.rank(case.question)
                ranked = [[c.index, round(c.confidence, 9)] for c in entries[:5]]
                ranked += [[-1 - c.index, round(c.confidence, 9)] for c in sentences[:3]]
                for chat in (False, True):
                    reply = matcher.reply(case.question, chat=chat)
                    line = {
                        "set": path.stem,
                        "n": number,
                        "chat": chat,
                        "reply": reply.to_json_dict(),
                        "ranked": ranked,
                    }
                    print(json.dumps(line, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
