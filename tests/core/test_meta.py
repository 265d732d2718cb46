"""Questions about the article itself: recognised by facet, answered from the article-level
entries, and only when the question names nothing else."""

from __future__ import annotations

import pytest

from bot.core.matcher import Matcher
from bot.core.matching import meta
from bot.core.matching.meta import FACETS, article_facet
from bot.core.models import KnowledgeBase


@pytest.fixture(scope="module")
def matcher(shipped_kb: KnowledgeBase) -> Matcher:
    return Matcher(shipped_kb)


@pytest.mark.parametrize(
    ("question", "facet"),
    [
        ("who authored this essay?", "author"),
        ("the write-up has no byline right?", "author"),
        ("who's it by", "author"),
        ("blogger name?", "author"),
        ("whats the column's headline", "title"),
        ("what is the op ed titled lol", "title"),
        ("name of the blog?", "title"),
        ("what date did the essay go up", None),  # "go up": a verb it does not know
        ("when was the column posted", "date"),
        ("what month is this piece from", "date"),
        ("when did the write-up come out", "date"),
        ("where did this blog post run", "source"),
        ("url for the op-ed?", "source"),
        ("how does the essay wrap up", "conclusion"),
        ("is this piece biased", "kind"),
        ("what sort of text is this", "kind"),
        ("is it an editorial", "kind"),
        ("what is the column arguing", "argument"),
        ("the blog's thesis?", "argument"),
        ("what is this essay about", "summary"),
        ("quick recap of the post", "summary"),
        ("gist of the essay in a few words?", "summary"),
        ("who wrote this thing", "author"),
        ("is the columnist a professor or a journalist", "author"),
        ("was the op-ed written by an expert", "author"),
        ("does the blog mention who wrote it", "author"),
        ("what does the headline say", "title"),
        ("is the essay outdated", "date"),
        ("is this post from 2019", "date"),
        ("what are the op-eds' names", "title"),
        ("when did the blog posts drop", "date"),
        ("who created this", "author"),
        ("any info on the writer?", "author"),
        ("the ending?", "conclusion"),
        ("need the headline for my bibliography", "title"),
    ],
)
def test_facets_of_the_article(question: str, facet: str | None) -> None:
    found = article_facet(question)
    assert (found.name if found else None) == facet


@pytest.mark.parametrize(
    "question",
    [
        "the article we were reading in class, who wrote it",
        "who wrote the piece u linked earlier",
        "whats the title of the post someone shared here",
    ],
)
def test_a_clause_pointing_at_the_article_in_chat_is_not_a_topic(question: str) -> None:
    assert article_facet(question) is not None


@pytest.mark.parametrize(
    "question",
    [
        "who wrote the joint declaration",  # a topic of the article, not the article
        "what does the author think of japan",
        "what does the author think",  # the author's view: the usual matching
        "how old is the writer",  # the author's age, not the article's
        "what year is it",
        "what happened in 2022",
        "when was it",  # "it" could be anything said before
        "what are the new bases called",
        "what about it",
        "whats the central question of the piece",  # paragraph 7, not the argument
        "is the piece good",
        "is this a thing",
        "what does the author say",  # the author's view
        "is the author a fan of the deal",
        "whats his title",  # someone's, not the article's
        "what is their headline",
        "",
    ],
)
def test_a_question_naming_anything_else_is_not_about_the_article(question: str) -> None:
    assert article_facet(question) is None


@pytest.mark.parametrize(
    ("question", "facet"),
    [
        ("headline & date of the essay?", "title"),
        ("date and headline of the essay?", "date"),
        ("who wrote the column plus where was it published", "author"),
    ],
)
def test_two_facets_asked_together_give_the_first(question: str, facet: str) -> None:
    found = article_facet(question)
    assert found is not None and found.name == facet


def test_every_facet_question_is_answered_by_its_own_entry(
    matcher: Matcher, shipped_kb: KnowledgeBase
) -> None:
    for name, facet in FACETS.items():
        reply = matcher.reply(facet.question)
        assert reply.answered, name
        entry = shipped_kb.by_id[reply.entry_id or ""]
        assert facet.question in (entry.question, *entry.alternates), name


@pytest.mark.parametrize("chat", [False, True])
@pytest.mark.parametrize(
    ("question", "expect"),
    [
        ("whos the writer of the blog post lol", "does not name"),
        ("any byline on the essay?", "does not name"),
        ("whats the name of the piece we're talking about", "Renew their Vows"),
        ("headline of the write-up?", "Renew their Vows"),
        ("when did the op-ed come out", "April 26, 2023"),
        ("what date was the column posted", "April 26, 2023"),
    ],
)
def test_members_wording_gets_the_article_level_answer(
    matcher: Matcher, question: str, expect: str, chat: bool
) -> None:
    reply = matcher.reply(question, chat=chat)
    assert reply.answered and reply.answer is not None
    assert expect in reply.answer
    assert reply.question == question


def test_rank_stays_the_lexical_ranking_of_the_text(matcher: Matcher) -> None:
    # The calibration learns from rank(): it sees the words as written, not the facet's.
    written, _ = matcher.rank("whos the writer of the blog post lol")
    plain, _ = matcher.rank(FACETS["author"].question)
    assert not written[0].exact and plain[0].exact


def test_the_quick_look_at_the_words_drops_no_question_the_full_reading_takes() -> None:
    # Every word the phrases and pointing clauses are spelt with passes the quick look.
    questions = [
        "when did the op-eds come out",
        "who wrote the write ups we were discussing in class",
        "the blog posts someone shared here, headline?",
        "whats the essay about in a few words",
        "is the author from a think tank",
        "how does the column wrap it up",
        "what sort of piece is this, one sided?",
        "tl;dr of the opinion piece",
    ]
    for question in questions:
        full = meta._reading(question)
        assert full is not None, question
        assert article_facet(question) == full, question
