"""Text normalisation shared by validation and matching."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import compress

import numpy as np

__all__ = [
    "MAX_QUERY_CHARS",
    "normalize",
    "normalize_quote",
    "phrasing_key",
    "squeeze",
    "strip_markup",
    "tokens",
    "words_of_many",
]

# Longer questions are cut before any regex runs, so the cost of a message is bounded.
MAX_QUERY_CHARS = 600

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_BLOCK_QUOTE = re.compile(r"^\s*>>> .*", re.M | re.S)
_QUOTE_LINE = re.compile(r"^\s*> .*$", re.M)
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")
_CUSTOM_EMOJI = re.compile(r"<a?:\w{1,64}:\d+>")
_TIMESTAMP = re.compile(r"<t:-?\d+(?::[tTdDfFR])?>")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.I)
_SHORTCODE = re.compile(r":[a-z0-9_+-]{1,32}:")
_POSSESSIVE = re.compile(r"['’](?:s\b)?")
# Anything that is not a letter or digit of any script (\w also admits "_").
_NON_WORD = re.compile(r"[\W_]+")
_STRETCHED = re.compile(r"([^\d\n])\1{2,}")
_SPACES = re.compile(r"\s+")
# The byte-string forms used by words_of_many for plain ASCII text.
_ASCII_NON_WORD = bytes(c if chr(c).isalnum() or c == 10 else 32 for c in range(256))
_SHORTCODE_BYTES = re.compile(_SHORTCODE.pattern.encode())
_POSSESSIVE_BYTES = re.compile(rb"'(?:s\b)?")
_TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})

# What markup needs in a text (code, quotes, mentions, custom emoji, timestamps, links): a
# plain ASCII text with none of them skips strip_markup (besides "www." in any case).
_MARKUP_SIGNS = ("`", ">", "<", "@", "://")
# A letter three times or more in a row, in text already lowercased and reduced to words.
_STRETCHED_LETTERS = re.compile(r"([a-z])\1\1")

# Texts whose normal form is remembered.
_NORMALIZE_CACHE = 4096


def strip_markup(text: str) -> str:
    """Remove Discord markup: code, quoted lines, mentions, custom emoji, links."""
    text = _CODE_BLOCK.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    text = _BLOCK_QUOTE.sub(" ", text)
    text = _QUOTE_LINE.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _CUSTOM_EMOJI.sub(" ", text)
    text = _TIMESTAMP.sub(" ", text)
    return _URL.sub(" ", text)


@lru_cache(maxsize=_NORMALIZE_CACHE)
def normalize(text: str) -> str:
    """NFKC, casefold, no markup, punctuation or emoji; stretched letters squeezed (cached:
    the matcher reads a message's sentences several times)."""
    if text.isascii():
        return _normalize_ascii(text)
    return _normalize_any(text)


def _normalize_ascii(text: str) -> str:
    """normalize() of plain ASCII text, the same string in a quarter of the time: NFKC
    leaves ASCII as it is, casefold is lower, markup and the rarer signs are looked for only
    when their characters occur, and punctuation becomes spaces by a byte table."""
    if any(sign in text for sign in _MARKUP_SIGNS) or "www." in text.lower():
        text = strip_markup(text)
    text = text.lower()
    if ":" in text:
        text = _SHORTCODE.sub(" ", text)
    if "'" in text:
        text = _POSSESSIVE.sub("", text)
    # Every character that is not a letter or digit is a space, runs of spaces one space;
    # what is left to squeeze are runs of one letter.
    text = " ".join(text.encode("ascii").translate(_ASCII_NON_WORD).decode("ascii").split())
    if _STRETCHED_LETTERS.search(text):
        text = _STRETCHED.sub(r"\1", text)
    return text


def _normalize_any(text: str) -> str:
    """normalize() of any text (see normalize)."""
    text = unicodedata.normalize("NFKC", text)
    text = strip_markup(text).casefold()
    text = _SHORTCODE.sub(" ", text)
    text = _POSSESSIVE.sub("", text)
    text = _NON_WORD.sub(" ", text)
    text = _STRETCHED.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def words_of_many(texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The normalised words of many texts as one list, for index builds.

    Returns the words, the index of the text each word belongs to, and each text's number
    of words; a text's words are contiguous and in order. Plain ASCII text is processed as
    one byte string; texts that may hold markup or other scripts go through normalize().
    Stretched letters are left as they are on the fast path: the caller squeezes each
    distinct word once.
    """
    fixed = [
        t
        if t.isascii()
        else t.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
        for t in texts
    ]
    slow = {i for i, t in enumerate(fixed) if "\n" in t or not t.isascii()}
    batch = [i for i in range(len(texts)) if i not in slow]
    words: list[str] = []
    owners: list[np.ndarray] = []
    if batch:
        low = "\n".join([fixed[i] for i in batch]).encode().lower()
        blocked = _blocked_lines(low)
        if b":" in low:
            low = _SHORTCODE_BYTES.sub(b" ", low)
        if b"'" in low:
            low = _POSSESSIVE_BYTES.sub(b"", low)
        cleaned = low.translate(_ASCII_NON_WORD)
        buffer = np.frombuffer(cleaned, dtype=np.uint8)
        breaks = np.flatnonzero(buffer == 10)
        letter = (buffer != 32) & (buffer != 10)
        starts = np.flatnonzero(letter & ~np.concatenate(([False], letter[:-1])))
        line = np.searchsorted(breaks, starts)  # the batch line of each word
        words = cleaned.decode().split()
        owner = np.asarray(batch, dtype=np.int64)[line]
        if blocked.size:
            is_blocked = np.zeros(len(batch), dtype=bool)
            is_blocked[blocked] = True
            keep = ~is_blocked[line]
            words = list(compress(words, keep.tolist()))
            owner = owner[keep]
            slow.update(batch[i] for i in blocked.tolist())
        owners.append(owner)
    for i in sorted(slow):
        found = normalize(texts[i]).split()
        words.extend(found)
        owners.append(np.full(len(found), i, dtype=np.int64))
    owner = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
    return words, owner, np.bincount(owner, minlength=len(texts))


def _blocked_lines(low: bytes) -> np.ndarray:
    """Lines of a lower-cased byte string holding markup that needs normalize()."""
    positions: list[int] = []
    for needle in (b"<", b"@", b"`", b">", b"http", b"www."):
        at = low.find(needle)
        while at != -1:
            positions.append(at)
            at = low.find(needle, at + 1)
    if not positions:
        return np.zeros(0, dtype=np.int64)
    breaks = np.flatnonzero(np.frombuffer(low, dtype=np.uint8) == 10)
    return np.unique(np.searchsorted(breaks, positions))


def squeeze(word: str) -> str:
    """Stretched letters squeezed: "whaaat" -> "what"."""
    return _STRETCHED.sub(r"\1", word)


def tokens(text: str) -> list[str]:
    """The words of a normalised text."""
    return normalize(text).split()


def phrasing_key(text: str) -> str:
    """The form under which two phrasings count as the same (case, punctuation ignored)."""
    return normalize(text)


def normalize_quote(text: str) -> str:
    """Whitespace and typographic quotes unified, nothing else: for verbatim checks."""
    return _SPACES.sub(" ", text.translate(_TYPOGRAPHIC)).strip()
