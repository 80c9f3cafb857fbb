"""A weekly broadcast over a simulated month, through the emulator: each rep hears it on Monday at 09:00
in their own zone (Tokyo, Berlin, New York), across the EU and US DST changes, exactly once a week."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.models import Account
import pytest
from sqlalchemy import select

from storage.models import Delivery, DeliveryStatus, Person

from .conftest import Workspace  # noqa: TID252

REPS = {"aiko": "Asia/Tokyo", "jonas": "Europe/Berlin", "sam": "America/New_York"}


@pytest.fixture
def workspace_rate_limits() -> bool:
    return False  # weeks of simulated time pass in real seconds; per-channel limits would be real-time


@pytest.fixture
def workspace_start() -> datetime:
    return datetime(2026, 10, 16, 12, 0, tzinfo=UTC)  # Friday; EU clocks change 25 Oct, US clocks 1 Nov


def test_weekly_broadcast_hits_nine_local_every_monday_for_a_month(workspace: Workspace) -> None:
    workspace.command("lena", "broadcast")
    view = workspace.slack.open_views("U0LEADER1")[-1]
    response = workspace.slack.submit_view("U0LEADER1", view["id"], {
        "message_pick": "win-on-strategy", "people_input": ["U0REPEA01", "U0REPEA02", "U0REPWE01"],
        "when_input": "recurring", "kind_input": "weekly", "weekdays_input": ["0"], "time_input": "09:00",
        "date_input": "2026-10-16"})
    assert response.status == 200 and not (isinstance(response.body, dict) and response.body.get("errors"))

    end = workspace.clock() + timedelta(days=32)
    while workspace.clock() < end:  # the scheduler's jobs, every simulated hour
        workspace.clock.advance(timedelta(hours=1))
        workspace.drumbeat.tick()

    with workspace.drumbeat.services.unit_of_work() as session:
        rows = session.execute(select(Account.user_id, Delivery.sent_at, Delivery.status)
                               .join(Delivery, Delivery.person_id == Account.person_id)
                               .where(Delivery.kind == "broadcast").order_by(Delivery.sent_at)).all()
        reminders = session.execute(select(Delivery.sent_at, Person.tz).join(Person, Person.id == Delivery.person_id)
                                    .where(Delivery.kind == "reminder")).all()
    for handle, tz in REPS.items():
        person = workspace.person(handle)
        sent = [sent_at.astimezone(ZoneInfo(tz)) for slack_id, sent_at, status in rows
                if slack_id == person.slack_id and status == DeliveryStatus.SENT]
        assert [moment.strftime("%a %m-%d %H:%M") for moment in sent] == [
            "Mon 10-19 09:00", "Mon 10-26 09:00", "Mon 11-02 09:00", "Mon 11-09 09:00", "Mon 11-16 09:00"]
    # It is a key message nobody acknowledged: one reminder per occurrence, a day later, in working hours.
    assert len(reminders) == 14  # New York's last one is due after the simulated month ends
    for sent_at, tz in reminders:
        local = sent_at.astimezone(ZoneInfo(tz))
        assert local.weekday() < 5 and 8 <= local.hour < 19
    new_york_utc = [sent_at.astimezone(UTC).hour for slack_id, sent_at, _ in rows if slack_id == "U0REPWE01"]
    assert new_york_utc == [13, 13, 14, 14, 14]


def test_away_rep_gets_one_message_on_return_not_a_flood(workspace: Workspace) -> None:
    reply = workspace.command("jonas", "away 2026-10-16 to 2026-11-01")
    assert "I'll hold your Drumbeat messages" in json.dumps(reply.answer)
    workspace.command("lena", "broadcast")
    view = workspace.slack.open_views("U0LEADER1")[-1]
    workspace.slack.submit_view("U0LEADER1", view["id"], {
        "message_pick": "win-on-strategy", "people_input": ["U0REPEA02"], "when_input": "recurring",
        "kind_input": "workdays", "time_input": "09:00", "date_input": "2026-10-16"})
    end = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
    while workspace.clock() < end:
        workspace.clock.advance(timedelta(hours=1))
        workspace.drumbeat.tick()
    assert len(workspace.inbox("jonas")) == 1  # only the newest held occurrence (Fri 30 Oct), Monday 08:00


def test_bad_away_dates_are_explained(workspace: Workspace) -> None:
    assert "is before the start" in json.dumps(workspace.command("jonas", "away 2026-12-10 to 2026-12-01").answer)
    assert "not a date" in json.dumps(workspace.command("jonas", "away until 2026-13-01").answer)
    assert "Say `away until" in json.dumps(workspace.command("jonas", "away tomorrow").answer)
