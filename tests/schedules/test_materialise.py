"""Scheduled broadcasts become deliveries at each rep's local time, over simulated weeks (time injected)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.models import Account
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.slack.people import slack_address as slack
from bot.core import manage
from bot.core.broadcasts import AudienceSpec, BroadcastDraft, schedule
from bot.core.roles import identify
from schedules.materialise import DeliveryRules, materialise_due, release_returning, schedule_reminders
from schedules.quiet_hours import QuietHours
from schedules.recurrence import Recurrence
from tests.people import add_person
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus, Message, Team

NO_QUIET = DeliveryRules(quiet=QuietHours(start=time(0), end=time(0), weekends_off=False), daily_cap=0)
WORKDAY_RULES = DeliveryRules()  # 19:00-08:00 and weekends quiet, 3 a day

REPS = {"U0TOKYO": "Asia/Tokyo", "U0BERLIN": "Europe/Berlin", "U0NEWYORK": "America/New_York"}


@pytest.fixture
def org(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        team = Team(name="Global")
        session.add(team)
        session.flush()
        session.add(add_person(session, "U0LEADER", name="Lena Okafor", role="leader", tz="America/New_York"))
        for slack_id, tz in REPS.items():
            session.add(add_person(session, slack_id, name=slack_id[3:].title(), role="rep", tz=tz, team_id=team.id))
        session.add(Message(key="weekly-focus", title="Weekly focus", body="Hi {{ person.first_name }}", key_message=True))
        session.add(Message(key="other", title="Other", body="Hi"))
    return engine


def make(engine: Engine, recurrence: Recurrence | None, *, now: datetime, rules: DeliveryRules = NO_QUIET,
         key: str = "weekly-focus", local_time: bool = True) -> int:
    with session_scope(engine) as session:
        queued = schedule(session, sender=identify(session, slack("U0LEADER")), now=now, rules=rules, draft=BroadcastDraft(
            audience=AudienceSpec(teams=("Global",)), message_key=key, recurrence=recurrence, local_time=local_time))
        return queued.broadcast_id


def run_every(engine: Engine, start: datetime, end: datetime, step: timedelta, rules: DeliveryRules = NO_QUIET) -> None:
    moment = start
    while moment <= end:
        with session_scope(engine) as session:
            materialise_due(session, now=moment, rules=rules)
        moment += step


def deliveries_by_rep(engine: Engine) -> dict[str, list[Delivery]]:
    with session_scope(engine) as session:
        rows = session.execute(select(Delivery, Account.user_id).join(Account, Account.person_id == Delivery.person_id)
                               .order_by(Delivery.due_at)).all()
    result: dict[str, list[Delivery]] = {}
    for delivery, slack_id in rows:
        result.setdefault(slack_id, []).append(delivery)
    return result


def test_weekly_monday_0900_hits_each_rep_at_their_local_nine_across_dst(org: Engine) -> None:
    start = datetime(2026, 10, 16, 12, 0, tzinfo=UTC)  # a Friday; EU DST ends 25 Oct, US DST ends 1 Nov
    make(org, Recurrence(kind="weekly", start=date(2026, 10, 16), at=time(9, 0), weekdays=(0,)), now=start)
    run_every(org, start, start + timedelta(days=32), timedelta(minutes=30))
    by_rep = deliveries_by_rep(org)
    for slack_id, tz in REPS.items():
        local = [d.due_at.astimezone(ZoneInfo(tz)) for d in by_rep[slack_id]]
        assert [moment.date() for moment in local] == [date(2026, 10, 19), date(2026, 10, 26), date(2026, 11, 2),
                                                       date(2026, 11, 9), date(2026, 11, 16)]
        assert {(moment.hour, moment.minute) for moment in local} == {(9, 0)}
    new_york_utc_hours = [d.due_at.astimezone(UTC).hour for d in by_rep["U0NEWYORK"]]
    assert new_york_utc_hours == [13, 13, 14, 14, 14]  # the UTC instant moves with US DST
    berlin_utc_hours = [d.due_at.astimezone(UTC).hour for d in by_rep["U0BERLIN"]]
    assert berlin_utc_hours == [7, 8, 8, 8, 8]
    assert [d.due_at.astimezone(UTC).hour for d in by_rep["U0TOKYO"]] == [0] * 5


def test_materialising_twice_adds_nothing(org: Engine) -> None:
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    make(org, Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(9, 0)), now=start)
    run_every(org, start, start + timedelta(days=1), timedelta(minutes=10))
    before = sum(len(rows) for rows in deliveries_by_rep(org).values())
    with session_scope(org) as session:
        broadcast_id = session.execute(select(Delivery.broadcast_id)).scalars().first()
        from storage.models import Broadcast
        session.get(Broadcast, broadcast_id).materialised_until = start  # as if a second instance lagged behind
    run_every(org, start + timedelta(days=1), start + timedelta(days=1), timedelta(minutes=10))
    assert before == 4  # Tokyo's Tuesday 09:00 is Monday 24:00 UTC, inside the first day
    assert sum(len(rows) for rows in deliveries_by_rep(org).values()) == before


def test_fall_back_night_does_not_double_a_0130_occurrence(org: Engine) -> None:
    start = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    make(org, Recurrence(kind="cron", start=date(2026, 10, 31), cron="30 1 * * *"), now=start, local_time=False)
    run_every(org, start, start + timedelta(days=2), timedelta(minutes=15))
    new_york = [d.scheduled_for.astimezone(ZoneInfo("America/New_York")) for d in deliveries_by_rep(org)["U0TOKYO"]]
    assert [moment.date() for moment in new_york] == [date(2026, 11, 1), date(2026, 11, 2)]


def test_occurrences_missed_during_downtime_are_sent_once_and_marked_late(org: Engine) -> None:
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    make(org, Recurrence(kind="cron", start=date(2026, 11, 23), cron="0 10 * * *"), now=start, local_time=False)
    back = start + timedelta(days=5, hours=12)  # down for five and a half days
    with session_scope(org) as session:
        report = materialise_due(session, now=back, rules=NO_QUIET)
    assert report.coalesced == 4
    rows = deliveries_by_rep(org)["U0TOKYO"]
    assert len(rows) == 1
    assert rows[0].scheduled_for.astimezone(ZoneInfo("America/New_York")).date() == date(2026, 11, 27)


def test_quiet_hours_move_a_delivery_to_the_next_allowed_morning(org: Engine) -> None:
    friday_evening_utc = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 21:00 Fri in Tokyo, 13:00 Berlin, 07:00 NY
    make(org, None, now=friday_evening_utc, rules=WORKDAY_RULES)
    by_rep = deliveries_by_rep(org)
    tokyo = by_rep["U0TOKYO"][0].due_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (tokyo.date(), tokyo.hour) == (date(2026, 11, 30), 8)  # Monday 08:00: weekend skipped
    assert by_rep["U0BERLIN"][0].due_at == friday_evening_utc
    new_york = by_rep["U0NEWYORK"][0].due_at.astimezone(ZoneInfo("America/New_York"))
    assert (new_york.date(), new_york.hour) == (date(2026, 11, 27), 8)


def test_daily_cap_moves_the_fourth_message_to_the_next_morning(org: Engine) -> None:
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 Berlin
    for _ in range(4):
        make(org, None, now=tuesday, rules=WORKDAY_RULES, key="other")
    berlin = [d.due_at.astimezone(ZoneInfo("Europe/Berlin")) for d in deliveries_by_rep(org)["U0BERLIN"]]
    assert [moment.date() for moment in berlin] == [date(2026, 11, 24)] * 3 + [date(2026, 11, 25)]
    assert berlin[-1].hour == 8


def test_away_rep_gets_only_the_latest_occurrence_when_back(org: Engine) -> None:
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    with session_scope(org) as session:
        berlin = identify(session, slack("U0BERLIN"))
        berlin.away_from, berlin.away_until = date(2026, 11, 23), date(2026, 11, 27)
    make(org, Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(9, 0)), now=start)
    run_every(org, start, start + timedelta(days=5), timedelta(hours=1))
    held = [d for d in deliveries_by_rep(org)["U0BERLIN"]]
    assert len(held) == 5 and {d.status for d in held} == {DeliveryStatus.HELD}
    back = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)  # Monday 08:30 in Berlin
    with session_scope(org) as session:
        assert release_returning(session, now=back, rules=NO_QUIET) == 1
    statuses = sorted((d.scheduled_for, d.status) for d in deliveries_by_rep(org)["U0BERLIN"])
    assert [status for _, status in statuses] == ["superseded"] * 4 + ["pending"]
    assert len(deliveries_by_rep(org)["U0TOKYO"]) == 5  # others were not held


def test_one_reminder_only_to_those_who_have_not_acknowledged(org: Engine) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    make(org, None, now=now)
    with session_scope(org) as session:
        for delivery in session.execute(select(Delivery)).scalars():
            delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
            if delivery.person_id == identify(session, slack("U0TOKYO")).id:
                delivery.acknowledged_at = now
    later = now + timedelta(hours=25)
    for _ in range(3):
        with session_scope(org) as session:
            schedule_reminders(session, now=later, rules=NO_QUIET)
    by_rep = deliveries_by_rep(org)
    assert [d.kind for d in by_rep["U0TOKYO"]] == ["broadcast"]
    assert [d.kind for d in by_rep["U0BERLIN"]] == ["broadcast", "reminder"]
    assert [d.kind for d in by_rep["U0NEWYORK"]] == ["broadcast", "reminder"]


def test_paused_broadcast_skips_occurrences_and_resumes_without_a_burst(org: Engine) -> None:
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    broadcast_id = make(org, Recurrence(kind="cron", start=date(2026, 11, 23), cron="0 10 * * *"), now=start,
                        local_time=False)
    with session_scope(org) as session:
        manage.pause(session, caller=identify(session, slack("U0LEADER")), broadcast_id=broadcast_id, now=start)
    run_every(org, start, start + timedelta(days=3), timedelta(hours=1))
    assert deliveries_by_rep(org) == {}
    resume_at = start + timedelta(days=3, hours=1)
    with session_scope(org) as session:
        manage.resume(session, caller=identify(session, slack("U0LEADER")), broadcast_id=broadcast_id, now=resume_at)
    run_every(org, resume_at, start + timedelta(days=4, hours=12), timedelta(hours=1))
    assert len(deliveries_by_rep(org)["U0TOKYO"]) == 1


def test_cancel_withdraws_queued_deliveries(org: Engine) -> None:
    start = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    broadcast_id = make(org, None, now=start, rules=WORKDAY_RULES)
    with session_scope(org) as session:
        text = manage.cancel(session, caller=identify(session, slack("U0LEADER")), broadcast_id=broadcast_id, now=start)
    assert "3 queued messages withdrawn" in text
    assert {d.status for rows in deliveries_by_rep(org).values() for d in rows} == {DeliveryStatus.CANCELLED}


def test_edit_creates_a_version_and_sent_deliveries_keep_theirs(org: Engine) -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    broadcast_id = make(org, None, now=start)
    with session_scope(org) as session:
        first = session.execute(select(Delivery)).scalars().first()
        first.status = DeliveryStatus.SENT
        old_message_id = first.message_id
        sent_id = first.id
    with session_scope(org) as session:
        result = manage.edit_message(session, caller=identify(session, slack("U0LEADER")), broadcast_id=broadcast_id,
                                     title="Weekly focus", body="Hi {{ person.first_name }}, new week", now=start)
    assert result.version == 2
    with session_scope(org) as session:
        rows = list(session.execute(select(Delivery)).scalars())
    assert {row.message_id for row in rows if row.id == sent_id} == {old_message_id}
    assert {row.message_id for row in rows if row.id != sent_id} != {old_message_id}


def test_a_rep_with_an_unknown_time_zone_does_not_stop_the_broadcast(org: Engine) -> None:
    with session_scope(org) as session:
        identify(session, slack("U0TOKYO")).tz = "Mars/Olympus"
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    make(org, Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(9, 0)), now=start)
    run_every(org, start, start + timedelta(days=1), timedelta(hours=1))
    by_rep = deliveries_by_rep(org)
    assert by_rep["U0TOKYO"][0].due_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 09:00 UTC
    assert len(by_rep["U0BERLIN"]) == 1
