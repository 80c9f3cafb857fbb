"""The web sandbox for tests: the same sandbox as `drumbeat sandbox --web`, at a fixed moment, in a temp folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import Settings, settings_from_mapping
from bot.web_sandbox.session import WebSandbox
from bot.web_sandbox.teams_session import TeamsWebSandbox

# Tuesday 07:30 UTC: Tokyo (Aiko) and Berlin (Marco, Jonas) are at work, New York is asleep.
TUESDAY_MORNING_UTC = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _sqlite_run_only() -> None:
    """The web sandbox, like `drumbeat sandbox`, always runs on its own SQLite file whatever DATABASE_URL says:
    the PostgreSQL run of the suite would repeat the same tests on the same database, minutes for nothing."""
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("the web sandbox always runs on its own SQLite file: the SQLite run of the suite covers it")


@pytest.fixture
def sandbox_settings(tmp_path: Path) -> Settings:
    return settings_from_mapping({"DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key")})


@pytest.fixture
def web(sandbox_settings: Settings, tmp_path: Path) -> Iterator[WebSandbox]:
    sandbox = WebSandbox(sandbox_settings, database=str(tmp_path / "sandbox.db"), start=TUESDAY_MORNING_UTC)
    try:
        yield sandbox
    finally:
        sandbox.close()


@pytest.fixture
def teams_web(sandbox_settings: Settings, tmp_path: Path) -> Iterator[TeamsWebSandbox]:
    """The Teams world alone, as `drumbeat sandbox --web --teams` serves it beside Slack's."""
    sandbox = TeamsWebSandbox(sandbox_settings, database=str(tmp_path / "sandbox-teams.db"), start=TUESDAY_MORNING_UTC)
    try:
        yield sandbox
    finally:
        sandbox.close()
