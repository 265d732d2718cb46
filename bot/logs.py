"""The bot's logging: one plain line per event on stderr, each naming its shard.

discord.py's `setup_logging` adds a handler of its own (coloured on a terminal) every time it
is called, next to whatever the root logger has: lines came out twice. Here the root logger
gets exactly one handler, discord's logger none, and every record the field `shard`: the shard
of the event being handled (set by the bot when it dispatches an event of a server), else the
shards this process runs.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from typing import TextIO

__all__ = ["FORMAT", "configure_logging", "event_shard"]

FORMAT = "%(asctime)s %(levelname)-8s shard=%(shard)s %(name)s: %(message)s"

# The shard of the event this task handles; tasks copy it from the code that created them.
event_shard: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "faq_event_shard", default=None
)


class _ShardFilter(logging.Filter):
    """Stamps each record with the shard of its event, or the process's shards."""

    def __init__(self, process_shards: str) -> None:
        super().__init__()
        self.process_shards = process_shards

    def filter(self, record: logging.LogRecord) -> bool:
        shard = event_shard.get()
        record.shard = self.process_shards if shard is None else str(shard)
        return True


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler of the bot's logging (recognised when configured again)."""


def configure_logging(level: str, process_shards: str, stream: TextIO | None = None) -> None:
    """Send every log record to `stream` (stderr) once, as one plain line with its shard."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Handler):
            root.removeHandler(handler)
    library = logging.getLogger("discord")
    for handler in list(library.handlers):
        library.removeHandler(handler)
    library.propagate = True
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT, "%Y-%m-%d %H:%M:%S"))
    handler.addFilter(_ShardFilter(process_shards))
    root.addHandler(handler)
    root.setLevel(logging.getLevelNamesMapping()[level])
