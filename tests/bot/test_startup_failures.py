"""A start that cannot work says so in one line, with what to do, and exits 2: no traceback (issue 16).

The same failures for `run`, `dispatch`, `db upgrade` and `org import`: a database that cannot be reached or
does not exist, a SQLite file in a folder that does not exist, a bot token Slack refuses, a Slack API that cannot
be reached; and the mistakes that used to pass in silence (an --env-file that is not there, an http request
URL, a sandbox that does not use DATABASE_URL).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.demo import demo_org_csv
from bot.emulators.slack import SlackEmulator
from tests.conftest import DATABASE_URL, ON_POSTGRESQL

ROOT = Path(__file__).resolve().parents[2]
SLACK_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")
COMMANDS = {"run": ["run"], "dispatch": ["dispatch"], "db upgrade": ["db", "upgrade"], "org import": ["org", "import"]}


def closed_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def admin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A clean environment in tmp_path, Slack "configured" against an API nobody serves (the database fails
    first), and no signal handlers left behind by `run` and `dispatch`."""
    for name in SLACK_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-never-used")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "a-signing-secret")
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{closed_port()}/api/")
    monkeypatch.setenv("DRUMBEAT_FEEDBACK_KEY_FILE", str(tmp_path / "feedback.key"))
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org.csv").write_text(demo_org_csv())
    yield tmp_path


def run_cli(command: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    argv = ["--env-file", os.devnull, *COMMANDS[command], *(["org.csv"] if command == "org import" else [])]
    code = main(argv)
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("command", COMMANDS)
def test_postgresql_that_refuses_connections_is_one_line_and_exit_2(
        admin: Path, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres:secret-password@127.0.0.1:{port}/drumbeat")
    code, lines = run_cli(command, capsys)
    assert code == 2
    assert lines == [f"drumbeat: cannot connect to PostgreSQL at 127.0.0.1:{port} (connection refused): start "
                     "PostgreSQL, or fix the host and port in DATABASE_URL"]


@pytest.mark.parametrize("command", COMMANDS)
def test_sqlite_in_a_folder_that_does_not_exist_is_one_line_and_exit_2(
        admin: Path, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent-dir/x.db")
    code, lines = run_cli(command, capsys)
    assert code == 2
    assert lines == ["drumbeat: cannot open the SQLite database /nonexistent-dir/x.db: the folder /nonexistent-dir "
                     "does not exist; create it, or point DATABASE_URL at a file in a folder that exists"]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs a PostgreSQL server: run the suite with DATABASE_URL=postgresql://...")
@pytest.mark.parametrize("command", COMMANDS)
def test_a_postgresql_database_that_does_not_exist_is_one_line_and_exit_2(
        admin: Path, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = make_url(DATABASE_URL).set(database="drumbeat_no_such_database")
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    code, lines = run_cli(command, capsys)
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith(f'drumbeat: PostgreSQL at {url.host}:{url.port or 5432} has no database '
                               '"drumbeat_no_such_database": create it')


@pytest.fixture
def slack(admin: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackEmulator]:
    with SlackEmulator("a-signing-secret") as emulator:
        monkeypatch.setenv("SLACK_API_URL", emulator.api_url)
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{admin / 'drumbeat.db'}")
        yield emulator


@pytest.mark.parametrize("command", ["run", "dispatch"])
def test_a_bot_token_slack_refuses_is_one_line_and_exit_2(
        slack: SlackEmulator, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-this-workspaces-token")
    code, lines = run_cli(command, capsys)
    assert code == 2
    assert lines == ["drumbeat: Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token "
                     "(xoxb-...) from the app's OAuth & Permissions page at api.slack.com/apps (reinstall the app "
                     "if it was revoked)"]
    assert [call.response.get("error") for call in slack.calls_named("auth.test")] == ["invalid_auth"]


@pytest.mark.parametrize("command", ["run", "dispatch"])
def test_a_slack_api_that_cannot_be_reached_is_one_line_and_exit_2(
        admin: Path, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    api_url = f"http://127.0.0.1:{closed_port()}/api/"
    monkeypatch.setenv("SLACK_API_URL", api_url)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{admin / 'drumbeat.db'}")
    code, lines = run_cli(command, capsys)
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith(f"drumbeat: cannot reach the Slack API at {api_url} (")
    assert lines[0].endswith("): check the network (and HTTPS_PROXY, if you use one), or SLACK_API_URL")


def test_org_import_with_a_refused_token_keeps_the_import_and_says_why_the_sync_failed_in_one_line(
        slack: SlackEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-this-workspaces-token")
    assert main(["--env-file", os.devnull, "org", "import", "org.csv"]) == 0
    captured = capsys.readouterr()
    assert "9 created" in captured.out
    problems = [line for line in captured.err.splitlines() if line.startswith("drumbeat:")]
    assert problems == [
        "drumbeat: the import is saved, but the directory sync failed: Slack refused SLACK_BOT_TOKEN (invalid_auth): "
        "copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page at api.slack.com/apps "
        "(reinstall the app if it was revoked)"]
    # Before it, only the import's progress (a line per stage), never a traceback.
    assert captured.err.splitlines()[-1] == problems[0]
    assert "Traceback" not in captured.err and "Syncing the directory ..." in captured.err


@pytest.mark.parametrize("failure", ["refused token", "unreachable API"])
def test_drumbeat_run_prints_one_line_and_no_traceback(failure: str, tmp_path: Path) -> None:
    """The real process, as an admin sees it: at LOG_LEVEL=WARNING stderr is that one line (slack_sdk's own
    ERROR line per failed attempt included)."""
    with SlackEmulator("run-secret") as slack:
        api_url = slack.api_url if failure == "refused token" else f"http://127.0.0.1:{closed_port()}/api/"
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-wrong", "SLACK_SIGNING_SECRET": "run-secret",
               "SLACK_API_URL": api_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
               "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
        env.pop("SLACK_APP_TOKEN", None)
        result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    expected = "drumbeat: Slack refused SLACK_BOT_TOKEN" if failure == "refused token" else "drumbeat: cannot reach"
    assert lines[0].startswith(expected)


def test_an_env_file_that_is_not_there_is_an_error(admin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env-file", "/nonexistent.env", "db", "upgrade"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "drumbeat: --env-file /nonexistent.env: no such file (leave the option out to read ./.env if present)"]


def test_the_env_file_named_is_read(admin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings_file = admin / "production.env"
    settings_file.write_text("PORT=eighty\n")
    assert main(["--env-file", str(settings_file), "db", "upgrade"]) == 2
    assert capsys.readouterr().err.strip() == "drumbeat: PORT must be a whole number, got 'eighty'"


def test_without_the_option_a_missing_dot_env_is_fine(
        admin: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{admin / 'drumbeat.db'}")
    assert not (admin / ".env").exists()
    assert main(["db", "upgrade"]) == 0
    assert "Database is at revision" in capsys.readouterr().out


@pytest.mark.parametrize("url", ["not-a-url", "http://", "http://drumbeat.example.com/slack/events", "https://",
                                 "ftp://drumbeat.example.com/slack/events"])
def test_manifest_refuses_a_request_url_slack_would_refuse(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env-file", os.devnull, "manifest", "--request-url", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("drumbeat: --request-url must") and "https" in lines[0]
    assert repr(url) in lines[0]


def test_the_sandbox_says_it_does_not_use_database_url(
        admin: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    started: list[str] = []
    monkeypatch.setattr("bot.sandbox.run_sandbox", lambda settings, *, database: started.append(database) or 0)
    monkeypatch.setenv("DATABASE_URL", "postgresql://drumbeat:secret@db.internal:5432/drumbeat")
    assert main(["--env-file", os.devnull, "sandbox", "--database", "demo.db"]) == 0
    err = capsys.readouterr().err
    assert started == ["demo.db"]
    assert err.strip() == ("drumbeat: the sandbox uses its own SQLite file demo.db (recreated each time), not "
                           "DATABASE_URL; DATABASE_URL is used by `drumbeat run` once Slack credentials are set")
    assert "secret" not in err


def test_the_sandbox_says_nothing_when_database_url_is_not_set(
        admin: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("bot.sandbox.run_sandbox", lambda settings, *, database: 0)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["--env-file", os.devnull, "sandbox"]) == 0
    assert capsys.readouterr().err == ""


def test_a_port_already_in_use_is_one_line_and_exit_2(
        slack: SlackEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        monkeypatch.setenv("HOST", "127.0.0.1")
        monkeypatch.setenv("PORT", str(port))
        code, lines = run_cli("run", capsys)
    assert code == 2
    assert lines == [f"drumbeat: cannot listen on 127.0.0.1:{port} (the port is in use: stop what listens there, "
                     "or set PORT to a free one)"]


def test_socket_mode_that_slack_will_not_open_is_one_line_and_exit_2(
        slack: SlackEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The emulator has no Socket Mode, so apps.connections.open answers unknown_method; Slack answers a wrong
    app-level token with invalid_auth, said the same way ("Slack refused SLACK_APP_TOKEN (invalid_auth): ...")."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-not-this-apps-token")
    code, lines = run_cli("run", capsys)
    assert code == 2
    assert lines == ["drumbeat: Slack did not accept SLACK_APP_TOKEN (apps.connections.open answered unknown_method): "
                     "make an app-level token with the connections:write scope (the app's Basic Information page, "
                     "App-Level Tokens) and turn Socket Mode on"]
