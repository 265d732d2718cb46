"""The storage interface (`Store`) and how to open the configured backend.

The embedded backend (YAML + SQLite under the data dir) is the default; FAQ_DATABASE_URL selects
PostgreSQL. Backends are imported only when opened, so the embedded default never imports the
database driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .base import (
    ANONYMOUS_ID,
    SNOWFLAKE_MAX,
    AuditAction,
    AuditRecord,
    ChangeListener,
    ForgetReport,
    GuildChange,
    GuildSettings,
    Store,
    StoreUnavailableError,
    check_guild_id,
    is_snowflake,
)

if TYPE_CHECKING:
    from ..models import KnowledgeBase

__all__ = [
    "ANONYMOUS_ID",
    "SNOWFLAKE_MAX",
    "AuditAction",
    "AuditRecord",
    "ChangeListener",
    "ForgetReport",
    "GuildChange",
    "GuildSettings",
    "Store",
    "StoreUnavailableError",
    "check_guild_id",
    "is_snowflake",
    "open_store",
]


def open_store(
    base: KnowledgeBase,
    *,
    data_dir: Path,
    database_url: str | None = None,
    retention_days: int = 90,
    wait: bool = False,
    listen: bool = True,
) -> Store:
    """The configured store: PostgreSQL when `database_url` is set, else the data dir's files.

    With `wait`, a database that cannot be reached is retried until it answers (the bot);
    without, StoreUnavailableError is raised at once (the command line). `listen` starts the
    PostgreSQL change listener (needed by processes that serve; not by one-shot commands).
    """
    if database_url:
        from .postgres import PostgresStore

        return PostgresStore(
            database_url, base, retention_days=retention_days, wait=wait, listen=listen
        )
    from .embedded import EmbeddedStore

    return EmbeddedStore(data_dir, base, retention_days=retention_days)
