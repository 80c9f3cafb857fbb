"""`drumbeat sandbox --web` from the command line, and the terminal sandbox pointing at it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.cli import main
from bot.sandbox import run_sandbox
from bot.settings import settings_from_mapping

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_terminal_sandbox_offers_the_web_page_at_the_port_setting(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_from_mapping({"DRUMBEAT_SANDBOX_PORT": "8899",
                                      "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key")})
    assert run_sandbox(settings, database=str(tmp_path / "s.db"), interactive=False) == 0
    shown = capsys.readouterr().out
    assert "sandbox --web` serves this sandbox as a web page at http://127.0.0.1:8899/" in shown


def test_a_port_that_is_not_a_port_is_refused_before_anything_starts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["sandbox", "--web", "--port", "70000"])
    assert stopped.value.code == 2
    assert "a port is a number from 1 to 65535, not '70000'" in capsys.readouterr().err


def test_a_taken_port_is_said_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sandbox", "--web", "--port", str(port)]) == 2
    assert f"drumbeat: cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def _serve_and_read(tmp_path: Path, *flags: str, pages: tuple[str, ...]) -> tuple[str, list[str]]:
    """Run `drumbeat sandbox --web <flags>` on a free port: the address it prints, and each page asked for."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key")}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "bot", "sandbox", "--web", *flags, "--port", str(port)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        while line and "in your browser" not in line:
            line = process.stdout.readline()
        shown = []
        for page in pages:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=30) as answer:
                shown.append(answer.read().decode())
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) in (0, 130)
        return line.replace(str(port), "PORT"), shown
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_drumbeat_sandbox_web_serves_the_page_on_loopback_until_interrupted(tmp_path: Path) -> None:
    line, (page,) = _serve_and_read(tmp_path, pages=("/?as=aiko",))
    assert "http://127.0.0.1:PORT/ " in line
    assert "<title>Drumbeat sandbox · Aiko Tanaka</title>" in page


def test_drumbeat_sandbox_web_teams_opens_on_the_teams_page_with_a_switch_to_slack(tmp_path: Path) -> None:
    line, (teams, slack) = _serve_and_read(tmp_path, "--teams", pages=("/teams/?as=aiko", "/?as=aiko"))
    assert "http://127.0.0.1:PORT/teams/ " in line  # no longer refused: it opens on Teams
    assert "<title>Drumbeat sandbox · Aiko Tanaka · Teams</title>" in teams
    assert 'href="/?as=aiko" hx-boost="false" data-platform="slack"' in teams
    assert 'href="/teams/?as=aiko" hx-boost="false" data-platform="teams"' in slack
    assert (tmp_path / "drumbeat-sandbox-teams.db").exists()  # each world on its own SQLite file
