"""A running Drumbeat, served over real HTTP, talking to the Slack emulator; the demo org imported."""

from __future__ import annotations

import json

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import Drumbeat
from bot.slack.platform import SLACK_EVENTS_PATH
from bot.clock import SimulatedClock
from bot.platforms import USER_ID_FORMATS
from bot.core.org import import_org_csv
from bot.demo import DEMO_PEOPLE, DemoPerson, demo_org_csv, demo_person
from bot.settings import settings_from_mapping
from bot.emulators.slack import SlackEmulator

SIGNING_SECRET = "test-signing-secret"
# Tuesday 07:30 UTC: working hours for team East (Tokyo 16:30, Berlin 08:30, Kolkata 13:00); night in
# New York and Mexico City, so West's deliveries wait for their morning unless a test moves the clock.
TUESDAY_MORNING = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)


#: How long a test waits for the work after an answer before failing: a hang guard, not a speed check (under a
#: load average of 14 on two cores, the default 10 s of `wait_for_background` ran out and the test then read a
#: DM or a modal that was still being written).
SETTLE_SECONDS = 120.0


def settled_after_each_answer(drumbeat: Drumbeat) -> Callable[[], None]:
    """What the emulator runs after each answer: the bot's work after it, finished (or the test fails)."""
    def settle() -> None:
        assert drumbeat.wait_for_background(timeout=SETTLE_SECONDS), \
            f"the work after an answer was not done within {SETTLE_SECONDS:.0f} s"
    return settle


@dataclass
class Workspace:
    slack: SlackEmulator
    drumbeat: Drumbeat
    clock: SimulatedClock

    def person(self, handle: str) -> DemoPerson:
        return demo_person(handle)

    def command(self, handle: str, text: str):  # noqa: ANN201 - the emulator's ActorResponse
        return self.slack.slash_command(demo_person(handle).slack_id, text=text)

    def answers_after_ack(self) -> list[str]:
        """What the bot said through response_url after acknowledging (e.g. a broadcast's counts), as JSON."""
        return [json.dumps(post["body"]) for post in self.slack.response_url_posts]

    def dispatch(self):  # noqa: ANN201
        return self.drumbeat.dispatch_now()

    def inbox(self, handle: str) -> list[dict]:
        return self.slack.inbox(demo_person(handle).slack_id)


@pytest.fixture
def workspace_start() -> datetime:
    """When the simulated clock starts; a test module may override this fixture."""
    return TUESDAY_MORNING


@pytest.fixture
def workspace_rate_limits() -> bool:
    """Slack's rate limits in the emulator. They run on real time while the bot's clock is simulated,
    so a test that simulates weeks in a second turns them off (a module may override this fixture)."""
    return True


@pytest.fixture
def workspace(engine: Engine, database_url: str, workspace_start: datetime, workspace_rate_limits: bool,
              tmp_path: Path) -> Iterator[Workspace]:
    with SlackEmulator(SIGNING_SECRET, rate_limits=workspace_rate_limits) as slack:
        for person in DEMO_PEOPLE:
            slack.add_user(person.slack_id, name=person.handle, real_name=person.name, tz=person.tz, email=person.email)
        settings = settings_from_mapping(
            {
                "SLACK_BOT_TOKEN": slack.bot_token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": database_url,
                "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key"),
            }
        )
        clock = SimulatedClock(workspace_start)
        drumbeat = Drumbeat(settings, engine=engine, clock=clock, sleep=lambda seconds: None)
        with drumbeat.services.unit_of_work() as session:
            import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
        drumbeat.sync_directory()
        port = drumbeat.serve_http(host="127.0.0.1", port=0, background=True)
        slack.connect_bot(f"http://127.0.0.1:{port}{SLACK_EVENTS_PATH}")
        slack.after_each_answer(settled_after_each_answer(drumbeat))
        try:
            yield Workspace(slack=slack, drumbeat=drumbeat, clock=clock)
        finally:
            drumbeat.close()
