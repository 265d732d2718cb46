"""Per-server entries: validated, atomic, locked writes, stamps and the audit log."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import multiprocessing
import os
import re
import threading
from pathlib import Path
from typing import Any

import filelock
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.core.errors import KnowledgeError
from bot.core.loader import load_knowledge
from bot.core.models import ID_MAX, ID_PATTERN, Entry, KnowledgeBase, Source
from bot.core.storage import GuildStore, slug_for
from bot.core.store import StoreUnavailableError

GUILD = 111
OTHER_GUILD = 222
MOD = 9001
OTHER_MOD = 9002
DETERRENCE = (
    "It is only natural that experts and the public in South Korea would want to bolster "
    "deterrence capabilities."
)


# A fresh server per hypothesis example, since tmp_path is shared between examples.
_GUILDS = itertools.count(10_000)


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _entry(entry_id: str, question: str, **changes: Any) -> Entry:
    fields: dict[str, Any] = {
        "id": entry_id,
        "question": question,
        "answer": "South Korea wants stronger deterrence.",
        "sources": (Source(paragraph=3, quote=DETERRENCE),),
    }
    fields.update(changes)
    return Entry(**fields)


@pytest.fixture
def base(small_knowledge: Path) -> KnowledgeBase:
    return load_knowledge(small_knowledge)


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


@pytest.fixture
def store(data_dir: Path, base: KnowledgeBase, clock: _Clock) -> GuildStore:
    return GuildStore(data_dir, base, clock=clock)


def _audit(store: GuildStore) -> list[dict[str, Any]]:
    if not store.audit_path.exists():
        return []
    lines = store.audit_path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith((".tmp", ".pending")))


def test_add_edit_remove_round_trip_with_stamps_and_audit(store: GuildStore, clock: _Clock) -> None:
    added = store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    assert added.created_by == MOD
    assert added.created_at == clock.now
    assert added.updated_by is None and added.updated_at is None
    assert added.is_moderator_entry
    assert store.load(GUILD) == (added,)

    created = clock.now
    clock.now += dt.timedelta(hours=1)
    edited = store.edit(
        GUILD,
        _entry("deterrence", "Why does Seoul want deterrence?", answer="To deter the North."),
        OTHER_MOD,
    )
    assert edited.answer == "To deter the North."
    assert (edited.created_by, edited.created_at) == (MOD, created)
    assert (edited.updated_by, edited.updated_at) == (OTHER_MOD, clock.now)
    assert store.load(GUILD) == (edited,)

    removed = store.remove(GUILD, "deterrence", MOD)
    assert removed == edited
    assert store.load(GUILD) == ()

    audit = _audit(store)
    assert [(a["action"], a["actor_id"], a["entry_id"], a["guild_id"]) for a in audit] == [
        ("add", MOD, "deterrence", GUILD),
        ("edit", OTHER_MOD, "deterrence", GUILD),
        ("remove", MOD, "deterrence", GUILD),
    ]
    assert audit[0]["before"] is None
    assert audit[0]["after"]["question"] == "Why does Seoul want deterrence?"
    assert audit[1]["before"]["answer"] == added.answer
    assert audit[1]["after"]["answer"] == "To deter the North."
    assert audit[2]["before"]["answer"] == "To deter the North." and audit[2]["after"] is None
    stamp = dt.datetime.fromisoformat(audit[0]["ts"])
    assert stamp.utcoffset() == dt.timedelta(0)


def test_the_file_has_the_faq_layout(store: GuildStore) -> None:
    store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    data = yaml.safe_load(store.path_for(GUILD).read_text(encoding="utf-8"))
    assert list(data) == ["entries"]
    [raw] = data["entries"]
    assert raw["id"] == "deterrence"
    assert raw["sources"] == [{"paragraph": 3, "quote": DETERRENCE}]
    assert raw["created_by"] == MOD
    assert "updated_by" not in raw


def test_servers_are_isolated(store: GuildStore) -> None:
    store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    assert store.load(OTHER_GUILD) == ()
    # The same id is free in another server.
    store.add(OTHER_GUILD, _entry("deterrence", "Deterrence in Seoul?"), MOD)
    assert [e.question for e in store.load(GUILD)] == ["Why does Seoul want deterrence?"]
    assert [e.question for e in store.load(OTHER_GUILD)] == ["Deterrence in Seoul?"]
    assert store.guild_ids() == [GUILD, OTHER_GUILD]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s: s.edit(GUILD, _entry("ncg", "What is the NCG for?"), MOD),
            "entry 'ncg' is part of the shipped FAQ and is read-only here; edit knowledge/faq.yaml",
        ),
        (
            lambda s: s.remove(GUILD, "ncg", MOD),
            "entry 'ncg' is part of the shipped FAQ and is read-only here; edit knowledge/faq.yaml",
        ),
        (lambda s: s.edit(GUILD, _entry("nope", "Is this here?"), MOD), "no server entry 'nope'"),
        (lambda s: s.remove(GUILD, "nope", MOD), "no server entry 'nope'"),
        (
            lambda s: s.add(GUILD, _entry("ncg", "Another NCG question?"), MOD),
            "id 'ncg' is already used by the shipped FAQ; choose another",
        ),
    ],
)
def test_shipped_and_unknown_ids_are_refused(store: GuildStore, call: Any, message: str) -> None:
    with pytest.raises(KnowledgeError) as caught:
        call(store)
    assert [p.message for p in caught.value.problems] == [message]
    assert not store.path_for(GUILD).exists()
    assert _audit(store) == []


def test_adding_an_existing_server_id_is_refused(store: GuildStore) -> None:
    store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    before = store.path_for(GUILD).read_bytes()
    with pytest.raises(KnowledgeError, match="a server entry 'deterrence' already exists"):
        store.add(GUILD, _entry("deterrence", "Something else entirely?"), OTHER_MOD)
    assert store.path_for(GUILD).read_bytes() == before


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            _entry(
                "made-up",
                "Is the quote real?",
                sources=(
                    Source(paragraph=3, quote="South Korea will build its own bomb tomorrow"),
                ),
            ),
            "quote is not in paragraph 3 verbatim",
        ),
        (
            _entry(
                "far-away",
                "Is there a paragraph 99?",
                sources=(Source(paragraph=99, quote=DETERRENCE),),
            ),
            "paragraph 99 does not exist; the article has paragraphs 1 to 8",
        ),
        (
            _entry("ncg-again", "What is the Nuclear Consultative Group??"),
            "is already used by entry 'ncg'",
        ),
        (
            _entry("alt-clash", "Fresh question here?", alternates=("NCG meaning",)),
            "is already used by entry 'ncg'",
        ),
    ],
)
def test_invalid_entries_are_refused_and_nothing_is_written(
    store: GuildStore, entry: Entry, expected: str
) -> None:
    store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    path = store.path_for(GUILD)
    before, audit_before = path.read_bytes(), _audit(store)
    with pytest.raises(KnowledgeError) as caught:
        store.add(GUILD, entry, MOD)
    messages = [p.message for p in caught.value.problems]
    assert any(expected in m for m in messages), messages
    assert all(p.entry_id == entry.id for p in caught.value.problems)
    assert path.read_bytes() == before
    assert _audit(store) == audit_before
    assert _leftovers(path.parent) == []


def test_markdown_and_mentions_are_stored_as_is(store: GuildStore) -> None:
    answer = "**Bold** claim, @everyone and <@123> and `code` and [link](https://x.test)\nline 2"
    question = "@here what is __this__?"
    store.add(GUILD, _entry("markup", question, answer=answer), MOD)
    [loaded] = store.load(GUILD)
    assert loaded.answer == answer
    assert loaded.question == question


_AWKWARD_TEXT = [
    "sep\x85nel",
    "a\u2028b\u2029c",
    "x\ny\x85z",
    "tab\tand\x01control",
    "trailing spaces  \nnext",
    "# not a comment",
    "- not a list",
    "key: value",
    "null",
    "yes",
    "'single' and \"double\"",
    "…🙂 한국어",
    "a\r\nb",
    "a\n\n\nb",
]


@pytest.mark.parametrize("answer", _AWKWARD_TEXT)
def test_awkward_text_survives_the_round_trip(store: GuildStore, answer: str) -> None:
    entry = _entry("awkward", "Does awkward text survive?", answer=answer)
    saved = store.add(GUILD, entry, MOD)
    assert saved.answer == entry.answer
    assert store.load(GUILD)[0].answer == entry.answer


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    answer=st.text(
        st.one_of(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            st.sampled_from("\n\r\t \x85\u2028\u2029\ufeff:#-'\"|>"),
        ),
        min_size=1,
        max_size=300,
    )
)
def test_any_answer_text_survives_the_round_trip(store: GuildStore, answer: str) -> None:
    try:
        entry = _entry("any-text", "Does any text survive?", answer=answer)
    except ValidationError:
        return  # the model refuses it before storage sees it
    guild = next(_GUILDS)
    try:
        saved = store.add(guild, entry, MOD)
    except KnowledgeError as exc:
        # Text YAML cannot carry exactly is refused, never stored altered.
        assert "cannot be stored exactly" in str(exc)
        assert not store.path_for(guild).exists()
        return
    assert saved.answer == entry.answer
    assert store.load(guild)[0].answer == entry.answer


def test_two_moderators_in_threads_both_keep_their_entries(store: GuildStore) -> None:
    workers = 8
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []

    def add(number: int) -> None:
        barrier.wait()
        try:
            store.add(GUILD, _entry(f"thread-{number}", f"Thread question number {number}?"), MOD)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert sorted(e.id for e in store.load(GUILD)) == sorted(f"thread-{n}" for n in range(workers))
    assert len(_audit(store)) == workers


def _add_many_in_child(
    knowledge_dir: str, data_dir: str, prefix: str, count: int, start: Any
) -> None:
    """Runs in a spawned process: add `count` entries once both processes are ready."""
    store = GuildStore(Path(data_dir), load_knowledge(Path(knowledge_dir)))
    start.wait(30)
    for number in range(count):
        store.add(GUILD, _entry(f"{prefix}-{number}", f"{prefix} asks question {number}?"), MOD)


def test_two_processes_adding_at_once_both_keep_their_entries(
    small_knowledge: Path, data_dir: Path, base: KnowledgeBase
) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    count = 6
    processes = [
        context.Process(
            target=_add_many_in_child,
            args=(str(small_knowledge), str(data_dir), prefix, count, start),
        )
        for prefix in ("alpha", "beta")
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0, 0]
    ids = {e.id for e in GuildStore(data_dir, base).load(GUILD)}
    assert ids == {f"{p}-{n}" for p in ("alpha", "beta") for n in range(count)}
    assert len((data_dir / "audit.jsonl").read_text(encoding="utf-8").splitlines()) == 2 * count


def test_a_crash_before_the_rename_leaves_the_old_file(
    store: GuildStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    path = store.path_for(GUILD)
    before, audit_before = path.read_bytes(), _audit(store)

    def crash(src: object, dst: object) -> None:
        raise OSError("simulated crash between write and rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreUnavailableError, match="nothing was saved"):
        store.add(GUILD, _entry("second", "A second question here?"), MOD)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert _leftovers(path.parent) == []
    assert _audit(store) == audit_before
    # The lock was released: the next write goes through.
    store.add(GUILD, _entry("second", "A second question here?"), MOD)
    assert [e.id for e in store.load(GUILD)] == ["deterrence", "second"]


@pytest.mark.parametrize(
    "garbage",
    [
        b"entries: [unclosed\n",
        b"entries:\n  - id: Bad Id\n    question: q\n    answer: a\n",
        b"\xff\xfe not utf-8",
    ],
)
def test_a_corrupted_file_is_never_overwritten(store: GuildStore, garbage: bytes) -> None:
    path = store.path_for(GUILD)
    path.parent.mkdir(parents=True)
    path.write_bytes(garbage)
    with pytest.raises(KnowledgeError) as caught:
        store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    assert "invalid, so nothing was changed" in caught.value.problems[0].message
    assert len(caught.value.problems) >= 2  # the file's own problems follow
    with pytest.raises(KnowledgeError):
        store.remove(GUILD, "anything", MOD)
    assert path.read_bytes() == garbage
    assert _audit(store) == []


def test_a_held_lock_makes_the_write_wait_then_refuse(data_dir: Path, base: KnowledgeBase) -> None:
    store = GuildStore(data_dir, base, lock_timeout=0.2)
    path = store.path_for(GUILD)
    path.parent.mkdir(parents=True)
    with (
        filelock.FileLock(f"{path}.lock"),
        pytest.raises(KnowledgeError, match="in progress; try again"),
    ):
        store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    assert not path.exists()


def test_server_ids_must_be_discord_snowflakes(store: GuildStore) -> None:
    for bad in (0, -5, True, "123", 2**63, 10**30):
        with pytest.raises(ValueError, match="Discord id"):
            store.path_for(bad)  # type: ignore[arg-type]
    assert store.path_for(2**63 - 1).name == f"{2**63 - 1}.yaml"


def test_file_names_that_are_not_server_ids_are_ignored_with_a_warning(
    store: GuildStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    for name in ("①.yaml", "0.yaml", f"{2**64}.yaml", "0123.yaml", "notes.yaml"):
        (store.guilds_dir / name).write_text("entries: []\n", encoding="utf-8")
    assert store.guild_ids() == [GUILD]
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 5 and all("ignoring" in m for m in warned)
    store.guild_ids()  # each name is warned about once
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 5


def test_a_crash_after_the_audit_is_finished_at_the_next_change(
    store: GuildStore, data_dir: Path, base: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    real_replace = os.replace

    def crash_on_the_final_rename(src: Any, dst: Any) -> None:
        if str(src).endswith(".pending"):
            raise OSError("simulated crash after the audit")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_the_final_rename)
    with pytest.raises(StoreUnavailableError, match="recorded"):
        store.add(GUILD, _entry("second", "A second question here?"), MOD)
    monkeypatch.undo()
    # A new process (or the next read) finishes it: the audit and the file agree.
    fresh = GuildStore(data_dir, base)
    assert [e.id for e in fresh.load(GUILD)] == ["deterrence", "second"]
    assert [r["entry_id"] for r in _audit(fresh)] == ["deterrence", "second"]
    assert _leftovers(fresh.guilds_dir) == []


def test_a_crash_before_the_audit_drops_the_pending_change(
    store: GuildStore, data_dir: Path, base: KnowledgeBase
) -> None:
    store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    path = store.path_for(GUILD)
    # What a kill between writing the new file aside and appending its audit record leaves.
    pending = path.with_name(f".{path.name}.pending")
    pending.write_text("entries: []\n", encoding="utf-8")
    fresh = GuildStore(data_dir, base)
    assert [e.id for e in fresh.load(GUILD)] == ["deterrence"]
    assert not pending.exists()
    assert [r["entry_id"] for r in _audit(fresh)] == ["deterrence"]


def test_a_torn_audit_line_is_skipped_and_closed_off(store: GuildStore) -> None:
    store.add(GUILD, _entry("deterrence", "Why does Seoul want deterrence?"), MOD)
    with store.audit_path.open("a", encoding="utf-8") as handle:
        handle.write('{"ts": "2024-05-01T12:00:00+00:00", "guild_id": 1')
    store.add(GUILD, _entry("second", "A second question here?"), MOD)
    assert [r.entry_id for r in store.audit_log(GUILD)] == ["second", "deterrence"]


def test_pick_id_adds_a_suffix_when_parallel_adds_take_the_same_question(
    store: GuildStore,
) -> None:
    question = "Why does Seoul want deterrence?"
    saved: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def work() -> None:
        barrier.wait()
        try:
            entry = _entry("placeholder", question)
            saved.append(store.add(GUILD, entry, MOD, pick_id=True).id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Six identical questions cannot all be stored (a phrasing belongs to one entry), but no
    # add fails because of its id: the refusals name the phrasing, not "already exists".
    assert len(saved) == 1 and saved[0].startswith("seoul-want-deterrence")
    assert all("phrasing" in str(e) for e in errors) and len(errors) == 5


def test_pick_id_suffixes_a_taken_id(store: GuildStore) -> None:
    first = store.add(GUILD, _entry("x", "Why does Seoul want deterrence?"), MOD, pick_id=True)
    second = store.add(GUILD, _entry("x", "How does Seoul want deterrence?"), MOD, pick_id=True)
    assert (first.id, second.id) == ("seoul-want-deterrence", "seoul-want-deterrence-2")


@pytest.mark.parametrize(
    ("question", "taken", "expected"),
    [
        ("What is the nuclear consultative group?", (), "nuclear-consultative-group"),
        (
            "What is the nuclear consultative group?",
            ("nuclear-consultative-group",),
            "nuclear-consultative-group-2",
        ),
        (
            "What is it?",
            ("what-is-it", "what-is-it-2"),
            "what-is-it-3",
        ),
        ("¿Qué es el Grupo Consultivo Nuclear?", (), "que-es-el-grupo-consultivo-nuclear"),
        ("한국", (), "entry"),
        ("!!!", ("entry",), "entry-2"),
    ],
)
def test_slug_for(question: str, taken: tuple[str, ...], expected: str) -> None:
    assert slug_for(question, taken) == expected


@given(st.text(max_size=400), st.sets(st.text(max_size=10), max_size=5))
def test_slug_is_always_a_fresh_valid_id(question: str, taken: set[str]) -> None:
    slug = slug_for(question, taken)
    assert re.fullmatch(ID_PATTERN, slug)
    assert len(slug) <= ID_MAX
    assert slug not in taken
