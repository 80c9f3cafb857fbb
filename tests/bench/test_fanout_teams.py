"""bench/fanout.py --platform teams, small: every rep hears the broadcast once, nothing is throttled, and the
pacing stays within 1.2x of the lower bound Teams' published limits allow (on both databases)."""

from __future__ import annotations

import argparse
import re

import pytest
from sqlalchemy.engine import Engine

from bench import fanout

pytest.importorskip("microsoft_teams.apps")


def figures(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^(\w[\w /]*?)\s{2,}(\S+)", text, re.MULTILINE)}


def test_a_teams_fan_out_reaches_everyone_once_within_the_pacing_goal(
        empty_engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(platform="teams", recipients=700, posts_per_minute=300, no_pacing=False)

    code, goals = fanout.run(args, empty_engine.url_for_processes)  # type: ignore[attr-defined]

    shown = figures(capsys.readouterr().out)
    assert code == 0 and goals == [True, True, True]
    assert (shown["duplicates"], shown["missed"], shown["429 answers"]) == ("0", "0", "0")
    assert shown["sent / failed"] == "700"
    assert float(shown["lower bound"]) == 13.0  # (700 - 50) / 50 per second
    assert float(shown["ratio"]) <= 1.2


def test_no_pacing_is_slacks_switch_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.argv", ["fanout.py", "--platform", "teams", "--no-pacing"])

    with pytest.raises(SystemExit) as stopped:
        fanout.main()

    assert stopped.value.code == 2
