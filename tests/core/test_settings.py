from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SLACK_DEFAULT_API_URL, SettingsError, load_settings, settings_from_mapping


def test_defaults_need_nothing_and_mean_the_sandbox() -> None:
    settings = settings_from_mapping({})
    assert settings.slack.api_url == SLACK_DEFAULT_API_URL
    assert settings.database_url == "sqlite:///drumbeat.db"
    assert (settings.command, settings.port, settings.log_level) == ("/drumbeat", 3000, "INFO")
    assert not settings.has_platform_credentials


def test_postgres_urls_use_the_shipped_driver() -> None:
    assert settings_from_mapping({"DATABASE_URL": "postgres://u@h/db"}).database_url == "postgresql+psycopg://u@h/db"


def test_government_slack_api_url_is_kept_with_a_trailing_slash() -> None:
    settings = settings_from_mapping({"SLACK_API_URL": "https://slack-gov.com/api"})
    assert settings.slack.api_url == "https://slack-gov.com/api/"


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("PORT", "eighty", "PORT must be a whole number"),
        ("PORT", "70000", "PORT must be between 1 and 65535"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL must be an http(s) URL"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL must start with"),
        ("DRUMBEAT_COMMAND", "drumbeat", "DRUMBEAT_COMMAND must be a slash command"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of"),
    ],
)
def test_invalid_setting_fails_with_one_line_naming_it(name: str, value: str, named: str) -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from_mapping({name: value})
    assert str(raised.value).startswith(named)
    assert "\n" not in str(raised.value)


def test_slack_mode_requires_bot_token_and_signing_secret() -> None:
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN is missing"):
        settings_from_mapping({"SLACK_SIGNING_SECRET": "s"}).slack.require()
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET is missing"):
        settings_from_mapping({"SLACK_BOT_TOKEN": "xoxb-1"}).slack.require()
    settings_from_mapping({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).slack.require()


def test_environment_overrides_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nLOG_LEVEL=debug\n")
    settings = load_settings(env_file, environ={"PORT": "5000"})
    assert (settings.port, settings.log_level) == (5000, "DEBUG")
