"""The bot's settings, read once at start from the environment or `.env`, and validated.

Every `faqbot` command reads them through `load_settings`: the environment, then `.env` for
what the environment leaves unset, then the command's flags, which win. Every setting has the
exact environment name documented in `.env.example`. Every bad value is reported, as one line
"NAME: what is wrong" per problem, never with the token's value.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.matcher import MatchSettings
from bot.core.matching.overlay import DEFAULT_OVERLAY_CACHE

__all__ = [
    "SNOWFLAKE_MAX",
    "Settings",
    "SettingsError",
    "format_settings_errors",
    "load_settings",
    "parse_snowflake",
]

_log = logging.getLogger(__name__)

# Discord snowflakes are positive and fit a signed 64-bit integer.
SNOWFLAKE_MAX = 2**63 - 1
_SECRET_NAMES = frozenset({"DISCORD_TOKEN", "FAQ_DATABASE_URL"})
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
_Snowflake = Annotated[int, Field(gt=0, le=SNOWFLAKE_MAX)]


class SettingsError(Exception):
    """The settings are invalid; `lines` holds one "NAME: what is wrong" line per problem."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = tuple(lines)
        super().__init__("invalid settings:\n" + "\n".join(self.lines))


class _CrossFieldError(SettingsError):
    """Problems between settings, each with the names of the settings involved."""

    def __init__(self, problems: list[tuple[frozenset[str], str]]) -> None:
        self.problems = problems
        super().__init__([line for _names, line in problems])


def parse_snowflake(text: str, what: str = "id") -> int:
    """A Discord id (1 to 2**63-1) written in decimal digits; ValueError saying what is wrong."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{text!r} is not a {what}: a Discord id is written in digits only")
    value = int(text)
    if not 0 < value <= SNOWFLAKE_MAX:
        raise ValueError(
            f"{text} is not a {what}: Discord ids run from 1 to {SNOWFLAKE_MAX} (19 digits)"
        )
    return value


def _split_ids(value: Any, name: str) -> Any:
    """Turn "1, 2,3" into a list of ints; other shapes go to pydantic unchanged."""
    if not isinstance(value, str):
        return value
    ids: list[int] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ValueError(f"{part!r} is not a {name} (a number); separate ids with commas")
        ids.append(int(part))
    return ids


class Settings(BaseSettings):
    """Everything the bot reads from its environment (names are the environment names)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        # The token must never show up in an error message.
        hide_input_in_errors=True,
    )

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    knowledge_dir: Path = Field(default=Path("knowledge"), validation_alias="FAQ_KNOWLEDGE_DIR")
    data_dir: Path = Field(default=Path("data"), validation_alias="FAQ_DATA_DIR")
    # Where the multilingual model's snapshot and the knowledge base's vectors are cached.
    cache_dir: Path | None = Field(default=None, validation_alias="FAQ_CACHE_DIR")
    auto_answer_channels: Annotated[frozenset[_Snowflake], NoDecode] = Field(
        default=frozenset(), validation_alias="FAQ_AUTO_ANSWER_CHANNELS"
    )
    mod_role_id: _Snowflake | None = Field(default=None, validation_alias="FAQ_MOD_ROLE_ID")
    dev_guild_id: _Snowflake | None = Field(default=None, validation_alias="FAQ_DEV_GUILD_ID")
    mod_log_channel_id: _Snowflake | None = Field(
        default=None, validation_alias="FAQ_MOD_LOG_CHANNEL_ID"
    )
    user_cooldown_seconds: float = Field(
        default=30.0, ge=0, le=86_400, validation_alias="FAQ_USER_COOLDOWN_SECONDS"
    )
    channel_entry_cooldown_seconds: float = Field(
        default=300.0, ge=0, le=86_400, validation_alias="FAQ_CHANNEL_ENTRY_COOLDOWN_SECONDS"
    )
    channel_reply_limit: int = Field(
        default=5, ge=0, le=1000, validation_alias="FAQ_CHANNEL_REPLY_LIMIT"
    )
    channel_reply_window_seconds: float = Field(
        default=10.0, gt=0, le=3600, validation_alias="FAQ_CHANNEL_REPLY_WINDOW_SECONDS"
    )
    answer_threshold: int | None = Field(
        default=None, ge=0, le=100, validation_alias="FAQ_ANSWER_THRESHOLD"
    )
    chat_threshold: int | None = Field(
        default=None, ge=0, le=100, validation_alias="FAQ_CHAT_THRESHOLD"
    )
    suggest_threshold: int | None = Field(
        default=None, ge=0, le=100, validation_alias="FAQ_SUGGEST_THRESHOLD"
    )
    shard_count: int | None = Field(
        default=None, ge=1, le=10_000, validation_alias="FAQ_SHARD_COUNT"
    )
    shard_ids: Annotated[tuple[Annotated[int, Field(ge=0)], ...] | None, NoDecode] = Field(
        default=None, validation_alias="FAQ_SHARD_IDS"
    )
    log_level: LogLevel = Field(default="INFO", validation_alias="FAQ_LOG_LEVEL")
    health_port: int | None = Field(
        default=None, ge=1, le=65_535, validation_alias="FAQ_HEALTH_PORT"
    )
    # Servers whose own-entry matchers (overlays) stay built; the rest rebuild on demand.
    overlay_cache: int = Field(
        default=DEFAULT_OVERLAY_CACHE, ge=1, le=1_000_000, validation_alias="FAQ_OVERLAY_CACHE"
    )
    # PostgreSQL instead of the data dir's files; it holds a password, so it is a secret.
    database_url: SecretStr | None = Field(default=None, validation_alias="FAQ_DATABASE_URL")
    retention_days: int = Field(default=90, ge=1, le=3650, validation_alias="FAQ_RETENTION_DAYS")

    @field_validator("database_url", mode="before")
    @classmethod
    def _check_database_url(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str):
            from bot.core.store.postgres import validate_url

            problem = validate_url(value.strip())
            if problem:
                raise ValueError(problem)
            return value.strip()
        return value

    @field_validator("auto_answer_channels", mode="before")
    @classmethod
    def _parse_channels(cls, value: Any) -> Any:
        return _split_ids(value, "channel id")

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return _split_ids(value, "shard id")

    @field_validator(
        "mod_role_id",
        "dev_guild_id",
        "mod_log_channel_id",
        "answer_threshold",
        "chat_threshold",
        "suggest_threshold",
        "shard_count",
        "discord_token",
        "health_port",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # `FAQ_MOD_ROLE_ID=` in .env means "not set", as .env.example writes it.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("knowledge_dir")
    @classmethod
    def _knowledge_exists(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(
                f"{str(value)!r} is not a directory; point it at the knowledge/ folder"
            )
        if not (value / "article.md").is_file():
            raise ValueError(f"{str(value)!r} has no article.md")
        return value

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _blank_cache_dir(cls, value: Any) -> Any:
        # FAQ_CACHE_DIR= (empty) means the default, not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("data_dir", "cache_dir")
    @classmethod
    def _data_dir_usable(cls, value: Path | None) -> Path | None:
        if value is not None and value.exists() and not value.is_dir():
            raise ValueError(f"{str(value)!r} exists and is not a directory")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems = self.cross_field_problems()
        if problems:
            # A ValueError here would be reported without a field name; raise ours instead.
            raise _CrossFieldError(problems)
        return self

    def cross_field_problems(self) -> list[tuple[frozenset[str], str]]:
        """The problems between settings, each with the names of the settings involved."""
        problems: list[tuple[frozenset[str], str]] = []
        shards = frozenset({"FAQ_SHARD_IDS", "FAQ_SHARD_COUNT"})
        if self.shard_ids is not None:
            if not self.shard_ids:
                problems.append(
                    (shards, "FAQ_SHARD_IDS: give at least one shard id, or leave it unset")
                )
            elif self.shard_count is None:
                problems.append((shards, "FAQ_SHARD_IDS: needs FAQ_SHARD_COUNT to be set as well"))
            else:
                bad = [i for i in self.shard_ids if i >= self.shard_count]
                if bad:
                    problems.append(
                        (
                            shards,
                            f"FAQ_SHARD_IDS: ids {bad} are not below FAQ_SHARD_COUNT "
                            f"({self.shard_count}); shard ids run from 0 to "
                            f"{self.shard_count - 1}",
                        )
                    )
        match = self.match_settings()
        if match.suggest_threshold > match.answer_threshold:
            problems.append(
                (
                    frozenset({"FAQ_SUGGEST_THRESHOLD", "FAQ_ANSWER_THRESHOLD"}),
                    f"FAQ_SUGGEST_THRESHOLD: {match.suggest_threshold} is above the answer "
                    f"threshold ({match.answer_threshold}); suggestions must score lower "
                    "than answers",
                )
            )
        if match.chat_threshold < match.answer_threshold:
            problems.append(
                (
                    frozenset({"FAQ_CHAT_THRESHOLD", "FAQ_ANSWER_THRESHOLD"}),
                    f"FAQ_CHAT_THRESHOLD: {match.chat_threshold} is below the answer "
                    f"threshold ({match.answer_threshold}); chat must be at least as strict "
                    "as /faq ask",
                )
            )
        return problems

    @property
    def token(self) -> str:
        """The bot token (raises when it is not set); never log it."""
        if self.discord_token is None:
            raise SettingsError(["DISCORD_TOKEN: missing; set it in the environment or .env"])
        return self.discord_token.get_secret_value()

    @property
    def model_cache_dir(self) -> Path:
        """FAQ_CACHE_DIR, or `cache` in the data directory."""
        return self.cache_dir if self.cache_dir is not None else self.data_dir / "cache"

    @property
    def database(self) -> str | None:
        """The PostgreSQL URL, or None for the embedded store; never log it (use safe_url)."""
        return self.database_url.get_secret_value() if self.database_url else None

    def match_settings(self) -> MatchSettings:
        """The matcher's settings with the thresholds this environment overrides."""
        overrides = {
            name: value
            for name, value in (
                ("answer_threshold", self.answer_threshold),
                ("chat_threshold", self.chat_threshold),
                ("suggest_threshold", self.suggest_threshold),
            )
            if value is not None
        }
        return dataclasses.replace(MatchSettings(), **overrides)


def _plain(item: Any) -> str:
    """One pydantic error as a plain phrase with its limit, without pydantic's wording."""
    kind = item["type"]
    ctx = item.get("ctx") or {}
    if kind == "missing":
        return "missing; set it in the environment or .env"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "must be a whole number"
    if kind in {"float_parsing", "float_type"}:
        return "must be a number"
    if kind == "greater_than":
        return f"must be greater than {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}".replace("'", "")
    message = str(item["msg"]).removeprefix("Value error, ")
    return f"{message[:1].lower()}{message[1:]}"


def format_settings_errors(error: ValidationError) -> list[str]:
    """One "NAME: what is wrong" line per problem in a settings validation error."""
    lines: list[str] = []
    for item in error.errors(include_url=False):
        name = str(item["loc"][0]) if item["loc"] else "settings"
        message = _plain(item)
        if (
            name not in _SECRET_NAMES
            and item["type"] != "missing"
            and isinstance(item.get("input"), str)
            and repr(item["input"]) not in message
        ):
            message = f"{message} (got {item['input']!r})"
        lines.append(f"{name}: {message}")
    return lines


def load_settings(
    *, env_file: Path | str | None = ".env", require_token: bool = True, **values: Any
) -> Settings:
    """Read and validate the settings; raise SettingsError listing every bad value.

    `values` override the environment and `.env`, keyed by environment name
    (e.g. FAQ_DATA_DIR=...): the command line's flags.
    """
    try:
        settings = Settings(_env_file=env_file, **values)  # type: ignore[call-arg]
    except ValidationError as exc:
        lines = format_settings_errors(exc)
        # pydantic skips the checks between settings when a value is bad; run them on the
        # values that are good, so every problem is reported at once.
        failed = {str(item["loc"][0]) for item in exc.errors() if item["loc"]}
        lines += [
            line
            for names, line in _cross_field_problems_without(failed, env_file, values)
            if not names & failed
        ]
        raise SettingsError(lines) from None
    except SettingsError:
        raise
    if require_token and settings.discord_token is None:
        raise SettingsError(["DISCORD_TOKEN: missing; set it in the environment or .env"])
    _log.debug("settings loaded (auto-answer channels: %d)", len(settings.auto_answer_channels))
    return settings


def _cross_field_problems_without(
    failed: set[str], env_file: Path | str | None, values: dict[str, Any]
) -> list[tuple[frozenset[str], str]]:
    """The cross-field problems of the settings, with the failed ones put back to defaults."""
    defaults = {
        str(field.validation_alias): field.default
        for field in Settings.model_fields.values()
        if str(field.validation_alias) in failed
    }
    try:
        Settings(_env_file=env_file, **{**values, **defaults})  # type: ignore[call-arg]
    except _CrossFieldError as exc:
        return exc.problems
    except (ValidationError, SettingsError):
        return []
    return []
