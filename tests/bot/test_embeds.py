"""Embeds: sourced, escaped, and always within Discord's limits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.models import Article, Entry, KnowledgeBase, Paragraph, Reply, Source
from bot.core.stats import EntryStats, Gap
from bot.embeds import (
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FIELD_VALUE_MAX,
    FOOTER_MAX,
    TITLE_MAX,
    answer_embed,
    answer_ref,
    defang_links,
    entry_list_pages,
    entry_reply,
    gaps_embed,
    member_text,
    paragraph_embeds,
    problems_embed,
    safe,
    stats_embed,
    truncate,
)

ARTICLE = Article(
    title="South Korea and the United States Renew their Vows",
    date=dt.date(2023, 4, 26),
    url=None,
    paragraphs=tuple(
        Paragraph(n, f"Paragraph {n} text. " + "Words of the article. " * 60) for n in range(1, 9)
    ),
)


def _kb(*entries: Entry, url: str | None = None) -> KnowledgeBase:
    return KnowledgeBase(dataclasses.replace(ARTICLE, url=url), tuple(entries))


def _entry(**fields: object) -> Entry:
    base: dict[str, object] = {
        "id": "sample",
        "question": "What is the sample question?",
        "answer": "The sample answer.",
        "sources": [{"paragraph": 2, "quote": "Paragraph 2 text. Words of the article."}],
    }
    return Entry.model_validate({**base, **fields})


def assert_within_limits(embed: discord.Embed) -> None:
    """Discord's embed limits, checked on the dict discord.py would send."""
    data = embed.to_dict()
    assert len(data.get("title", "")) <= TITLE_MAX
    assert len(data.get("description", "")) <= DESCRIPTION_MAX
    assert len(data.get("fields", [])) <= 25
    for field in data.get("fields", []):
        assert 1 <= len(field["name"]) <= 256
        assert 1 <= len(field["value"]) <= FIELD_VALUE_MAX
    assert len(data.get("footer", {}).get("text", "")) <= FOOTER_MAX
    assert len(data.get("author", {}).get("name", "")) <= 256
    assert len(embed) <= EMBED_TOTAL_MAX


def test_answer_embed_parts() -> None:
    entry = _entry()
    kb = _kb(entry)
    reply = Reply(
        question="q",
        answered=True,
        kind="faq",
        entry_id=entry.id,
        title=entry.question,
        answer=entry.answer,
        sources=entry.sources,
        score=87,
    )
    embed = answer_embed(reply, kb)
    assert embed.title == "What is the sample question?"
    assert embed.description == "The sample answer."
    assert [f.name for f in embed.fields] == ["Source"]
    value = embed.fields[0].value or ""
    assert value.splitlines()[0] == "¶2 “Paragraph 2 text. Words of the article.”"
    assert "South Korea and the United States Renew their Vows" in value
    assert "April 26, 2023" in value
    assert "](" not in value  # no link when the article has no URL
    assert embed.footer.text == "Confidence 87% · sample"
    assert_within_limits(embed)


def test_source_links_the_article_when_a_url_is_known() -> None:
    entry = _entry()
    embed = answer_embed(entry_reply(entry), _kb(entry, url="https://example.org/vows"))
    assert "(https://example.org/vows)" in (embed.fields[0].value or "")


def test_article_answers_are_labelled() -> None:
    reply = Reply(
        question="q",
        answered=True,
        kind="article",
        title="From the article",
        answer="The author writes in paragraph 3: “x”",
        sources=(Source(paragraph=3, quote="Paragraph 3 text. Words of the article."),),
        score=71,
    )
    embed = answer_embed(reply, _kb())
    assert embed.title == "From the article"
    assert (embed.fields[0].value or "").startswith("¶3 “")
    assert answer_ref(reply) == "#3"


def test_moderator_entry_without_source_says_so() -> None:
    entry = _entry(sources=[], created_by=42, created_at="2024-01-01T00:00:00Z")
    embed = answer_embed(entry_reply(entry), _kb(entry), direct=True)
    assert [(f.name, f.value) for f in embed.fields] == [("Source", "Added by moderators")]
    assert embed.footer.text == "FAQ entry · sample"


def test_markdown_and_mentions_in_an_entry_are_harmless() -> None:
    entry = _entry(
        question="**Bold** @everyone <@123456789012345678>?",
        answer="# Big\n[click](https://evil.example) @here `code` ||spoiler||",
    )
    embed = answer_embed(entry_reply(entry), _kb(entry))
    assert embed.title == "\\*\\*Bold\\*\\* @\u200beveryone <@\u200b123456789012345678>?"
    description = embed.description or ""
    assert "@\u200bhere" in description
    assert "\\[click]" in description  # no masked link
    assert "\\`code\\`" in description
    assert "\\|\\|spoiler\\|\\|" in description


def test_a_maximal_entry_fits() -> None:
    quote = "Paragraph 2 text. " + "Words of the article. " * 40
    entry = _entry(
        question="*" * 256,
        answer="_" * 4000,
        sources=[{"paragraph": 2, "quote": quote[:1000]}] * 5,
    )
    embed = answer_embed(entry_reply(entry), _kb(entry))
    assert_within_limits(embed)
    assert (embed.description or "").endswith("…")
    assert not (embed.description or "").endswith("\\…")
    assert (embed.fields[0].value or "").count("¶2") == 5


@given(st.text(max_size=5000), st.integers(min_value=1, max_value=5000))
def test_truncate_respects_the_limit(text: str, limit: int) -> None:
    cut = truncate(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith("…")


@settings(max_examples=60)
@given(
    question=st.text(min_size=1, max_size=256).filter(str.strip),
    answer=st.text(min_size=1, max_size=4000).filter(str.strip),
)
def test_any_entry_text_fits_and_never_pings(question: str, answer: str) -> None:
    entry = _entry(question=question, answer=answer)
    embed = answer_embed(entry_reply(entry), _kb(entry))
    assert_within_limits(embed)
    for text in (embed.title or "", embed.description or ""):
        assert "@everyone" not in text
        assert "@here" not in text


def test_safe_escapes_what_discord_would_render() -> None:
    assert safe("@everyone **x**") == "@\u200beveryone \\*\\*x\\*\\*"


# -- links in text members wrote ----------------------------------------------------------

# A "[" that Discord would read as markup: preceded by an even number of backslashes.
_UNESCAPED_BRACKET = re.compile(r"(?<!\\)(?:\\\\)*\[")
# A masked link Discord would render: an unescaped [label](url).
_LIVE_MASKED_LINK = re.compile(r"(?<!\\)(?:\\\\)*\[[^\]]*\]\(\s*<?[a-z]+:/", re.IGNORECASE)
# Anything a linkifier could take for a URL: a scheme's colon and a slash.
_LINK_START = re.compile(r":[/\\]")


def _unescape(text: str) -> str:
    """What Discord shows for escaped text: a backslash before punctuation disappears."""
    return re.sub(r"\\([^0-9A-Za-z])", r"\1", text)


_label = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="@"), max_size=12
)
_url = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https", "HTTPS", "steam", "ftp"]),
    st.text(alphabet="abcxyz019.-", min_size=1, max_size=10),
    st.text(alphabet="aZ9_-/.?=&%()[]", max_size=15),
)
_link = st.one_of(
    _url,
    _url.map(lambda url: f"<{url}>"),
    st.builds(lambda label, url: f"[{label}]({url})", _label, _url),
    st.builds(lambda label, url: f"[{label}](<{url}>)", _label, _url),
)
# Several links on one line, with any text (or none) between them.
_line_with_links = st.lists(st.tuples(_label, _link), min_size=2, max_size=6).map(
    lambda parts: "".join(text + link for text, link in parts)
)


def test_the_second_masked_link_of_a_line_is_escaped_too() -> None:
    # discord.py's escape_markdown escapes the first "[" only (its pattern is greedy).
    assert safe("[a](http://x) [b](http://y)") == "\\[a](http://x) \\[b](http://y)"
    assert safe("[a](http://x) *b* [c](http://y)") == "\\[a](http://x) \\*b\\* \\[c](http://y)"


def test_member_links_are_neither_masked_nor_bare() -> None:
    shown = member_text("[claim here](https://evil.example) or https://evil.example/x", 300)
    assert shown == "\\[claim here](https\\[:]//evil.example) or https\\[:]//evil.example/x"


@settings(max_examples=150)
@given(_line_with_links)
def test_no_link_in_member_text_survives(line: str) -> None:
    shown = member_text(line, 10_000)
    assert not _UNESCAPED_BRACKET.search(shown), shown
    assert not _LINK_START.search(_unescape(shown)), shown
    # Nothing else changes: Discord shows the words as written, only the links defanged.
    assert _unescape(shown) == defang_links(line)


@settings(max_examples=150)
@given(_line_with_links)
def test_no_masked_link_survives_in_any_text(line: str) -> None:
    assert not _LIVE_MASKED_LINK.search(safe(line))


@settings(max_examples=40)
@given(st.lists(_line_with_links, min_size=1, max_size=12))
def test_gaps_show_members_questions_without_links(questions: list[str]) -> None:
    embed = gaps_embed([Gap(q, 2, 1, 1) for q in questions])
    description = embed.description or ""
    assert not _UNESCAPED_BRACKET.search(description)
    assert not _LINK_START.search(_unescape(description))
    assert_within_limits(embed)


def test_paragraph_embeds_hold_whole_paragraphs_within_a_message() -> None:
    embeds = paragraph_embeds(ARTICLE, [2])
    assert len(embeds) == 1
    assert embeds[0].title == "¶2"
    assert embeds[0].description == safe(ARTICLE.paragraphs[1].text)
    everything = paragraph_embeds(ARTICLE, range(1, 20))
    assert len(everything) == 8
    assert sum(len(e) for e in everything) <= EMBED_TOTAL_MAX
    for embed in everything:
        assert_within_limits(embed)
    assert paragraph_embeds(ARTICLE, [99]) == []


def test_entry_list_pages() -> None:
    entries = [_entry(id=f"entry-{i}", question=f"Question {i}?") for i in range(23)]
    pages = entry_list_pages(entries, heading="FAQ entries", per_page=10)
    assert len(pages) == 3
    assert pages[0].footer.text == "Page 1/3 · 23 entries"
    assert "**21.** Question 20? · `entry-20`" in (pages[2].description or "")
    assert entry_list_pages([], heading="FAQ entries")[0].description == "No entries."


def test_gaps_stats_and_problems_fit_however_many_rows() -> None:
    gaps = [Gap("why " * 200, 5, 3, 2) for _ in range(50)]
    assert_within_limits(gaps_embed(gaps))
    assert "asked 5×, unanswered 3, not helpful 2" in (gaps_embed(gaps[:1]).description or "")
    kb = _kb(_entry())
    rows = [EntryStats("sample", 9, 4, 1)] + [EntryStats(f"gone-{i}", 1, 0, 0) for i in range(300)]
    embed = stats_embed(rows, kb)
    assert_within_limits(embed)
    description = embed.description or ""
    assert description.startswith("What is the sample question?: 9 asks, 👍 4, 👎 1")
    assert "more" in description.splitlines()[-1]
    assert "From the article, ¶3" in (
        stats_embed([EntryStats("#3", 2, 1, 0)], kb).description or ""
    )
    problems = problems_embed("Not saved", [f"problem {i} " + "x" * 300 for i in range(40)])
    assert_within_limits(problems)
    assert (problems.description or "").splitlines()[-1].startswith("… and ")


def test_a_backslash_ending_a_url_does_not_cancel_the_next_escape() -> None:
    # Found by hypothesis: the URL took the backslash, whose "\" then escaped the escape.
    line = "http://0/http://0/\\[](http://0/)"
    assert not _LIVE_MASKED_LINK.search(safe(line)), safe(line)
