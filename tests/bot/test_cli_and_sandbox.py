"""The admin's commands: the sandbox demo, the manifest, org import, db upgrade."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.demo import demo_org_csv
from bot.sandbox import Sandbox
from bot.settings import settings_from_mapping


TUESDAY_MORNING_UTC = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # East is at work; New York is asleep


def test_sandbox_demo_shows_broadcast_acknowledgements_summary_and_refusals(tmp_path: Path) -> None:
    out = io.StringIO()
    sandbox = Sandbox(settings_from_mapping({}), database=str(tmp_path / "sandbox.db"), out=out,
                      start=TUESDAY_MORNING_UTC)
    try:
        sandbox.demo()
    finally:
        sandbox.close()
    text = out.getvalue()
    assert "Lena Okafor (leader) types: /drumbeat send win-on-strategy to East, West" in text
    assert "to 6 people in team East, team West" in text
    assert "4 now, 2 at their next working hours" in text  # Sydney is at work too; New York and Mexico City are not
    assert "(outbox: 4 sent, 0 retried, 0 failed)" in text
    assert "time passes: it is now Tue 24 Nov 13:00 UTC" in text  # 08:00 in New York
    assert "Sam Carter, new DM from Drumbeat (America/New_York, Tue 08:00 local)" in text
    assert text.count("new DM from Drumbeat") == 7  # six broadcast DMs and Priya's pulse check
    assert "Priya Shah (rep) taps: [option 2]" in text and "Right:" in text
    assert "Aiko Tanaka, new DM from Drumbeat (Asia/Tokyo" in text
    assert text.count("You acknowledged this") == 4
    assert "3 of 3 reps got a message" in text
    assert "2 of 3 messages (67%)" in text
    assert "only leaders and admins can send broadcasts" in text
    assert "West is not one of your teams" in text


def test_sandbox_lets_you_act_as_anyone(tmp_path: Path) -> None:
    out = io.StringIO()
    sandbox = Sandbox(settings_from_mapping({}), database=str(tmp_path / "sandbox.db"), out=out,
                      start=datetime(2026, 11, 24, 15, 0, tzinfo=UTC))  # 10:00 in New York
    lines = iter(["lena send qualify-before-you-invest to @sam", "sam got-it", "wendy summary 7d", "nobody help", "quit"])
    try:
        sandbox.interact(lambda prompt: next(lines))
    finally:
        sandbox.close()
    text = out.getvalue()
    assert "Sam Carter, new DM from Drumbeat" in text
    assert "Sam Carter (rep) clicks: [Got it]" in text
    assert "1 of 1 messages (100%)" in text
    assert "Unknown person 'nobody'" in text


def test_manifest_declares_command_events_interactivity_and_socket_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env-file", os.devnull, "manifest"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    assert manifest["features"]["slash_commands"][0]["command"] == "/drumbeat"
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"commands", "chat:write", "users:read"} <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_http_mode_manifest_points_slack_at_the_request_url(capsys: pytest.CaptureFixture[str]) -> None:
    url = "https://drumbeat.example.com/slack/events"
    assert main(["--env-file", os.devnull, "manifest", "--json", "--request-url", url]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["features"]["slash_commands"][0]["url"] == url
    assert manifest["settings"]["interactivity"]["request_url"] == url


def test_org_import_command_reports_counts_and_is_safe_to_repeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'org.db'}")
    csv_file = tmp_path / "org.csv"
    csv_file.write_text(demo_org_csv())
    assert main(["--env-file", os.devnull, "org", "import", str(csv_file)]) == 0
    assert "9 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert main(["--env-file", os.devnull, "org", "import", str(csv_file)]) == 0
    assert "0 created, 0 updated, 9 unchanged" in capsys.readouterr().out


def test_org_import_command_lists_bad_rows_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'org.db'}")
    csv_file = tmp_path / "org.csv"
    csv_file.write_text("slack_id,email,name,role,team,manager_slack_id\nU0A1,a@example.com,Ann,chief,East,\n")
    assert main(["--env-file", os.devnull, "org", "import", str(csv_file)]) == 1
    assert "line 2: role 'chief' is not one of rep, manager, leader, admin" in capsys.readouterr().err


def test_bad_setting_stops_with_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PORT", "eighty")
    assert main(["--env-file", os.devnull, "db", "upgrade"]) == 2
    assert capsys.readouterr().err.strip() == "drumbeat: PORT must be a whole number, got 'eighty'"


def test_half_configured_slack_names_the_missing_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-123")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    assert main(["--env-file", os.devnull, "run"]) == 2
    assert "SLACK_SIGNING_SECRET is missing" in capsys.readouterr().err


def test_db_upgrade_reports_the_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'up.db'}")
    assert main(["--env-file", os.devnull, "db", "upgrade"]) == 0
    from storage.migrate import head_revision

    assert f"Database is at revision {head_revision()}." in capsys.readouterr().out


def test_a_bad_extra_content_pack_stops_start_with_its_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "extra.yaml"
    pack.write_text("pack: extra\nversion: 1\nquestions:\n  - key: q-x\n    expectation: nowhere\n"
                    "    prompt: Why?\n    options: [a, b]\n    correct: 0\n    explanation: Because.\n")
    monkeypatch.setenv("DRUMBEAT_CONTENT_PACKS", str(pack))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.db'}")
    assert main(["--env-file", os.devnull, "sandbox", "--database", str(tmp_path / "s.db")]) == 2
    err = capsys.readouterr().err
    assert "nothing was loaded" in err and "extra.yaml:5" in err and "nowhere" in err
