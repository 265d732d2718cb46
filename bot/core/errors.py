"""The one domain error for bad knowledge data, the located problems it carries, and the
one-line description of an operator fault (a read-only or full disk)."""

from __future__ import annotations

import errno
from dataclasses import dataclass

__all__ = ["KnowledgeError", "Problem", "describe_os_error"]


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
        # The server whose file it is (set by the Library); None: the shipped knowledge.
        self.guild_id: int | None = None
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


def describe_os_error(error: OSError, *, doing: str = "use") -> str:
    """One line saying what went wrong with a file or the network, and what to do about it."""
    place = f" {error.filename}" if error.filename else ""
    if error.errno in {errno.EROFS, errno.EACCES, errno.EPERM}:
        return (
            f"cannot {doing}{place}: {error.strerror or 'permission denied'}; make the data "
            "directory writable by this user, or point FAQ_DATA_DIR (or --data) at one that is"
        )
    if error.errno in {errno.ENOSPC, errno.EDQUOT}:
        return f"cannot {doing}{place}: the disk is full; free some space and try again"
    return f"cannot {doing}{place}: {error.strerror or error}"
