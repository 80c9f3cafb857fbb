"""`drumbeat org import` syncs the directory right away when a platform is configured, and says who still has no
time zone (they get messages at UTC times meanwhile)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.demo import DEMO_PEOPLE, demo_org_csv
from bot.emulators.slack import SlackEmulator
from storage.db import session_scope
from tests.people import slack_person

SIGNING_SECRET = "test-signing-secret"
NOT_IN_SLACK = DEMO_PEOPLE[-1]  # imported, but the workspace's directory does not have them (yet)
SLACK_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    path = tmp_path / "org.csv"
    path.write_text(demo_org_csv())
    return path


@pytest.fixture
def slack(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackEmulator]:
    with SlackEmulator(SIGNING_SECRET) as emulator:
        for person in DEMO_PEOPLE:
            if person is not NOT_IN_SLACK:
                emulator.add_user(person.slack_id, name=person.handle, real_name=person.name, tz=person.tz,
                                  email=person.email)
        monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
        monkeypatch.setenv("SLACK_BOT_TOKEN", emulator.bot_token)
        monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        monkeypatch.setenv("SLACK_API_URL", emulator.api_url)
        monkeypatch.setenv("DATABASE_URL", engine.url_for_processes)  # type: ignore[attr-defined]
        yield emulator


def test_import_with_slack_configured_syncs_time_zones_and_names_who_has_none(
    engine: Engine, slack: SlackEmulator, org_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--env-file", os.devnull, "org", "import", str(org_file)]) == 0
    captured = capsys.readouterr()
    out, err = captured.out, captured.err
    assert "9 created, 0 updated, 0 unchanged" in out
    assert re.search(r"Synced the directory: 8 people updated \(time zones, deactivations\) in \d+\.\d s\.", out)
    # What it is doing, a line per stage on stderr, in order: check, write, sync (users.list, then the counts).
    stages = ["Checking ", "Checked 9 rows: no problems", "Writing 9 people ...", "Syncing the directory ...",
              "Slack directory: reading users.list ...", "Slack directory: 8 people seen, 8 changed"]
    positions = [err.index(stage) for stage in stages]
    assert positions == sorted(positions)
    assert "1 person has no time zone yet: they will get messages at UTC times until" in out
    assert slack.calls_named("users.list")
    with session_scope(engine) as session:
        assert slack_person(session, "U0REPEA01").tz == "Asia/Tokyo"
        assert slack_person(session, NOT_IN_SLACK.slack_id).tz == "UTC"


def test_import_when_the_directory_sync_fails_is_kept_and_says_so(
    engine: Engine, slack: SlackEmulator, org_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slack.inject_fault("users.list", status=500, times=3)
    assert main(["--env-file", os.devnull, "org", "import", str(org_file)]) == 0
    captured = capsys.readouterr()
    assert "9 created" in captured.out
    assert "the import is saved, but the directory sync failed" in captured.err
    assert ("9 people have no time zone yet: they will get messages at UTC times until the directory sync finds "
            "theirs (Drumbeat syncs at start and daily).") in captured.out


def test_import_without_a_platform_says_everyone_waits_for_the_directory_sync(
    tmp_path: Path, org_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in SLACK_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'org.db'}")
    assert main(["--env-file", os.devnull, "org", "import", str(org_file)]) == 0
    out = capsys.readouterr().out
    assert "Synced the directory" not in out
    assert "9 people have no time zone yet: they will get messages at UTC times until the directory sync" in out
