"""GET /healthz tells a balancer whether the database answers and the dispatcher is alive (200 or 503, JSON),
and the HTTP server listens on HOST."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.app import Drumbeat
from bot.health import DatabaseProbe, Heartbeat, health_app
from bot.settings import SettingsError, settings_from_mapping
from storage.db import make_engine


def get_health(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def call_wsgi(app: Any) -> tuple[str, dict[str, Any]]:
    status: list[str] = []
    body = b"".join(app({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, lambda code, headers: status.append(code)))
    return status[0], json.loads(body)


@pytest.fixture
def drumbeat(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Drumbeat]:
    settings = settings_from_mapping({"DATABASE_URL": database_url, "HOST": "127.0.0.1",
                                      "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key")})
    running = Drumbeat(settings, engine=engine, platforms=[])
    try:
        yield running
    finally:
        running.close()


def test_healthz_is_503_until_the_dispatcher_has_run_then_200_with_both_checks(drumbeat: Drumbeat) -> None:
    port = drumbeat.serve_http(port=0, background=True)
    assert drumbeat._http_server.socket.getsockname()[0] == "127.0.0.1"  # HOST, from the settings
    status, body = get_health(port)
    assert status == 503
    assert body == {"status": "failing", "database": {"ok": True, "state": "answers"},
                    "dispatcher": {"ok": False, "state": "not started"}}
    drumbeat.dispatch_now()
    status, body = get_health(port)
    assert status == 200
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["dispatcher"]["ok"] is True and body["dispatcher"]["state"] == "idle"
    assert body["dispatcher"]["last_run_seconds_ago"] < 5


def test_a_dispatcher_that_stopped_running_is_stalled_and_one_running_now_is_alive() -> None:
    now = [100.0]
    heartbeat = Heartbeat(stale_after=10.0, monotonic=lambda: now[0])
    heartbeat.beat()
    now[0] = 109.0
    assert heartbeat.state() == {"ok": True, "state": "idle", "last_run_seconds_ago": 9.0}
    now[0] = 111.0
    assert heartbeat.state() == {"ok": False, "state": "stalled", "last_run_seconds_ago": 11.0}
    with heartbeat.running():
        now[0] = 500.0  # a long paced fan-out: alive while it runs
        assert heartbeat.state() == {"ok": True, "state": "running"}
    assert heartbeat.state()["ok"] is True


def test_a_database_that_cannot_be_opened_is_503_without_naming_it(caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine("sqlite:////nonexistent-dir/x.db")
    probe, heartbeat = DatabaseProbe(engine), Heartbeat(stale_after=10.0)
    heartbeat.beat()
    try:
        status, body = call_wsgi(health_app(probe, heartbeat))
        status_again, _ = call_wsgi(health_app(probe, heartbeat))
    finally:
        probe.close()
        engine.dispose()
    assert status == status_again == "503 Service Unavailable"
    assert body == {"status": "failing", "database": {"ok": False, "state": "unreachable"},
                    "dispatcher": {"ok": True, "state": "idle", "last_run_seconds_ago": body["dispatcher"]["last_run_seconds_ago"]}}
    assert "nonexistent" not in json.dumps(body)
    said = [record.getMessage() for record in caplog.records if "health check" in record.getMessage()]
    assert len(said) == 1 and "unreachable" in said[0]  # the cause in the log, once per outage


def test_a_database_that_does_not_answer_fails_the_check_within_its_timeout() -> None:
    """A server that accepts the connection and never answers: the check says so after its timeout, and checks
    meanwhile wait on the same probe instead of starting more."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/test")
        probe, heartbeat = DatabaseProbe(engine, timeout=0.2), Heartbeat(stale_after=10.0)
        heartbeat.beat()
        try:
            status, body = call_wsgi(health_app(probe, heartbeat))
            first = probe._in_flight
            call_wsgi(health_app(probe, heartbeat))
            assert probe._in_flight is first
        finally:
            probe.close()
    engine.dispose()
    assert status == "503 Service Unavailable"
    assert body["database"] == {"ok": False, "state": "no answer within 0.2 s"}


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1", "::"])
def test_host_accepts_addresses_to_listen_on(host: str) -> None:
    assert settings_from_mapping({"HOST": host}).host == host


@pytest.mark.parametrize("host", ["http://drumbeat.example.com", "localhost", "0.0.0.0:3000"])
def test_host_defaults_to_every_interface_and_refuses_anything_but_an_address(host: str) -> None:
    assert settings_from_mapping({}).host == "0.0.0.0"
    with pytest.raises(SettingsError, match="HOST must be an IP address"):
        settings_from_mapping({"HOST": host})


@pytest.fixture
def socket_mode(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Drumbeat]:
    """Drumbeat configured for Slack in Socket Mode (the emulator answers the Web API; it has no WebSocket)."""
    from bot.emulators.slack import SlackEmulator

    with SlackEmulator("socket-secret") as slack:
        settings = settings_from_mapping({
            "DATABASE_URL": database_url, "HOST": "127.0.0.1", "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_APP_TOKEN": "xapp-1-socket-mode", "SLACK_API_URL": slack.api_url,
            "DRUMBEAT_FEEDBACK_KEY": "a" * 64, "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key")})
        running = Drumbeat(settings, engine=engine)
        try:
            yield running
        finally:
            running.close()


def test_socket_mode_serves_healthz_with_the_websockets_state_and_no_slack_route(
        socket_mode: Drumbeat, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.slack.socket import CheckedSocketModeHandler

    slack = socket_mode.platform("slack")
    port = socket_mode.serve_http(port=0, background=True)
    socket_mode.dispatch_now()
    status, body = get_health(port)
    assert status == 503 and body["slack_socket"] == {"ok": False, "state": "not connected"}
    assert body["database"]["ok"] and body["dispatcher"]["ok"]  # only the socket fails

    # The handler Slack's connect() makes, unconnected: its client's own session says whether it is up.
    slack._socket = CheckedSocketModeHandler(slack.app, app_token="xapp-1-socket-mode")
    assert get_health(port)[1]["slack_socket"] == {"ok": False, "state": "reconnecting"}
    monkeypatch.setattr(slack._socket.client, "is_connected", lambda: True)
    status, body = get_health(port)
    assert status == 200 and body["status"] == "ok" and body["slack_socket"] == {"ok": True, "state": "connected"}

    # Slack sends nothing over HTTP in Socket Mode: /slack/events is not served at all.
    request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 404


def test_http_mode_has_no_socket_check(drumbeat: Drumbeat) -> None:
    assert drumbeat.connection_checks() == {}
