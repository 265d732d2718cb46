"""The bot's settings, read once at start from the environment or `.env`, and validated.

Every setting has the exact environment name documented in `.env.example`. A bad value
is reported as one line "NAME: what is wrong" per problem, never with the token's value.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.matcher import MatchSettings

__all__ = ["Settings", "SettingsError", "format_settings_errors", "load_settings"]

_log = logging.getLogger(__name__)

# Discord snowflakes are positive 64-bit integers.
_SNOWFLAKE_MAX = 2**64 - 1
_SECRET_NAMES = frozenset({"DISCORD_TOKEN"})
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
_Snowflake = Annotated[int, Field(gt=0, le=_SNOWFLAKE_MAX)]


class SettingsError(Exception):
    """The settings are invalid; `lines` holds one "NAME: what is wrong" line per problem."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = tuple(lines)
        super().__init__("invalid settings:\n" + "\n".join(self.lines))


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

    @field_validator("data_dir")
    @classmethod
    def _data_dir_usable(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"{str(value)!r} exists and is not a directory")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems: list[str] = []
        if self.shard_ids is not None:
            if self.shard_count is None:
                problems.append("FAQ_SHARD_IDS: needs FAQ_SHARD_COUNT to be set as well")
            else:
                bad = [i for i in self.shard_ids if i >= self.shard_count]
                if bad:
                    problems.append(
                        f"FAQ_SHARD_IDS: ids {bad} are not below FAQ_SHARD_COUNT "
                        f"({self.shard_count}); shard ids run from 0 to {self.shard_count - 1}"
                    )
            if not self.shard_ids:
                problems.append("FAQ_SHARD_IDS: give at least one shard id, or leave it unset")
        match = self.match_settings()
        if match.suggest_threshold > match.answer_threshold:
            problems.append(
                f"FAQ_SUGGEST_THRESHOLD: {match.suggest_threshold} is above the answer "
                f"threshold ({match.answer_threshold}); suggestions must score lower than answers"
            )
        if problems:
            # A ValueError here would be reported without a field name; raise ours instead.
            raise SettingsError(problems)
        return self

    @property
    def token(self) -> str:
        """The bot token (raises when it is not set); never log it."""
        if self.discord_token is None:
            raise SettingsError(["DISCORD_TOKEN: missing; set it in the environment or .env"])
        return self.discord_token.get_secret_value()

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


def format_settings_errors(error: ValidationError) -> list[str]:
    """One "NAME: what is wrong" line per problem in a settings validation error."""
    lines: list[str] = []
    for item in error.errors(include_url=False):
        name = str(item["loc"][0]) if item["loc"] else "settings"
        message = str(item["msg"])
        message = message.removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "missing; set it in the environment or .env"
        elif (
            name not in _SECRET_NAMES
            and isinstance(item.get("input"), str)
            and repr(item["input"]) not in message
        ):
            message = f"{message[:1].lower()}{message[1:]} (got {item['input']!r})"
        else:
            message = f"{message[:1].lower()}{message[1:]}"
        lines.append(f"{name}: {message}")
    return lines


def load_settings(
    *, env_file: Path | str | None = ".env", require_token: bool = True, **values: Any
) -> Settings:
    """Read and validate the settings; raise SettingsError listing every bad value.

    `values` override the environment, keyed by environment name (e.g. FAQ_DATA_DIR=...).
    """
    try:
        settings = Settings(_env_file=env_file, **values)  # type: ignore[call-arg]
    except ValidationError as exc:
        lines = format_settings_errors(exc)
        # The cross-field checks only run when every field is valid; keep field errors first.
        raise SettingsError(lines) from None
    except SettingsError:
        raise
    if require_token and settings.discord_token is None:
        raise SettingsError(["DISCORD_TOKEN: missing; set it in the environment or .env"])
    _log.debug("settings loaded (auto-answer channels: %d)", len(settings.auto_answer_channels))
    return settings
