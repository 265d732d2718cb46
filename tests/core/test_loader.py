"""Loading and validation: every bad input gets one located, readable error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core import loader
from bot.core.errors import KnowledgeError
from bot.core.loader import MAX_FILE_BYTES, load_article, load_knowledge

GOOD_ENTRY = """\
entries:
  - id: ncg
    question: What is the nuclear consultative group?
    alternates:
      - wats the ncg
      - ncg meaning
      - what does the ncg do
      - nuclear consultative grp
      - ncg?
    answer: The author says the two countries will set up a nuclear consultative group.
    sources:
      - paragraph: 2
        quote: the two countries will establish a nuclear consultative group
    tags: [nuclear]
"""


def _write_faq(directory: Path, text: str | bytes) -> None:
    path = directory / "faq.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def _problems(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return [str(p) for p in caught.value.problems]


def test_good_minimal_file_loads(knowledge_copy: Path) -> None:
    _write_faq(knowledge_copy, GOOD_ENTRY)
    kb = load_knowledge(knowledge_copy)
    assert [e.id for e in kb.entries] == ["ncg"]
    assert kb.entries[0].sources[0].paragraph == 2


def test_article_has_eight_numbered_paragraphs(knowledge_copy: Path) -> None:
    article = load_article(knowledge_copy / "article.md")
    assert len(article.paragraphs) == 8
    assert article.paragraphs[0].text.startswith("Last year marked 70 years")
    assert article.paragraphs[-1].text.endswith("this is a good start.")
    assert article.date_text == "April 26, 2023"
    assert article.url is None


def test_malformed_yaml_names_line_and_column(knowledge_copy: Path) -> None:
    _write_faq(knowledge_copy, "entries:\n  - id: x\n    question: [unclosed\n")
    (problem,) = _problems(knowledge_copy)
    assert "faq.yaml:4:1:" in problem or "faq.yaml:3:" in problem
    assert "invalid YAML" in problem


def test_python_object_tag_is_refused(knowledge_copy: Path) -> None:
    _write_faq(knowledge_copy, "entries:\n  - !!python/object:os.system {}\n")
    (problem,) = _problems(knowledge_copy)
    assert "faq.yaml:2:5:" in problem
    assert "remove the tag" in problem


def test_wrong_type_names_entry_and_field(knowledge_copy: Path) -> None:
    text = GOOD_ENTRY.replace("paragraph: 2", "paragraph: two")
    _write_faq(knowledge_copy, text)
    (problem,) = _problems(knowledge_copy)
    assert "faq.yaml:12:" in problem
    assert "entry 'ncg'" in problem
    assert "'sources[0].paragraph' must be a whole number (got 'two')" in problem


def test_missing_field_names_it(knowledge_copy: Path) -> None:
    text = "\n".join(line for line in GOOD_ENTRY.splitlines() if "answer:" not in line)
    _write_faq(knowledge_copy, text)
    (problem,) = _problems(knowledge_copy)
    assert "entry 'ncg'" in problem
    assert problem.endswith("'answer' is missing; it is required")


def test_quote_not_in_article(knowledge_copy: Path) -> None:
    text = GOOD_ENTRY.replace("the two countries will establish", "the two countries will abolish")
    _write_faq(knowledge_copy, text)
    (problem,) = _problems(knowledge_copy)
    assert "faq.yaml:13:16:" in problem
    assert "not in paragraph 2 verbatim" in problem


def test_quote_typographic_apostrophes_are_accepted(knowledge_copy: Path) -> None:
    text = GOOD_ENTRY.replace(
        "quote: the two countries will establish a nuclear consultative group",
        'quote: "Seoul\'s dalliance with the idea"',
    ).replace("paragraph: 2", "paragraph: 3")
    _write_faq(knowledge_copy, text)
    assert load_knowledge(knowledge_copy).entries[0].sources[0].paragraph == 3


def test_unknown_paragraph(knowledge_copy: Path) -> None:
    _write_faq(knowledge_copy, GOOD_ENTRY.replace("paragraph: 2", "paragraph: 9"))
    (problem,) = _problems(knowledge_copy)
    assert "paragraph 9 does not exist" in problem
    assert "1 to 8" in problem


def test_ten_megabyte_file_is_refused_before_parsing(knowledge_copy: Path) -> None:
    _write_faq(knowledge_copy, "# " + "x" * (10 * 1024 * 1024) + "\n")
    (problem,) = _problems(knowledge_copy)
    assert f"{MAX_FILE_BYTES:,}-byte limit" in problem


def test_non_utf8_file_names_the_position(knowledge_copy: Path) -> None:
    _write_faq(knowledge_copy, GOOD_ENTRY.encode("utf-8").replace(b"wats", b"w\xe9ts"))
    (problem,) = _problems(knowledge_copy)
    assert "faq.yaml:5:" in problem
    assert "not valid UTF-8" in problem


def test_every_problem_is_reported_not_just_the_first(knowledge_copy: Path) -> None:
    second = GOOD_ENTRY.split("\n", 1)[1].replace("paragraph: 2", "paragraph: 9")
    broken = GOOD_ENTRY.split("\n", 1)[1].replace("id: ncg", "id: broken")
    _write_faq(knowledge_copy, GOOD_ENTRY + second + broken.replace("answer:", "answr:"))
    problems = _problems(knowledge_copy)
    assert any("id is already used" in p for p in problems)
    assert any("paragraph 9 does not exist" in p for p in problems)
    assert any("entry 'broken'" in p and "'answer' is missing" in p for p in problems)
    assert any("entry 'broken'" in p and "'answr'" in p for p in problems)


def test_duplicate_phrasing_across_entries(knowledge_copy: Path) -> None:
    other = GOOD_ENTRY.split("\n", 1)[1].replace("id: ncg", "id: other")
    other = other.replace("What is the nuclear consultative group?", "What is the NCG?")
    _write_faq(knowledge_copy, GOOD_ENTRY + other)
    problems = _problems(knowledge_copy)
    assert any("'wats the ncg' is already used by entry 'ncg'" in p for p in problems)


def test_shipped_entries_need_alternates_and_sources(knowledge_copy: Path) -> None:
    _write_faq(
        knowledge_copy,
        "entries:\n  - id: bare\n    question: What is it?\n    answer: Something.\n",
    )
    problems = _problems(knowledge_copy)
    assert any("at least one source" in p for p in problems)
    assert any("give at least 5" in p for p in problems)


def test_discord_length_limits(knowledge_copy: Path) -> None:
    _write_faq(knowledge_copy, GOOD_ENTRY.replace("What is the nuclear", "W" * 300))
    (problem,) = _problems(knowledge_copy)
    assert problem.endswith("'question' is 320 characters; the limit is 256 characters")


def test_article_without_front_matter(knowledge_copy: Path) -> None:
    (knowledge_copy / "article.md").write_text("Just text\n", encoding="utf-8")
    (problem,) = _problems(knowledge_copy)
    assert "article.md:1:" in problem and "front matter" in problem


# A 7-level alias "bomb": 337 bytes that PyYAML expands to 9**7 values (about 2 GiB).
ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
        for prev, name in zip("abcdef", "bcdefg", strict=True)
    )
    + "entries: []\n"
)


def test_an_alias_bomb_is_refused_at_its_first_anchor(knowledge_copy: Path) -> None:
    _write_faq(knowledge_copy, ALIAS_BOMB)
    (problem,) = _problems(knowledge_copy)
    assert problem.startswith(f"{knowledge_copy / 'faq.yaml'}:1:4:")
    assert "anchor '&a' is not allowed" in problem


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        ("entries: &a [*a]\n", ":1:10:", "anchor '&a' is not allowed"),
        ("entries:\n  - *nowhere\n", ":2:5:", "alias '*nowhere' is not allowed"),
        ("entries: " + "[" * 3000 + "\n", ":1:", "nested more than"),
        ("entries:\n  - {[1]: 2}\n", ":2:", "unhashable key"),
    ],
)
def test_yaml_the_schema_never_needs_is_a_located_error(
    knowledge_copy: Path, text: str, where: str, fragment: str
) -> None:
    _write_faq(knowledge_copy, text)
    (problem,) = _problems(knowledge_copy)
    assert f"faq.yaml{where}" in problem
    assert fragment in problem


@pytest.mark.parametrize(
    ("text", "could_be_one"),
    [
        ("a: &x 1\n", True),
        ("- *x\n", True),
        ("&top\na: 1\n", True),
        ("a: [&x 1, *x]\n", True),
        ("a: {b: *x}\n", True),
        ("a: [R&D, fire & fury, 5*3, '*', \"& so on\"]\n", False),
    ],
)
def test_only_text_that_could_hold_an_anchor_or_alias_leaves_the_fast_path(
    text: str, could_be_one: bool
) -> None:
    # The fast path (libyaml composing) is taken only where no anchor or alias can stand; a
    # '&' or '*' inside a word or before a space keeps it, and reads the same.
    assert bool(loader._MAYBE_ANCHOR.search(text)) is could_be_one
    if not could_be_one:
        assert loader._parse_yaml(text, "t.yaml")[0] == yaml.safe_load(text)


def test_a_file_with_too_many_values_is_refused(
    knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "MAX_YAML_NODES", 50)
    _write_faq(knowledge_copy, "entries: [" + ", ".join(["x"] * 60) + "]\n")
    (problem,) = _problems(knowledge_copy)
    assert "more than 50 values" in problem


def test_a_constructor_failure_is_a_knowledge_error(knowledge_copy: Path) -> None:
    text = GOOD_ENTRY.replace("tags: [nuclear]", "tags: [nuclear]\n    created_at: 2023-02-30")
    _write_faq(knowledge_copy, text)
    (problem,) = _problems(knowledge_copy)
    assert "faq.yaml" in problem and "day is out of range" in problem


def test_the_article_front_matter_refuses_aliases_too(knowledge_copy: Path) -> None:
    article = knowledge_copy / "article.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("title:", "x: &t 1\ntitle:", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_article(article)
    assert "anchor '&t' is not allowed" in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "sentence"),
    [
        (
            "quote: the two countries will establish a nuclear consultative group",
            "quote: the two",
            "'sources[0].quote' is 7 characters; give at least 20",
        ),
        ("id: ncg", "id: NCG Group", "'id' must be lowercase letters and digits joined by single"),
        ("tags: [nuclear]", "tags: [nuclear]\n    colour: red", "'colour' is not a field"),
        ("answer: The author", "answer: ", "'answer' is missing"),
        ("paragraph: 2", "paragraph: 0", "'sources[0].paragraph' must be at least 1 (got 0)"),
    ],
)
def test_schema_errors_are_one_plain_sentence_with_the_limit(
    knowledge_copy: Path, old: str, new: str, sentence: str
) -> None:
    text = GOOD_ENTRY.replace(old, new)
    if new == "answer: ":
        text = "\n".join(line for line in text.splitlines() if not line.startswith("    answer"))
    _write_faq(knowledge_copy, text)
    (problem,) = _problems(knowledge_copy)
    assert sentence in problem
    for pydantic_words in ("Input should", "String should", "Field required", "errors.pydantic"):
        assert pydantic_words not in problem
