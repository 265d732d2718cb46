"""Counters in SQLite: WAL mode, one vote per user per answer, gaps, thread safety."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.stats import AsyncStats, EntryStats, Gap, Stats, VoteResult

GUILD = 111
OTHER_GUILD = 222


@pytest.fixture
def stats(tmp_path: Path) -> Iterator[Stats]:
    counters = Stats(tmp_path / "data" / "stats.sqlite3")
    yield counters
    counters.close()


def test_the_database_is_in_wal_mode(stats: Stats) -> None:
    assert stats.journal_mode == "wal"
    # WAL is a property of the file: another connection (the console) sees it too.
    other = sqlite3.connect(stats.path)
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in other.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"asks", "votes"} <= tables
    finally:
        other.close()


def test_reopening_keeps_the_counts(tmp_path: Path) -> None:
    path = tmp_path / "stats.sqlite3"
    first = Stats(path)
    first.record_ask(GUILD, "What is the NCG?", "ncg", True, message_id=1)
    first.close()
    second = Stats(path)
    try:
        assert second.entry_stats(GUILD) == [EntryStats("ncg", 1, 0, 0)]
    finally:
        second.close()


def test_one_vote_per_user_per_answer(stats: Stats) -> None:
    stats.record_ask(GUILD, "What is the NCG?", "ncg", True, message_id=500)
    assert stats.record_vote(GUILD, 500, "ncg", user_id=1, helpful=True) is VoteResult.NEW
    assert stats.record_vote(GUILD, 500, "ncg", user_id=1, helpful=True) is VoteResult.UNCHANGED
    assert stats.record_vote(GUILD, 500, "ncg", user_id=1, helpful=True) is VoteResult.UNCHANGED
    assert stats.entry_stats(GUILD) == [EntryStats("ncg", 1, 1, 0)]

    # Changing your mind moves the vote rather than adding one.
    assert stats.record_vote(GUILD, 500, "ncg", user_id=1, helpful=False) is VoteResult.CHANGED
    assert stats.entry_stats(GUILD) == [EntryStats("ncg", 1, 0, 1)]

    # Another user, and the same user on another answer, each count.
    assert stats.record_vote(GUILD, 500, "ncg", user_id=2, helpful=True) is VoteResult.NEW
    stats.record_ask(GUILD, "ncg meaning", "ncg", True, message_id=501)
    assert stats.record_vote(GUILD, 501, "ncg", user_id=1, helpful=True) is VoteResult.NEW
    assert stats.entry_stats(GUILD) == [EntryStats("ncg", 2, 2, 1)]


def test_entry_stats_are_per_server_and_sorted_by_asks(stats: Stats) -> None:
    for _ in range(3):
        stats.record_ask(GUILD, "What is the NCG?", "ncg", True)
    stats.record_ask(GUILD, "How old is the alliance?", "seventy-years", True)
    stats.record_ask(GUILD, "Who is Yoon?", None, False)
    stats.record_ask(OTHER_GUILD, "What is the NCG?", "ncg", True)
    stats.record_ask(None, "What is the NCG?", "ncg", True)
    stats.record_vote(GUILD, 9, "seventy-years", 1, helpful=False)
    assert stats.entry_stats(GUILD) == [
        EntryStats("ncg", 3, 0, 0),
        EntryStats("seventy-years", 1, 0, 1),
    ]
    assert stats.entry_stats(OTHER_GUILD) == [EntryStats("ncg", 1, 0, 0)]
    assert stats.entry_stats(None) == [EntryStats("ncg", 1, 0, 0)]


def test_gaps_group_by_normalised_text_and_order_by_failures(stats: Stats) -> None:
    # Unanswered three times in three spellings, answered never.
    stats.record_ask(GUILD, "Who is Bongbong Marcos?", None, False)
    stats.record_ask(GUILD, "who is bongbong marcos", None, False)
    stats.record_ask(GUILD, "WHO IS BONGBONG MARCOS???", None, False)
    # Answered twice, but both answers were voted not helpful (one by two people).
    stats.record_ask(GUILD, "What is the NCG?", "ncg", True, message_id=10)
    stats.record_ask(GUILD, "what is the ncg", "ncg", True, message_id=11)
    stats.record_vote(GUILD, 10, "ncg", 1, helpful=False)
    stats.record_vote(GUILD, 10, "ncg", 2, helpful=False)
    stats.record_vote(GUILD, 11, "ncg", 1, helpful=False)
    # Unanswered once.
    stats.record_ask(GUILD, "Is Japan next?", None, False)
    # Answered and liked: not a gap.
    stats.record_ask(GUILD, "How old is the alliance?", "seventy-years", True, message_id=12)
    stats.record_vote(GUILD, 12, "seventy-years", 1, helpful=True)
    # Another server's failures stay there; text without words is not a gap.
    stats.record_ask(OTHER_GUILD, "Who is Bongbong Marcos?", None, False)
    stats.record_ask(GUILD, "🙂🙂", None, False)

    assert stats.gaps(GUILD) == [
        # The example is the latest wording of the group.
        Gap("WHO IS BONGBONG MARCOS???", count=3, unanswered=3, not_helpful=0),
        Gap("what is the ncg", count=2, unanswered=0, not_helpful=3),
        Gap("Is Japan next?", count=1, unanswered=1, not_helpful=0),
    ]
    assert stats.gaps(GUILD, limit=1) == [Gap("WHO IS BONGBONG MARCOS???", 3, 3, 0)]
    assert stats.gaps(OTHER_GUILD) == [Gap("Who is Bongbong Marcos?", 1, 1, 0)]


def test_a_changed_vote_leaves_the_gaps(stats: Stats) -> None:
    stats.record_ask(GUILD, "What is the NCG?", "ncg", True, message_id=10)
    stats.record_vote(GUILD, 10, "ncg", 1, helpful=False)
    assert stats.gaps(GUILD) == [Gap("What is the NCG?", 1, 0, 1)]
    stats.record_vote(GUILD, 10, "ncg", 1, helpful=True)
    assert stats.gaps(GUILD) == []


def test_an_ask_linked_to_its_answer_later_collects_votes(stats: Stats) -> None:
    ask_id = stats.record_ask(GUILD, "What is the NCG?", "ncg", True)
    stats.attach_message(ask_id, 77)
    stats.record_vote(GUILD, 77, "ncg", 1, helpful=False)
    assert stats.gaps(GUILD) == [Gap("What is the NCG?", 1, 0, 1)]


def test_concurrent_writes_from_threads_all_count(stats: Stats) -> None:
    workers, per_worker = 8, 60
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        barrier.wait()
        try:
            for number in range(per_worker):
                message_id = worker * 1000 + number
                stats.record_ask(GUILD, f"question {number % 5}", None, False, message_id)
                stats.record_ask(GUILD, "What is the NCG?", "ncg", True, message_id + 500)
                # Every worker votes on the same answer: only one vote per user may stick.
                stats.record_vote(GUILD, 1, "ncg", worker, helpful=number % 2 == 0)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    # per_worker is even, so each worker's last vote is "not helpful".
    assert stats.entry_stats(GUILD) == [EntryStats("ncg", workers * per_worker, 0, workers)]
    gaps = stats.gaps(GUILD)
    assert sorted(g.question for g in gaps) == [f"question {n}" for n in range(5)]
    assert sum(g.unanswered for g in gaps) == workers * per_worker


async def test_async_wrappers_run_off_the_event_loop(stats: Stats) -> None:
    seen_threads: set[int] = set()
    original = stats.record_ask

    def spy(*args: object, **kwargs: object) -> int:
        seen_threads.add(threading.get_ident())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    stats.record_ask = spy  # type: ignore[method-assign]
    counters = AsyncStats(stats)
    await asyncio.gather(
        *(counters.record_ask(GUILD, "Who is Yoon?", None, False, n) for n in range(5))
    )
    assert threading.get_ident() not in seen_threads
    assert await counters.record_vote(GUILD, 3, "x", 1, True) is VoteResult.NEW
    assert await counters.gaps(GUILD) == [Gap("Who is Yoon?", 5, 5, 0)]
    assert await counters.entry_stats(GUILD) == [EntryStats("x", 0, 1, 0)]


def test_long_questions_are_cut(stats: Stats) -> None:
    stats.record_ask(GUILD, "why " * 1000, None, False)
    [gap] = stats.gaps(GUILD)
    assert len(gap.question) <= 600
