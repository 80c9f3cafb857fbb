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
