"""`drumbeat org list | export | move | remove` from the command line: one line per outcome and a closing count;
anything refused is one line on stderr and exit 2; destructive actions ask first (or take --yes)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.demo import demo_org_csv
from storage.db import session_scope
from tests.people import slack_person

SLACK_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")


@pytest.fixture
def org(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    """The demo organisation imported through the CLI, with no platform configured (no directory sync)."""
    for name in SLACK_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", engine.url_for_processes)  # type: ignore[attr-defined]
    monkeypatch.setenv("DRUMBEAT_FEEDBACK_KEY_FILE", str(tmp_path / "feedback.key"))
    path = tmp_path / "org.csv"
    path.write_text(demo_org_csv())
    assert drumbeat("org", "import", str(path)) == 0
    return engine


def drumbeat(*args: str) -> int:
    return main(["--env-file", os.devnull, *args])


def refused(capsys: pytest.CaptureFixture[str], code: int) -> str:
    """The one line a refusal prints (and nothing on stdout)."""
    out, err = capsys.readouterr()
    assert code == 2 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_list_shows_a_table_with_a_closing_count_and_filters(org: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert drumbeat("org", "list", "--team", "West", "--role", "manager") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "email", "role", "team", "manager", "tz", "active", "accounts"]
    assert lines[1].split() == ["Wendy", "Park", "wendy@example.com", "manager", "West", "Lena", "Okafor", "UTC",
                                "yes", "slack:U0MGRWEST"]
    assert lines[-1] == "1 person (1 active)."


def test_list_as_csv_is_one_row_per_person(org: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert drumbeat("org", "list", "--format", "csv", "--team", "east") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "name,email,role,team,manager,tz,active,accounts" and len(out) == 5
    assert "Aiko Tanaka,aiko@example.com,rep,East,Marco Rossi,UTC,yes,slack:U0REPEA01" in out


def test_list_of_an_unknown_team_is_one_line_and_exit_2(org: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert refused(capsys, drumbeat("org", "list", "--team", "North")) == \
        "drumbeat: no team 'North' (teams: East, West)"


def test_export_then_import_is_a_no_op(org: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    exported = tmp_path / "exported.csv"
    capsys.readouterr()
    assert drumbeat("org", "export", str(exported)) == 0
    assert capsys.readouterr().out == f"Exported 9 active people to {exported}.\n"
    assert drumbeat("org", "import", str(exported)) == 0
    assert "0 created, 0 updated, 9 unchanged" in capsys.readouterr().out
    assert exported.read_text().splitlines()[0] == "slack_id,email,name,role,team,manager_slack_id"


def test_export_to_a_folder_is_refused(org: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    capsys.readouterr()
    assert "is a folder" in refused(capsys, drumbeat("org", "export", str(tmp_path)))


def test_move_prints_the_outcome_and_a_count(org: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert drumbeat("org", "move", "U0REPEA01", "--team", "West", "--manager", "wendy@example.com") == 0
    assert capsys.readouterr().out == "Aiko Tanaka: team West, manager Wendy Park\nMoved: 1 change.\n"
    with session_scope(org) as session:
        assert slack_person(session, "U0REPEA01").manager_id == slack_person(session, "U0MGRWEST").id


@pytest.mark.parametrize(("args", "line"), [
    (("U0REPEA01", "--team", "North"), "drumbeat: no team 'North' (teams: East, West)"),
    (("U0REPEA01", "--team", "West", "--manager", "U0NOBODY1"), "drumbeat: nobody is 'U0NOBODY1'"),
    (("ghost@example.com", "--team", "West"), "drumbeat: nobody is 'ghost@example.com'"),
    (("U0REPEA01",), "drumbeat: say what changes: --team, --manager and/or --reports-to"),
])
def test_move_refuses_bad_input_in_one_line(org: Engine, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                                            line: str) -> None:
    capsys.readouterr()
    assert refused(capsys, drumbeat("org", "move", *args)).startswith(line)
    with session_scope(org) as session:
        assert slack_person(session, "U0REPEA01").team_id == slack_person(session, "U0MGREAST").team_id


def test_remove_asks_first_and_a_no_changes_nothing(org: Engine, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    capsys.readouterr()
    assert drumbeat("org", "remove", "U0REPEA02") == 1
    assert capsys.readouterr().out.endswith("Nothing changed.\n")
    with session_scope(org) as session:
        assert slack_person(session, "U0REPEA02").active


def test_remove_confirmed_at_the_prompt_deactivates(org: Engine, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    capsys.readouterr()
    assert drumbeat("org", "remove", "jonas@example.com") == 0
    out = capsys.readouterr().out
    assert "Deactivated Jonas Weber" in out and out.endswith("Removed: 1 deactivated.\n")
    with session_scope(org) as session:
        assert not slack_person(session, "U0REPEA02").active


def test_remove_without_a_terminal_or_yes_changes_nothing(org: Engine, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    capsys.readouterr()
    assert drumbeat("org", "remove", "U0REPEA02", "--erase") == 1
    assert "pass --yes" in capsys.readouterr().err
    with session_scope(org) as session:
        assert slack_person(session, "U0REPEA02").name == "Jonas Weber"


def test_erasing_a_manager_with_reports_is_refused_in_one_line(org: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    line = refused(capsys, drumbeat("org", "remove", "U0MGREAST", "--erase", "--yes"))
    assert line.startswith("drumbeat: Marco Rossi manages 3 people (Aiko Tanaka, Jonas Weber, Priya Shah): move them")


def test_erase_with_yes_after_handing_over_the_reports(org: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert drumbeat("org", "move", "U0MGREAST", "--reports-to", "U0MGRWEST") == 0
    capsys.readouterr()
    assert drumbeat("org", "remove", "marco@example.com", "--erase", "--yes") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Erased Marco Rossi (id ") and "accounts 1" in out[0]
    assert out[-1] == "Removed: 1 erased."
    assert drumbeat("org", "list") == 0
    listing = capsys.readouterr().out
    assert "Marco" not in listing and "marco@example.com" not in listing and "(erased)" in listing
