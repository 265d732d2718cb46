"""Settings: every name read from the environment, each bad value one clear line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.core.matcher import MatchSettings
from bot.settings import Settings, SettingsError, format_settings_errors, load_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "very-secret-token-value"


def _load(knowledge_dir: Path, tmp_path: Path, **values: str) -> Settings:
    base = {
        "DISCORD_TOKEN": TOKEN,
        "FAQ_KNOWLEDGE_DIR": str(knowledge_dir),
        "FAQ_DATA_DIR": str(tmp_path / "data"),
    }
    return load_settings(env_file=None, **{**base, **values})


def test_defaults_and_parsing(knowledge_dir: Path, tmp_path: Path) -> None:
    settings = _load(
        knowledge_dir,
        tmp_path,
        FAQ_AUTO_ANSWER_CHANNELS=" 11, 22,,33 ",
        FAQ_MOD_ROLE_ID="",
        FAQ_SHARD_COUNT="4",
        FAQ_SHARD_IDS="0,2",
        FAQ_LOG_LEVEL="debug",
        FAQ_CHAT_THRESHOLD="91",
        FAQ_OVERLAY_CACHE="50",
    )
    assert settings.overlay_cache == 50
    assert settings.auto_answer_channels == frozenset({11, 22, 33})
    assert settings.mod_role_id is None
    assert settings.shard_count == 4
    assert settings.shard_ids == (0, 2)
    assert settings.log_level == "DEBUG"
    assert settings.token == TOKEN
    match = settings.match_settings()
    assert match.chat_threshold == 91
    # Thresholds not set keep the matcher's own defaults.
    assert match.answer_threshold == MatchSettings().answer_threshold


def test_empty_channel_list_means_mentions_only(knowledge_dir: Path, tmp_path: Path) -> None:
    settings = _load(knowledge_dir, tmp_path, FAQ_AUTO_ANSWER_CHANNELS="")
    assert settings.auto_answer_channels == frozenset()


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("FAQ_AUTO_ANSWER_CHANNELS", "123,abc", "'abc' is not a channel id"),
        ("FAQ_AUTO_ANSWER_CHANNELS", "0", "greater than 0"),
        ("FAQ_MOD_ROLE_ID", "moderators", "must be a whole number"),
        ("FAQ_DEV_GUILD_ID", "-5", "greater than 0"),
        ("FAQ_MOD_LOG_CHANNEL_ID", "1.5", "must be a whole number"),
        ("FAQ_USER_COOLDOWN_SECONDS", "soon", "must be a number"),
        ("FAQ_CHANNEL_ENTRY_COOLDOWN_SECONDS", "-1", "must be at least 0"),
        ("FAQ_CHANNEL_REPLY_LIMIT", "many", "must be a whole number"),
        ("FAQ_CHANNEL_REPLY_WINDOW_SECONDS", "0", "must be greater than 0"),
        ("FAQ_ANSWER_THRESHOLD", "101", "must be at most 100"),
        ("FAQ_CHAT_THRESHOLD", "high", "must be a whole number"),
        ("FAQ_SUGGEST_THRESHOLD", "-3", "must be at least 0"),
        ("FAQ_SHARD_COUNT", "0", "must be at least 1"),
        ("FAQ_SHARD_IDS", "0,x", "'x' is not a shard id"),
        ("FAQ_LOG_LEVEL", "LOUD", "must be one of DEBUG, INFO, WARNING, ERROR or CRITICAL"),
        ("FAQ_OVERLAY_CACHE", "0", "must be at least 1"),
        ("FAQ_KNOWLEDGE_DIR", "/no/such/dir", "is not a directory"),
        ("FAQ_MOD_ROLE_ID", str(2**63), "must be at most 9223372036854775807"),
        ("FAQ_DEV_GUILD_ID", "1" * 30, "must be at most 9223372036854775807"),
        ("FAQ_AUTO_ANSWER_CHANNELS", f"1,{2**64}", "must be at most 9223372036854775807"),
    ],
)
def test_each_bad_value_is_one_line_naming_the_setting(
    knowledge_dir: Path, tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(knowledge_dir, tmp_path, **{name: value})
    lines = caught.value.lines
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{name}: ")
    assert fragment in lines[0]
    # Plain words: none of pydantic's phrasing or links.
    assert "Input should" not in lines[0] and "http" not in lines[0]


def test_several_bad_values_are_all_reported(knowledge_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(knowledge_dir, tmp_path, FAQ_MOD_ROLE_ID="x", FAQ_SHARD_COUNT="zero")
    names = sorted(line.split(":")[0] for line in caught.value.lines)
    assert names == ["FAQ_MOD_ROLE_ID", "FAQ_SHARD_COUNT"]


def test_missing_token(knowledge_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None, FAQ_KNOWLEDGE_DIR=str(knowledge_dir))
    assert caught.value.lines == ("DISCORD_TOKEN: missing; set it in the environment or .env",)
    # The console can read the other settings without a token.
    assert load_settings(env_file=None, require_token=False, FAQ_KNOWLEDGE_DIR=str(knowledge_dir))


def test_token_is_never_shown(knowledge_dir: Path, tmp_path: Path) -> None:
    settings = _load(knowledge_dir, tmp_path)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.model_dump())
    with pytest.raises(SettingsError) as caught:
        _load(knowledge_dir, tmp_path, FAQ_MOD_ROLE_ID="bad")
    assert TOKEN not in str(caught.value)


def test_token_input_is_not_echoed_in_a_type_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, DISCORD_TOKEN=12345)  # type: ignore[call-arg]
    lines = format_settings_errors(caught.value)
    assert lines[0].startswith("DISCORD_TOKEN: ")
    assert "12345" not in lines[0]


def test_cross_field_checks(knowledge_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(knowledge_dir, tmp_path, FAQ_SHARD_IDS="1")
    assert caught.value.lines == ("FAQ_SHARD_IDS: needs FAQ_SHARD_COUNT to be set as well",)
    with pytest.raises(SettingsError) as caught:
        _load(knowledge_dir, tmp_path, FAQ_SHARD_IDS="1,2", FAQ_SHARD_COUNT="2")
    assert caught.value.lines[0].startswith("FAQ_SHARD_IDS: ids [2] are not below")
    with pytest.raises(SettingsError) as caught:
        _load(knowledge_dir, tmp_path, FAQ_SUGGEST_THRESHOLD="90", FAQ_ANSWER_THRESHOLD="60")
    assert caught.value.lines[0].startswith("FAQ_SUGGEST_THRESHOLD: 90 is above")


def test_data_dir_must_not_be_a_file(knowledge_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    with pytest.raises(SettingsError) as caught:
        _load(knowledge_dir, tmp_path)
    assert caught.value.lines[0].startswith("FAQ_DATA_DIR: ")


def test_cache_dir_defaults_to_the_data_dir_and_must_not_be_a_file(
    knowledge_dir: Path, tmp_path: Path
) -> None:
    assert _load(knowledge_dir, tmp_path).model_cache_dir == tmp_path / "data" / "cache"
    blank = _load(knowledge_dir, tmp_path, FAQ_CACHE_DIR=" ")
    assert blank.model_cache_dir == tmp_path / "data" / "cache"
    elsewhere = _load(knowledge_dir, tmp_path, FAQ_CACHE_DIR=str(tmp_path / "models"))
    assert elsewhere.model_cache_dir == tmp_path / "models"
    blocker = tmp_path / "cache-file"
    blocker.write_text("not a directory")
    with pytest.raises(SettingsError) as caught:
        _load(knowledge_dir, tmp_path, FAQ_CACHE_DIR=str(blocker))
    assert caught.value.lines[0].startswith("FAQ_CACHE_DIR: ")


def test_reads_the_env_file_and_the_environment_wins(
    knowledge_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"DISCORD_TOKEN={TOKEN}\nFAQ_KNOWLEDGE_DIR={knowledge_dir}\n"
        "FAQ_USER_COOLDOWN_SECONDS=12\nFAQ_MOD_ROLE_ID=77\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FAQ_MOD_ROLE_ID", "88")
    settings = load_settings(env_file=env_file)
    assert settings.user_cooldown_seconds == 12
    assert settings.mod_role_id == 88


def test_env_example_documents_every_setting_with_a_comment() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M)
    names = {str(f.validation_alias) for f in Settings.model_fields.values()}
    assert set(documented) == names
    lines = text.splitlines()
    for name in names:
        index = next(i for i, line in enumerate(lines) if re.match(rf"^#?\s*{name}=", line))
        assert lines[index - 1].startswith("#"), f"{name} has no comment above it"
    # The example never carries a real-looking token.
    assert re.search(r"^DISCORD_TOKEN=\s*$", text, re.M)


def test_the_chat_threshold_may_not_be_below_the_answer_threshold(
    knowledge_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(knowledge_dir, tmp_path, FAQ_CHAT_THRESHOLD="10")
    assert caught.value.lines == (
        f"FAQ_CHAT_THRESHOLD: 10 is below the answer threshold "
        f"({MatchSettings().answer_threshold}); chat must be at least as strict as /faq ask",
    )
    settings = _load(knowledge_dir, tmp_path, FAQ_CHAT_THRESHOLD="60", FAQ_ANSWER_THRESHOLD="60")
    assert settings.match_settings().chat_threshold == 60


def test_a_cross_field_error_is_reported_with_the_field_errors(
    knowledge_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(
            knowledge_dir,
            tmp_path,
            FAQ_SHARD_IDS="5",
            FAQ_MOD_ROLE_ID="x",
            FAQ_CHAT_THRESHOLD="10",
            FAQ_USER_COOLDOWN_SECONDS="soon",
        )
    names = sorted(line.split(":")[0] for line in caught.value.lines)
    assert names == [
        "FAQ_CHAT_THRESHOLD",
        "FAQ_MOD_ROLE_ID",
        "FAQ_SHARD_IDS",
        "FAQ_USER_COOLDOWN_SECONDS",
    ]


def test_a_cross_field_check_on_a_bad_value_is_not_reported_twice(
    knowledge_dir: Path, tmp_path: Path
) -> None:
    # FAQ_SHARD_COUNT is bad itself: "needs FAQ_SHARD_COUNT" would only mislead.
    with pytest.raises(SettingsError) as caught:
        _load(knowledge_dir, tmp_path, FAQ_SHARD_IDS="1", FAQ_SHARD_COUNT="two")
    assert [line.split(":")[0] for line in caught.value.lines] == ["FAQ_SHARD_COUNT"]


def test_env_example_gives_every_default(knowledge_dir: Path, tmp_path: Path) -> None:
    """Each value in .env.example is the default, so copying it changes nothing."""
    example = tmp_path / ".env"
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    example.write_text(text, encoding="utf-8")
    from_example = load_settings(env_file=example, require_token=False)
    defaults = load_settings(env_file=None, require_token=False)
    thresholds = {"answer_threshold", "chat_threshold", "suggest_threshold"}
    assert from_example.model_dump(exclude=thresholds) == defaults.model_dump(exclude=thresholds)
    assert from_example.match_settings() == defaults.match_settings()
    match = MatchSettings()
    for name, value in (
        ("FAQ_ANSWER_THRESHOLD", match.answer_threshold),
        ("FAQ_CHAT_THRESHOLD", match.chat_threshold),
        ("FAQ_SUGGEST_THRESHOLD", match.suggest_threshold),
    ):
        assert re.search(rf"^{name}={value}$", text, re.M), name


def test_the_channel_reply_cap_is_configurable(knowledge_dir: Path, tmp_path: Path) -> None:
    default = _load(knowledge_dir, tmp_path)
    assert (default.channel_reply_limit, default.channel_reply_window_seconds) == (5, 10.0)
    changed = _load(
        knowledge_dir,
        tmp_path,
        FAQ_CHANNEL_REPLY_LIMIT="2",
        FAQ_CHANNEL_REPLY_WINDOW_SECONDS="60",
    )
    assert (changed.channel_reply_limit, changed.channel_reply_window_seconds) == (2, 60.0)
