"""The web sandbox for tests: the same sandbox as `drumbeat sandbox --web`, at a fixed moment, in a temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import Settings, settings_from_mapping
from bot.web_sandbox.session import WebSandbox

# Tuesday 07:30 UTC: Tokyo (Aiko) and Berlin (Marco, Jonas) are at work, New York is asleep.
TUESDAY_MORNING_UTC = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)


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
