"""Counters in SQLite: WAL mode, one vote per user per answer, gaps, thread safety."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.stats import EntryStats, Gap, Stats, VoteResult

GUILD = 111
OTHER_GUILD = 222


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


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


def test_one_vote_per_member_per_entry(stats: Stats) -> None:
    stats.record_ask(GUILD, "What is the NCG?", "ncg", True, message_id=500)
    assert stats.record_vote(GUILD, 500, "ncg", user_id=1, helpful=True) is VoteResult.NEW
    assert stats.record_vote(GUILD, 500, "ncg", user_id=1, helpful=True) is VoteResult.UNCHANGED
    assert stats.record_vote(GUILD, 500, "ncg", user_id=1, helpful=True) is VoteResult.UNCHANGED
    assert stats.entry_stats(GUILD) == [EntryStats("ncg", 1, 1, 0)]

    # Changing your mind moves the vote rather than adding one.
    assert stats.record_vote(GUILD, 500, "ncg", user_id=1, helpful=False) is VoteResult.CHANGED
    assert stats.entry_stats(GUILD) == [EntryStats("ncg", 1, 0, 1)]

    # Another member counts; the same member on another answer of the same entry does not
    # (asking privately five times must not give five votes), but moves the vote.
    assert stats.record_vote(GUILD, 500, "ncg", user_id=2, helpful=True) is VoteResult.NEW
    for message_id in range(501, 506):
        stats.record_ask(GUILD, "ncg meaning", "ncg", True, message_id=message_id)
        stats.record_vote(GUILD, message_id, "ncg", user_id=1, helpful=False)
    assert stats.record_vote(GUILD, 505, "ncg", user_id=1, helpful=True) is VoteResult.CHANGED
    assert stats.entry_stats(GUILD) == [EntryStats("ncg", 6, 2, 0)]
    # Another entry, or another server, is another vote.
    assert stats.record_vote(GUILD, 505, "other", user_id=1, helpful=True) is VoteResult.NEW
    assert stats.record_vote(OTHER_GUILD, 9, "ncg", user_id=1, helpful=True) is VoteResult.NEW


def test_a_vote_counts_again_after_24_hours(tmp_path: Path) -> None:
    clock = _Clock()
    counters = Stats(tmp_path / "stats.sqlite3", clock=clock)
    try:
        assert counters.record_vote(GUILD, 1, "ncg", user_id=1, helpful=True) is VoteResult.NEW
        clock.now += dt.timedelta(hours=23)
        assert counters.record_vote(GUILD, 2, "ncg", 1, helpful=True) is VoteResult.UNCHANGED
        clock.now += dt.timedelta(hours=2)
        assert counters.record_vote(GUILD, 3, "ncg", 1, helpful=True) is VoteResult.NEW
        assert counters.entry_stats(GUILD) == [EntryStats("ncg", 0, 2, 0)]
    finally:
        counters.close()


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
    stats.record_vote(GUILD, 11, "ncg", 3, helpful=False)
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


def test_long_questions_are_cut(stats: Stats) -> None:
    stats.record_ask(GUILD, "why " * 1000, None, False)
    [gap] = stats.gaps(GUILD)
    assert len(gap.question) <= 600


def test_a_v1_database_is_migrated_keeping_its_counts(tmp_path: Path) -> None:
    path = tmp_path / "stats.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE asks (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, guild_id INTEGER,
            message_id INTEGER, question TEXT NOT NULL, question_key TEXT NOT NULL,
            entry_id TEXT, answered INTEGER NOT NULL);
        CREATE TABLE votes (message_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
            guild_id INTEGER, entry_id TEXT NOT NULL, helpful INTEGER NOT NULL, ts TEXT NOT NULL,
            PRIMARY KEY (message_id, user_id));
        INSERT INTO asks VALUES (1, '2024-05-01T00:00:00+00:00', 111, 7, 'q', 'q', 'ncg', 1);
        INSERT INTO votes VALUES (7, 5, 111, 'ncg', 0, '2024-05-01T00:00:00+00:00');
        PRAGMA user_version=1;
        """
    )
    old.close()
    counters = Stats(path)
    try:
        assert counters.entry_stats(GUILD) == [EntryStats("ncg", 1, 0, 1)]
        assert counters.forget_user(5) == (1, 0)
    finally:
        counters.close()


def test_a_corrupt_database_is_moved_aside_and_a_new_one_started(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "stats.sqlite3"
    path.write_bytes(b"this is not a database, just garbage bytes " * 200)
    counters = Stats(path)
    try:
        assert not counters.in_memory
        counters.record_ask(GUILD, "q", "ncg", True)
        assert counters.entry_stats(GUILD) == [EntryStats("ncg", 1, 0, 0)]
    finally:
        counters.close()
    aside = list(tmp_path.glob("stats.sqlite3.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")
    assert any("was corrupt" in r.getMessage() for r in caplog.records)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_a_read_only_data_dir_counts_in_memory(tmp_path: Path) -> None:
    tmp_path.chmod(0o555)
    try:
        counters = Stats(tmp_path / "data" / "stats.sqlite3")
        assert counters.in_memory
        counters.record_ask(GUILD, "q", "ncg", True)
        assert counters.entry_stats(GUILD) == [EntryStats("ncg", 1, 0, 0)]
        counters.close()
    finally:
        tmp_path.chmod(0o755)


def test_forget_user_deletes_their_questions_and_votes_only(stats: Stats) -> None:
    stats.record_ask(GUILD, "mine", None, False, message_id=1, user_id=7)
    stats.record_ask(GUILD, "theirs", None, False, message_id=2, user_id=8)
    stats.record_vote(GUILD, 1, "ncg", 7, helpful=False)
    stats.record_vote(GUILD, 2, "ncg", 8, helpful=False)
    assert stats.forget_user(7) == (1, 1)
    assert [g.question for g in stats.gaps(GUILD)] == ["theirs"]
    assert stats.entry_stats(GUILD) == [EntryStats("ncg", 0, 0, 1)]
    assert stats.forget_user(7) == (0, 0)


def test_prune_blanks_old_question_text_and_askers_but_keeps_counts(tmp_path: Path) -> None:
    clock = _Clock()
    counters = Stats(tmp_path / "stats.sqlite3", retention_days=90, clock=clock)
    try:
        counters.record_ask(GUILD, "old question", "ncg", True, user_id=7)
        counters.record_ask(GUILD, "old gap", None, False, user_id=7)
        counters.record_vote(GUILD, 1, "ncg", 7, helpful=True)
        clock.now += dt.timedelta(days=91)
        counters.record_ask(GUILD, "new gap", None, False, user_id=7)
        # Old questions already fall out of the gaps window before they are pruned.
        assert [g.question for g in counters.gaps(GUILD)] == ["new gap"]
        assert counters.prune() == 2
        assert counters.prune() == 0
        assert counters.entry_stats(GUILD) == [EntryStats("ncg", 1, 1, 0)]
        # The pruned rows no longer name the member: only the new question is theirs.
        assert counters.forget_user(7) == (0, 1)
        assert counters.entry_stats(GUILD) == [EntryStats("ncg", 1, 1, 0)]
    finally:
        counters.close()
