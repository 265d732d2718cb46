"""The library at scale: many servers' overlays, a bounded cache, no server sees another's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core import library as library_module
from bot.core.library import Library
from bot.core.loader import EntryFile
from bot.core.matcher import Matcher
from bot.core.models import Entry, Source
from bot.core.store.embedded import EmbeddedStore

MOD = 9001
FIRST_GUILD = 1000
# Sentences of the article's paragraph 3, each a verbatim quote for a server's entry.
QUOTES = (
    "This is a smart effort to proactively address a growing risk to the US-South Korea alliance",
    "It is only natural that experts and the public in South Korea would want to bolster "
    "deterrence capabilities.",
)
# Words no shipped text uses: a question naming one is about that server's entry alone.
CODE_WORDS = (
    "aardvark", "badger", "caracal", "dingo", "echidna", "fennec", "gibbon", "hyrax",
    "ibex", "jackal", "kinkajou", "lemur", "margay", "numbat", "ocelot", "pangolin",
    "quokka", "raccoon", "serval", "tapir", "urial", "vicuna", "wombat", "xerus",
)  # fmt: skip


def _entry(word: str) -> Entry:
    return Entry(
        id=f"{word}-briefing",
        question=f"What does the {word} briefing say about deterrence?",
        alternates=(f"{word} briefing", f"summary of the {word} briefing"),
        answer=f"The {word} briefing: experts want to bolster deterrence capabilities.",
        sources=(Source(paragraph=3, quote=QUOTES[len(word) % 2]),),
    )


@pytest.fixture
def overlays(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of entries of every overlay built, in order."""
    built: list[int] = []

    class CountingMatcher(Matcher):
        def with_entries(self, entries: tuple[Entry, ...], *args: Any, **kwargs: Any) -> Matcher:
            built.append(len(entries))
            return super().with_entries(entries, *args, **kwargs)

    monkeypatch.setattr(library_module, "Matcher", CountingMatcher)
    return built


def test_overlays_stay_in_a_bounded_cache_and_rebuild_only_when_needed(
    small_knowledge: Path, data_dir: Path, overlays: list[int]
) -> None:
    library = Library(small_knowledge, data_dir, overlay_cache=2)
    guilds = [FIRST_GUILD + i for i in range(3)]
    for guild, word in zip(guilds, CODE_WORDS, strict=False):
        library.add_entry(guild, _entry(word), MOD)

    first = library.matcher_for(guilds[0])
    assert library.matcher_for(guilds[0]) is first
    library.matcher_for(guilds[1])
    assert overlays == [1, 1]
    library.matcher_for(guilds[0])  # now the most recently used
    library.matcher_for(guilds[2])  # evicts guilds[1], the least recently used
    assert overlays == [1, 1, 1]
    assert library.matcher_for(guilds[0]) is first
    assert library.matcher_for(guilds[2]) is library.matcher_for(guilds[2])
    assert overlays == [1, 1, 1]
    rebuilt = library.matcher_for(guilds[1])  # evicted: built again, same answers
    assert overlays == [1, 1, 1, 1]
    reply = rebuilt.reply(f"{CODE_WORDS[1]} briefing")
    assert (reply.answered, reply.entry_id) == (True, f"{CODE_WORDS[1]}-briefing")

    # A change to one server's entries rebuilds that server's overlay, and only on its
    # next question.
    library.add_entry(guilds[1], _entry(CODE_WORDS[10]), MOD)
    assert overlays == [1, 1, 1, 1]
    changed = library.matcher_for(guilds[1])
    assert overlays == [1, 1, 1, 1, 2]
    assert changed.reply(f"{CODE_WORDS[10]} briefing").entry_id == f"{CODE_WORDS[10]}-briefing"
    assert library.refresh() == []
    assert library.matcher_for(guilds[1]) is changed
    assert overlays == [1, 1, 1, 1, 2]
    assert len(library._matchers) <= 2


def test_no_server_ever_gets_another_servers_entry(small_knowledge: Path, data_dir: Path) -> None:
    library = Library(small_knowledge, data_dir, overlay_cache=5)
    owner: dict[str, int] = {}
    for number, word in enumerate(CODE_WORDS):
        guild = FIRST_GUILD + number
        saved = library.add_entry(guild, _entry(word), MOD)
        owner[saved.id] = guild
    asked = 0
    # Every server is asked every server's questions, in an order that keeps evicting.
    for guild in [FIRST_GUILD + n for n in range(len(CODE_WORDS))]:
        for word in CODE_WORDS:
            for question in _entry(word).phrasings:
                reply = library.matcher_for(guild).reply(question)
                asked += 1
                if reply.entry_id in owner:
                    assert owner[reply.entry_id] == guild, (guild, question, reply.entry_id)
                    assert reply.entry_id == f"{word}-briefing"
                elif owner.get(f"{word}-briefing") == guild:
                    pytest.fail(f"server {guild} did not get its own entry for {question!r}")
                for suggestion in reply.suggestions:
                    assert owner.get(suggestion.entry_id, guild) == guild
    assert asked == len(CODE_WORDS) ** 2 * 3
    assert len(library._matchers) == 5


def test_the_cache_size_must_be_positive(small_knowledge: Path, data_dir: Path) -> None:
    with pytest.raises(ValueError, match="overlay_cache"):
        Library(small_knowledge, data_dir, overlay_cache=0)


def test_start_up_reads_no_server_entries_and_a_server_is_read_once(
    small_knowledge: Path, data_dir: Path
) -> None:
    writer = Library(small_knowledge, data_dir)
    guilds = [FIRST_GUILD + i for i in range(len(CODE_WORDS))]
    for guild, word in zip(guilds, CODE_WORDS, strict=True):
        writer.add_entry(guild, _entry(word), MOD)

    reads: list[int] = []
    listed: list[bool] = []

    class SpyStore(EmbeddedStore):
        def read_entries(self, guild_id: int) -> EntryFile:
            reads.append(guild_id)
            return super().read_entries(guild_id)

        def guild_ids(self) -> list[int]:
            listed.append(True)
            return super().guild_ids()

    library = Library(small_knowledge, data_dir, store=lambda base: SpyStore(data_dir, base))
    assert reads == []
    assert listed == []  # not even the list of servers

    reply = library.matcher_for(guilds[3]).reply(f"{CODE_WORDS[3]} briefing")
    assert (reply.answered, reply.entry_id) == (True, f"{CODE_WORDS[3]}-briefing")
    assert reads == [guilds[3]]
    library.matcher_for(guilds[3])
    library.knowledge_for(guilds[3])
    assert reads == [guilds[3]]
    # A server without entries is read once too, then served by the shipped matcher.
    assert library.matcher_for(5) is library.matcher_for(None)
    assert library.matcher_for(5) is library.matcher_for(None)
    assert reads == [guilds[3], 5]

    # A refresh looks at the servers read so far only, and reads none that did not change.
    assert library.refresh() == []
    assert reads == [guilds[3], 5]
    assert listed == []

    # A server first needed after another process changed it gets the change at once.
    writer.add_entry(guilds[4], _entry(CODE_WORDS[20]), MOD)
    reply = library.matcher_for(guilds[4]).reply(f"{CODE_WORDS[20]} briefing")
    assert (reply.answered, reply.entry_id) == (True, f"{CODE_WORDS[20]}-briefing")
    # One read so far changes under it: the next refresh picks it up.
    writer.add_entry(guilds[3], _entry(CODE_WORDS[21]), MOD)
    assert library.refresh() == []
    reply = library.matcher_for(guilds[3]).reply(f"{CODE_WORDS[21]} briefing")
    assert (reply.answered, reply.entry_id) == (True, f"{CODE_WORDS[21]}-briefing")
