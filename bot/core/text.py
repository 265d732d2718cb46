"""Text normalisation shared by validation and matching."""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "MAX_QUERY_CHARS",
    "normalize",
    "normalize_quote",
    "phrasing_key",
    "strip_markup",
    "tokens",
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
_STRETCHED = re.compile(r"(\D)\1{2,}")
_SPACES = re.compile(r"\s+")
_TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})


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


def normalize(text: str) -> str:
    """NFKC, casefold, no markup, punctuation or emoji; stretched letters squeezed."""
    text = unicodedata.normalize("NFKC", text)
    text = strip_markup(text).casefold()
    text = _SHORTCODE.sub(" ", text)
    text = _POSSESSIVE.sub("", text)
    text = _NON_WORD.sub(" ", text)
    text = _STRETCHED.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """The words of a normalised text."""
    return normalize(text).split()


def phrasing_key(text: str) -> str:
    """The form under which two phrasings count as the same (case, punctuation ignored)."""
    return normalize(text)


def normalize_quote(text: str) -> str:
    """Whitespace and typographic quotes unified, nothing else: for verbatim checks."""
    return _SPACES.sub(" ", text.translate(_TYPOGRAPHIC)).strip()
