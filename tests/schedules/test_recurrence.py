"""Occurrences per time zone from APScheduler's triggers: DST, weekdays, intervals, month ends, cron."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from schedules.recurrence import (
    Recurrence,
    RecurrenceError,
    latest_occurrence_at_or_before,
    next_occurrence,
    occurrences_between,
    parse_cron,
)

OCT_1 = datetime(2026, 10, 1, tzinfo=UTC)


def local_days(rec: Recurrence, tz: str, start: datetime, days: int) -> list[date]:
    return [o.local.date() for o in occurrences_between(rec, tz, start=start, end=start + timedelta(days=days))]


@pytest.mark.parametrize(("tz", "utc_hours"), [
    ("Asia/Tokyo", [0, 0, 0, 0, 0]),
    ("Europe/Berlin", [7, 8, 8, 8, 8]),  # EU clocks go back on 25 Oct
    ("America/New_York", [13, 13, 14, 14, 14]),  # US clocks go back on 1 Nov
])
def test_weekly_monday_nine_stays_nine_local_across_dst(tz: str, utc_hours: list[int]) -> None:
    rec = Recurrence(kind="weekly", start=date(2026, 10, 16), at=time(9), weekdays=(0,))
    found = occurrences_between(rec, tz, start=datetime(2026, 10, 16, tzinfo=UTC), end=datetime(2026, 11, 17, tzinfo=UTC))
    assert [(o.local.hour, o.local.minute, o.local.weekday()) for o in found] == [(9, 0, 0)] * 5
    assert [o.due_at.hour for o in found] == utc_hours


def test_fall_back_night_gives_one_0130() -> None:
    rec = Recurrence(kind="cron", start=date(2026, 10, 30), cron="30 1 * * *")
    found = occurrences_between(rec, "America/New_York", start=datetime(2026, 10, 31, tzinfo=UTC),
                                end=datetime(2026, 11, 3, tzinfo=UTC))
    assert [o.key for o in found] == ["2026-10-31T01:30", "2026-11-01T01:30", "2026-11-02T01:30"]


def test_spring_forward_0230_happens_once_at_0330() -> None:
    rec = Recurrence(kind="cron", start=date(2026, 3, 7), cron="30 2 * * *")
    found = occurrences_between(rec, "America/New_York", start=datetime(2026, 3, 8, tzinfo=UTC),
                                end=datetime(2026, 3, 9, tzinfo=UTC))
    assert len(found) == 1
    assert found[0].local.astimezone(ZoneInfo("America/New_York")).hour == 3


def test_workdays_skip_weekends() -> None:
    rec = Recurrence(kind="workdays", start=date(2026, 11, 20), at=time(9))
    days = local_days(rec, "Europe/Berlin", datetime(2026, 11, 20, tzinfo=UTC), 7)
    assert [d.weekday() for d in days] == [4, 0, 1, 2, 3]


def test_every_two_weeks_alternates_from_the_start_week() -> None:
    rec = Recurrence(kind="every_n_weeks", start=date(2026, 11, 3), at=time(8, 30), weekdays=(1,), interval_weeks=2)
    days = local_days(rec, "UTC", datetime(2026, 11, 1, tzinfo=UTC), 50)
    assert days == [date(2026, 11, 3), date(2026, 11, 17), date(2026, 12, 1), date(2026, 12, 15)]


def test_monthly_day_31_uses_the_last_day_of_short_months() -> None:
    rec = Recurrence(kind="monthly", start=date(2027, 1, 1), at=time(9), day_of_month=31)
    assert local_days(rec, "UTC", datetime(2027, 1, 1, tzinfo=UTC), 100) == [date(2027, 1, 31), date(2027, 2, 28),
                                                                           date(2027, 3, 31)]
    assert date(2028, 2, 29) in local_days(rec, "UTC", datetime(2028, 2, 1, tzinfo=UTC), 30)


def test_cron_weekdays_follow_crontab_numbering() -> None:
    rec = Recurrence(kind="cron", start=date(2026, 11, 20), cron="0 9 * * 1-5")
    days = local_days(rec, "UTC", datetime(2026, 11, 21, tzinfo=UTC), 7)
    assert [d.weekday() for d in days] == [0, 1, 2, 3, 4]
    sundays = local_days(Recurrence(kind="cron", start=date(2026, 11, 1), cron="0 9 * * 0"), "UTC", OCT_1 + timedelta(days=31), 14)
    assert {d.weekday() for d in sundays} == {6}


@pytest.mark.parametrize(("expression", "reason"), [
    ("0 9 * *", "has 5 fields"),
    ("61 9 * * *", "Invalid cron expression"),
    ("0 9 * * 9", "not a weekday"),
    ("0 nine * * *", "Invalid cron expression"),
])
def test_bad_cron_is_explained(expression: str, reason: str) -> None:
    with pytest.raises(RecurrenceError, match=reason) as raised:
        parse_cron(expression)
    assert raised.value.field == "cron"


def test_end_date_is_inclusive_and_count_stops_the_series() -> None:
    ended = Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(9), end_date=date(2026, 11, 25))
    assert local_days(ended, "UTC", datetime(2026, 11, 23, tzinfo=UTC), 10)[-1] == date(2026, 11, 25)
    counted = Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(9), count=3)
    assert local_days(counted, "UTC", datetime(2026, 11, 25, tzinfo=UTC), 10) == [date(2026, 11, 25)]
    assert next_occurrence(counted, "UTC", after=datetime(2026, 11, 25, 10, tzinfo=UTC)) is None


def test_latest_occurrence_coalesces_a_missed_stretch() -> None:
    rec = Recurrence(kind="cron", start=date(2026, 11, 1), cron="0 10 * * *")
    latest = latest_occurrence_at_or_before(rec, "UTC", moment=datetime(2026, 11, 6, 12, tzinfo=UTC),
                                            not_before=datetime(2026, 11, 1, 11, tzinfo=UTC))
    assert latest is not None and latest.key == "2026-11-06T10:00"


@pytest.mark.parametrize(("rec", "field"), [
    (Recurrence(kind="weekly", start=date(2026, 12, 1), at=time(9)), "weekdays"),
    (Recurrence(kind="once", start=date(2026, 1, 1), at=time(9)), "date"),
    (Recurrence(kind="workdays", start=date(2026, 12, 10), at=time(9), end_date=date(2026, 12, 1)), "end_date"),
    (Recurrence(kind="workdays", start=date(2026, 12, 1), at=time(9), count=0), "count"),
    (Recurrence(kind="monthly", start=date(2026, 12, 1), at=time(9), day_of_month=32), "day_of_month"),
    (Recurrence(kind="every_n_weeks", start=date(2026, 12, 1), at=time(9), weekdays=(0,), interval_weeks=1), "interval"),
])
def test_invalid_schedules_name_the_field(rec: Recurrence, field: str) -> None:
    with pytest.raises(RecurrenceError) as raised:
        rec.validate(today=date(2026, 11, 22))
    assert raised.value.field == field


def test_describe_and_json_round_trip() -> None:
    rec = Recurrence(kind="every_n_weeks", start=date(2026, 12, 1), at=time(8, 30), weekdays=(3, 1),
                     interval_weeks=2, count=6)
    assert rec.describe() == "every 2 weeks on Tue and Thu at 08:30 from 2026-12-01, 6 times"
    assert Recurrence.from_json(rec.to_json()) == rec


def test_unknown_time_zone_is_a_clear_error() -> None:
    with pytest.raises(RecurrenceError, match="not a time zone") as raised:
        next_occurrence(Recurrence(kind="workdays", start=date(2026, 12, 1), at=time(9)), "Mars/Olympus", after=OCT_1)
    assert raised.value.field == "timezone"
