"""The shipped knowledge base meets the content bar, and `faqbot check` says so."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.coverage import sentence_coverage
from bot.core.models import Article, Entry, KnowledgeBase
from bot.core.text import normalize_quote, phrasing_key

# Article sentences that only link others and carry no claim of their own, which no entry
# needs to answer. Empty: with the shipped FAQ every body sentence is quoted or answered.
CONNECTIVE: frozenset[str] = frozenset()

# A bare yes or no at the start of an answer ("Yes.", "No, ...").
_BARE_YES_NO = re.compile(r"^(?:yes|no)\b", re.IGNORECASE)
# Questions a yes or no can answer open with an auxiliary verb.
_YES_NO_OPENERS = frozenset(
    [
        "is",
        "isnt",
        "are",
        "arent",
        "was",
        "were",
        "do",
        "does",
        "did",
        "dont",
        "doesnt",
        "didnt",
        "will",
        "wont",
        "would",
        "can",
        "could",
        "should",
        "shall",
        "has",
        "have",
        "had",
        "may",
        "might",
        "must",
    ]
)
# The bot speaks of the article and its author, never of itself. "US" is the country, so
# the pronoun "us" counts only in lower case.
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|[Mm]e|[Mm]y|[Mm]ine|[Ww]e|[Oo]urs?|us)\b")
_QUOTED = re.compile(r'"([^"]+)"')


def _is_yes_no_question(phrasing: str) -> bool:
    words = re.sub(r"[^a-z ]", "", phrasing.lower().replace("'", "")).split()
    return bool(words) and words[0] in _YES_NO_OPENERS


def answer_problems(entry: Entry, article: Article) -> list[str]:
    """What breaks the FAQ rules for one shipped entry's answer."""
    found = []
    if _BARE_YES_NO.match(entry.answer) and not all(
        _is_yes_no_question(p) for p in entry.phrasings
    ):
        found.append("opens with a bare yes/no but not every phrasing is a yes/no question")
    if person := _FIRST_PERSON.search(entry.answer):
        found.append(f"speaks in the first person ({person.group()!r})")
    if len(entry.answer) > 700:
        found.append(f"answer is {len(entry.answer)} characters, over 700")
    # Quotes inside an answer may change the case of a first letter, nothing else.
    body = normalize_quote(" ".join(p.text for p in article.paragraphs)).casefold()
    for quoted in _QUOTED.findall(entry.answer):
        words = normalize_quote(quoted).rstrip(".,;:").casefold()
        if words not in body and words != article.title.casefold():
            found.append(f"quotes {quoted!r}, which is not in the article word for word")
    for source in entry.sources:
        paragraph = article.paragraph(source.paragraph)
        if paragraph is None or normalize_quote(source.quote) not in normalize_quote(
            paragraph.text
        ):
            found.append(f"source quote is not in paragraph {source.paragraph}: {source.quote!r}")
    return found


def test_check_is_clean_on_shipped_knowledge(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    status = main(["check"])
    out = capsys.readouterr().out
    assert status == 0
    assert out.strip().endswith("quotes verified")
    assert out.startswith(("4", "5", "6", "7", "8", "9"))  # at least 40 entries


def test_content_bar(shipped_kb: KnowledgeBase) -> None:
    entries = shipped_kb.entries
    assert len(entries) >= 40
    per_paragraph = Counter(p for e in entries for p in {s.paragraph for s in e.sources})
    assert all(per_paragraph[n] >= 3 for n in range(1, 9)), per_paragraph
    assert all(len(e.alternates) >= 5 for e in entries)
    assert all(len(e.answer) <= 700 for e in entries)
    keys = [phrasing_key(p) for e in entries for p in e.phrasings]
    assert len(keys) == len(set(keys))


def test_article_itself_is_covered(shipped_kb: KnowledgeBase) -> None:
    answers = " ".join(e.answer for e in shipped_kb.entries)
    assert shipped_kb.article.title in answers
    assert "April 26, 2023" in answers


def test_check_exits_1_and_lists_problems(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    faq.write_text(text.replace("paragraph: 2", "paragraph: 12", 2), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--knowledge", str(knowledge_copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.count("paragraph 12 does not exist") == 2
    assert "Traceback" not in run.stderr


def test_every_shipped_answer_keeps_the_faq_rules(shipped_kb: KnowledgeBase) -> None:
    problems = {
        e.id: found for e in shipped_kb.entries if (found := answer_problems(e, shipped_kb.article))
    }
    assert problems == {}


@pytest.mark.parametrize(
    ("answer", "phrasings", "problem"),
    [
        ("Yes. The author says so.", ("Which countries?", "is it?"), "bare yes/no"),
        ("No, according to the author.", ("where are results mixed",), "bare yes/no"),
        ("I can't tell you who wrote it.", ("who wrote it",), "first person"),
        ("The text we have names no author.", ("who wrote it",), "first person"),
        ("The author says it is 'a good start'. " + "x" * 680, ("is it good?",), "over 700"),
        ('The author calls it "a brilliant move".', ("is it good?",), "not in the article"),
    ],
)
def test_answer_rules_catch_what_they_are_for(
    shipped_kb: KnowledgeBase, answer: str, phrasings: tuple[str, ...], problem: str
) -> None:
    entry = Entry(id="made-up", question=phrasings[0], alternates=phrasings[1:], answer=answer)
    assert any(problem in p for p in answer_problems(entry, shipped_kb.article))


def test_answer_rules_allow_what_they_should(shipped_kb: KnowledgeBase) -> None:
    # A bare yes is fine when every phrasing is a yes/no question it answers; "US" is a country.
    entry = Entry(
        id="made-up",
        question="Is the alliance 70 years old?",
        alternates=("does the alliance turn 70", "was it 70 last year?"),
        answer='Yes: the US and South Korea marked 70 years last year, "a long time".',
    )
    assert answer_problems(entry, shipped_kb.article) == []


def test_shipped_faq_covers_every_sentence_but_the_connective_ones(
    shipped_kb: KnowledgeBase,
) -> None:
    uncovered = {c.sentence for c in sentence_coverage(shipped_kb) if not c.covered}
    assert uncovered <= CONNECTIVE, sorted(uncovered - CONNECTIVE)
