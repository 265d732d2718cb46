"""Normalisation: what the matcher sees of a Discord message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text import (
    _normalize_any,
    _normalize_ascii,
    normalize,
    normalize_quote,
    squeeze,
    words_of_many,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("What is the NCG??", "what is the ncg"),
        ("<@123456789012345678> what is the ncg", "what is the ncg"),
        ("<@&42> <#99> hi", "hi"),
        ("whaaat is AUKUS", "what is aukus"),
        ("see https://example.com/x?y=1 ok", "see ok"),
        ("<:pepe:123456> <a:dance:42> nukes 🚀🚀", "nukes"),
        ("```py\nprint('x')\n``` why", "why"),
        ("use `code` here", "use here"),
        ("> quoted line\nreal question", "real question"),
        (">>> everything\nquoted", ""),
        ("Korea's nukes", "korea nukes"),
        ("Ｆｕｌｌｗｉｄｔｈ ＮＣＧ", "fullwidth ncg"),
        ("한국 핵무기?", "한국 핵무기"),
        ("STRASSE Straße", "strasse strasse"),
        ("@everyone what", "what"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127), max_size=80),
        st.text(alphabet="aAbB sS'':;?!.<@#&>`_\n\t-/wWhHtTpP0129", max_size=60),
        st.sampled_from(
            [
                "Whaaat is the NCG???",
                "see https://x.y ok",
                "WWW.example.com why",
                "<@123> <#4> <t:1:R> <:e:5> hi",
                "```py\nx``` and `y` > q\n>>> rest",
                "it's :smile: korea's  nukes__ aaaa 1000 zzz",
            ]
        ),
    )
)
def test_normalize_of_ascii_text_takes_a_faster_path_to_the_same_string(text: str) -> None:
    assert _normalize_ascii(text) == _normalize_any(text)


def test_normalize_quote_only_touches_whitespace_and_quote_marks() -> None:
    assert normalize_quote("Seoul’s  “fire\nand fury”") == 'Seoul\'s "fire and fury"'
    assert normalize_quote("Seoul") != normalize_quote("seoul")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=60),
            st.text(alphabet="abcXYZ 's:?!<@>`_\n-’“”é", max_size=40),
            st.sampled_from(["Whaaat is the NCG??", "see https://x.y", "Seoul’s view", ""]),
        ),
        max_size=12,
    )
)
def test_words_of_many_equals_normalize_text_by_text(texts: list[str]) -> None:
    words, owner, counts = words_of_many(texts)
    assert counts.tolist() == [len(normalize(t).split()) for t in texts]
    for index, text in enumerate(texts):
        mine = [squeeze(w) for w, o in zip(words, owner.tolist(), strict=True) if o == index]
        assert mine == normalize(text).split()
