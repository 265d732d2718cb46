"""Two-tier matching: a server's entries as an overlay on the shared shipped index."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.evaluation import load_eval_set
from bot.core.loader import entry_problems
from bot.core.matcher import Matcher
from bot.core.matching.overlay import Overlay
from bot.core.models import Entry, KnowledgeBase, Source
from bot.core.text import phrasing_key

DATA = Path(__file__).resolve().parents[1] / "data"

# Moderator entries as a server would write them: their own words, quotes from the article.
PHILIPPINES = Entry(
    id="manila-bases",
    question="How many bases did the Philippines open to the US?",
    alternates=("bases manila opened", "what did manila give the americans"),
    answer="According to the article, the Philippines permitted US access to four more bases.",
    sources=(
        Source(
            paragraph=4,
            quote="the Philippines permitted US access to four additional military bases",
        ),
    ),
    created_by=1,
)
GOODIE_BAG = Entry(
    id="goodie-bag",
    question="What is in Seoul's goodie bag from this summit?",
    alternates=("summit goodie bag", "goodie bag contents"),
    answer="The article lists four major actions by the United States.",
    sources=(
        Source(
            paragraph=2,
            quote="in exchange for four major actions by the United States",
        ),
    ),
    created_by=1,
)
HIROSHIMA = Entry(
    id="hiroshima-timing",
    question="When will Japan ask for the same deal, before or after Hiroshima?",
    alternates=("japan after hiroshima",),
    answer="The author expects Japan next, but not until well after the G7 meets in Hiroshima.",
    sources=(Source(paragraph=6, quote="not until well after the G7 meets in Hiroshima"),),
    created_by=1,
)
SERVER_ENTRIES = (PHILIPPINES, GOODIE_BAG, HIROSHIMA)


def _questions(*names: str) -> list[str]:
    return [case.question for name in names for case in load_eval_set(DATA / name).cases]


@pytest.fixture(scope="module")
def shipped(shipped_kb: KnowledgeBase) -> Matcher:
    return Matcher(shipped_kb)


def test_the_server_entries_are_valid_beside_the_shipped_ones(shipped_kb: KnowledgeBase) -> None:
    taken = {phrasing_key(p) for e in shipped_kb.entries for p in e.phrasings}
    for entry in SERVER_ENTRIES:
        assert entry.id not in shipped_kb.by_id
        assert not entry_problems(entry, shipped_kb.article, shipped=False)
        assert not taken & {phrasing_key(p) for p in entry.phrasings}


def test_a_server_entry_answers_through_the_overlay_and_only_there(shipped: Matcher) -> None:
    server = shipped.with_entries(SERVER_ENTRIES)
    for entry in SERVER_ENTRIES:
        for phrasing in entry.phrasings:
            reply = server.reply(phrasing)
            assert (reply.answered, reply.entry_id) == (True, entry.id), phrasing
        assert entry.id not in shipped.kb.by_id
        assert shipped.reply(entry.question).entry_id != entry.id
    assert [e.id for e in server.kb.entries[-3:]] == [e.id for e in SERVER_ENTRIES]
    # The shipped matcher is shared, not changed.
    assert len(shipped.kb.entries) == len(server.kb.entries) - 3


def test_a_word_only_the_server_uses_is_known_to_that_server(shipped: Matcher) -> None:
    # "goodie" is in no shipped entry nor in the article: unknown, it weighs the most and
    # the shipped FAQ rightly declines; the server that wrote it answers.
    question = "goodie bag?"
    assert not shipped.reply(question).answered
    reply = shipped.with_entries(SERVER_ENTRIES).reply(question)
    assert (reply.answered, reply.entry_id) == (True, "goodie-bag")
    entries, _ = shipped.with_entries(SERVER_ENTRIES).rank("what's in the goodie bag")
    assert entries and entries[0].features.unknown == 0


def test_without_entries_the_tiers_score_exactly_as_the_shipped_index(
    shipped: Matcher, shipped_kb: KnowledgeBase
) -> None:
    # An overlay of nothing goes through every step of the two-tier scoring.
    empty = Overlay(shipped._index, (), shipped._index.analyser)
    questions = _questions("dev.yaml", "tune_a.yaml", "tune_b.yaml")
    assert len(questions) > 200
    for question in questions:
        alone, sentences = shipped.rank(question)
        tiered, tiered_sentences = empty.rank(
            question, shipped.calibration, shipped.settings.min_information
        )
        assert tiered == alone, question
        assert tiered_sentences == sentences, question


def test_a_server_without_entries_is_served_by_the_shipped_matcher_itself(
    shipped: Matcher, shipped_kb: KnowledgeBase
) -> None:
    assert shipped.with_entries(()) is shipped
    fresh = Matcher(shipped_kb)
    for question in _questions("dev.yaml", "tune_a.yaml"):
        for chat in (False, True):
            assert shipped.reply(question, chat=chat) == fresh.reply(question, chat=chat)


def test_two_tiers_answer_as_one_index_over_the_same_entries(
    shipped: Matcher, shipped_kb: KnowledgeBase
) -> None:
    """The overlay's IDF keeps the shipped document count (so the shipped arrays stay
    shared); one index over everything counts the server's entries too. They answer alike:
    the same entry, or both decline, or a question scores within two points of the
    threshold and falls either side of it."""
    server = shipped.with_entries(SERVER_ENTRIES)
    whole = Matcher(
        KnowledgeBase(shipped_kb.article, shipped_kb.entries + SERVER_ENTRIES, shipped_kb.synonyms)
    )
    questions = _questions("dev.yaml") + [p for e in SERVER_ENTRIES for p in e.phrasings]
    questions += ["philipines basses", "goodie", "what about japan and hiroshima?"]
    for question in questions:
        two, one = server.reply(question), whole.reply(question)
        if two.answered and one.answered:
            assert two.entry_id == one.entry_id, question
        elif two.answered != one.answered:
            # Only a question right at the threshold may fall either side of it.
            assert abs(two.score - one.score) <= 2, (question, two.score, one.score)


def test_server_synonyms_reach_its_questions_and_never_the_shipped_index(
    shipped: Matcher,
) -> None:
    # A word no shipped text uses: the overlay serves it.
    own_word = shipped.with_entries(SERVER_ENTRIES, {"swag": "goodie bag"})
    assert own_word._index is shipped._index
    reply = own_word.reply("what's the swag?")
    assert (reply.answered, reply.entry_id) == (True, "goodie-bag")
    # A word shipped texts use ("bases"): those texts would read differently for this
    # server, so it gets an index of its own, which answers all the same.
    clashing = shipped.with_entries(SERVER_ENTRIES, {"bases": "military bases"})
    assert clashing._index is not shipped._index
    reply = clashing.reply("bases manila opened")
    assert (reply.answered, reply.entry_id) == (True, "manila-bases")
    # The shipped matcher never saw either synonym.
    assert not shipped.reply("what's the swag?").answered


def test_a_server_cannot_shadow_the_shipped_synonyms(shipped: Matcher) -> None:
    server = shipped.with_entries(SERVER_ENTRIES, {"ncg": "goodie bag"})
    assert server.kb.synonyms["ncg"] == shipped.kb.synonyms["ncg"]
    assert server.reply("what is the ncg?").entry_id == shipped.reply("what is the ncg?").entry_id


def test_typos_are_corrected_to_the_server_words_too(shipped: Matcher) -> None:
    reply = shipped.with_entries(SERVER_ENTRIES).reply("what's in the godie bag")
    assert (reply.answered, reply.entry_id) == (True, "goodie-bag")


def test_with_entries_is_for_the_shipped_matcher_only(shipped: Matcher) -> None:
    server = shipped.with_entries(SERVER_ENTRIES)
    with pytest.raises(ValueError, match="shipped matcher"):
        server.with_entries(SERVER_ENTRIES)
