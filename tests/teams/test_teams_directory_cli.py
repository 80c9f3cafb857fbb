"""`drumbeat org import` and `drumbeat org sync` with Teams configured: the directory is read from the
emulator's Microsoft Graph, with a line per platform and a closing count; with no platform, a one-line refusal."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.emulators.teams import TeamsEmulator

from .conftest import JO, LENA, ORG_CSV, RIA, SDK_ENV  # noqa: TID252


@pytest.fixture
def tenant(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TeamsEmulator]:
    for name in (*SDK_ENV, "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", engine.url_for_processes)  # type: ignore[attr-defined]
    monkeypatch.setenv("DRUMBEAT_FEEDBACK_KEY_FILE", str(tmp_path / "feedback.key"))
    with TeamsEmulator() as emu:
        for user_id, name in ((LENA, "Lena Okafor"), (RIA, "Ria Bell"), (JO, "Jo Weber")):
            emu.add_user(user_id, name=name, mailbox_time_zone="Tokyo Standard Time", manager_id=LENA)
        emu.set_user(LENA, manager_id=None, mailbox_time_zone="GMT Standard Time")
        yield emu


def configure(monkeypatch: pytest.MonkeyPatch, emu: TeamsEmulator) -> None:
    for name, value in {"TEAMS_APP_ID": emu.app_id, "TEAMS_APP_PASSWORD": emu.app_password,
                        "TEAMS_TENANT_ID": emu.tenant_id, "TEAMS_LOGIN_URL": emu.login_url,
                        "TEAMS_OPENID_METADATA_URL": emu.openid_metadata_url,
                        "TEAMS_GRAPH_URL": emu.graph_url}.items():
        monkeypatch.setenv(name, value)


def drumbeat(*args: str) -> int:
    return main(["--env-file", os.devnull, *args])


def test_import_then_sync_read_zones_from_graph_with_a_line_per_platform(
        tenant: TeamsEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    configure(monkeypatch, tenant)
    org = tmp_path / "org.csv"
    org.write_text(ORG_CSV)

    assert drumbeat("org", "import", str(org)) == 0
    out, err = capsys.readouterr()  # a line per stage on stderr, the closing counts on stdout (bot.progress)
    assert "Teams: 3 people read from Microsoft Graph, 3 known to Drumbeat, 3 time zones read, 3 changed" in err
    assert "Synced the directory: 3 people updated (time zones, deactivations) in " in out

    tenant.set_user(JO, account_enabled=False)
    assert drumbeat("org", "sync") == 0
    out, err = capsys.readouterr()
    assert "Teams: 3 people read from Microsoft Graph, 3 known to Drumbeat, 0 time zones read, 1 changed" in err
    assert out.splitlines()[-1].startswith("Synced the directory: 1 person updated")

    assert drumbeat("org", "list", "--format", "csv") == 0
    listed = capsys.readouterr().out
    assert "Asia/Tokyo" in listed and "Europe/London" in listed


def test_sync_with_no_platform_configured_is_refused_in_one_line(
        tenant: TeamsEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert drumbeat("org", "sync") == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == ("drumbeat: no chat platform is configured (set SLACK_BOT_TOKEN or TEAMS_APP_ID), "
                                        "so there is no directory to sync")
