"""The library: per-server knowledge, cached matchers, edits that serve at once, hot reload."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from bot.core import library as library_module
from bot.core.errors import KnowledgeError
from bot.core.library import Library
from bot.core.matcher import Matcher
from bot.core.models import Entry, KnowledgeBase, Source
from bot.core.storage import GuildStore

GUILD = 111
OTHER_GUILD = 222
MOD = 9001
DETERRENCE = (
    "It is only natural that experts and the public in South Korea would want to bolster "
    "deterrence capabilities."
)
DETERRENCE_QUESTION = "Why would South Korea want to bolster deterrence capabilities?"

# A valid third shipped entry, for changes to faq.yaml on disk.
THIRD_SHIPPED = """\
  - id: japan-next
    question: Which country is likely next to seek assurances?
    alternates:
      - who is next on the list
      - will japan ask for assurances
      - japan next
      - next country after korea
      - who else wants assurances
    answer: Japan is likely next on the list.
    sources:
      - paragraph: 6
        quote: Japan is likely next on the list
"""


def _entry(entry_id: str, question: str, **changes: Any) -> Entry:
    fields: dict[str, Any] = {
        "id": entry_id,
        "question": question,
        "answer": "Experts and the public want stronger deterrence.",
        "sources": (Source(paragraph=3, quote=DETERRENCE),),
    }
    fields.update(changes)
    return Entry(**fields)


def _replace(path: Path, text: str | bytes) -> None:
    """Write a file the way editors and our store do: a new file renamed over the old."""
    temp = path.with_name(path.name + ".new")
    temp.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    os.replace(temp, path)


@pytest.fixture
def library(small_knowledge: Path, data_dir: Path) -> Library:
    return Library(small_knowledge, data_dir)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[KnowledgeBase]:
    """Every knowledge base a matcher was built for, in order: whole indexes (the shipped
    one) and servers' overlays alike."""
    built: list[KnowledgeBase] = []

    class CountingMatcher(Matcher):
        def __init__(self, kb: KnowledgeBase, *args: Any, **kwargs: Any) -> None:
            built.append(kb)
            super().__init__(kb, *args, **kwargs)

        def with_entries(self, *args: Any, **kwargs: Any) -> Matcher:
            matcher = super().with_entries(*args, **kwargs)
            built.append(matcher.kb)
            return matcher

    monkeypatch.setattr(library_module, "Matcher", CountingMatcher)
    return built


def test_starts_with_the_shipped_knowledge(library: Library) -> None:
    assert [e.id for e in library.base.entries] == ["seventy-years", "ncg"]
    assert library.knowledge_for(None) is library.base
    assert library.knowledge_for(GUILD) is library.base
    reply = library.matcher_for(GUILD).reply("What is the nuclear consultative group?")
    assert (reply.answered, reply.entry_id) == (True, "ncg")


def test_invalid_shipped_knowledge_fails_at_start(small_knowledge: Path, data_dir: Path) -> None:
    (small_knowledge / "faq.yaml").write_text("entries: [oops\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="invalid YAML"):
        Library(small_knowledge, data_dir)


def test_a_moderator_entry_is_matched_with_the_shipped_ones_in_its_server_only(
    library: Library,
) -> None:
    saved = library.add_entry(GUILD, _entry("deterrence", DETERRENCE_QUESTION), MOD)
    assert saved.created_by == MOD

    mine = library.matcher_for(GUILD)
    reply = mine.reply(DETERRENCE_QUESTION)
    assert (reply.answered, reply.entry_id) == (True, "deterrence")
    assert reply.answer == saved.answer
    shipped = mine.reply("What is the nuclear consultative group?")
    assert (shipped.answered, shipped.entry_id) == (True, "ncg")

    assert [e.id for e in library.knowledge_for(GUILD).entries] == [
        "seventy-years",
        "ncg",
        "deterrence",
    ]
    assert "deterrence" not in library.knowledge_for(OTHER_GUILD).by_id
    assert library.matcher_for(OTHER_GUILD).reply(DETERRENCE_QUESTION).entry_id != "deterrence"
    assert "deterrence" not in library.knowledge_for(None).by_id


def test_edit_and_remove_serve_at_once(library: Library) -> None:
    library.add_entry(GUILD, _entry("deterrence", DETERRENCE_QUESTION), MOD)
    library.edit_entry(GUILD, _entry("deterrence", DETERRENCE_QUESTION, answer="Changed."), MOD)
    assert library.matcher_for(GUILD).reply(DETERRENCE_QUESTION).answer == "Changed."
    removed = library.remove_entry(GUILD, "deterrence", MOD)
    assert removed.answer == "Changed."
    assert library.knowledge_for(GUILD) is library.base
    assert library.matcher_for(GUILD).reply(DETERRENCE_QUESTION).entry_id != "deterrence"


def test_matchers_are_cached_and_rebuilt_only_for_the_changed_server(
    library: Library, builds: list[KnowledgeBase]
) -> None:
    shipped = library.matcher_for(None)
    # Servers without entries share the shipped matcher; asking again builds nothing.
    for _ in range(50):
        assert library.matcher_for(GUILD) is shipped
        assert library.matcher_for(OTHER_GUILD) is shipped
    assert len(builds) == 1

    library.add_entry(GUILD, _entry("deterrence", DETERRENCE_QUESTION), MOD)
    mine = library.matcher_for(GUILD)
    assert mine is not shipped
    for _ in range(50):
        assert library.matcher_for(GUILD) is mine
    assert library.matcher_for(OTHER_GUILD) is shipped
    assert len(builds) == 2

    # Nothing changed on disk: a refresh rebuilds nothing.
    assert library.refresh() == []
    assert library.matcher_for(GUILD) is mine
    assert library.matcher_for(None) is shipped
    assert len(builds) == 2


def test_new_entry_ids_are_unique_in_the_server(library: Library) -> None:
    library.add_entry(GUILD, _entry("nuclear-consultative-group", "Is the NCG new?"), MOD)
    question = "What is the nuclear consultative group?"
    assert library.new_entry_id(GUILD, question) == "nuclear-consultative-group-2"
    assert library.new_entry_id(OTHER_GUILD, question) == "nuclear-consultative-group"
    assert library.new_entry_id(GUILD, "NCG") == "ncg-2"  # the shipped id is taken too


@pytest.mark.parametrize(
    "garbage",
    [b"entries: [unclosed\n", b"entries:\n  - id: NOT VALID\n", b"\xff\xfe\x00"],
)
def test_a_corrupted_server_file_falls_back_to_the_shipped_faq_when_first_read(
    small_knowledge: Path,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
    garbage: bytes,
) -> None:
    good = Library(small_knowledge, data_dir)
    good.add_entry(OTHER_GUILD, _entry("deterrence", DETERRENCE_QUESTION), MOD)
    path = data_dir / "guilds" / f"{GUILD}.yaml"
    path.write_bytes(garbage)

    with caplog.at_level(logging.ERROR, logger="bot.core.library"):
        library = Library(small_knowledge, data_dir)
        assert caplog.records == []  # start-up reads no server file
        # Found when the server first needs its entries: logged then, reported by the next
        # refresh (which the bot passes to the mod-log channel), once.
        assert library.knowledge_for(GUILD) is library.base
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert f"server {GUILD}" in errors[0].getMessage()
    assert str(path) in errors[0].getMessage()
    reported = library.refresh()
    assert len(reported) == 1
    assert str(path) in str(reported[0])

    assert library.matcher_for(GUILD).reply(DETERRENCE_QUESTION).entry_id != "deterrence"
    # The healthy server is unaffected.
    assert "deterrence" in library.knowledge_for(OTHER_GUILD).by_id

    with pytest.raises(KnowledgeError, match="invalid, so nothing was changed"):
        library.add_entry(GUILD, _entry("other", "Any other question?"), MOD)
    assert path.read_bytes() == garbage
    # Unchanged, it is not reported again on every refresh.
    assert library.refresh() == []
    assert path.read_bytes() == garbage


def test_refresh_picks_up_a_changed_faq(library: Library, small_knowledge: Path) -> None:
    faq = small_knowledge / "faq.yaml"
    _replace(faq, faq.read_text(encoding="utf-8") + THIRD_SHIPPED)
    assert library.refresh() == []
    assert "japan-next" in library.base.by_id
    reply = library.matcher_for(GUILD).reply("Which country is likely next to seek assurances?")
    assert (reply.answered, reply.entry_id) == (True, "japan-next")


def test_refresh_picks_up_a_server_file_written_elsewhere(library: Library, data_dir: Path) -> None:
    # The console (`faqbot entries add`) writes through its own store.
    console = GuildStore(data_dir, library.base)
    assert library.knowledge_for(GUILD) is library.base  # read once: it has no entries
    console.add(GUILD, _entry("deterrence", DETERRENCE_QUESTION), MOD)
    assert "deterrence" not in library.knowledge_for(GUILD).by_id  # no disk reads per message
    assert library.refresh() == []
    assert library.matcher_for(GUILD).reply(DETERRENCE_QUESTION).entry_id == "deterrence"

    console.path_for(GUILD).unlink()
    assert library.refresh() == []
    assert library.knowledge_for(GUILD) is library.base


def test_an_invalid_faq_is_rejected_and_the_old_one_keeps_serving(
    library: Library, small_knowledge: Path, caplog: pytest.LogCaptureFixture
) -> None:
    faq = small_knowledge / "faq.yaml"
    good_text = faq.read_text(encoding="utf-8")
    before = library.base
    matcher = library.matcher_for(None)
    broken = good_text.replace(
        "the two countries will establish a nuclear consultative group",
        "the two countries will never talk again, ever, at all",
    )
    _replace(faq, broken)

    with caplog.at_level(logging.ERROR, logger="bot.core.library"):
        errors = library.refresh()
    assert len(errors) == 1
    assert any("quote is not in paragraph 2" in p.message for p in errors[0].problems)
    assert any("still serving the last good" in r.getMessage() for r in caplog.records)
    assert library.base is before
    assert library.matcher_for(None) is matcher
    reply = library.matcher_for(GUILD).reply("What is the nuclear consultative group?")
    assert reply.answer == "The two countries will set up a nuclear consultative group."
    # Reported once, not on every tick.
    assert library.refresh() == []

    _replace(faq, good_text + THIRD_SHIPPED)
    assert library.refresh() == []
    assert "japan-next" in library.base.by_id


def test_an_invalid_server_file_is_rejected_and_its_last_good_entries_keep_serving(
    library: Library, data_dir: Path
) -> None:
    library.add_entry(GUILD, _entry("deterrence", DETERRENCE_QUESTION), MOD)
    path = data_dir / "guilds" / f"{GUILD}.yaml"
    _replace(path, path.read_text(encoding="utf-8").replace("paragraph: 3", "paragraph: 42"))
    errors = library.refresh()
    assert len(errors) == 1
    assert any("paragraph 42 does not exist" in p.message for p in errors[0].problems)
    assert library.matcher_for(GUILD).reply(DETERRENCE_QUESTION).entry_id == "deterrence"


def test_a_shipped_change_drops_only_the_server_entries_that_now_clash(
    library: Library, small_knowledge: Path
) -> None:
    library.add_entry(GUILD, _entry("deterrence", DETERRENCE_QUESTION), MOD)
    library.add_entry(GUILD, _entry("japan", "Which country is likely next?"), MOD)
    # The shipped FAQ now owns the server entry's question.
    faq = small_knowledge / "faq.yaml"
    third = THIRD_SHIPPED.replace("      - japan next\n", "      - Which country is likely next?\n")
    _replace(faq, faq.read_text(encoding="utf-8") + third)

    errors = library.refresh()
    assert len(errors) == 1  # the server file, which now clashes
    assert any("already used by entry 'japan-next'" in p.message for p in errors[0].problems)
    kb = library.knowledge_for(GUILD)
    assert "japan-next" in kb.by_id
    assert "deterrence" in kb.by_id
    assert "japan" not in kb.by_id


async def test_watch_reports_rejected_files_to_the_callback(
    library: Library, small_knowledge: Path
) -> None:
    reported: list[KnowledgeError] = []
    got_one = asyncio.Event()

    async def on_error(error: KnowledgeError) -> None:
        reported.append(error)
        got_one.set()

    faq = small_knowledge / "faq.yaml"
    good_text = faq.read_text(encoding="utf-8")
    task = asyncio.create_task(library.watch(interval=0.01, on_error=on_error))
    try:
        _replace(faq, "entries: [broken\n")
        await asyncio.wait_for(got_one.wait(), timeout=5)
        assert "invalid YAML" in str(reported[0])

        # A fixed file is picked up by the same loop, and nothing more is reported.
        _replace(faq, good_text + THIRD_SHIPPED)
        for _ in range(500):
            if "japan-next" in library.base.by_id:
                break
            await asyncio.sleep(0.01)
        assert "japan-next" in library.base.by_id
        assert len(reported) == 1
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_watch_survives_a_failing_callback(
    library: Library, small_knowledge: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 0

    async def on_error(error: KnowledgeError) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("mod-log channel is gone")

    task = asyncio.create_task(library.watch(interval=0.01, on_error=on_error))
    try:
        _replace(small_knowledge / "faq.yaml", "entries: [broken\n")
        for _ in range(500):
            if calls:
                break
            await asyncio.sleep(0.01)
        _replace(small_knowledge / "article.md", "no front matter\n")
        for _ in range(500):
            if calls >= 2:
                break
            await asyncio.sleep(0.01)
        assert calls == 2
        assert not task.done()
        assert any(
            "reporting a rejected knowledge file failed" in r.message for r in caplog.records
        )
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_a_slow_hot_reload_does_not_block_a_moderator_edit(
    library: Library, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are parsed outside the write lock; an edit meanwhile is neither blocked nor lost."""
    import threading

    from bot.core import loader

    library.add_entry(GUILD, _entry("deterrence", DETERRENCE_QUESTION), MOD)
    path = data_dir / "guilds" / f"{GUILD}.yaml"
    # Someone edits the file by hand; the next refresh reads it, slowly.
    _replace(path, path.read_text(encoding="utf-8") + "# touched\n")
    reading = threading.Event()
    release = threading.Event()
    parse = loader._parse_yaml

    def slow_parse(text: str, name: str) -> Any:
        if name == str(path) and threading.current_thread().name == "refresh":
            reading.set()
            assert release.wait(10)
        return parse(text, name)

    monkeypatch.setattr(loader, "_parse_yaml", slow_parse)
    refresher = threading.Thread(target=library.refresh, name="refresh")
    refresher.start()
    try:
        assert reading.wait(5)
        editor = threading.Thread(
            target=library.add_entry,
            args=(GUILD, _entry("japan", "Which country is likely next?"), MOD),
        )
        editor.start()
        editor.join(5)
        assert not editor.is_alive(), "the edit waited for the hot reload"
    finally:
        release.set()
        refresher.join(10)
    # The refresh read the file before the edit: it must not put the old content back.
    assert "japan" in library.knowledge_for(GUILD).by_id
    library.refresh()
    assert {"deterrence", "japan"} <= set(library.knowledge_for(GUILD).by_id)


def test_a_hostile_server_file_is_rejected_when_first_read_not_a_crash(
    small_knowledge: Path, data_dir: Path
) -> None:
    guilds = data_dir / "guilds"
    guilds.mkdir(parents=True)
    (guilds / f"{GUILD}.yaml").write_text("entries: " + "[" * 3000 + "\n", encoding="utf-8")
    (guilds / f"{OTHER_GUILD}.yaml").write_text("entries: &a [*a]\n", encoding="utf-8")
    library = Library(small_knowledge, data_dir)
    assert library.knowledge_for(GUILD) is library.base
    assert library.knowledge_for(OTHER_GUILD) is library.base
    messages = [str(p) for error in library.refresh() for p in error.problems]
    assert len(messages) == 2
    assert "nested more than" in messages[0]
    assert "anchor '&a' is not allowed" in messages[1]
    assert library.knowledge_for(GUILD) is library.base


def test_after_a_restart_a_clashing_entry_stops_serving_alone_and_can_be_fixed(
    library: Library, small_knowledge: Path, data_dir: Path
) -> None:
    library.add_entry(GUILD, _entry("deterrence", DETERRENCE_QUESTION), MOD)
    library.add_entry(GUILD, _entry("japan", "Which country is likely next?"), MOD)
    faq = small_knowledge / "faq.yaml"
    third = THIRD_SHIPPED.replace("      - japan next\n", "      - Which country is likely next?\n")
    _replace(faq, faq.read_text(encoding="utf-8") + third)
    restarted = Library(small_knowledge, data_dir)
    # The rest of the server's entries still serve; the clashing one is kept, with the reason.
    assert "deterrence" in restarted.knowledge_for(GUILD).by_id
    assert "japan" not in restarted.knowledge_for(GUILD).by_id
    entry, reason = restarted.unserved_for(GUILD)["japan"]
    assert "already used by entry 'japan-next'" in reason
    # Found when the server first needed its entries, reported by the next refresh.
    assert any("not served" in str(p) for e in restarted.refresh() for p in e.problems)
    fixed = entry.model_copy(update={"question": "Which country follows Korea?"})
    restarted.edit_entry(GUILD, fixed, MOD)
    assert "japan" in restarted.knowledge_for(GUILD).by_id
    assert restarted.unserved_for(GUILD) == {}


def test_a_refused_change_never_points_at_a_line_of_an_unwritten_file(library: Library) -> None:
    library.add_entry(GUILD, _entry("deterrence", DETERRENCE_QUESTION), MOD)
    with pytest.raises(KnowledgeError) as caught:
        library.add_entry(GUILD, _entry("again", DETERRENCE_QUESTION), MOD)
    (problem,) = caught.value.problems
    assert "already used by entry 'deterrence'" in problem.message
    assert problem.line is None and problem.column is None


def test_file_names_that_are_not_server_ids_are_ignored_with_a_warning(
    small_knowledge: Path, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    guilds = data_dir / "guilds"
    guilds.mkdir(parents=True)
    for name in ("①", "²", str(2**63), "1" * 30, "notes"):
        (guilds / f"{name}.yaml").write_text("entries: []\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.core.storage"):
        library = Library(small_knowledge, data_dir)
        assert library.refresh() == []
    assert library.store.guild_ids() == []
    warned = [
        r.getMessage() for r in caplog.records if "not named after a server id" in r.getMessage()
    ]
    assert len(warned) == 5  # once each, not on every refresh
