"""Teams in the runtime: its settings, its route on Drumbeat's one web server (beside /healthz), what the bridge
refuses before the SDK sees a request, and a stray SDK environment variable refused at start."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from bot.settings import SettingsError, settings_from_mapping

from .conftest import World  # noqa: TID252


def test_teams_is_configured_by_app_id_and_password_with_its_defaults() -> None:
    settings = settings_from_mapping({"TEAMS_APP_ID": "app", "TEAMS_APP_PASSWORD": "secret"})

    assert settings.teams.configured and settings.has_platform_credentials
    assert settings.teams.login_url == "https://login.microsoftonline.com"
    assert settings.teams.openid_metadata_url is None and settings.teams.tenant_id is None
    assert not settings_from_mapping({"TEAMS_APP_ID": "app"}).teams.configured
    with pytest.raises(SettingsError, match="TEAMS_LOGIN_URL"):
        settings_from_mapping({"TEAMS_LOGIN_URL": "login.example"})


def _post(url: str, data: bytes, method: str = "POST") -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data if method == "POST" else None, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_messaging_route_refuses_what_is_not_an_activity(world: World) -> None:
    url = world.emu._actor.bot_url
    assert url is not None

    assert _post(url, b"{not json")[0] == 400
    assert _post(url, b"[1, 2]")[0] == 400
    assert _post(url, b"", method="GET")[0] == 405
    assert _post(url, json.dumps({"type": "message", "text": "help"}).encode())[0] == 401  # no token
    # The same server still answers its other routes (503 here: no dispatcher has run in this test world).
    status, body = _post(url.replace("/api/messages", "/healthz"), b"", method="GET")
    assert status in (200, 503) and json.loads(body)["database"]["ok"] is True


def test_a_stray_sdk_credential_in_the_environment_stops_the_start(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.platforms import PlatformContext
    from bot.teams.platform import TeamsPlatform

    monkeypatch.setenv("CLIENT_SECRET", "from-somewhere-else")
    drumbeat = world.drumbeat
    context = PlatformContext(drumbeat.services, drumbeat._background, lambda seconds: None, lambda: 0.0)

    with pytest.raises(SettingsError, match="CLIENT_SECRET"):
        TeamsPlatform(context)


def test_a_multi_tenant_bot_has_no_graph_directory_and_says_so(world: World) -> None:
    lines: list[str] = []

    assert world.drumbeat.sync_directory(wait=True, progress=lines.append) == 0

    assert lines == ["Teams: no directory sync: set TEAMS_TENANT_ID (Microsoft Graph answers per tenant)"]
    assert sum(world.emu.graph.calls.values()) == 0
    with pytest.raises(SettingsError, match="TEAMS_TENANT_ID"):
        world.drumbeat.platform("teams").graph_client()  # type: ignore[attr-defined]
