"""Start-up pays only for what it uses: the chart library loads with the first chart, not with the process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_starting_the_runtime_and_the_slack_adapter_does_not_load_matplotlib() -> None:
    probe = "import sys, bot.app, bot.slack.platform; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            check=True)
    assert result.stdout.strip() == "False"


def test_the_first_chart_loads_it_and_draws_a_png() -> None:
    from datetime import UTC, datetime

    from messages.charts import TrendPoint, trend_png

    points = [TrendPoint(datetime(2026, 11, day, tzinfo=UTC), 0.5, 4, 0.75, 4) for day in (2, 9)]
    assert trend_png("Momentum", points).startswith(b"\x89PNG")


def test_drumbeat_run_serves_health_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import time
    import urllib.request

    from bot.emulators.slack import SlackEmulator

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with SlackEmulator("run-secret") as slack:
        env = {**os.environ, "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": "run-secret",
               "SLACK_API_URL": slack.api_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}", "PORT": str(port),
               "LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT)}
        env.pop("SLACK_APP_TOKEN", None)
        process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120  # a hang guard, not a speed check (bench/start.py times it)
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                        assert answer.status == 200
                        break
                except OSError:
                    assert process.poll() is None and time.monotonic() < deadline, "drumbeat run did not come up"
                    time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, output.decode()
    assert "SIGTERM received" in output.decode() and "drumbeat stopped" in output.decode()
