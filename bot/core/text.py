"""Text normalisation shared by validation and matching."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = [
    "MAX_QUERY_CHARS",
    "normalize",
    "normalize_many",
    "normalize_quote",
    "phrasing_key",
    "squeeze",
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
_STRETCHED = re.compile(r"([^\d\n])\1{2,}")
_SPACES = re.compile(r"\s+")
# The byte-string forms used by normalize_many's fast path for plain ASCII text.
_ASCII_NON_WORD = bytes(c if chr(c).isalnum() else 32 for c in range(256))
_SHORTCODE_BYTES = re.compile(_SHORTCODE.pattern.encode())
_POSSESSIVE_BYTES = re.compile(rb"'(?:s\b)?")
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


def normalize_many(texts: Sequence[str], *, squeeze: bool = True) -> list[str]:
    """normalize() of many texts, fast for plain ASCII text (index builds).

    Plain ASCII text without markup takes a path of a few C-level byte-string calls;
    anything else goes through normalize(). squeeze=False leaves stretched letters
    ("whaaat") as they are on the fast path, for a caller that squeezes each distinct word
    once instead.
    """
    out: list[str] = []
    for raw in texts:
        text = raw
        if not text.isascii():
            text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
            if not text.isascii():
                out.append(normalize(raw))
                continue
        low = text.lower().encode()
        if (
            b"<" in low
            or b"@" in low
            or b"`" in low
            or b">" in low
            or b"http" in low
            or b"www." in low
        ):
            out.append(normalize(raw))
            continue
        if b":" in low:
            low = _SHORTCODE_BYTES.sub(b" ", low)
        if b"'" in low:
            low = _POSSESSIVE_BYTES.sub(b"", low)
        line = b" ".join(low.translate(_ASCII_NON_WORD).split()).decode()
        out.append(_STRETCHED.sub(r"\1", line) if squeeze else line)
    return out


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
