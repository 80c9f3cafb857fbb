"""Which platforms a start requires, and when an HTTP server is needed beside long-lived connections."""

from __future__ import annotations

import pytest

from bot.app import Drumbeat
from bot.cli import _require_configured
from bot.settings import SettingsError, settings_from_mapping


def test_a_teams_only_install_needs_no_slack_token() -> None:
    settings = settings_from_mapping({"TEAMS_APP_ID": "00000000-0000-0000-0000-000000000001",
                                      "TEAMS_APP_PASSWORD": "secret"})
    _require_configured(settings)  # no "SLACK_BOT_TOKEN is missing"


def test_a_half_configured_slack_is_refused_with_the_setting_it_lacks() -> None:
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        _require_configured(settings_from_mapping({"SLACK_SIGNING_SECRET": "s"}))


class _Connected:
    def __init__(self, connects: bool) -> None:
        self.connects = connects

    def connect(self) -> bool:
        return self.connects


@pytest.mark.parametrize(("connections", "needs_http"), [
    ([True], False),          # Slack in Socket Mode alone
    ([False], True),          # Slack over HTTP
    ([True, False], True),    # Slack in Socket Mode beside Teams, which only ever calls the bot over HTTP
])
def test_http_is_served_unless_every_platform_holds_its_own_connection(
        connections: list[bool], needs_http: bool) -> None:
    drumbeat = Drumbeat.__new__(Drumbeat)  # only `platforms` is read
    drumbeat.platforms = [_Connected(c) for c in connections]  # type: ignore[attr-defined]
    assert drumbeat.connect() is not needs_http
