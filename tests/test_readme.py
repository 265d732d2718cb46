"""The README states every limit the code enforces, with the code's own numbers."""

from __future__ import annotations

from pathlib import Path

from bot.core.loader import (
    MAX_FILE_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    SHIPPED_ANSWER_MAX,
    SHIPPED_MIN_ALTERNATES,
)
from bot.core.models import ANSWER_MAX, ID_MAX, QUESTION_MAX, QUOTE_MAX, QUOTE_MIN
from bot.core.text import MAX_QUERY_CHARS
from bot.modals import ALTERNATES_MAX

ROOT = Path(__file__).resolve().parent.parent


def test_every_limit_is_in_the_limits_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Limits", 1)[1].split("\n## ", 1)[0]
    expected = [
        f"at most {ID_MAX} characters",
        f"1 to {QUESTION_MAX} characters",
        f"1 to {ANSWER_MAX:,} characters; shipped entries at most {SHIPPED_ANSWER_MAX}",
        f"{QUOTE_MIN} to {QUOTE_MAX:,} characters",
        f"at least {SHIPPED_MIN_ALTERNATES} alternates",
        f"at most {ALTERNATES_MAX}",
        f"{MAX_FILE_BYTES:,} bytes, nesting {MAX_YAML_DEPTH} levels, {MAX_YAML_NODES:,} values",
        f"the first {MAX_QUERY_CHARS} characters",
        "1 to 2^63-1",
    ]
    for text in expected:
        assert text in table, text
