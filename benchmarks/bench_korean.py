"""Benchmark of the Korean (model) path: latency, start-up, process time and memory.

Run it from the repository root (it is not part of the test suite)::

    .venv/bin/python benchmarks/bench_korean.py            # about a minute on 2 cores
    .venv/bin/python benchmarks/bench_korean.py --rounds 5 --runs 5

What is measured, on the real knowledge base (knowledge/):

- **model load**: building the encoder from the package's own files (no snapshot: the first
  start on a machine), and restoring it from the snapshot in the cache directory (every
  later start). Each in a fresh subprocess, so nothing is warm in this one.
- **KB vectors**: encoding every phrasing, answer and source of the knowledge base (an empty
  vector cache), and reading them back from the cache file.
- **per question, model path**: ``matcher.reply(q)`` for the Korean questions of
  tests/data/korean.yaml (on-topic and off-topic), ``--rounds`` times each, after a warm-up:
  p50 / p99 (nearest rank) / max, at one and at two BLAS threads. Beside it, in the same run:
  the lexical path (English questions of tests/data/dev.yaml, with no model) and the naive
  baseline ``rapidfuzz.process.extractOne(q, phrasings, scorer=fuzz.WRatio)`` on the same
  English questions; and the English questions of the tuning sets that reach the model (the
  policy's second opinion on a close race), with it, and their share.
- **odd input on the model path**: 50,000 characters of Korean, jamo only, emoji with Hangul,
  zero-width characters between syllables: the time of one reply each (max of three).
- **`faqbot ask` as a whole process**: wall time of ``faqbot ask "…"`` (start-up included)
  for a Korean question with an empty cache directory (the first run on a new machine), then
  for an English question, an English one that reaches the model, and a Korean question,
  ``--runs`` times each with warm caches (median and max); with the child's peak resident
  memory (``ru_maxrss`` from ``wait4``; measured before this process loads the model, as a
  child's figure starts from its parent's at the fork).
- **resident memory with the model loaded**: this process's peak RSS after the model is
  loaded, the knowledge base encoded and every question above answered.

Budgets (issue 7), printed PASS/FAIL: p99 <= 10 ms per question on the model path; ``faqbot
ask`` <= 1.5 s as a whole process (warm caches; the first start builds the caches once);
resident memory <= 300 MiB with the model loaded.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import yaml
from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.loader import load_knowledge  # noqa: E402
from bot.core.matcher import Matcher  # noqa: E402
from bot.core.matching.korean import has_hangul  # noqa: E402
from bot.core.matching.semantic import SemanticModel, UseEncoder  # noqa: E402
from bot.core.models import KnowledgeBase  # noqa: E402

# Where the English questions that reach the model are taken from (tuning sets only).
TUNING_SETS = ("dev", "tune_a", "tune_b", "tune_c", "tune_d", "tune_f")

BUDGET_MODEL_P99_MS = 10.0
BUDGET_PROCESS_S = 1.5
BUDGET_RSS_MIB = 300.0
FAQBOT = Path(sys.executable).with_name("faqbot")

_LOAD_SNIPPET = """
import sys, time
from pathlib import Path
t = time.perf_counter()
from bot.core.matching.semantic import UseEncoder
UseEncoder(Path(sys.argv[1]))
print(time.perf_counter() - t)
"""


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


def timed_ms(call: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - start) / 1e6


def latencies(call: Callable[[str], object], questions: Sequence[str], rounds: int) -> list[float]:
    for question in questions[:5]:
        call(question)  # warm-up, not counted
    return [timed_ms(lambda q=q: call(q)) for _ in range(rounds) for q in questions]


def line(name: str, values: Sequence[float]) -> str:
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    return (
        f"  {name:34} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   max {max(values):7.2f} ms"
        f"   (n={len(values)})"
    )


def subprocess_load(cache: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_SNIPPET, str(cache)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return float(out.stdout.strip().splitlines()[-1])


_FIRST_REPLY_SNIPPET = """
import sys, time
from pathlib import Path
from bot.core.loader import load_knowledge
from bot.core.matcher import Matcher
from bot.core.matching.semantic import SemanticModel
matcher = Matcher(load_knowledge(Path("knowledge")), semantic=SemanticModel(Path(sys.argv[1])))
t = time.perf_counter()
matcher.reply(sys.argv[2])
print(time.perf_counter() - t)
"""


def subprocess_first_reply(cache: Path, question: str) -> float:
    """Seconds a new process takes to answer its first Korean question (warm caches)."""
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_REPLY_SNIPPET, str(cache), question],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    return float(out.stdout.strip().splitlines()[-1])


def run_ask(question: str, cache: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `faqbot ask` process."""
    env = {**os.environ, "FAQ_CACHE_DIR": str(cache), "FAQ_KNOWLEDGE_DIR": str(ROOT / "knowledge")}
    start = time.perf_counter()
    child = subprocess.Popen(
        [str(FAQBOT), "ask", question],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"faqbot ask exited with {child.returncode}")
    return wall, usage.ru_maxrss / 1024


class _StandIn:
    """An encoder of zero vectors: whether a question reaches the model does not depend on
    what the model says, and this one loads nothing (the children's RSS stays theirs)."""

    model_id = "stand-in/0"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), 512), dtype=np.float32)


def reaching_the_model(kb: KnowledgeBase, questions: Sequence[str]) -> list[str]:
    """The questions whose reply asks the encoder (the policy's second opinion)."""
    model = SemanticModel(None, load=lambda directory: _StandIn())
    matcher = Matcher(kb, semantic=model)
    asked: list[str] = []
    encode_question = model.encode_question

    def counted(question: str) -> np.ndarray | None:
        asked.append(question)
        return encode_question(question)

    model.encode_question = counted  # type: ignore[method-assign]
    found = []
    for question in questions:
        before = len(asked)
        matcher.reply(question)
        if len(asked) > before:
            found.append(question)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the questions")
    parser.add_argument("--runs", type=int, default=5, help="faqbot ask processes per question")
    args = parser.parse_args(argv)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    kb = load_knowledge(ROOT / "knowledge")
    korean_set = yaml.safe_load((ROOT / "tests/data/korean.yaml").read_text(encoding="utf-8"))
    korean = [item["q"] for item in korean_set["korean"]] + list(korean_set["korean_off"])
    dev = yaml.safe_load((ROOT / "tests/data/dev.yaml").read_text(encoding="utf-8"))
    english = [item["q"] if isinstance(item, dict) else item for item in dev["on_topic"]]
    english += [q for q in dev.get("off_topic", []) if isinstance(q, str)]
    tuning: list[str] = []
    for name in TUNING_SETS:
        data = yaml.safe_load((ROOT / f"tests/data/{name}.yaml").read_text(encoding="utf-8"))
        for items in data.values():
            tuning += [i["q"] if isinstance(i, dict) else i for i in items if i]
    consulted = reaching_the_model(kb, [q for q in tuning if not has_hangul(q)])
    share = len(consulted) / sum(not has_hangul(q) for q in tuning)
    print(
        f"English questions of {', '.join(TUNING_SETS)} that reach the model: "
        f"{len(consulted)} ({share:.1%}, asked as /faq ask)"
    )
    failures: list[str] = []

    with tempfile.TemporaryDirectory(prefix="bench-korean-") as scratch:
        cache = Path(scratch) / "cache"
        print("\nmodel load (fresh subprocess each)")
        cold = subprocess_load(cache)
        print(f"  from the package (no snapshot)     {cold:6.2f} s   (first start; writes it)")
        warm = [subprocess_load(cache) for _ in range(3)]
        print(
            f"  from the snapshot                  {statistics.median(warm):6.2f} s   median of 3"
        )

        print(f"\n`faqbot ask` as a whole process ({args.runs} runs each)")
        fresh = Path(scratch) / "fresh"
        wall, peak = run_ask(korean[0], fresh)
        print(f"  Korean, empty cache dir (first run)  {wall:5.2f} s   peak RSS {peak:6.1f} MiB")
        asked = (("English", english[0]), ("English+", consulted[0]), ("Korean", korean[0]))
        for name, question in asked:
            runs = [run_ask(question, fresh) for _ in range(args.runs)]
            walls = [w for w, _ in runs]
            peak = max(r for _, r in runs)
            print(
                f"  {name:8} warm caches: median {statistics.median(walls):5.2f} s   "
                f"max {max(walls):5.2f} s   peak RSS {peak:6.1f} MiB"
            )
            if statistics.median(walls) > BUDGET_PROCESS_S:
                failures.append(f"faqbot ask ({name}) {statistics.median(walls):.2f} s")
            if peak > BUDGET_RSS_MIB:
                failures.append(f"faqbot ask ({name}) RSS {peak:.1f} MiB")

        model = SemanticModel(cache)
        matcher = Matcher(kb, semantic=model)
        vector_file = cache / "vectors.npz"
        texts = sum(len(e.phrasings) + 2 for e in kb.entries)
        start = time.perf_counter()
        matcher.reply(korean[0])
        encode_s = time.perf_counter() - start
        print(f"\nKB vectors ({texts} texts)")
        print(f"  first Korean question: load + encode KB   {encode_s:6.2f} s")
        reread = subprocess_first_reply(cache, korean[0])
        print(f"  next process: load + read cached vectors  {reread:6.2f} s")
        print(f"  cache file                         {vector_file.stat().st_size / 2**20:6.2f} MiB")

        print("\nper question, real knowledge base")
        encoder = model.encoder()
        assert isinstance(encoder, UseEncoder)
        model_ms: dict[int, list[float]] = {}
        for threads in (1, 2):
            encoder.set_threads(threads)
            model_ms[threads] = latencies(matcher.reply, korean, args.rounds)
            print(line(f"model path, {threads} BLAS thread(s)", model_ms[threads]))
        encoder.set_threads(1)
        lexical = latencies(Matcher(kb).reply, english, args.rounds)
        print(line("lexical path (English)", lexical))
        opinion_ms = latencies(matcher.reply, consulted, args.rounds)
        print(line("English, second opinion", opinion_ms))
        phrasings = [p for e in kb.entries for p in e.phrasings]

        def baseline(question: str) -> object:
            return process.extractOne(
                question, phrasings, scorer=fuzz.WRatio, processor=utils.default_process
            )

        print(line("baseline extractOne(WRatio)", latencies(baseline, english, args.rounds)))
        for name, values in (("model path", model_ms[1]), ("second opinion", opinion_ms)):
            p99 = percentile(values, 0.99)
            if p99 > BUDGET_MODEL_P99_MS:
                failures.append(f"{name} p99 {p99:.2f} ms > {BUDGET_MODEL_P99_MS} ms")

        print("\nodd input on the model path (max of 3)")
        odd = {
            "50,000 chars of Korean": "동맹은 왜 중요해? " * 5_000,
            "jamo only": "ㅋㅋㅋㅎㅎㅠㅠ" * 10,
            "emoji with Hangul": "🙂🔥 핵 🚀🇰🇷 동맹?",
            "zero-width between syllables": "\u200b".join("핵협의그룹이뭐야"),
        }
        for name, text in odd.items():
            worst = max(timed_ms(lambda t=text: matcher.reply(t)) for _ in range(3))
            print(f"  {name:34} {worst:7.2f} ms")
            if worst > BUDGET_MODEL_P99_MS:
                failures.append(f"{name}: {worst:.2f} ms > {BUDGET_MODEL_P99_MS} ms")

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nresident memory, model loaded (this process, peak)   {rss:6.1f} MiB")
        if rss > BUDGET_RSS_MIB:
            failures.append(f"RSS {rss:.1f} MiB > {BUDGET_RSS_MIB} MiB")

    print()
    for failure in failures:
        print(f"FAIL {failure}")
    if not failures:
        print(
            f"PASS model p99 <= {BUDGET_MODEL_P99_MS} ms, faqbot ask <= {BUDGET_PROCESS_S} s, "
            f"RSS <= {BUDGET_RSS_MIB} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
