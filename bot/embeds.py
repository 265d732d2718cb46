"""Turning core results into Discord embeds: escaped, sourced, and within Discord's limits.

Every piece of text that comes from an entry, a member or a file goes through `safe()`, so
markdown, masked links and `@everyone` in an entry show as plain text. Every length is cut
to Discord's limit with "…" rather than letting the API reject the message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import PurePath

import discord

from bot.core.errors import Problem
from bot.core.models import Article, Entry, KnowledgeBase, Reply, Source
from bot.core.stats import EntryStats, Gap

__all__ = [
    "ANSWER_COLOUR",
    "ARTICLE_REF_PREFIX",
    "BUTTON_LABEL_MAX",
    "CHOICE_NAME_MAX",
    "DESCRIPTION_MAX",
    "EMBED_TOTAL_MAX",
    "FIELD_VALUE_MAX",
    "FOOTER_MAX",
    "MESSAGE_MAX",
    "TITLE_MAX",
    "answer_embed",
    "answer_ref",
    "defang_links",
    "entry_list_pages",
    "entry_reply",
    "gaps_embed",
    "member_text",
    "paragraph_embeds",
    "problem_line",
    "problems_embed",
    "safe",
    "safe_text",
    "stats_embed",
    "truncate",
]

_log = logging.getLogger(__name__)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
MESSAGE_MAX = 2000
BUTTON_LABEL_MAX = 80
CHOICE_NAME_MAX = 100

ANSWER_COLOUR = discord.Colour.blurple()
ARTICLE_COLOUR = discord.Colour.teal()
WARNING_COLOUR = discord.Colour.orange()
ARTICLE_LABEL = "From the article"
MODERATOR_LABEL = "Added by moderators"
ELLIPSIS = "…"
ARTICLE_REF_PREFIX = "#"


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with "…" when it was cut."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)].rstrip()
    # Never leave a lone escaping backslash in front of the ellipsis.
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut + ELLIPSIS


# What Discord shows as a link without markup (the pattern discord.py's escape_markdown keeps;
# here a "[" or a backslash ends it, so that no masked link can hide at the end of a URL, and
# a URL's last backslash cannot cancel the escape of the "[" after it).
_URL = r"<[^: >\[\\]+:/[^ >\[\\]+>|(?:https?|steam)://[^\s<\[\\]+[^<.,:;\"\'\]\[\\\s]"
# Markdown Discord renders, one token at a time. Unlike discord.py's escape_markdown, every
# "[" is escaped on its own: its greedy `\[.+\]\(.+\)` rule escaped only the first masked link
# of a line and left the text between two links unescaped.
_MARKDOWN = re.compile(
    rf"(?P<url>{_URL})|(?P<markdown>[_\\~|*`\[]|^>(?:>>)?\s|^#{{1,3}}|^\s*-)", re.MULTILINE
)
# A scheme's colon before a slash or backslash: what makes text a link.
_LINK_COLON = re.compile(r":(?=[/\\])")


def _escape_token(match: re.Match[str]) -> str:
    return match["url"] or "\\" + match["markdown"]


def safe(text: str) -> str:
    """`text` with markdown and mentions escaped, so it shows exactly as written.

    Bare URLs stay links (an answer may point somewhere); masked links never render.
    """
    return _MARKDOWN.sub(_escape_token, discord.utils.escape_mentions(text))


def defang_links(text: str) -> str:
    """`text` with every URL made unclickable: "https://x" becomes "https[:]//x".

    For text a member wrote (gaps, a form prefilled from a message): a masked link or a
    bare URL in it must not reach a moderator, or anyone, as something to click.
    """
    return _LINK_COLON.sub("[:]", text)


def member_text(text: str, limit: int) -> str:
    """Member-written text for display: links defanged, then escaped and cut to `limit`."""
    return safe_text(defang_links(text), limit)


def safe_text(text: str, limit: int) -> str:
    """Escaped, then cut to `limit` (escaping can lengthen the text, so it comes first)."""
    return truncate(safe(text), limit)


# An absolute path on the host (/srv/bot/data/guilds/1.yaml, C:\\bot\\data): only its last
# part is shown to moderators.
_HOST_PATH = re.compile(r"(?<![\w:/\\])(?:[A-Za-z]:)?(?:[/\\][^\s/\\:'\"]+)*[/\\]([^\s/\\:'\"]+)")


def problem_line(problem: Problem) -> str:
    """One problem of a knowledge file for moderators: file name, line, what to fix.

    No host paths: the bot's directories are the operator's business, not a server's.
    """
    place = PurePath(problem.file).name or "file"
    if problem.line is not None:
        place += f", line {problem.line}"
    who = f" entry '{problem.entry_id}':" if problem.entry_id else ""
    message = _HOST_PATH.sub(r"\1", problem.message)
    return f"{place}:{who} {message}"


def answer_ref(reply: Reply) -> str:
    """What an answer is about, for buttons and stats: the entry id, or "#N" for the article.

    "#" cannot occur in an entry id, so the two never collide.
    """
    if reply.entry_id is not None:
        return reply.entry_id
    paragraph = reply.sources[0].paragraph if reply.sources else 0
    return f"{ARTICLE_REF_PREFIX}{paragraph}"


def _ref_label(ref: str, kb: KnowledgeBase) -> str:
    """How stats name an answer: the entry's question, or the article paragraph."""
    if ref.startswith(ARTICLE_REF_PREFIX):
        return f"{ARTICLE_LABEL}, ¶{ref.removeprefix(ARTICLE_REF_PREFIX)}"
    entry = kb.by_id.get(ref)
    return safe_text(entry.question, 120) if entry else f"`{safe(ref)}` (removed)"


def entry_reply(entry: Entry) -> Reply:
    """A Reply for an entry someone picked directly (show, suggestion button)."""
    return Reply.for_entry(entry)


def _article_line(article: Article) -> str:
    line = f"*{safe(article.title)}*, {article.date_text}"
    if article.url:
        # The URL comes from the shipped article's front matter, which the loader checks.
        line += f" · [read it]({article.url})"
    return line


def _source_field(sources: Sequence[Source], article: Article) -> str:
    """`¶N "quote"` lines and the article line, all within one field's limit."""
    tail = "\n" + _article_line(article)
    room = FIELD_VALUE_MAX - len(tail)
    lines: list[str] = []
    for source in sources:
        prefix = f"¶{source.paragraph} “"
        # Share what is left between the remaining quotes, so the last one still shows.
        left = len(sources) - len(lines)
        budget = (room - sum(len(x) + 1 for x in lines)) // left - len(prefix) - 2
        if budget < 20:
            break
        lines.append(f"{prefix}{safe_text(source.quote, budget)}”")
    return truncate("\n".join(lines) + tail, FIELD_VALUE_MAX)


def answer_embed(reply: Reply, kb: KnowledgeBase, *, direct: bool = False) -> discord.Embed:
    """The answer embed: question, answer, sources, and the confidence (or "direct")."""
    if not reply.answered or reply.answer is None:
        raise ValueError("answer_embed needs an answered reply")
    entry = kb.by_id.get(reply.entry_id) if reply.entry_id else None
    article = reply.kind == "article"
    title = ARTICLE_LABEL if article else (reply.title or reply.question)
    embed = discord.Embed(
        title=safe_text(title, TITLE_MAX),
        description=safe_text(reply.answer, DESCRIPTION_MAX),
        colour=ARTICLE_COLOUR if article else ANSWER_COLOUR,
    )
    if reply.sources:
        embed.add_field(name="Source", value=_source_field(reply.sources, kb.article), inline=False)
    elif entry is not None and entry.is_moderator_entry:
        embed.add_field(name="Source", value=MODERATOR_LABEL, inline=False)
    parts: list[str] = []
    if direct:
        parts.append("FAQ entry")
    else:
        parts.append(f"Confidence {reply.score}%")
    if entry is not None:
        parts.append(entry.id)
        if entry.is_moderator_entry and reply.sources:
            parts.append(MODERATOR_LABEL.lower())
    embed.set_footer(text=truncate(" · ".join(parts), FOOTER_MAX))
    return embed


def paragraph_embeds(article: Article, numbers: Iterable[int]) -> list[discord.Embed]:
    """One embed per paragraph, whole when possible, all within one message's limits."""
    wanted = [p for n in dict.fromkeys(numbers) if (p := article.paragraph(n)) is not None]
    wanted = wanted[:EMBEDS_PER_MESSAGE]
    embeds: list[discord.Embed] = []
    footer = truncate(f"{article.title}, {article.date_text}", FOOTER_MAX)
    left = EMBED_TOTAL_MAX
    for index, paragraph in enumerate(wanted):
        title = f"¶{paragraph.number}"
        # Keep room for the paragraphs still to come.
        share = left // (len(wanted) - index) - len(title) - len(footer)
        description = safe_text(paragraph.text, min(DESCRIPTION_MAX, max(share, 1)))
        embed = discord.Embed(title=title, description=description, colour=ARTICLE_COLOUR)
        embed.set_footer(text=footer)
        left -= len(embed)
        embeds.append(embed)
    return embeds


def entry_list_pages(
    entries: Sequence[Entry], *, heading: str, per_page: int = 10
) -> list[discord.Embed]:
    """The entries as numbered pages (question and id), at least one page."""
    pages: list[discord.Embed] = []
    total = len(entries)
    count = max(1, -(-total // per_page))
    for page in range(count):
        chunk = entries[page * per_page : (page + 1) * per_page]
        lines = [
            f"**{page * per_page + i}.** {safe_text(e.question, 200)} · `{e.id}`"
            for i, e in enumerate(chunk, start=1)
        ]
        embed = discord.Embed(
            title=truncate(heading, TITLE_MAX),
            description=truncate("\n".join(lines) or "No entries.", DESCRIPTION_MAX),
            colour=ANSWER_COLOUR,
        )
        embed.set_footer(text=f"Page {page + 1}/{count} · {total} entries")
        pages.append(embed)
    return pages


def gaps_embed(gaps: Sequence[Gap]) -> discord.Embed:
    """The most frequent unanswered and "Not helpful" questions, numbered, with counts."""
    lines = [
        f"**{i}.** {member_text(g.question, 300)}\n"
        f"asked {g.count}×, unanswered {g.unanswered}, not helpful {g.not_helpful}"
        for i, g in enumerate(gaps, start=1)
    ]
    embed = discord.Embed(
        title="Questions the FAQ does not answer well",
        description=truncate("\n".join(lines) or "No gaps recorded yet.", DESCRIPTION_MAX),
        colour=WARNING_COLOUR,
    )
    if gaps:
        embed.set_footer(text="Use a numbered button to add an entry for that question.")
    return embed


def stats_embed(rows: Sequence[EntryStats], kb: KnowledgeBase) -> discord.Embed:
    """Asks, helpful and not helpful votes per entry, most asked first."""
    lines: list[str] = []
    for row in rows:
        name = _ref_label(row.entry_id, kb)
        lines.append(f"{name}: {row.asks} asks, 👍 {row.helpful}, 👎 {row.not_helpful}")
    embed = discord.Embed(
        title="FAQ usage in this server",
        description=_fit_lines(lines, DESCRIPTION_MAX) or "Nothing asked yet.",
        colour=ANSWER_COLOUR,
    )
    noun = "entry" if len(rows) == 1 else "entries"
    embed.set_footer(text=f"{len(rows)} {noun} with activity")
    return embed


def problems_embed(title: str, problems: Iterable[str]) -> discord.Embed:
    """A list of problems (what to fix), escaped and cut to fit."""
    lines = [f"• {safe_text(p, 900)}" for p in problems]
    return discord.Embed(
        title=truncate(title, TITLE_MAX),
        description=_fit_lines(lines, DESCRIPTION_MAX) or "No details.",
        colour=WARNING_COLOUR,
    )


def _fit_lines(lines: Sequence[str], limit: int) -> str:
    """Whole lines up to `limit`, with "… and N more" when some do not fit."""
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        more = f"… and {len(lines) - index} more"
        if used + len(line) + 1 > limit - len(more) - 1:
            out.append(more)
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)
