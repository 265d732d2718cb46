"""The one domain error for bad knowledge data, and the located problems it carries."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KnowledgeError", "Problem"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a knowledge file, with where it is and what to fix."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    entry_id: str | None = None

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        who = f" entry '{self.entry_id}':" if self.entry_id else ""
        return f"{place}:{who} {self.message}"


class KnowledgeError(Exception):
    """Raised for every problem with knowledge data; carries all problems found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid knowledge")

    @classmethod
    def single(
        cls,
        file: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        entry_id: str | None = None,
    ) -> KnowledgeError:
        """Build an error holding one problem."""
        return cls([Problem(file, message, line, column, entry_id)])
