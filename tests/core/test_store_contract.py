"""One contract for both stores: the embedded files and a real (throwaway) PostgreSQL.

Entries, audit, per-server settings, stats, members' data, change notifications, concurrent
writer processes and a kill -9 in the middle of writes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.errors import KnowledgeError
from bot.core.loader import load_knowledge
from bot.core.models import Entry, KnowledgeBase, Source
from bot.core.stats import EntryStats, VoteResult
from bot.core.store import (
    ANONYMOUS_ID,
    GuildChange,
    GuildSettings,
    Store,
    StoreUnavailableError,
    open_store,
)

GUILD = 111
OTHER_GUILD = 222
MOD = 9001
MEMBER = 7007
WORKER = Path(__file__).resolve().parents[1] / "store_worker.py"
DETERRENCE = (
    "It is only natural that experts and the public in South Korea would want to bolster "
    "deterrence capabilities."
)

OpenStore = Callable[..., Store]


def _entry(entry_id: str, question: str, **changes: Any) -> Entry:
    fields: dict[str, Any] = {
        "id": entry_id,
        "question": question,
        "answer": "South Korea wants stronger deterrence.",
        "sources": (Source(paragraph=3, quote=DETERRENCE),),
    }
    fields.update(changes)
    return Entry(**fields)


@pytest.fixture(params=["embedded", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Where the store lives: a data dir, or a fresh database on the throwaway server."""
    if backend == "postgresql":
        return {
            "data_dir": tmp_path / "unused",
            "database_url": request.getfixturevalue("postgres_url"),
        }
    return {"data_dir": tmp_path / "data", "database_url": None}


@pytest.fixture
def base(small_knowledge: Path) -> KnowledgeBase:
    return load_knowledge(small_knowledge)


@pytest.fixture
def make_store(location: dict[str, Any], base: KnowledgeBase) -> Iterator[OpenStore]:
    """Open the store (again): each call is what another process would see."""
    opened: list[Store] = []

    def make(**options: Any) -> Store:
        store = open_store(base, **location, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: OpenStore) -> Store:
    return make_store()


def _worker_args(location: dict[str, Any], knowledge: Path) -> list[str]:
    args = [sys.executable, str(WORKER), str(knowledge)]
    if location["database_url"]:
        return [*args, "--url", location["database_url"]]
    return [*args, "--data", str(location["data_dir"])]


# -- entries and audit -------------------------------------------------------------------------


def test_add_edit_remove_with_stamps_and_audit(store: Store) -> None:
    added = store.add_entry(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    assert added.created_by == MOD and added.created_at is not None
    assert added.updated_by is None
    edited = store.edit_entry(
        GUILD, _entry("deterrence", "Why does Seoul want more deterrence?"), MOD + 1
    )
    assert (edited.created_by, edited.updated_by) == (MOD, MOD + 1)
    assert edited.created_at == added.created_at and edited.updated_at is not None
    assert [e.question for e in store.read_entries(GUILD).entries] == [edited.question]
    assert store.read_entries(OTHER_GUILD).entries == ()
    assert store.guild_ids() == [GUILD]
    removed = store.remove_entry(GUILD, "deterrence", MOD)
    assert removed.question == edited.question
    assert store.read_entries(GUILD).entries == ()
    audit = store.audit_log(GUILD)
    assert [(r.action, r.actor_id, r.entry_id) for r in audit] == [
        ("remove", MOD, "deterrence"),
        ("edit", MOD + 1, "deterrence"),
        ("add", MOD, "deterrence"),
    ]
    assert audit[0].after is None and audit[0].before is not None
    assert audit[1].before is not None and audit[1].after is not None
    assert audit[1].after["question"] == edited.question
    assert store.audit_log(OTHER_GUILD) == []


def test_refusals_change_nothing(store: Store) -> None:
    store.add_entry(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    refusals: list[Callable[[], object]] = [
        lambda: store.add_entry(GUILD, _entry("ncg", "A new question on groups?"), MOD),
        lambda: store.add_entry(GUILD, _entry("deterrence", "Another new question?"), MOD),
        lambda: store.add_entry(GUILD, _entry("dup", "Why does Seoul want deterrence?"), MOD),
        lambda: store.edit_entry(GUILD, _entry("missing", "Where is it?"), MOD),
        lambda: store.remove_entry(GUILD, "ncg", MOD),
        lambda: store.add_entry(
            GUILD,
            _entry(
                "bad-quote",
                "A quote not in the article?",
                sources=(Source(paragraph=3, quote="This sentence is not in the article at all."),),
            ),
            MOD,
        ),
    ]
    for refuse in refusals:
        with pytest.raises(KnowledgeError):
            refuse()
    assert [e.id for e in store.read_entries(GUILD).entries] == ["deterrence"]
    assert len(store.audit_log(GUILD)) == 1


def test_pick_id_adds_a_suffix_on_collision(store: Store) -> None:
    first = store.add_entry(
        GUILD, _entry("x", "Why does Seoul want deterrence?"), MOD, pick_id=True
    )
    second = store.add_entry(
        GUILD, _entry("x", "How does Seoul want deterrence?"), MOD, pick_id=True
    )
    assert (first.id, second.id) == ("seoul-want-deterrence", "seoul-want-deterrence-2")


def test_import_keeps_the_original_stamps(store: Store) -> None:
    stamped = _entry("kept", "Who wrote this first?").model_copy(
        update={
            "created_by": 55,
            "created_at": store.add_entry(
                OTHER_GUILD, _entry("t", "Just a timestamp source?"), MOD
            ).created_at,
        }
    )
    saved = store.add_entry(GUILD, stamped, MOD, keep_stamps=True)
    assert saved.created_by == 55
    assert store.read_entries(GUILD).entries[0].created_by == 55


# -- settings ----------------------------------------------------------------------------------


def test_settings_round_trip_and_reset(store: Store) -> None:
    assert store.guild_settings(GUILD) == GuildSettings()
    wanted = GuildSettings(
        auto_answer_channels=frozenset({5, 6}), mod_role_id=77, chat_threshold=80
    )
    assert store.set_guild_settings(GUILD, wanted, MOD) == wanted
    assert store.guild_settings(GUILD) == wanted
    assert store.all_guild_settings() == {GUILD: wanted}
    assert store.guild_ids() == [GUILD]
    store.set_guild_settings(GUILD, GuildSettings(), MOD)
    assert store.guild_settings(GUILD) == GuildSettings()
    assert store.all_guild_settings() == {}


def test_invalid_settings_are_one_line_each() -> None:
    with pytest.raises(KnowledgeError) as caught:
        GuildSettings.from_dict({"chat_threshold": 101, "mod_role_id": 0, "colour": "red"})
    assert len(caught.value.problems) == 3


# -- stats and members' data -------------------------------------------------------------------


def test_one_vote_per_member_per_entry_and_stats(store: Store) -> None:
    for message_id in (1, 2, 3):
        store.record_ask(GUILD, "What is the NCG?", "ncg", True, message_id, user_id=MEMBER)
    assert store.record_vote(GUILD, 1, "ncg", MEMBER, helpful=False) is VoteResult.NEW
    # Asking again and voting on the new answer does not add a vote.
    assert store.record_vote(GUILD, 2, "ncg", MEMBER, helpful=False) is VoteResult.UNCHANGED
    assert store.record_vote(GUILD, 3, "ncg", MEMBER, helpful=True) is VoteResult.CHANGED
    assert store.record_vote(GUILD, 3, "ncg", MEMBER + 1, helpful=False) is VoteResult.NEW
    assert store.entry_stats(GUILD) == [EntryStats("ncg", 3, 1, 1)]
    assert store.entry_stats(OTHER_GUILD) == []
    ask = store.record_ask(GUILD, "Is Japan next?", None, False, user_id=MEMBER)
    store.attach_message(ask, 99)
    gaps = store.gaps(GUILD)
    assert [(g.question, g.count, g.unanswered, g.not_helpful) for g in gaps] == [
        ("What is the NCG?", 3, 0, 1),
        ("Is Japan next?", 1, 1, 0),
    ]


def test_forget_user_removes_votes_questions_and_anonymises_authorship(store: Store) -> None:
    store.add_entry(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MEMBER)
    store.edit_entry(GUILD, _entry("deterrence", "Why does Seoul want deterrence now?"), MOD)
    store.record_ask(GUILD, "my private question", None, False, user_id=MEMBER)
    store.record_ask(GUILD, "someone else's question", None, False, user_id=MOD)
    store.record_vote(GUILD, 1, "ncg", MEMBER, helpful=False)
    report = store.forget_user(MEMBER)
    assert (report.votes, report.asks, report.entries) == (1, 1, 1)
    assert report.audit_records == 2  # the add (actor and after) and the edit (before, after)
    entry = store.read_entries(GUILD).entries[0]
    assert (entry.created_by, entry.updated_by) == (ANONYMOUS_ID, MOD)
    for record in store.audit_log(GUILD):
        assert record.actor_id != MEMBER
        for side in (record.before, record.after):
            assert side is None or MEMBER not in (side.get("created_by"), side.get("updated_by"))
    assert [g.question for g in store.gaps(GUILD)] == ["someone else's question"]
    assert store.forget_user(MEMBER).total == 0


def test_prune_drops_old_question_text_but_keeps_counts(store: Store) -> None:
    store.record_ask(GUILD, "an old question", "ncg", True, user_id=MEMBER)
    time.sleep(1.1)  # "older than 0 days" is strictly older than now, to the second
    assert store.prune(0) == 1
    assert store.prune(0) == 0
    assert store.entry_stats(GUILD) == [EntryStats("ncg", 1, 0, 0)]
    assert store.gaps(GUILD) == []
    assert store.forget_user(MEMBER).asks == 0  # the pruned question no longer names them


# -- notifications -----------------------------------------------------------------------------


def _wait_for(condition: Callable[[], bool], timeout: float, poll: Callable[[], None]) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        poll()
        if condition():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError("not notified in time")


def test_a_change_by_another_process_is_notified(make_store: OpenStore) -> None:
    watcher, writer = make_store(), make_store()
    seen: list[GuildChange] = []
    watcher.subscribe(seen.append)
    writer.add_entry(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    waited = _wait_for(lambda: GuildChange(GUILD, "entries") in seen, 2.0, watcher.poll)
    assert waited < 1.0
    writer.set_guild_settings(OTHER_GUILD, GuildSettings(mod_role_id=5), MOD)
    _wait_for(lambda: GuildChange(OTHER_GUILD, "settings") in seen, 2.0, watcher.poll)
    assert watcher.read_entries(GUILD).entries[0].id == "deterrence"
    # The writer's own subscribers hear of its change at once, without polling.
    own: list[GuildChange] = []
    writer.subscribe(own.append)
    writer.remove_entry(GUILD, "deterrence", MOD)
    assert GuildChange(GUILD, "entries") in own


# -- several processes -------------------------------------------------------------------------


def test_four_processes_adding_25_each_lose_nothing(
    location: dict[str, Any], small_knowledge: Path, store: Store
) -> None:
    # Everyone adds to the same server at once; ids are picked under the lock.
    workers = [
        subprocess.Popen(
            [*_worker_args(location, small_knowledge), "--guild", str(GUILD), "--worker", str(w)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    ids: list[str] = []
    for worker in workers:
        out, _ = worker.communicate(timeout=180)
        assert worker.returncode == 0
        ids += [line.split()[0] for line in out.splitlines()]
    assert len(ids) == 100 and len(set(ids)) == 100
    stored = [e.id for e in store.read_entries(GUILD).entries]
    assert sorted(stored) == sorted(ids)
    audit = store.audit_log(GUILD, limit=1000)
    assert sorted(r.entry_id for r in audit if r.action == "add") == sorted(ids)


def test_kill_9_mid_write_leaves_entries_and_audit_consistent(
    location: dict[str, Any], small_knowledge: Path, make_store: OpenStore
) -> None:
    for round_number in range(4):
        worker = subprocess.Popen(
            [
                *_worker_args(location, small_knowledge),
                "--guild",
                str(GUILD),
                "--worker",
                str(round_number),
                "--forever",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert worker.stdout is not None
        worker.stdout.readline()  # it is writing
        time.sleep(0.05 + 0.07 * round_number)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        worker.stdout.close()
    # A new process sees whole entries, each with its audit record, and no record without one.
    fresh = make_store()
    stored = {e.id for e in fresh.read_entries(GUILD).entries}
    audited = {r.entry_id for r in fresh.audit_log(GUILD, limit=10_000) if r.action == "add"}
    assert len(stored) >= 4
    assert stored == audited
    # And it can write on.
    fresh.add_entry(GUILD, _entry("after", "Does writing still work after the kills?"), MOD)


# -- faults --------------------------------------------------------------------------------------


def test_postgres_down_refuses_writes_plainly_and_catches_up_after(
    postgres: Any, base: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    from pg_server import running_postgres

    with running_postgres() as server:
        url = server.create_database("faq")
        watcher = open_store(base, data_dir=Path("."), database_url=url)
        writer = open_store(base, data_dir=Path("."), database_url=url, listen=False)
        seen: list[GuildChange] = []
        watcher.subscribe(seen.append)
        try:
            server.stop("fast")  # immediate would drop commits not yet on disk (no fsync)
            with pytest.raises(StoreUnavailableError) as caught:
                writer.add_entry(GUILD, _entry("d", "Why does Seoul want deterrence?"), MOD)
            assert "database cannot be reached" in caught.value.problems[0].message
            # Once the listener has noticed, a read (a server's first question) fails at once
            # rather than waiting for a connection.
            _wait_for(lambda: not watcher.connected.is_set(), 5.0, lambda: None)  # type: ignore[attr-defined]
            started = time.monotonic()
            with pytest.raises(StoreUnavailableError):
                watcher.read_entries(GUILD)
            assert time.monotonic() - started < 0.1
            server.restart()
            writer.add_entry(GUILD, _entry("d", "Why does Seoul want deterrence?"), MOD)
            # The listener reconnects and re-reads what changed while it was away.
            _wait_for(lambda: GuildChange(GUILD, "entries") in seen, 20.0, lambda: None)
        finally:
            writer.close()
            watcher.close()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert server.password not in logged


def test_a_database_down_at_start_is_one_clear_line(base: KnowledgeBase) -> None:
    url = "postgresql://faq:hunter2secret@127.0.0.1:1/faq"
    with pytest.raises(StoreUnavailableError) as caught:
        open_store(base, data_dir=Path("."), database_url=url)
    message = caught.value.problems[0].message
    assert message.startswith("cannot reach the database at postgresql://faq@127.0.0.1:1/faq")
    assert "hunter2secret" not in message and "\n" not in message


# -- the Library on top ------------------------------------------------------------------------


def test_an_edit_by_another_process_serves_in_the_library(
    location: dict[str, Any], small_knowledge: Path, make_store: OpenStore, backend: str
) -> None:
    from bot.core.library import Library

    library = Library(small_knowledge, location["data_dir"], store=lambda b: make_store())
    assert "deterrence" not in library.knowledge_for(GUILD).by_id  # read on first need
    writer = make_store()
    writer.add_entry(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)

    def served() -> bool:
        return "deterrence" in library.knowledge_for(GUILD).by_id

    # Files: the bot's 2 s reload tick finds it; PostgreSQL: NOTIFY, no polling at all.
    poll = library.refresh if backend == "embedded" else (lambda: None)
    assert _wait_for(served, 2.0, poll) < 1.0
    writer.edit_entry(
        GUILD,
        _entry("deterrence", "Why does Seoul want deterrence?", answer="Edited elsewhere."),
        MOD,
    )
    _wait_for(
        lambda: library.knowledge_for(GUILD).by_id["deterrence"].answer == "Edited elsewhere.",
        2.0,
        poll,
    )
    writer.set_guild_settings(GUILD, GuildSettings(mod_role_id=55), MOD)
    _wait_for(lambda: library.settings_for(GUILD).mod_role_id == 55, 2.0, poll)
