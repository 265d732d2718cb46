"""Loading and validating the article and FAQ files; every problem becomes a KnowledgeError."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import KnowledgeError, Problem
from .models import Article, Entry, KnowledgeBase, Paragraph
from .text import normalize_quote, phrasing_key

__all__ = [
    "KEY_MARK",
    "MAX_FILE_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "SHIPPED_ANSWER_MAX",
    "SHIPPED_MIN_ALTERNATES",
    "EntryFile",
    "entry_problems",
    "load_article",
    "load_entry_file",
    "load_knowledge",
    "load_yaml",
    "load_yaml_lines",
    "parse_entry_file",
    "validation_messages",
]

_log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2_000_000
# The schema nests six levels deep (entries, entry, sources, source, ...); anything deeper is
# a mistake or an attack, and PyYAML's composer recurses once per level.
MAX_YAML_DEPTH = 20
# Values (scalars, lists, mappings) in one file: a 2 MB file of real entries holds far fewer.
MAX_YAML_NODES = 200_000
SHIPPED_MIN_ALTERNATES = 5
SHIPPED_ANSWER_MAX = 700

_Marks = dict[tuple[Any, ...], yaml.Mark]


@dataclass(frozen=True, slots=True)
class EntryFile:
    """The valid content of one entries file.

    `entries` are the entries that serve. A server file may also hold entries that clash with
    the shipped FAQ after it changed (it now uses their id or one of their phrasings): they
    stay in the file, listed in `unserved` with the reason, so a moderator can see, edit or
    remove them. `stored` is every entry in file order.
    """

    entries: tuple[Entry, ...]
    synonyms: Mapping[str, str]
    unserved: Mapping[str, str] = field(default_factory=dict)
    stored: tuple[Entry, ...] = ()

    def __post_init__(self) -> None:
        if not self.stored:
            object.__setattr__(self, "stored", self.entries)


def _read_text(path: Path) -> str:
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise KnowledgeError.single(name, "file not found") from None
    except OSError as exc:
        raise KnowledgeError.single(name, f"cannot read the file: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise KnowledgeError.single(
            name,
            f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit; "
            "split it or remove what does not belong",
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise KnowledgeError.single(
            name,
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            line=line,
            column=column,
        ) from None


class _Refused(Exception):
    """A YAML construct the knowledge files never need, found at `mark`."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Plain:
    """Composing without anchors and aliases, with bounded nesting and size.

    Aliases let a few hundred bytes expand to gigabytes ("billion laughs"), and deep nesting
    exhausts the composer's recursion. The schema needs neither, so both are refused.
    """

    _depth = 0
    _nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]  # the loader's parser
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"the alias '*{event.anchor}' is not allowed; write the value out in full",
                event.start_mark,
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(
                f"the anchor '&{anchor}' is not allowed; remove it and write values out in full",
                event.start_mark,
            )
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise _Refused(
                f"the file holds more than {MAX_YAML_NODES:,} values; split it or remove what "
                "does not belong",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused(
                    f"values are nested more than {MAX_YAML_DEPTH} levels deep; "
                    "the schema needs far fewer",
                    event.start_mark,
                )
            node: yaml.Node | None = super().compose_node(parent, index)  # type: ignore[misc]
            assert node is not None  # only None at the end of the stream, never here
            return node
        finally:
            self._depth -= 1


class _PlainLoader(_Plain, yaml.SafeLoader):
    """SafeLoader refusing anchors, aliases, deep nesting and too many values (pure Python)."""


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    _FastPlainLoader: type | None = None
    _CLoader: type | None = None
else:
    _CLoader = yaml.CSafeLoader

    class _FastPlainLoader(  # type: ignore[no-redef]
        _Plain,
        yaml.composer.Composer,
        CParser,
        yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        """_PlainLoader with libyaml's scanner and parser, six times faster: every server's
        file is read on that server's first question. Composing and the checks stay ours."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)


# Where an anchor ('&name') or an alias ('*name') could start: '&' or '*' right before a name,
# at a value's start (after a space, a line start or a flow indicator). "fire & fury", "R&D"
# and "5*3" cannot be either.
_MAYBE_ANCHOR = re.compile(r"(?:^|[\s\[\]{},:-])[&*][^\s\[\]{},]", re.MULTILINE)


def _parse_yaml(text: str, name: str) -> tuple[Any, _Marks]:
    """Parse one YAML document safely, keeping the position of every node."""
    # Fast paths for valid files (every server's file is read on its first question): with
    # no '&' or '*' there can be no anchor or alias, and libyaml composes too; otherwise it
    # scans and our composer refuses them. On any error the pure-Python pass below runs and
    # says what is wrong, and where, exactly as it always has.
    fast_loader = _CLoader if not _MAYBE_ANCHOR.search(text) else _FastPlainLoader
    if fast_loader is not None:
        fast = fast_loader(text)
        try:
            node = fast.get_single_node()
            if node is not None and not _within_limits(node):
                raise _Refused("over the limits", node.start_mark)
            data = None if node is None else fast.construct_document(node)
        except Exception:  # the pure-Python pass below says what is wrong, and where
            pass
        else:
            marks: _Marks = {}
            if node is not None:
                _collect_marks(node, (), marks)
            return data, marks
        finally:
            fast.dispose()
    loader = _PlainLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = loader.construct_document(node)
    except _Refused as exc:
        raise KnowledgeError.single(
            name,
            f"invalid YAML: {exc.message}",
            line=exc.mark.line + 1,
            column=exc.mark.column + 1,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        if exc.problem and "constructor for the tag" in exc.problem:
            what += " (only plain YAML is allowed: remove the tag)"
        raise KnowledgeError.single(
            name,
            f"invalid YAML: {what}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise KnowledgeError.single(name, f"invalid YAML: {exc}") from None
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        # Whatever else the parser or constructor trips over (e.g. a date like 2023-02-30)
        # is still a problem with this file, never a crash.
        raise KnowledgeError.single(
            name, f"invalid YAML: {type(exc).__name__}: {exc}"[:300]
        ) from None
    finally:
        loader.dispose()
    marks = {}
    _collect_marks(node, (), marks)
    return data, marks


# Under (*path, key, KEY_MARK): where a mapping's key itself stands (its value may start later).
KEY_MARK = "<key>"


@functools.lru_cache(maxsize=256)
def _normalized_paragraph(text: str) -> str:
    """normalize_quote of an article paragraph, once: every server entry's quotes are
    checked against the same few paragraphs."""
    return normalize_quote(text)


def _within_limits(root: yaml.Node) -> bool:
    """Whether a composed document keeps to MAX_YAML_NODES and MAX_YAML_DEPTH."""
    count = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_YAML_NODES or depth > MAX_YAML_DEPTH:
            return False
        if isinstance(node, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
    return True


def _collect_marks(node: yaml.Node, path: tuple[Any, ...], out: _Marks) -> None:
    # The composer refused aliases, so every node is visited once; depth is bounded too.
    out[path] = node.start_mark
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                out[(*path, key.value, KEY_MARK)] = key.start_mark
                _collect_marks(value, (*path, key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_marks(item, (*path, index), out)


def _problem(
    name: str, marks: _Marks, path: tuple[Any, ...], message: str, entry_id: str | None = None
) -> Problem:
    """A problem placed at the deepest known node on `path`."""
    for end in range(len(path), -1, -1):
        mark = marks.get(path[:end])
        if mark is not None:
            return Problem(name, message, mark.line + 1, mark.column + 1, entry_id)
    return Problem(name, message, entry_id=entry_id)


def _split_front_matter(text: str, name: str) -> tuple[str, str]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise KnowledgeError.single(name, "must start with a '---' front matter block", line=1)
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])
    raise KnowledgeError.single(name, "front matter is not closed with '---'", line=1)


def load_article(path: Path) -> Article:
    """Read article.md: front matter (title, date, url) and blank-line separated paragraphs."""
    name = str(path)
    front_text, body = _split_front_matter(_read_text(path), name)
    front, marks = _parse_yaml(front_text, name)
    if not isinstance(front, dict):
        raise KnowledgeError.single(name, "front matter must be a mapping", line=2)
    problems: list[Problem] = []
    title = front.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(_problem(name, marks, ("title",), "front matter needs a 'title' string"))
    date = front.get("date")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        problems.append(
            _problem(name, marks, ("date",), "front matter needs a 'date' like 2023-04-26")
        )
    url = front.get("url") or None
    if url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
        problems.append(_problem(name, marks, ("url",), "'url' must be empty or an http(s) URL"))
    paragraphs = tuple(
        Paragraph(number, " ".join(block.split()))
        for number, block in enumerate(
            (b for b in body.split("\n\n") if b.strip()),
            start=1,
        )
    )
    if not paragraphs:
        problems.append(Problem(name, "the article has no body paragraphs"))
    if problems:
        raise KnowledgeError(problems)
    assert isinstance(title, str) and isinstance(date, dt.date)
    return Article(title=title.strip(), date=date, url=url, paragraphs=paragraphs)


def entry_problems(
    entry: Entry, article: Article, *, shipped: bool
) -> list[tuple[tuple[Any, ...], str]]:
    """What is wrong with a schema-valid entry against the article, as (path, message) pairs."""
    found: list[tuple[tuple[Any, ...], str]] = []
    count = len(article.paragraphs)
    for index, source in enumerate(entry.sources):
        paragraph = article.paragraph(source.paragraph)
        if paragraph is None:
            found.append(
                (
                    ("sources", index, "paragraph"),
                    f"paragraph {source.paragraph} does not exist; "
                    f"the article has paragraphs 1 to {count}",
                )
            )
        elif normalize_quote(source.quote) not in _normalized_paragraph(paragraph.text):
            found.append(
                (
                    ("sources", index, "quote"),
                    f"quote is not in paragraph {source.paragraph} verbatim: "
                    f"{source.quote[:80]!r}; copy the words exactly from that paragraph",
                )
            )
    if shipped:
        if not entry.sources:
            found.append((("sources",), "needs at least one source (paragraph and quote)"))
        if len(entry.alternates) < SHIPPED_MIN_ALTERNATES:
            found.append(
                (
                    ("alternates",),
                    f"has {len(entry.alternates)} alternates; "
                    f"give at least {SHIPPED_MIN_ALTERNATES}",
                )
            )
        if len(entry.answer) > SHIPPED_ANSWER_MAX:
            found.append(
                (
                    ("answer",),
                    f"answer is {len(entry.answer)} characters; keep it to {SHIPPED_ANSWER_MAX}",
                )
            )
    return found


# The shipped FAQ's phrasing keys, by the identity of its entries tuple: every server file is
# checked against them, and normalising ~1,200 phrasings cost more than the rest of a read.
_OWNERS_CACHE: list[tuple[tuple[Entry, ...], Mapping[str, str]]] = []


def _phrasing_owners(entries: tuple[Entry, ...]) -> Mapping[str, str]:
    """Phrasing key -> the id of the entry it belongs to (the last, when repeated)."""
    for cached, owners in _OWNERS_CACHE:
        if cached is entries:
            return owners
    built: dict[str, str] = {}
    for entry in entries:
        for phrasing in entry.phrasings:
            built[phrasing_key(phrasing)] = entry.id
    if len(entries) > 8:  # worth keeping: the shipped FAQ, not a test's handful
        _OWNERS_CACHE[:] = [*_OWNERS_CACHE[-1:], (entries, built)]
    return built


def parse_entry_file(
    text: str,
    name: str,
    article: Article,
    *,
    shipped: bool,
    reserved: Iterable[Entry] = (),
    keep_clashes: bool = False,
) -> EntryFile:
    """Validate the text of an entries file; raise one KnowledgeError listing every problem.

    `reserved` are entries this file must not clash with (the shipped FAQ, for a server file).
    With `keep_clashes`, an entry whose id or phrasing clashes with them is not a problem of
    the file: it is kept in `EntryFile.unserved` with the reason.
    """
    data, marks = _parse_yaml(text, name)
    if data is None:
        data = {"entries": []}
    if not isinstance(data, dict):
        raise KnowledgeError.single(name, "must be a mapping with an 'entries' list", line=1)
    problems: list[Problem] = []
    unknown = set(data) - {"entries", "synonyms"}
    for key in sorted(map(str, unknown)):
        problems.append(
            _problem(
                name, marks, (key,), f"unknown top-level key {key!r}; use 'entries' or 'synonyms'"
            )
        )
    synonyms = _parse_synonyms(data.get("synonyms"), name, marks, problems)
    raw_entries = data.get("entries")
    if raw_entries is None:
        raw_entries = []
    if not isinstance(raw_entries, list):
        problems.append(_problem(name, marks, ("entries",), "'entries' must be a list"))
        raw_entries = []

    reserved = tuple(reserved)
    reserved_ids = {e.id for e in reserved}
    reserved_keys = _phrasing_owners(reserved)  # key -> owner; only membership is used
    taken_ids = {e.id: "the shipped FAQ" for e in reserved}
    taken_phrasings = dict(_phrasing_owners(reserved))
    entries: list[Entry] = []
    unserved: dict[str, str] = {}
    for index, raw in enumerate(raw_entries):
        path: tuple[Any, ...] = ("entries", index)
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        label = raw_id if isinstance(raw_id, str) else f"#{index + 1}"
        try:
            entry = Entry.model_validate(raw)
        except ValidationError as exc:
            for sub, message in validation_messages(exc):
                problems.append(_problem(name, marks, path + sub, message, entry_id=label))
            continue
        # Problems that come from the shipped knowledge rather than from this file.
        clashes: list[tuple[tuple[Any, ...], str]] = []
        own: list[tuple[tuple[Any, ...], str]] = []
        if entry.id in taken_ids:
            target = clashes if entry.id in reserved_ids else own
            target.append((("id",), f"id is already used by {taken_ids[entry.id]}; choose another"))
        taken_ids.setdefault(entry.id, f"entry #{index + 1}")
        # A quote that is not in the article stays a problem of the file: it is what a bad
        # hand edit looks like, and the last good version should keep serving then.
        own.extend(entry_problems(entry, article, shipped=shipped))
        new_phrasings: dict[str, str] = {}
        for offset, phrasing in enumerate(entry.phrasings):
            key = phrasing_key(phrasing)
            owner = taken_phrasings.get(key) or new_phrasings.get(key)
            sub = ("question",) if offset == 0 else ("alternates", offset - 1)
            if not key:
                own.append((sub, "phrasing has no words to match"))
            elif owner is not None:
                message = (
                    f"phrasing {phrasing!r} is already used by entry '{owner}'; "
                    "each phrasing belongs to one entry"
                )
                (clashes if key in reserved_keys else own).append((sub, message))
            else:
                new_phrasings[key] = entry.id
        if not keep_clashes:
            own = clashes + own
            clashes = []
        for sub, message in own:
            problems.append(_problem(name, marks, path + sub, message, entry.id))
        if clashes and not own:
            unserved[entry.id] = "; ".join(message for _sub, message in clashes)
        elif not own:
            taken_phrasings.update(new_phrasings)
        entries.append(entry)
    if problems:
        raise KnowledgeError(problems)
    return EntryFile(
        tuple(e for e in entries if e.id not in unserved),
        synonyms,
        unserved,
        tuple(entries),
    )


def _loc_text(loc: Sequence[Any]) -> str:
    if not loc:
        return "the entry"
    text = str(loc[0])
    for part in loc[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return f"'{text}'"


_FIELDS = "id, question, alternates, answer, sources, tags"


def validation_messages(error: ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    """Each schema problem of an entry as (field path, one plain sentence with its limit)."""
    found: list[tuple[tuple[Any, ...], str]] = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        where = _loc_text(loc)
        kind = item["type"]
        ctx = item.get("ctx") or {}
        value = item.get("input")
        last = loc[-1] if loc else None
        if kind == "missing":
            message = f"{where} is missing; it is required"
        elif kind == "extra_forbidden":
            message = f"{where} is not a field; an entry has {_FIELDS} (and a source has "
            message += "paragraph and quote)"
        elif kind == "string_too_long":
            length = len(value) if isinstance(value, str) else "too many"
            message = (
                f"{where} is {length} characters; the limit is {ctx.get('max_length')} characters"
            )
        elif kind == "string_too_short":
            minimum = ctx.get("min_length", 1)
            message = (
                f"{where} is empty"
                if minimum <= 1
                else f"{where} is {len(value or '')} characters; give at least {minimum} "
                "characters so it names one passage"
            )
        elif kind == "string_pattern_mismatch":
            limit = " of at most 48 characters" if last == "id" else ""
            message = (
                f"{where} must be lowercase letters and digits joined by single hyphens"
                f"{limit}, like 'nuclear-group' (got {value!r})"
            )
        elif kind in {"int_type", "int_parsing", "int_from_float"}:
            message = f"{where} must be a whole number (got {value!r})"
        elif kind == "greater_than_equal":
            message = f"{where} must be at least {ctx.get('ge')} (got {value!r})"
        elif kind in {"string_type", "string_unicode"}:
            message = f"{where} must be text (got {type(value).__name__})"
        elif kind in {"tuple_type", "list_type"}:
            message = f"{where} must be a list"
        elif kind in {"model_type", "model_attributes_type", "dict_type"}:
            message = f"{where} must be a mapping (like 'paragraph: 2' and 'quote: ...')"
            if not loc:
                message = "each entry must be a mapping with id, question and answer"
        elif kind.startswith("datetime"):
            message = f"{where} must be a date and time like 2024-01-31T12:00:00Z"
        else:
            message = f"{where}: {str(item['msg']).removeprefix('Value error, ')}"
        found.append((loc, message))
    return found


def _parse_synonyms(raw: Any, name: str, marks: _Marks, problems: list[Problem]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(_problem(name, marks, ("synonyms",), "'synonyms' must be a mapping"))
        return {}
    synonyms: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key.strip():
            problems.append(
                _problem(
                    name,
                    marks,
                    ("synonyms", key),
                    f"synonym {key!r} must map a word to a string of words",
                )
            )
            continue
        synonyms[key] = value
    return synonyms


def load_yaml(path: Path) -> Any:
    """Read one YAML file safely (size, encoding and syntax checked, errors located)."""
    return _parse_yaml(_read_text(path), str(path))[0]


def load_yaml_lines(path: Path) -> tuple[Any, Mapping[tuple[Any, ...], int]]:
    """load_yaml, plus the 1-based line of every node by its path of keys and indexes (and of
    every mapping key, under its path + KEY_MARK)."""
    data, marks = _parse_yaml(_read_text(path), str(path))
    return data, {key: mark.line + 1 for key, mark in marks.items()}


def load_entry_file(
    path: Path,
    article: Article,
    *,
    shipped: bool,
    reserved: Iterable[Entry] = (),
    keep_clashes: bool = False,
) -> EntryFile:
    """Read and validate an entries file (faq.yaml, or a server's file)."""
    return parse_entry_file(
        _read_text(path),
        str(path),
        article,
        shipped=shipped,
        reserved=reserved,
        keep_clashes=keep_clashes,
    )


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load knowledge/ (article.md and faq.yaml); raise KnowledgeError with every problem."""
    article = load_article(directory / "article.md")
    faq = load_entry_file(directory / "faq.yaml", article, shipped=True)
    _log.debug("loaded %d entries from %s", len(faq.entries), directory)
    return KnowledgeBase(article=article, entries=faq.entries, synonyms=faq.synonyms)
