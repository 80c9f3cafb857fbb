"""Long admin work says what it is doing (a line per stage on stderr, a line every few seconds in a long loop) and
ends with a closing count on stdout: `db upgrade`, `org import`, `org sync`, `dispatch --until-idle` (issue 16)."""

from __future__ import annotations

import logging
import os
import re
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

import bot.progress
from bot.cli import main
from bot.core.broadcasts import AudienceSpec, send_now
from bot.core.org import import_org_csv
from bot.core.roles import identify
from bot.emulators.slack import SlackEmulator
from bot.platforms import USER_ID_FORMATS
from bot.progress import Every, progress_log, seconds
from bot.slack.people import slack_address
from schedules.materialise import DeliveryRules
from schedules.quiet_hours import QuietHours
from storage.db import session_scope
from storage.migrate import MIGRATIONS_DIR, head_revision
from storage.models import Message

SECRET = "progress-secret"
REPS = 12
TOOK = r"\d+\.\d s"


def org_csv(reps: int = REPS) -> str:
    lines = ["slack_id,email,name,role,team,manager_slack_id", "U0LEAD001,lead@example.com,Lena Okafor,leader,,"]
    lines += [f"U1{n:06d},rep{n}@example.com,Rep {n},rep,{'North' if n % 2 else 'South'},U0LEAD001"
              for n in range(reps)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DRUMBEAT_FEEDBACK_KEY_FILE", str(tmp_path / "feedback.key"))
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # `dispatch` leaves no handler behind
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def slack(cli_env: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackEmulator]:
    with SlackEmulator(SECRET, post_message_per_minute=100_000) as emulator:
        emulator.add_user("U0LEAD001", name="lena", tz="Europe/London")
        for n in range(REPS):
            emulator.add_user(f"U1{n:06d}", name=f"rep{n}", tz="America/New_York")
        monkeypatch.setenv("SLACK_BOT_TOKEN", emulator.bot_token)
        monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
        monkeypatch.setenv("SLACK_API_URL", emulator.api_url)
        monkeypatch.setenv("DRUMBEAT_SLACK_POSTS_PER_MINUTE", "0")
        monkeypatch.setenv("DRUMBEAT_QUIET_HOURS", "off")
        monkeypatch.setenv("DATABASE_URL", engine.url_for_processes)  # type: ignore[attr-defined]
        yield emulator


def test_every_speaks_at_most_once_per_interval_and_not_at_once() -> None:
    now = [0.0]
    said: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    log = progress_log("test.every")
    log.addHandler(handler := Collect())
    log.setLevel(logging.INFO)
    try:
        every = Every(log, 2.0, monotonic=lambda: now[0])
        for step in range(1, 11):  # one call per simulated second
            now[0] = float(step)
            every("at %s", step)
    finally:
        log.removeHandler(handler)
    assert said == ["at 2", "at 4", "at 6", "at 8", "at 10"]


def test_durations_read_as_people_say_them() -> None:
    assert [seconds(0.04), seconds(2.14), seconds(185)] == ["0.0 s", "2.1 s", "3 min 05 s"]


def test_db_upgrade_says_each_migration_then_the_revision_and_time(
        cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{cli_env / 'fresh.db'}")
    assert main(["--env-file", os.devnull, "db", "upgrade"]) == 0
    captured = capsys.readouterr()
    steps = sorted(path.name[:4] for path in (MIGRATIONS_DIR / "versions").glob("0*.py"))
    err = captured.err.splitlines()
    assert err[0] == f"Database: {len(steps)} migrations to apply (empty -> {head_revision()}) ..."
    assert [re.match(r"  \[(\d+)/(\d+)\] (\w+)", line).groups() for line in err[1:]] == [  # type: ignore[union-attr]
        (str(n), str(len(steps)), step) for n, step in enumerate(steps, start=1)]
    assert all(re.search(rf"\({TOOK}\)$", line) for line in err[1:])
    assert re.fullmatch(rf"Database is at revision {head_revision()}\. \({len(steps)} migrations applied in {TOOK}\)\n",
                        captured.out)

    assert main(["--env-file", os.devnull, "db", "upgrade"]) == 0  # again: nothing to do, and nothing said about it
    again = capsys.readouterr()
    assert again.err == ""
    assert again.out == f"Database is at revision {head_revision()}. (nothing to apply)\n"


def test_org_import_says_each_stage_every_few_seconds_while_writing_and_a_closing_count(
        cli_env: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url_for_processes)  # type: ignore[attr-defined]
    monkeypatch.setattr(bot.progress, "DEFAULT_INTERVAL_SECONDS", 0.0)  # every row is "a few seconds" later
    (cli_env / "org.csv").write_text(org_csv())
    assert main(["--env-file", os.devnull, "org", "import", "org.csv"]) == 0
    captured = capsys.readouterr()
    people = REPS + 1
    err = captured.err.splitlines()
    assert err[:3] == ["Checking org.csv ...", f"Checked {people} rows: no problems", f"Writing {people} people ..."]
    assert err[3:3 + people] == [f"... {n} of {people} people written" for n in range(1, people + 1)]
    assert re.fullmatch(rf"Imported org\.csv: {people} people \({people} created, 0 updated, 0 unchanged, 2 new "
                        rf"team\(s\): (North, South|South, North)\) in {TOOK}\.", captured.out.splitlines()[0])


def test_org_import_of_a_quick_file_says_only_its_stages(
        cli_env: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url_for_processes)  # type: ignore[attr-defined]
    (cli_env / "org.csv").write_text(org_csv())
    assert main(["--env-file", os.devnull, "org", "import", "org.csv"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "Checking org.csv ...", f"Checked {REPS + 1} rows: no problems", f"Writing {REPS + 1} people ..."]


def test_org_sync_reads_the_directory_now_and_says_how_many_changed(
        slack: SlackEmulator, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    with session_scope(engine) as session:
        import_org_csv(session, org_csv(), formats=USER_ID_FORMATS)
    assert main(["--env-file", os.devnull, "org", "sync"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["Syncing the directory ...", "Slack directory: reading users.list ...",
                                         f"Slack directory: {REPS + 1} people seen, {REPS + 1} changed"]
    assert re.fullmatch(rf"Synced the directory: {REPS + 1} people updated \(time zones, deactivations\) in {TOOK}\.\n",
                        captured.out)
    assert slack.calls_named("users.list")


def test_org_sync_without_a_platform_is_one_line_and_exit_2(
        cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env-file", os.devnull, "org", "sync"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "drumbeat: no chat platform is configured (set SLACK_BOT_TOKEN or TEAMS_APP_ID), so there is no directory "
        "to sync"]


def test_dispatch_without_a_platform_is_one_line_and_exit_2(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env-file", os.devnull, "dispatch", "--until-idle"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "drumbeat: no chat platform is configured (set SLACK_BOT_TOKEN or TEAMS_APP_ID), so there is nowhere to send "
        "(`drumbeat sandbox` tries Drumbeat without one)"]


def test_dispatch_until_idle_says_what_is_due_and_closes_with_sent_failed_waiting(
        slack: SlackEmulator, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    with session_scope(engine) as session:
        import_org_csv(session, org_csv(), formats=USER_ID_FORMATS)
        session.add(Message(key="progress", title="Progress", body="Hi {{ person.first_name }}"))
    with session_scope(engine) as session:
        send_now(session, sender=identify(session, slack_address("U0LEAD001")), message_key="progress",
                 audience=AudienceSpec(teams=("North", "South")), now=datetime.now(UTC),
                 rules=DeliveryRules(quiet=QuietHours.parse("off"), daily_cap=0))
    slack.inject_fault("chat.postMessage", error="user_not_found", times=1)  # one permanent failure
    assert main(["--env-file", os.devnull, "dispatch", "--until-idle"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines()[0] == f"Outbox: {REPS} due now, 0 later; sending ..."
    assert re.fullmatch(rf"Dispatched in {TOOK}: sent {REPS - 1}, failed 1, waiting 0\.\n", captured.out)
