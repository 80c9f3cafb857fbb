"""The materialiser reads only what is due: each broadcast's stored next due instant, per zone, advanced by itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from schedules import expand
from schedules.materialise import DeliveryRules, materialise_due
from schedules.recurrence import Recurrence, next_occurrence
from storage.db import session_scope
from storage.models import Account, Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Person, Team
from tests.people import add_person
from tests.schedules.test_jobs_concurrency import at_once
from tests.schedules.test_materialise import NO_QUIET, REPS, WORKDAY_RULES, make, org, run_every  # noqa: F401

WEEKLY_MONDAY_9 = Recurrence(kind="weekly", start=date(2026, 10, 16), at=time(9, 0), weekdays=(0,))
FRIDAY = datetime(2026, 10, 16, 12, 0, tzinfo=UTC)  # EU clocks go back on 25 Oct, US clocks on 1 Nov


def broadcast_row(engine: Engine, broadcast_id: int) -> Broadcast:
    with session_scope(engine) as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        return broadcast


def tick(engine: Engine, now: datetime, rules: DeliveryRules = NO_QUIET) -> None:
    with session_scope(engine) as session:
        materialise_due(session, now=now, rules=rules)


def deliveries_of(engine: Engine, broadcast_id: int) -> list[tuple[str, datetime, str]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(Account.user_id, Delivery.due_at, Delivery.status).join(Account, Account.person_id == Delivery.person_id)
            .where(Delivery.broadcast_id == broadcast_id).order_by(Delivery.due_at, Account.user_id)).all()
    return [(user_id, due_at, status) for user_id, due_at, status in rows]


def zone_state(engine: Engine, broadcast_id: int) -> dict[str, datetime | None]:
    state = broadcast_row(engine, broadcast_id).schedule_state or {}
    return {tz: datetime.fromisoformat(at) if at else None for tz, (at, *_checkpoint) in state.items()}


def test_a_broadcast_not_due_is_neither_read_nor_written_by_the_tick(org: Engine) -> None:
    due_soon = make(org, Recurrence(kind="cron", start=date(2026, 11, 23), cron="0 10 * * *"),
                    now=datetime(2026, 11, 23, 0, 0, tzinfo=UTC), local_time=False)
    next_year = make(org, Recurrence(kind="cron", start=date(2027, 6, 1), cron="0 10 * * *"),
                     now=datetime(2026, 11, 23, 0, 0, tzinfo=UTC), local_time=False)
    tick(org, datetime(2026, 11, 23, 0, 1, tzinfo=UTC))  # plans both
    planned = broadcast_row(org, next_year)
    with session_scope(org) as session:  # unreadable: a tick that so much as parsed it would fail
        session.execute(update(Broadcast).where(Broadcast.id == next_year).values(recurrence="not a schedule"))
    run_every(org, datetime(2026, 11, 23, 9, 0, tzinfo=UTC), datetime(2026, 11, 25, 16, 0, tzinfo=UTC),
              timedelta(hours=1))
    untouched = broadcast_row(org, next_year)
    assert (untouched.next_due_at, untouched.schedule_state, untouched.materialised_until) == (
        planned.next_due_at, planned.schedule_state, planned.materialised_until)
    assert untouched.next_due_at == datetime(2027, 6, 1, 14, 0, tzinfo=UTC)  # 10:00 in New York (EDT)
    assert deliveries_of(org, next_year) == []
    assert len(deliveries_of(org, due_soon)) == 3 * len(REPS)  # 23, 24, 25 Nov at 10:00 New York (15:00 UTC)


def test_next_due_instant_is_each_zones_local_nine_across_both_dst_changes(org: Engine) -> None:
    broadcast_id = make(org, WEEKLY_MONDAY_9, now=FRIDAY)
    tick(org, FRIDAY + timedelta(minutes=1))
    assert zone_state(org, broadcast_id) == {
        "Asia/Tokyo": datetime(2026, 10, 19, 0, 0, tzinfo=UTC),
        "Europe/Berlin": datetime(2026, 10, 19, 7, 0, tzinfo=UTC),  # CEST
        "America/New_York": datetime(2026, 10, 19, 13, 0, tzinfo=UTC),  # EDT
    }
    assert broadcast_row(org, broadcast_id).next_due_at == datetime(2026, 10, 19, 0, 0, tzinfo=UTC)
    run_every(org, FRIDAY + timedelta(minutes=30), datetime(2026, 10, 26, 12, 0, tzinfo=UTC), timedelta(minutes=30))
    assert zone_state(org, broadcast_id) == {
        "Asia/Tokyo": datetime(2026, 11, 2, 0, 0, tzinfo=UTC),
        "Europe/Berlin": datetime(2026, 11, 2, 8, 0, tzinfo=UTC),  # CET since 25 Oct
        "America/New_York": datetime(2026, 10, 26, 13, 0, tzinfo=UTC),  # still EDT, not yet due at 12:00 UTC
    }
    assert broadcast_row(org, broadcast_id).next_due_at == datetime(2026, 10, 26, 13, 0, tzinfo=UTC)
    run_every(org, datetime(2026, 10, 26, 12, 30, tzinfo=UTC), datetime(2026, 10, 27, 0, 0, tzinfo=UTC),
              timedelta(minutes=30))
    assert zone_state(org, broadcast_id)["America/New_York"] == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # EST
    moment = datetime(2026, 10, 27, 0, 0, tzinfo=UTC)
    for tz, stored in zone_state(org, broadcast_id).items():  # the same as a walk from the series' start
        expected = next_occurrence(WEEKLY_MONDAY_9, tz, after=moment)
        assert expected is not None and stored == expected.due_at
    new_york = [due.astimezone(ZoneInfo("America/New_York")) for user, due, _ in deliveries_of(org, broadcast_id)
                if user == "U0NEWYORK"]
    assert [(moment.date(), moment.hour) for moment in new_york] == [(date(2026, 10, 19), 9), (date(2026, 10, 26), 9)]


def test_members_added_before_an_occurrence_get_it_at_their_local_time_even_in_a_new_zone(org: Engine) -> None:
    broadcast_id = make(org, WEEKLY_MONDAY_9, now=FRIDAY)
    tick(org, FRIDAY + timedelta(minutes=1))
    with session_scope(org) as session:
        team = session.execute(select(Team).where(Team.name == "Global")).scalar_one()
        add_person(session, "U0BERLIN2", name="Berta", role="rep", tz="Europe/Berlin", team_id=team.id)
        add_person(session, "U0MUMBAI", name="Meera", role="rep", tz="Asia/Kolkata", team_id=team.id)
    run_every(org, FRIDAY + timedelta(hours=1), datetime(2026, 10, 19, 18, 0, tzinfo=UTC), timedelta(minutes=30))
    due = {user: due_at for user, due_at, _ in deliveries_of(org, broadcast_id)}
    assert due["U0BERLIN2"] == datetime(2026, 10, 19, 7, 0, tzinfo=UTC)
    assert due["U0MUMBAI"] == datetime(2026, 10, 19, 3, 30, tzinfo=UTC)  # 09:00 IST
    assert len(due) == len(REPS) + 2


def test_two_ticks_at_once_write_each_delivery_once_and_advance_once(org: Engine) -> None:
    broadcast_id = make(org, WEEKLY_MONDAY_9, now=FRIDAY)
    planning = FRIDAY + timedelta(minutes=1)  # both plan it, and both record the zones, at once
    at_once(lambda: tick(org, planning), lambda: tick(org, planning))
    monday = datetime(2026, 10, 19, 14, 0, tzinfo=UTC)  # every zone's Monday 09:00 has passed
    at_once(lambda: tick(org, monday), lambda: tick(org, monday))
    rows = deliveries_of(org, broadcast_id)
    assert sorted(user for user, _, _ in rows) == sorted(REPS)
    assert broadcast_row(org, broadcast_id).next_due_at == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)
    tick(org, monday + timedelta(minutes=1))
    assert len(deliveries_of(org, broadcast_id)) == len(REPS)


def test_a_broadcast_from_before_the_migration_is_planned_from_its_watermark(org: Engine) -> None:
    broadcast_id = make(org, Recurrence(kind="cron", start=date(2026, 11, 2), cron="0 10 * * *"),
                        now=datetime(2026, 11, 2, 0, 0, tzinfo=UTC), local_time=False)
    watermark = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # materialised up to here by the old materialiser
    with session_scope(org) as session:
        session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(
            materialised_until=watermark, next_due_at=None, schedule_state=None))
    tick(org, watermark + timedelta(minutes=1))
    assert deliveries_of(org, broadcast_id) == []  # nothing before the watermark is repeated
    assert broadcast_row(org, broadcast_id).next_due_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 EST
    tick(org, datetime(2026, 11, 24, 15, 0, 30, tzinfo=UTC))
    assert {due for _, due, _ in deliveries_of(org, broadcast_id)} == {datetime(2026, 11, 24, 15, 0, tzinfo=UTC)}


def test_a_series_with_a_count_ends_after_its_last_occurrence_in_every_zone(org: Engine) -> None:
    recurrence = Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(9, 0), count=3)
    broadcast_id = make(org, recurrence, now=datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    run_every(org, datetime(2026, 11, 22, 12, 0, tzinfo=UTC), datetime(2026, 11, 30, 0, 0, tzinfo=UTC),
              timedelta(hours=2))
    rows = deliveries_of(org, broadcast_id)
    for user, tz in REPS.items():
        days = [due.astimezone(ZoneInfo(tz)).date() for who, due, _ in rows if who == user]
        assert days == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]
    finished = broadcast_row(org, broadcast_id)
    assert (finished.status, finished.next_due_at) == (BroadcastStatus.DONE, None)


def test_a_recurring_occurrence_over_the_daily_cap_moves_to_the_next_morning_and_an_away_rep_is_held(
        org: Engine) -> None:
    tuesday = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    with session_scope(org) as session:
        new_york = session.execute(select(Person).join(Account).where(Account.user_id == "U0NEWYORK")).scalar_one()
        new_york.away_from, new_york.away_until = date(2026, 11, 24), date(2026, 11, 24)
    for _ in range(3):
        make(org, None, now=tuesday, rules=WORKDAY_RULES, key="other")
    broadcast_id = make(org, Recurrence(kind="cron", start=date(2026, 11, 24), cron="0 11 * * *"), now=tuesday,
                        rules=WORKDAY_RULES, local_time=False)  # 11:00 New York, 17:00 Berlin
    run_every(org, tuesday, datetime(2026, 11, 24, 16, 30, tzinfo=UTC), timedelta(minutes=30), rules=WORKDAY_RULES)
    rows = {user: (due, status) for user, due, status in deliveries_of(org, broadcast_id)}
    # A fixed-time broadcast is reckoned in its anchor zone (New York), quiet hours and cap included, as plan_for.
    wednesday_8_new_york = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    assert rows["U0BERLIN"] == (wednesday_8_new_york, DeliveryStatus.PENDING)  # three already that day: capped
    assert rows["U0TOKYO"] == (wednesday_8_new_york, DeliveryStatus.PENDING)
    # New York's three are held (away today), which the cap does not count: due on time, and held.
    assert rows["U0NEWYORK"] == (datetime(2026, 11, 24, 16, 0, tzinfo=UTC), DeliveryStatus.HELD)


def test_an_audience_bigger_than_one_insert_is_written_whole_in_several(org: Engine,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expand, "CHUNK", 2)
    with session_scope(org) as session:
        team = session.execute(select(Team).where(Team.name == "Global")).scalar_one()
        for n in range(5):
            add_person(session, f"U0EXTRA{n}", name=f"Extra {n}", role="rep", tz="Europe/Berlin", team_id=team.id)
    broadcast_id = make(org, WEEKLY_MONDAY_9, now=FRIDAY)
    run_every(org, FRIDAY, datetime(2026, 10, 19, 14, 0, tzinfo=UTC), timedelta(hours=2))
    users = [user for user, _, _ in deliveries_of(org, broadcast_id)]
    assert sorted(users) == sorted([*REPS, *(f"U0EXTRA{n}" for n in range(5))])  # six in Berlin: three inserts


def test_a_broadcast_whose_schedule_cannot_be_read_does_not_stop_the_others(org: Engine) -> None:
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    daily = Recurrence(kind="cron", start=date(2026, 11, 23), cron="0 10 * * *")
    broken_due, broken_new, fine = (make(org, daily, now=start, local_time=False) for _ in range(3))
    tick(org, start + timedelta(minutes=1))  # plans all three
    with session_scope(org) as session:
        session.execute(update(Broadcast).where(Broadcast.id == broken_due).values(recurrence="not a schedule"))
        session.execute(update(Broadcast).where(Broadcast.id == broken_new).values(
            recurrence="not a schedule", next_due_at=None, schedule_state=None))
    tick(org, datetime(2026, 11, 23, 15, 1, tzinfo=UTC))  # 10:00 in New York has passed
    assert len(deliveries_of(org, fine)) == len(REPS)
    assert deliveries_of(org, broken_due) == deliveries_of(org, broken_new) == []
