"""Which article sentences the FAQ covers: quoted by an entry's sources or given in its answer.

A sentence counts as covered when one entry carries most of its content: at least
COVERED_SHARE of the sentence's content words appear in that entry's answer or in its
quotes from the sentence's paragraph. One entry has to carry it, not the FAQ as a whole,
so a sentence whose words are scattered over unrelated answers still shows as a gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .lexicon import STOPWORDS
from .models import Entry, KnowledgeBase
from .text import tokens

__all__ = [
    "COVERED_SHARE",
    "SentenceCoverage",
    "content_stems",
    "coverage_lines",
    "sentence_coverage",
]

# Two thirds of a sentence's content words: a paraphrase that keeps the claim passes, a
# passing mention of one name from a long sentence does not.
COVERED_SHARE = 2 / 3
# Words are compared by their first letters, so "modernize" meets "modernization" and
# "expands" meets "expand"; six letters keep "nuclear" apart from "nucleus"-like accidents.
_STEM = 6


def content_stems(text: str) -> frozenset[str]:
    """The stems of a text's content words (no stopwords, no single letters)."""
    return frozenset(w[:_STEM] for w in tokens(text) if w not in STOPWORDS and len(w) > 1)


@dataclass(frozen=True, slots=True)
class SentenceCoverage:
    """One article sentence and how well the best entry covers it."""

    paragraph: int
    sentence: str
    share: float
    entry_id: str | None

    @property
    def covered(self) -> bool:
        """True when one entry carries at least COVERED_SHARE of the sentence."""
        return self.share >= COVERED_SHARE


def _entry_text(entry: Entry, paragraph: int) -> frozenset[str]:
    quotes = " ".join(s.quote for s in entry.sources if s.paragraph == paragraph)
    return content_stems(f"{entry.answer} {quotes}")


def sentence_coverage(
    kb: KnowledgeBase, entries: Iterable[Entry] | None = None
) -> tuple[SentenceCoverage, ...]:
    """Every body sentence of the article with the share of it the best entry covers."""
    chosen = tuple(kb.entries if entries is None else entries)
    paragraphs = {n for n, _ in kb.article.sentences()}
    texts = {n: [(e.id, _entry_text(e, n)) for e in chosen] for n in paragraphs}
    found: list[SentenceCoverage] = []
    for number, sentence in kb.article.sentences():
        wanted = content_stems(sentence)
        best_share, best_id = (1.0, None) if not wanted else (0.0, None)
        for entry_id, stems in texts[number] if wanted else ():
            share = len(wanted & stems) / len(wanted)
            if share > best_share:
                best_share, best_id = share, entry_id
        found.append(SentenceCoverage(number, sentence, best_share, best_id))
    return tuple(found)


def coverage_lines(coverage: tuple[SentenceCoverage, ...]) -> list[str]:
    """The coverage report as console lines: a summary, then each sentence not covered."""
    gaps = [c for c in coverage if not c.covered]
    lines = [
        f"coverage: {len(coverage) - len(gaps)} of {len(coverage)} article sentences are "
        f"quoted or answered by an entry; {len(gaps)} not covered"
    ]
    for gap in gaps:
        closest = f"closest: {gap.entry_id}, {gap.share:.0%}" if gap.entry_id else "no entry"
        lines.append(f'  ¶{gap.paragraph} "{gap.sentence}" ({closest})')
    return lines
