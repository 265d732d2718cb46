"""Turning what a moderator typed into an entry: pure checks, no Discord needed."""

from __future__ import annotations

import pytest

from bot.core.loader import load_knowledge
from bot.core.models import Article, Entry, Source
from bot.modals import DraftError, EntryDraft, build_entry


@pytest.fixture
def article(knowledge_dir) -> Article:  # type: ignore[no-untyped-def]
    return load_knowledge(knowledge_dir).article


def test_a_valid_draft(article: Article) -> None:
    draft = EntryDraft(
        question="  Who meets in Hiroshima? ",
        alternates="g7 venue\nG7 venue\n\nwhere does the g7 meet",
        answer="The G7.",
        paragraph="¶6",
        quote="albeit not until well after the G7 meets in Hiroshima",
    )
    entry = build_entry(draft, article, entry_id="hiroshima")
    assert entry.question == "Who meets in Hiroshima?"
    assert entry.alternates == ("g7 venue", "where does the g7 meet")
    assert entry.sources == (
        Source(paragraph=6, quote="albeit not until well after the G7 meets in Hiroshima"),
    )


def test_every_problem_is_reported_at_once(article: Article) -> None:
    draft = EntryDraft(question="", answer="", paragraph="0", quote="x" * 25)
    with pytest.raises(DraftError) as caught:
        build_entry(draft, article, entry_id="x")
    assert caught.value.problems == (
        "Question: write the question members ask.",
        "Answer: write the answer.",
        "Paragraph: there is no paragraph 0; the article has paragraphs 1 to 8.",
    )


def test_quotes_match_despite_typographic_quotes_and_spacing(article: Article) -> None:
    draft = EntryDraft(
        question="What did Trump threaten?",
        answer="Fire and fury.",
        paragraph="7",
        quote='America\'s  "fire and fury" approach to North Korea',
    )
    entry = build_entry(draft, article, entry_id="fire")
    assert entry.sources[0].paragraph == 7


def test_editing_keeps_tags_and_further_sources(article: Article) -> None:
    first = Source(paragraph=1, quote="Last year marked 70 years of the American alliance")
    second = Source(paragraph=2, quote="the two countries will establish a nuclear consultative")
    previous = Entry(
        id="old", question="Old?", answer="Old.", sources=(first, second), tags=("history",)
    )
    draft = EntryDraft.from_entry(previous)
    assert (draft.paragraph, draft.quote) == ("1", first.quote)
    edited = build_entry(
        EntryDraft(question="New?", answer="New.", paragraph="1", quote=first.quote),
        article,
        entry_id="old",
        previous=previous,
    )
    assert edited.sources == (first, second)
    assert edited.tags == ("history",)


def test_too_many_alternates(article: Article) -> None:
    draft = EntryDraft(
        question="Q?", answer="A.", alternates="\n".join(f"way {i}" for i in range(31))
    )
    with pytest.raises(DraftError) as caught:
        build_entry(draft, article, entry_id="q")
    assert caught.value.problems == ("Other ways to ask: 31 lines; keep it to 30.",)
