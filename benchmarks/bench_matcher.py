"""Matcher benchmark: latency, build time and memory against a naive rapidfuzz baseline.

Run it from the repository root (it is not part of the test suite)::

    make bench                                   # the same as the next line
    .venv/bin/python benchmarks/bench_matcher.py
    .venv/bin/python benchmarks/bench_matcher.py --sizes 1000,10000 --queries 200
    .venv/bin/python benchmarks/bench_matcher.py --quick    # real KB and 1k, 100 queries

The default run (real knowledge base, then synthetic bases of 1k, 10k and 100k entries) takes
a few minutes on 2 cores. Progress goes to stderr, the report to stdout.

What is measured, for every knowledge base:

- **build**: wall time of ``Matcher(kb)``, the whole index build. For the baseline, the time
  to build its flat list of every entry's question and alternates.
- **p50 / p99**: per-question latency of ``matcher.reply(q)`` (``time.perf_counter_ns``
  around the call, after a short warm-up that is not counted), over a fixed, seeded mix of
  questions; nearest-rank percentiles (with 30 questions, p99 is the maximum). The baseline
  is ``rapidfuzz.process.extractOne(q, all_phrasings, scorer=fuzz.WRatio,
  processor=utils.default_process)`` on the same questions. Above 10k entries the baseline
  takes most of a second a question, so it runs on the first ``--baseline-queries`` (30) of
  them only; its speed-up is then computed against the matcher's latencies on that same
  subset.
- **speed-up**: baseline latency / matcher latency, for p50 and for p99.
- **traced peak**: ``tracemalloc`` peak of a second, traced run of the build and the
  questions: the most memory Python (and numpy) held at once. Tracing slows allocation
  several-fold, so this pass is separate from the timed one, and it is skipped for a base
  whose timed build took longer than 8 s unless ``--full-memory`` is given.
- **RSS peak +**: growth of the process's peak resident set during the timed run: the peak
  is reset through ``/proc/self/clear_refs`` before the run (Linux), and the figure is
  ``getrusage(RUSAGE_SELF).ru_maxrss`` after it minus the resident set before it. It counts
  every allocation, C included. Where the reset is not available it is the growth of
  ``ru_maxrss`` only, a lower bound, marked ">=".

The synthetic bases are generated from the article's vocabulary (the words of
knowledge/article.md's paragraphs), deterministically: six phrasings an entry (a question and
five alternates) built from four topic words, a generated answer sentence, one source whose
quote is a run of whole words of a random paragraph (so it is verbatim), and one or two tags.
They use the real article and synonyms, and keep the shipped FAQ entries: a base of N entries
is the shipped entries plus N minus that many synthetic ones.

The questions are a fixed mix: shipped FAQ phrasings, mutated deterministically (lowercased
and unpunctuated, one typo, one word dropped, or keywords only), off-topic questions, and, on
the synthetic bases, mutated phrasings of synthetic entries.

The "bad input" section feeds the real knowledge base's matcher the inputs of issue 3 (empty,
whitespace only, 50,000 characters, binary-looking text, emoji only, mentions only, mixed
scripts), in slash and chat mode: every one must get a reply, never an exception, and a
50,000-character input must take at most 10 ms (the maximum of the runs is judged).

Targets (PASS/FAIL at the end): p99 <= 1 ms on the real knowledge base; at 100k entries p99
<= 25 ms, at least 10x faster than the baseline (p99) and a build <= 5 s; 50,000-character
inputs <= 10 ms. ``--strict`` makes a FAIL the exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import platform
import random
import re
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.loader import load_knowledge  # noqa: E402
from bot.core.matcher import Matcher  # noqa: E402
from bot.core.models import Entry, KnowledgeBase, Source  # noqa: E402

SEED = 20230426
DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_QUERIES = 500
WARMUP = 20
# Above this many entries the baseline runs on a subset of the questions only.
BASELINE_FULL_LIMIT = 10_000
DEFAULT_BASELINE_QUERIES = 30
# The traced (tracemalloc) pass is skipped when the timed build took longer than this.
TRACE_BUILD_LIMIT_S = 8.0
BAD_INPUT_RUNS = 20
BASELINE_BAD_INPUT_RUNS = 5
LONG_INPUT_CHARS = 50_000

TARGET_REAL_P99_MS = 1.0
TARGET_LARGE_SIZE = 100_000
TARGET_LARGE_P99_MS = 25.0
TARGET_LARGE_SPEEDUP = 10.0
TARGET_LARGE_BUILD_S = 5.0
TARGET_LONG_INPUT_MS = 10.0


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words left out of the synthetic vocabulary and of keyword-only questions.
STOPWORDS = _words(
    """
    a about after again against all also an and any are as at be because been before being
    between both but by can could did do does doing down during each even every few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just like made make many more most much must my no nor not now of off on once only or
    other our out over own same she should so some such than that the their them then there
    these they this those through to too under until up upon very was we were what when
    where which while who whom why will with would year years you your
    """
)

TAGS = (
    "alliance",
    "deterrence",
    "nuclear",
    "diplomacy",
    "military",
    "history",
    "region",
    "policy",
)

# Ten shapes of question; each synthetic entry uses six of them (question + 5 alternates).
TEMPLATES = (
    "What does the article say about {a} and {b}?",
    "How is {a} related to {b} {c}?",
    "Why does {c} matter for {a} {b}?",
    "{a} {b} {c}",
    "Can you explain {b} {a} and {d}?",
    "Is {a} part of the {c} {d}?",
    "what's the deal with {a} {d}",
    "Who is behind the {b} {c}?",
    "When did {a} {b} start?",
    "{d} and {a}: what changed?",
)

OFF_TOPIC = (
    "How do I make bibimbap?",
    "what's the best gaming mouse under 50 bucks",
    "who won the world cup in 2018",
    "how do i reset my discord password",
    "is python faster than rust?",
    "can someone recommend a good anime",
    "how tall is mount everest",
    "can you help me with my calculus homework",
    "whats the weather tomorrow",
    "best pizza toppings?",
    "how do I center a div",
    "when does the next iphone come out",
    "how many calories are in a banana",
    "why is the sky blue",
    "what's a good name for a cat",
    "how do i get better at chess",
    "who painted the mona lisa",
    "how do I bake sourdough bread?",
    "explain quantum computing simply",
    "how do i install linux on an old laptop",
    "anyone playing valorant tonight?",
    "what's the price of bitcoin today",
    "how do you say thank you in japanese",
    "which football team should i support",
    "how long should i boil an egg",
    "what's the plot of inception",
    "how do I fix a flat bike tire",
    "recommend a podcast about cooking",
)

# Mutations applied to FAQ phrasings, with their weights in the mix.
MUTATIONS = (
    ("verbatim", 1),
    ("lower", 2),
    ("typo", 3),
    ("drop", 2),
    ("keywords", 2),
    ("keywords+typo", 1),
)

# Code point ranges for random Unicode input: scripts, marks, controls, emoji, private use.
UNICODE_RANGES = (
    (0x0000, 0x001F),
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x0300, 0x036F),
    (0x0370, 0x04FF),
    (0x0590, 0x06FF),
    (0x0900, 0x097F),
    (0x200B, 0x200F),
    (0x3040, 0x30FF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xE000, 0xF8FF),
    (0xFE00, 0xFE0F),
    (0x1F300, 0x1FAFF),
    (0x10000, 0x10FFFF),
)

_WORD = re.compile(r"[\w'’-]+")
_LETTERS = re.compile(r"[A-Za-z]+")


# ---------------------------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class Latency:
    """Nearest-rank percentiles of a list of durations, in milliseconds."""

    n: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, durations_ns: Sequence[int]) -> Latency:
        ordered = sorted(durations_ns)
        if not ordered:
            return cls(0, math.nan, math.nan, math.nan)

        def rank(p: float) -> float:
            return ordered[max(0, math.ceil(p * len(ordered)) - 1)] / 1e6

        return cls(len(ordered), rank(0.50), rank(0.99), ordered[-1] / 1e6)


@dataclass(frozen=True, slots=True)
class Memory:
    traced_peak: int | None  # bytes; None when the traced pass was skipped
    rss_growth: int | None  # bytes; None when no RSS figure is available
    rss_exact: bool  # False: the peak could not be reset, the figure is a lower bound


@dataclass(frozen=True, slots=True)
class Run:
    """One implementation on one knowledge base."""

    build_s: float
    latencies_ns: tuple[int, ...]
    memory: Memory
    answered: int = 0

    def latency(self, indices: Sequence[int] | None = None) -> Latency:
        if indices is None:
            return Latency.of(self.latencies_ns)
        return Latency.of([self.latencies_ns[i] for i in indices])


@dataclass(frozen=True, slots=True)
class BaseResult:
    label: str
    size: int | None  # None for the real knowledge base
    entries: int
    phrasings: int
    queries: int
    matcher: Run
    baseline: Run
    baseline_indices: tuple[int, ...]  # which questions the baseline ran on
    trace_note: str = ""


@dataclass(frozen=True, slots=True)
class BadInputResult:
    label: str
    chars: int
    matcher: Latency
    outcome: str
    errors: tuple[str, ...]
    baseline: Latency | None
    timed_target: bool  # judged against the 10 ms target


@dataclass(slots=True)
class Verdicts:
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, name: str, measured: str, ok: bool | None) -> None:
        status = "not run" if ok is None else ("PASS" if ok else "FAIL")
        self.rows.append((name, measured, status))

    @property
    def failed(self) -> bool:
        return any(status == "FAIL" for _, _, status in self.rows)


# ------------------------------------------------------------------------------- memory


class RssProbe:
    """Growth of the peak resident set over a stretch of code (Linux; a bound elsewhere)."""

    def __init__(self) -> None:
        self._start = 0
        self._exact = False

    def start(self) -> None:
        self._exact = _reset_peak_rss()
        current = _current_rss()
        if self._exact and current is not None:
            self._start = current
        else:
            self._exact = False
            self._start = _max_rss()

    def stop(self) -> tuple[int, bool]:
        return max(0, _max_rss() - self._start), self._exact


def _max_rss() -> int:
    """The process's peak resident set in bytes (ru_maxrss is in KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _current_rss() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


# ----------------------------------------------------------------------- synthetic bases


def article_vocabulary(kb: KnowledgeBase) -> list[str]:
    """Content words of the article's paragraphs, lowercased and sorted."""
    words = {
        w.lower() for p in kb.article.paragraphs for w in _LETTERS.findall(p.text) if len(w) >= 4
    }
    return sorted(words - STOPWORDS)


def article_words(kb: KnowledgeBase) -> list[str]:
    """Every word of the article's paragraphs in order, for filler sentences."""
    return [w.lower() for p in kb.article.paragraphs for w in _LETTERS.findall(p.text)]


def verbatim_quote(rng: random.Random, kb: KnowledgeBase) -> Source:
    """A run of whole words of a random paragraph, at least 20 characters: verbatim."""
    paragraph = rng.choice(kb.article.paragraphs)
    words = paragraph.text.split(" ")  # the loader joins a paragraph's words with one space
    length = rng.randint(5, 16)
    start = rng.randrange(max(1, len(words) - length + 1))
    end = min(len(words), start + length)
    quote = " ".join(words[start:end])
    while len(quote) < 20 and (start > 0 or end < len(words)):
        start, end = (start - 1, end) if end == len(words) else (start, end + 1)
        quote = " ".join(words[start:end])
    return Source(paragraph=paragraph.number, quote=quote)


def synthetic_entries(kb: KnowledgeBase, count: int, seed: int) -> tuple[Entry, ...]:
    """`count` generated entries; a shorter run with the same seed is a prefix of a longer."""
    rng = random.Random(seed)
    vocabulary = article_vocabulary(kb)
    filler = article_words(kb)
    entries: list[Entry] = []
    for index in range(count):
        a, b, c, d = rng.sample(vocabulary, 4)
        shapes = rng.sample(TEMPLATES, 6)
        phrasings = [s.format(a=a, b=b, c=c, d=d) for s in shapes]
        phrasings[0] = phrasings[0][0].upper() + phrasings[0][1:]
        sentence = " ".join(rng.choices(filler, k=rng.randint(8, 20)))
        entries.append(
            Entry(
                id=f"synthetic-{index:06d}",
                question=phrasings[0],
                alternates=tuple(phrasings[1:]),
                answer=f"On {a} and {b}, the article says: {sentence}.",
                sources=(verbatim_quote(rng, kb),),
                tags=tuple(rng.sample(TAGS, rng.randint(1, 2))),
            )
        )
    return tuple(entries)


# ---------------------------------------------------------------------------- questions


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # swap two neighbours
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # drop a letter
        return word[:i] + word[i + 1 :]
    if kind == 2:  # double a letter
        return word[: i + 1] + word[i] + word[i + 1 :]
    return word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1 :]


def mutate(text: str, mode: str, rng: random.Random) -> str:
    """A phrasing as people type it: lowercased, misspelt, shortened or keywords only."""
    if mode == "verbatim":
        return text
    words = [w.strip("'’-") for w in _WORD.findall(text.lower())]
    words = [w for w in words if w]
    if mode.startswith("keywords"):
        keys = [w for w in words if w not in STOPWORDS and len(w) >= 3]
        if keys:
            words = (
                keys
                if len(keys) <= 3
                else [keys[i] for i in sorted(rng.sample(range(len(keys)), 3))]
            )
    if mode == "drop" and len(words) > 2:
        del words[rng.randrange(len(words))]
    if mode.endswith("typo"):
        long = [i for i, w in enumerate(words) if len(w) >= 4]
        if long:
            i = rng.choice(long)
            words[i] = _typo(words[i], rng)
    return " ".join(words) or text


def question_mix(
    shipped: Sequence[Entry], synthetic: Sequence[Entry], count: int, seed: int
) -> list[str]:
    """A fixed, shuffled mix: mutated FAQ phrasings, off-topic, mutated synthetic phrasings."""
    rng = random.Random(seed)
    modes = [m for m, _ in MUTATIONS]
    weights = [w for _, w in MUTATIONS]
    if synthetic:
        shares = {"shipped": 0.40, "off_topic": 0.15, "synthetic": 0.45}
    else:
        shares = {"shipped": 0.80, "off_topic": 0.20, "synthetic": 0.0}
    n_off = round(count * shares["off_topic"])
    n_syn = round(count * shares["synthetic"])
    n_shipped = count - n_off - n_syn
    questions: list[str] = []
    for _ in range(n_shipped):
        phrasing = rng.choice(rng.choice(shipped).phrasings)
        questions.append(mutate(phrasing, rng.choices(modes, weights)[0], rng))
    for _ in range(n_off):
        off = rng.choice(OFF_TOPIC)
        questions.append(mutate(off, rng.choice(("verbatim", "lower", "typo")), rng))
    for _ in range(n_syn):
        phrasing = rng.choice(rng.choice(synthetic).phrasings)
        questions.append(mutate(phrasing, rng.choices(modes, weights)[0], rng))
    rng.shuffle(questions)
    return questions


def random_unicode(rng: random.Random, length: int) -> str:
    chars: list[str] = []
    while len(chars) < length:
        low, high = rng.choice(UNICODE_RANGES)
        point = rng.randint(low, high)
        if not 0xD800 <= point <= 0xDFFF:
            chars.append(chr(point))
    return "".join(chars)


# -------------------------------------------------------------------------- measurement


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_matcher(kb: KnowledgeBase, warmup: Sequence[str], questions: Sequence[str]) -> Run:
    """Timed pass: build, warm-up, then each question timed; RSS peak growth over all of it."""
    gc.collect()
    rss = RssProbe()
    rss.start()
    started = time.perf_counter_ns()
    matcher = Matcher(kb)
    build_s = (time.perf_counter_ns() - started) / 1e9
    for question in warmup:
        matcher.reply(question)
    latencies: list[int] = []
    answered = 0
    for question in questions:
        t0 = time.perf_counter_ns()
        reply = matcher.reply(question)
        latencies.append(time.perf_counter_ns() - t0)
        answered += reply.answered
    rss_growth, exact = rss.stop()
    del matcher
    gc.collect()
    return Run(build_s, tuple(latencies), Memory(None, rss_growth, exact), answered)


def traced_matcher_peak(kb: KnowledgeBase, warmup: Sequence[str], questions: Sequence[str]) -> int:
    """tracemalloc peak of a build and all the questions (slow: a separate pass)."""
    gc.collect()
    tracemalloc.start()
    try:
        matcher = Matcher(kb)
        for question in (*warmup, *questions):
            matcher.reply(question)
        peak = tracemalloc.get_traced_memory()[1]
        del matcher
    finally:
        tracemalloc.stop()
    gc.collect()
    return peak


def _baseline_list(kb: KnowledgeBase) -> list[str]:
    return [p for entry in kb.entries for p in entry.phrasings]


def _baseline_query(question: str, choices: list[str]) -> object:
    return process.extractOne(
        question, choices, scorer=fuzz.WRatio, processor=utils.default_process
    )


def run_baseline(kb: KnowledgeBase, warmup: Sequence[str], questions: Sequence[str]) -> Run:
    """The naive baseline: a flat list of phrasings and extractOne(WRatio) over all of it."""
    gc.collect()
    rss = RssProbe()
    rss.start()
    started = time.perf_counter_ns()
    choices = _baseline_list(kb)
    build_s = (time.perf_counter_ns() - started) / 1e9
    for question in warmup:
        _baseline_query(question, choices)
    latencies: list[int] = []
    for question in questions:
        t0 = time.perf_counter_ns()
        _baseline_query(question, choices)
        latencies.append(time.perf_counter_ns() - t0)
    rss_growth, exact = rss.stop()
    del choices
    gc.collect()
    # The traced pass is cheap: the list, and a few questions (rapidfuzz works in C++).
    tracemalloc.start()
    try:
        choices = _baseline_list(kb)
        for question in questions[:3]:
            _baseline_query(question, choices)
        traced = tracemalloc.get_traced_memory()[1]
        del choices
    finally:
        tracemalloc.stop()
    return Run(build_s, tuple(latencies), Memory(traced, rss_growth, exact))


def bench_base(
    label: str,
    size: int | None,
    kb: KnowledgeBase,
    synthetic: Sequence[Entry],
    shipped: Sequence[Entry],
    args: argparse.Namespace,
) -> BaseResult:
    seed = args.seed + (size or 0)
    questions = question_mix(shipped, synthetic, args.queries, seed)
    warmup = question_mix(shipped, synthetic, WARMUP, seed + 1)
    entries = len(kb.entries)
    phrasings = sum(len(e.phrasings) for e in kb.entries)

    _progress(f"{label}: matcher, {entries:,} entries, {len(questions)} questions")
    # Time first; trace afterwards, and only when the build time says it is affordable.
    probe = run_matcher(kb, warmup, questions)
    traced: int | None = None
    trace_note = ""
    if args.full_memory or probe.build_s <= TRACE_BUILD_LIMIT_S:
        _progress(f"{label}: matcher, traced pass for memory")
        traced = traced_matcher_peak(kb, warmup, questions)
    else:
        trace_note = (
            f"traced pass skipped: the build took {probe.build_s:.1f} s "
            f"(> {TRACE_BUILD_LIMIT_S:g} s) and tracing is several times slower; "
            "--full-memory forces it"
        )
    matcher_run = Run(
        probe.build_s,
        probe.latencies_ns,
        Memory(traced, probe.memory.rss_growth, probe.memory.rss_exact),
        probe.answered,
    )

    limit = len(questions)
    if entries > BASELINE_FULL_LIMIT:
        limit = min(limit, args.baseline_queries)
    indices = tuple(range(limit))
    _progress(f"{label}: baseline, {limit} questions")
    baseline_warmup = warmup[: 3 if entries > BASELINE_FULL_LIMIT else WARMUP]
    baseline_run = run_baseline(kb, baseline_warmup, [questions[i] for i in indices])
    return BaseResult(
        label,
        size,
        entries,
        phrasings,
        len(questions),
        matcher_run,
        baseline_run,
        indices,
        trace_note,
    )


@dataclass(frozen=True, slots=True)
class BadInput:
    label: str
    make: Callable[[int], str]  # run number -> input
    timed_target: bool = False


def bad_inputs(seed: int) -> list[BadInput]:
    rng = random.Random(seed)
    unicode_inputs = [random_unicode(rng, LONG_INPUT_CHARS) for _ in range(BAD_INPUT_RUNS)]
    binary = rng.randbytes(4096).decode("latin-1")
    ncg = "what is the ncg " * 3125
    return [
        BadInput("empty", lambda _: ""),
        BadInput("whitespace only", lambda _: " \t\n\u3000\u00a0 " * 50),
        BadInput('"what is the ncg " x 3125', lambda _: ncg, timed_target=True),
        BadInput(
            "random Unicode (new each run)",
            lambda run: unicode_inputs[run % len(unicode_inputs)],
            timed_target=True,
        ),
        BadInput("binary-looking (latin-1 bytes)", lambda _: binary),
        BadInput("emoji only", lambda _: "🔥😂👍🏽🇰🇷🇺🇸❤️‍🔥🤔 " * 40),
        BadInput(
            "mentions only",
            lambda _: (
                "<@123456789012345678> <@!98765432101234567> <@&1122334455667788> "
                "<#99887766554433221> @everyone @here"
            ),
        ),
        BadInput(
            "mixed scripts",
            lambda _: "ncg가 뭐야? что такое NCG 核协商小组 ΝΑΤΟ deterrence محادثات نووية?",
        ),
    ]


def bench_bad_inputs(kb: KnowledgeBase, runs: int, seed: int) -> list[BadInputResult]:
    matcher = Matcher(kb)
    choices = _baseline_list(kb)
    for question in ("what is the ncg", "hello"):
        matcher.reply(question)
    results: list[BadInputResult] = []
    for case in bad_inputs(seed):
        _progress(f"bad input: {case.label}")
        durations: list[int] = []
        errors: list[str] = []
        slash: set[str] = set()
        chat_mode: set[str] = set()
        for run in range(runs):
            text = case.make(run)
            t0 = time.perf_counter_ns()
            try:
                reply = matcher.reply(text)
            except Exception as exc:
                durations.append(time.perf_counter_ns() - t0)
                errors.append(f"reply: {type(exc).__name__}: {exc}")
                continue
            durations.append(time.perf_counter_ns() - t0)
            slash.add(
                f"answered ({reply.kind})"
                if reply.answered
                else ("suggested" if reply.suggestions else "declined")
            )
            try:
                chat = matcher.reply(text, chat=True)
                chat_mode.add("answered" if chat.answered else "silent")
            except Exception as exc:
                errors.append(f"reply(chat=True): {type(exc).__name__}: {exc}")
        base: list[int] = []
        for run in range(min(runs, BASELINE_BAD_INPUT_RUNS)):
            text = case.make(run)
            t0 = time.perf_counter_ns()
            # The baseline's own failures are not this project's concern.
            with contextlib.suppress(Exception):
                _baseline_query(text, choices)
            base.append(time.perf_counter_ns() - t0)
        text = case.make(0)
        results.append(
            BadInputResult(
                case.label,
                len(text),
                Latency.of(durations),
                f"{'/'.join(sorted(slash)) or '-'}; chat: {'/'.join(sorted(chat_mode)) or '-'}",
                tuple(dict.fromkeys(errors)),
                Latency.of(base) if base else None,
                case.timed_target,
            )
        )
    return results


# ------------------------------------------------------------------------------- report


def fmt_ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    if value < 1:
        return f"{value * 1000:.0f} µs"
    if value < 100:
        return f"{value:.2f} ms"
    return f"{value:,.0f} ms"


def fmt_s(seconds: float) -> str:
    return fmt_ms(seconds * 1000) if seconds < 1 else f"{seconds:.2f} s"


def fmt_bytes(value: int | None, exact: bool = True) -> str:
    if value is None:
        return "skipped"
    prefix = "" if exact else ">="
    if value < 2**20:
        return f"{prefix}{value / 2**10:,.0f} KiB"
    return f"{prefix}{value / 2**20:,.1f} MiB"


def fmt_ratio(numerator: float, denominator: float) -> str:
    if denominator <= 0 or math.isnan(numerator) or math.isnan(denominator):
        return "-"
    return f"{numerator / denominator:,.1f}x"


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def machine_lines() -> list[str]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "unknown"
    try:
        with open("/proc/meminfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    versions = []
    for name in ("rapidfuzz", "numpy", "PyStemmer"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return [
        f"platform : {platform.platform()}",
        f"cpu      : {cpu}",
        f"cores    : {os.cpu_count()} (os.cpu_count)"
        + (f", {usable} usable by this process" if usable is not None else ""),
        f"memory   : {memory}",
        f"load     : {load_average()} at the start",
        f"python   : {platform.python_implementation()} {platform.python_version()}",
        f"libraries: {', '.join(versions)}",
    ]


def base_table(results: Sequence[BaseResult]) -> list[str]:
    header = (
        f"{'base':<10} {'entries':>8} {'phrasings':>9}  {'impl':<8} {'questions':>9} "
        f"{'build':>9} {'p50':>9} {'p99':>9} {'traced peak':>12} {'RSS peak +':>11} "
        f"{'answered':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        m, b = r.matcher, r.baseline
        ml, bl = m.latency(), b.latency()
        share = f"{100 * m.answered / r.queries:.0f}%" if r.queries else "-"
        lines.append(
            f"{r.label:<10} {r.entries:>8,} {r.phrasings:>9,}  {'matcher':<8} {r.queries:>9} "
            f"{fmt_s(m.build_s):>9} {fmt_ms(ml.p50_ms):>9} {fmt_ms(ml.p99_ms):>9} "
            f"{fmt_bytes(m.memory.traced_peak):>12} "
            f"{fmt_bytes(m.memory.rss_growth, m.memory.rss_exact):>11} {share:>8}"
        )
        lines.append(
            f"{'':<10} {'':>8} {'':>9}  {'baseline':<8} {bl.n:>9} "
            f"{fmt_s(b.build_s):>9} {fmt_ms(bl.p50_ms):>9} {fmt_ms(bl.p99_ms):>9} "
            f"{fmt_bytes(b.memory.traced_peak):>12} "
            f"{fmt_bytes(b.memory.rss_growth, b.memory.rss_exact):>11} {'':>8}"
        )
        same = m.latency(r.baseline_indices)
        subset = "" if bl.n == r.queries else f" (matcher on the same {bl.n})"
        lines.append(
            f"{'':<10} {'':>8} {'':>9}  {'speed-up':<8} {bl.n:>9} {'':>9} "
            f"{fmt_ratio(bl.p50_ms, same.p50_ms):>9} {fmt_ratio(bl.p99_ms, same.p99_ms):>9}"
            f"{subset}"
        )
        if r.trace_note:
            lines.append(f"{'':<10} {'':>8} {'':>9}  note: {r.trace_note}")
    return lines


def bad_input_table(results: Sequence[BadInputResult]) -> list[str]:
    header = (
        f"{'input':<32} {'chars':>7} {'p50':>9} {'max':>9}  {'baseline p50':>12} "
        f"{'baseline max':>12}  result"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        base_p50 = fmt_ms(r.baseline.p50_ms) if r.baseline else "-"
        base_max = fmt_ms(r.baseline.max_ms) if r.baseline else "-"
        result = "EXCEPTION: " + "; ".join(r.errors) if r.errors else r.outcome
        lines.append(
            f"{r.label:<32} {r.chars:>7,} {fmt_ms(r.matcher.p50_ms):>9} "
            f"{fmt_ms(r.matcher.max_ms):>9}  {base_p50:>12} {base_max:>12}  {result}"
        )
    return lines


def verdicts(results: Sequence[BaseResult], bad: Sequence[BadInputResult]) -> Verdicts:
    v = Verdicts()
    real = next((r for r in results if r.size is None), None)
    if real is not None:
        p99 = real.matcher.latency().p99_ms
        v.add(f"real KB: p99 <= {TARGET_REAL_P99_MS:g} ms", fmt_ms(p99), p99 <= TARGET_REAL_P99_MS)
    large = next((r for r in results if r.size == TARGET_LARGE_SIZE), None)
    label = f"{TARGET_LARGE_SIZE // 1000}k"
    if large is None:
        v.add(f"{label}: p99 <= {TARGET_LARGE_P99_MS:g} ms", "-", None)
        v.add(f"{label}: >= {TARGET_LARGE_SPEEDUP:g}x faster than baseline (p99)", "-", None)
        v.add(f"{label}: build <= {TARGET_LARGE_BUILD_S:g} s", "-", None)
    else:
        p99 = large.matcher.latency().p99_ms
        v.add(
            f"{label}: p99 <= {TARGET_LARGE_P99_MS:g} ms", fmt_ms(p99), p99 <= TARGET_LARGE_P99_MS
        )
        same = large.matcher.latency(large.baseline_indices).p99_ms
        base = large.baseline.latency().p99_ms
        speedup = base / same if same > 0 else math.inf
        v.add(
            f"{label}: >= {TARGET_LARGE_SPEEDUP:g}x faster than baseline (p99)",
            f"{speedup:,.1f}x",
            speedup >= TARGET_LARGE_SPEEDUP,
        )
        v.add(
            f"{label}: build <= {TARGET_LARGE_BUILD_S:g} s",
            fmt_s(large.matcher.build_s),
            large.matcher.build_s <= TARGET_LARGE_BUILD_S,
        )
    for r in bad:
        if r.timed_target:
            v.add(
                f"50k chars, {r.label}: max <= {TARGET_LONG_INPUT_MS:g} ms",
                fmt_ms(r.matcher.max_ms),
                r.matcher.max_ms <= TARGET_LONG_INPUT_MS and not r.errors,
            )
    if bad:
        failing = [r.label for r in bad if r.errors]
        v.add(
            "bad inputs: a reply, never an exception",
            f"{len(bad) - len(failing)}/{len(bad)} inputs"
            + (f" ({', '.join(failing)})" * bool(failing)),
            not failing,
        )
    return v


# --------------------------------------------------------------------------------- main


def parse_sizes(text: str) -> tuple[int, ...]:
    sizes: list[int] = []
    for part in text.replace("_", "").split(","):
        part = part.strip().lower()
        if not part:
            continue
        factor = 1000 if part.endswith("k") else 1
        try:
            value = int(part.rstrip("k")) * factor
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a size: {part!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"sizes must be positive: {part!r}")
        sizes.append(value)
    return tuple(sizes)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the matcher against a naive rapidfuzz baseline.",
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=None,
        help="synthetic base sizes, comma-separated, k allowed (default 1000,10000,100000; "
        "'' for the real knowledge base only)",
    )
    parser.add_argument(
        "--queries", type=positive, default=None, help=f"questions a base ({DEFAULT_QUERIES})"
    )
    parser.add_argument(
        "--baseline-queries",
        type=positive,
        default=DEFAULT_BASELINE_QUERIES,
        help=f"questions for the baseline above {BASELINE_FULL_LIMIT:,} entries "
        f"(default {DEFAULT_BASELINE_QUERIES})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="real knowledge base and 1k only, 100 questions, 5 runs of each bad input",
    )
    parser.add_argument(
        "--full-memory",
        action="store_true",
        help=f"run the traced memory pass even when the build took over {TRACE_BUILD_LIMIT_S:g} s",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--strict", action="store_true", help="exit with 1 when a target fails")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = (1_000,) if args.quick else DEFAULT_SIZES
    if args.queries is None:
        args.queries = 100 if args.quick else DEFAULT_QUERIES
    args.bad_runs = 5 if args.quick else BAD_INPUT_RUNS
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    kb = load_knowledge(ROOT / "knowledge")
    shipped = kb.entries
    sizes: tuple[int, ...] = tuple(sorted(set(args.sizes)))
    too_small = [s for s in sizes if s <= len(shipped)]
    if too_small:
        print(f"sizes must exceed the {len(shipped)} shipped entries: {too_small}", file=sys.stderr)
        return 2

    out: list[str] = ["Matcher benchmark", "=================", "", "Machine", "-------"]
    out += machine_lines()
    out += [
        "",
        "Method",
        "------",
        f"- real KB: knowledge/ as shipped ({len(shipped)} entries, "
        f"{len(kb.article.paragraphs)} article paragraphs, {len(kb.synonyms)} synonyms).",
        "- synthetic KB of N entries: the real article and synonyms, the shipped entries KEPT,",
        "  plus N - shipped generated entries (6 phrasings each, from the article's vocabulary).",
        f"- questions: {args.queries} a base, seeded ({args.seed}); real KB: 80% mutated FAQ "
        "phrasings, 20% off-topic;",
        "  synthetic: 40% mutated FAQ phrasings, 15% off-topic, 45% mutated synthetic phrasings.",
        f"  {WARMUP} warm-up questions (not counted) before timing; percentiles are nearest-rank.",
        "- baseline: process.extractOne(q, all_phrasings, scorer=fuzz.WRatio,",
        "  processor=utils.default_process); its 'build' is making the flat list.",
        f"  Above {BASELINE_FULL_LIMIT:,} entries it runs on the first {args.baseline_queries} "
        "questions only; speed-up compares",
        "  it with the matcher on those same questions.",
        "- traced peak: tracemalloc peak over a separate traced build + all questions (Python",
        "  and numpy allocations). RSS peak +: peak resident set growth in the timed run",
        "  (peak reset via /proc/self/clear_refs; ru_maxrss after - VmRSS before).",
        "- answered: share of the questions the matcher answered (FAQ or article).",
    ]

    results: list[BaseResult] = []
    _progress("real knowledge base")
    results.append(bench_base("real KB", None, kb, (), shipped, args))
    # Early, while the heap is small and before the big bases have come and gone.
    bad = bench_bad_inputs(kb, args.bad_runs, args.seed)
    if sizes:
        generate = max(sizes) - len(shipped)
        _progress(f"generating {generate:,} synthetic entries")
        t0 = time.perf_counter()
        synthetic = synthetic_entries(kb, generate, args.seed)
        generated_s = time.perf_counter() - t0
        out.append(
            f"- generated {generate:,} synthetic entries in {fmt_s(generated_s)} (not timed "
            "as build); smaller bases are prefixes."
        )
        for size in sizes:
            own = synthetic[: size - len(shipped)]
            base = KnowledgeBase(kb.article, shipped + own, kb.synonyms)
            label = f"{size // 1000}k" if size % 1000 == 0 else f"{size:,}"
            results.append(bench_base(label, size, base, own, shipped, args))
            del base, own
            gc.collect()
        del synthetic
        gc.collect()

    out += ["", "Latency, build and memory", "-------------------------"]
    out += base_table(results)
    out += [
        "",
        f"Bad input (real KB, matcher.reply(q); {args.bad_runs} runs each, "
        f"baseline {min(args.bad_runs, BASELINE_BAD_INPUT_RUNS)} runs)",
        "--------------------------------------------------------------------",
    ]
    out += bad_input_table(bad)
    out += [
        "  result: what reply(q) did over the runs; chat: what reply(q, chat=True) did.",
        "",
        "Targets",
        "-------",
    ]
    verdict = verdicts(results, bad)
    width = max(len(name) for name, _, _ in verdict.rows)
    for name, measured, status in verdict.rows:
        out.append(f"{name:<{width}}  {measured:>12}  {status}")
    out += [
        "",
        f"total run time: {time.perf_counter() - began:.0f} s; {load_average()} at the end "
        "(other work on the machine inflates the figures, p99 most)",
    ]
    print("\n".join(out), flush=True)
    return 1 if args.strict and verdict.failed else 0


if __name__ == "__main__":
    sys.exit(main())
