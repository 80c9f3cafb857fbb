"""Occurrences per time zone from APScheduler's triggers: DST, weekdays, intervals, month ends, cron, limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from schedules.recurrence import (
    first_after,
    walk_from,
    Occurrence,
    Recurrence,
    RecurrenceError,
    latest_occurrence_at_or_before,
    next_occurrence,
    occurrences_between,
    parse_cron,
)

NEW_YORK, BERLIN, TOKYO = "America/New_York", "Europe/Berlin", "Asia/Tokyo"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def between(rec: Recurrence, tz: str, start: datetime, days: int) -> list[Occurrence]:
    return occurrences_between(rec, tz, start=start, end=start + timedelta(days=days))


def local_days(rec: Recurrence, tz: str, start: datetime, days: int) -> list[date]:
    return [occurrence.local.date() for occurrence in between(rec, tz, start, days)]


# --- local time across zones and DST ---------------------------------------------------------------


@pytest.mark.parametrize(("tz", "utc_hours", "offsets"), [
    (TOKYO, [0, 0, 0, 0, 0], [9, 9, 9, 9, 9]),
    (BERLIN, [7, 8, 8, 8, 8], [2, 1, 1, 1, 1]),  # EU clocks go back on Sun 25 Oct
    (NEW_YORK, [13, 13, 14, 14, 14], [-4, -4, -5, -5, -5]),  # US clocks go back on Sun 1 Nov
])
def test_weekly_monday_nine_stays_nine_local_while_the_utc_offset_changes(
    tz: str, utc_hours: list[int], offsets: list[int]
) -> None:
    rec = Recurrence(kind="weekly", start=date(2026, 10, 16), at=time(9), weekdays=(0,))
    found = occurrences_between(rec, tz, start=utc(2026, 10, 16), end=utc(2026, 11, 17))
    assert [o.local.date() for o in found] == [date(2026, 10, 19), date(2026, 10, 26), date(2026, 11, 2),
                                               date(2026, 11, 9), date(2026, 11, 16)]
    assert {(o.local.hour, o.local.minute) for o in found} == {(9, 0)}
    assert [o.due_at.hour for o in found] == utc_hours
    assert [o.local.utcoffset() // timedelta(hours=1) for o in found] == offsets
    assert all(o.due_at == o.local and o.due_at.tzinfo is UTC for o in found)
    assert [o.key for o in found][:2] == ["2026-10-19", "2026-10-26"]


def test_the_same_local_monday_is_a_different_instant_in_each_zone() -> None:
    rec = Recurrence(kind="weekly", start=date(2026, 10, 16), at=time(9), weekdays=(0,))

    def due(tz: str, day: date) -> datetime:
        (occurrence,) = [o for o in between(rec, tz, utc(2026, 10, 15), 40) if o.local.date() == day]
        return occurrence.due_at

    for day, berlin_after_tokyo, new_york_after_berlin in [(date(2026, 10, 19), 7, 6),  # both on summer time
                                                          (date(2026, 10, 26), 8, 5),  # only the EU changed
                                                          (date(2026, 11, 2), 8, 6)]:  # both on winter time
        assert due(BERLIN, day) - due(TOKYO, day) == timedelta(hours=berlin_after_tokyo)
        assert due(NEW_YORK, day) - due(BERLIN, day) == timedelta(hours=new_york_after_berlin)


@pytest.mark.parametrize("rec", [
    Recurrence(kind="weekly", start=date(2026, 10, 25), at=time(1, 30), weekdays=(0, 1, 2, 3, 4, 5, 6)),
    Recurrence(kind="cron", start=date(2026, 10, 25), cron="30 1 * * *"),
])
def test_daily_0130_on_the_fall_back_night_is_one_occurrence(rec: Recurrence) -> None:
    found = occurrences_between(rec, NEW_YORK, start=utc(2026, 10, 31), end=utc(2026, 11, 3))
    assert [o.key for o in found] == ["2026-10-31", "2026-11-01", "2026-11-02"]
    (first_night,) = [o for o in found if o.key == "2026-11-01"]
    assert first_night.due_at == utc(2026, 11, 1, 5, 30)  # the first 01:30 (EDT); APScheduler also fires 06:30
    assert [o.index for o in found] == [6, 7, 8]


def test_the_repeated_0130_is_not_an_occurrence_even_when_a_window_starts_between_the_two() -> None:
    rec = Recurrence(kind="cron", start=date(2026, 10, 25), cron="30 1 * * *")
    between_firings = occurrences_between(rec, NEW_YORK, start=utc(2026, 11, 1, 6), end=utc(2026, 11, 1, 12))
    assert between_firings == []
    following = next_occurrence(rec, NEW_YORK, after=utc(2026, 11, 1, 5, 30))
    assert following is not None and following.key == "2026-11-02"


def test_a_cron_firing_several_times_in_the_repeated_hour_keeps_each_local_time_once() -> None:
    rec = Recurrence(kind="cron", start=date(2026, 10, 31), cron="0,30 1 * * *")
    found = between(rec, NEW_YORK, utc(2026, 11, 1), 1)
    assert [o.key for o in found] == ["2026-11-01T01:00", "2026-11-01T01:30"]
    assert [o.local.utcoffset() for o in found] == [timedelta(hours=-4)] * 2


@pytest.mark.parametrize("rec", [
    Recurrence(kind="weekly", start=date(2026, 3, 1), at=time(2, 30), weekdays=(6,)),
    Recurrence(kind="cron", start=date(2026, 3, 1), cron="30 2 * * *"),
    Recurrence(kind="once", start=date(2026, 3, 8), at=time(2, 30)),
])
def test_0230_on_the_spring_forward_day_happens_once_at_0330(rec: Recurrence) -> None:
    found = between(rec, NEW_YORK, utc(2026, 3, 8), 1)
    assert len(found) == 1
    assert found[0].due_at == utc(2026, 3, 8, 7, 30)
    assert (found[0].local.hour, found[0].local.minute, found[0].key) == (3, 30, "2026-03-08")


# --- the kinds of schedule -------------------------------------------------------------------------


def test_workdays_skip_weekends() -> None:
    rec = Recurrence(kind="workdays", start=date(2026, 11, 20), at=time(9))
    days = local_days(rec, BERLIN, utc(2026, 11, 20), 11)
    assert [d.weekday() for d in days] == [4, 0, 1, 2, 3, 4, 0]


def test_every_two_weeks_alternates_from_the_start_week() -> None:
    rec = Recurrence(kind="every_n_weeks", start=date(2026, 11, 3), at=time(8, 30), weekdays=(1, 3), interval_weeks=2)
    assert local_days(rec, "UTC", utc(2026, 11, 1), 36) == [date(2026, 11, 3), date(2026, 11, 5), date(2026, 11, 17),
                                                          date(2026, 11, 19), date(2026, 12, 1), date(2026, 12, 3)]


def test_every_two_weeks_counts_weeks_from_the_start_not_iso_week_numbers() -> None:
    # 2026 has an ISO week 53, so "odd ISO weeks" would fire on 28 Dec and again on 4 Jan.
    rec = Recurrence(kind="every_n_weeks", start=date(2026, 12, 14), at=time(9), weekdays=(0,), interval_weeks=2)
    assert local_days(rec, "UTC", utc(2026, 12, 1), 60) == [date(2026, 12, 14), date(2026, 12, 28), date(2027, 1, 11),
                                                          date(2027, 1, 25)]


def test_every_three_weeks_skips_a_start_day_before_the_start_date() -> None:
    rec = Recurrence(kind="every_n_weeks", start=date(2026, 11, 4), at=time(9), weekdays=(0, 4), interval_weeks=3)
    assert local_days(rec, TOKYO, utc(2026, 11, 1), 30) == [date(2026, 11, 6), date(2026, 11, 23), date(2026, 11, 27)]


def test_monthly_day_31_uses_the_last_day_of_short_months() -> None:
    rec = Recurrence(kind="monthly", start=date(2027, 1, 1), at=time(9), day_of_month=31)
    assert local_days(rec, "UTC", utc(2027, 1, 1), 120) == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31),
                                                          date(2027, 4, 30)]
    assert local_days(rec, "UTC", utc(2028, 2, 1), 29) == [date(2028, 2, 29)]


def test_monthly_day_30_lands_on_february_28_and_day_1_is_plain() -> None:
    thirtieth = Recurrence(kind="monthly", start=date(2027, 1, 1), at=time(9), day_of_month=30)
    assert local_days(thirtieth, "UTC", utc(2027, 1, 1), 90) == [date(2027, 1, 30), date(2027, 2, 28),
                                                               date(2027, 3, 30)]
    first = Recurrence(kind="monthly", start=date(2027, 1, 1), at=time(9), day_of_month=1)
    assert local_days(first, "UTC", utc(2027, 1, 1), 70) == [date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)]


def test_once_happens_once_at_its_local_time_in_each_zone() -> None:
    rec = Recurrence(kind="once", start=date(2026, 12, 1), at=time(9))
    assert [o.due_at for o in between(rec, TOKYO, utc(2026, 11, 1), 60)] == [utc(2026, 12, 1, 0)]
    assert [o.due_at for o in between(rec, NEW_YORK, utc(2026, 11, 1), 60)] == [utc(2026, 12, 1, 14)]
    assert next_occurrence(rec, NEW_YORK, after=utc(2026, 12, 1, 14)) is None


def test_cron_weekdays_follow_crontab_numbering() -> None:
    workdays = Recurrence(kind="cron", start=date(2026, 11, 20), cron="0 9 * * 1-5")
    assert [d.weekday() for d in local_days(workdays, "UTC", utc(2026, 11, 21), 7)] == [0, 1, 2, 3, 4]
    for sunday in ("0", "7", "sun"):
        rec = Recurrence(kind="cron", start=date(2026, 11, 1), cron=f"0 9 * * {sunday}")
        assert {d.weekday() for d in local_days(rec, "UTC", utc(2026, 11, 1), 21)} == {6}
    weekend = Recurrence(kind="cron", start=date(2026, 11, 1), cron="0 9 * * fri-sun")
    assert [d.weekday() for d in local_days(weekend, "UTC", utc(2026, 11, 2), 7)] == [4, 5, 6]


def test_cron_with_both_day_fields_matches_either_as_crontab_does() -> None:
    rec = Recurrence(kind="cron", start=date(2026, 6, 1), cron="0 9 1 * mon")
    assert local_days(rec, "UTC", utc(2026, 6, 25), 15) == [date(2026, 6, 29), date(2026, 7, 1), date(2026, 7, 6)]


def test_cron_keys_carry_the_time_only_when_it_fires_more_than_once_a_day() -> None:
    daily = Recurrence(kind="cron", start=date(2026, 11, 23), cron="0 9 * * *")
    twice = Recurrence(kind="cron", start=date(2026, 11, 23), cron="0 9,15 * * *")
    assert [o.key for o in between(daily, "UTC", utc(2026, 11, 23), 1)] == ["2026-11-23"]
    assert [o.key for o in between(twice, "UTC", utc(2026, 11, 23), 1)] == ["2026-11-23T09:00", "2026-11-23T15:00"]


@pytest.mark.parametrize(("expression", "says"), [
    ("0 9 * *", "has 5 fields (minute hour day-of-month month weekday), got 4"),
    ("61 9 * * *", "minute field '61' is wrong: the last value (61) is higher than the maximum value (59)"),
    ("0 nine * * *", "hour field 'nine' is wrong: 'nine' is not a number"),
    ("0 9 32 * *", "day-of-month field '32' is wrong"),
    ("0 9 * * 9", "weekday field '9' is wrong: 9 is not a weekday (0-7, where 0 and 7 are Sunday)"),
    ("0 9 * * fri-mon", "the range fri-mon runs backwards"),
    ("*/0 9 * * *", "minute field '*/0' is wrong: increment must be higher than 0"),
    ("0 9 31 2 *", "never happens"),
])
def test_bad_cron_names_the_field_and_the_reason(expression: str, says: str) -> None:
    with pytest.raises(RecurrenceError) as raised:
        parse_cron(expression)
    assert says in str(raised.value)
    assert raised.value.field == "cron"


# --- limits, catching up, the next one ---------------------------------------------------------------


def test_end_date_is_inclusive_in_local_time() -> None:
    ended = Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(23, 30), end_date=date(2026, 11, 25))
    assert local_days(ended, TOKYO, utc(2026, 11, 20), 10) == [date(2026, 11, 23), date(2026, 11, 24),
                                                             date(2026, 11, 25)]
    assert next_occurrence(ended, TOKYO, after=utc(2026, 11, 25, 15)) is None


def test_count_stops_the_series_even_when_the_window_starts_later() -> None:
    counted = Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(9), count=3)
    found = between(counted, "UTC", utc(2026, 11, 25), 10)
    assert [(o.index, o.key) for o in found] == [(2, "2026-11-25")]
    assert next_occurrence(counted, "UTC", after=utc(2026, 11, 25, 10)) is None


def test_count_and_end_date_together_stop_at_whichever_comes_first() -> None:
    rec = Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(9), count=10, end_date=date(2026, 11, 24))
    assert len(between(rec, "UTC", utc(2026, 11, 1), 60)) == 2
    rec = Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(9), count=2, end_date=date(2026, 12, 24))
    assert len(between(rec, "UTC", utc(2026, 11, 1), 60)) == 2


def test_indexes_are_series_positions_whichever_windows_compute_them() -> None:
    rec = Recurrence(kind="every_n_weeks", start=date(2025, 1, 6), at=time(9), weekdays=(0, 3), interval_weeks=2)
    day = utc(2026, 10, 1)
    chunked = [o for step in range(8) for o in between(rec, BERLIN, day + timedelta(days=7 * step), 7)]
    whole = between(rec, BERLIN, day, 56)
    assert chunked == whole
    assert [o.index for o in whole] == list(range(whole[0].index, whole[0].index + len(whole)))
    assert between(rec, BERLIN, utc(2025, 1, 1), 14)[0].index == 0


def test_a_series_started_years_ago_keeps_its_numbering_from_window_to_window() -> None:
    rec = Recurrence(kind="cron", start=date(2023, 1, 2), cron="0 9,13 * * 1-5")
    occurrences_between(rec, TOKYO, start=utc(2026, 10, 1), end=utc(2026, 11, 1))
    later = occurrences_between(rec, TOKYO, start=utc(2026, 11, 1), end=utc(2026, 12, 1))
    assert len(later) == 2 * 21
    workdays_before = local_days(Recurrence(kind="workdays", start=date(2023, 1, 2), at=time(9)), "UTC",
                                 utc(2023, 1, 1), (date(2026, 11, 1) - date(2023, 1, 1)).days)
    assert later[0].index == 2 * len(workdays_before)


def test_latest_occurrence_coalesces_five_missed_daily_occurrences_into_the_newest() -> None:
    rec = Recurrence(kind="cron", start=date(2026, 11, 1), cron="0 10 * * *")
    down_from, back_at = utc(2026, 11, 2, 11), utc(2026, 11, 7, 12)
    assert len(occurrences_between(rec, "UTC", start=down_from, end=back_at)) == 5
    latest = latest_occurrence_at_or_before(rec, "UTC", moment=back_at, not_before=down_from)
    assert latest is not None and (latest.key, latest.index) == ("2026-11-07", 6)


def test_latest_occurrence_includes_both_ends_and_can_be_none() -> None:
    rec = Recurrence(kind="cron", start=date(2026, 11, 1), cron="0 10 * * *")
    exactly = latest_occurrence_at_or_before(rec, "UTC", moment=utc(2026, 11, 3, 10), not_before=utc(2026, 11, 3, 10))
    assert exactly is not None and exactly.key == "2026-11-03"
    none_yet = latest_occurrence_at_or_before(rec, "UTC", moment=utc(2026, 11, 3, 9), not_before=utc(2026, 11, 2, 11))
    assert none_yet is None


def test_next_occurrence_is_strictly_after() -> None:
    rec = Recurrence(kind="workdays", start=date(2026, 11, 20), at=time(9))
    following = next_occurrence(rec, BERLIN, after=utc(2026, 11, 20, 8))  # exactly Fri 09:00 in Berlin
    assert following is not None and following.key == "2026-11-23"


def test_unknown_time_zone_is_a_clear_error() -> None:
    rec = Recurrence(kind="workdays", start=date(2026, 12, 1), at=time(9))
    for call in (lambda: next_occurrence(rec, "Mars/Olympus", after=utc(2026, 10, 1)),
                 lambda: occurrences_between(rec, "Mars/Olympus", start=utc(2026, 10, 1), end=utc(2026, 10, 1))):
        with pytest.raises(RecurrenceError, match="'Mars/Olympus' is not a time zone") as raised:
            call()
        assert raised.value.field == "timezone"


def test_naive_datetimes_are_refused() -> None:
    rec = Recurrence(kind="workdays", start=date(2026, 12, 1), at=time(9))
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences_between(rec, "UTC", start=datetime(2026, 12, 1), end=utc(2026, 12, 5))


# --- validating, describing, storing -----------------------------------------------------------------


@pytest.mark.parametrize(("rec", "field", "says"), [
    (Recurrence(kind="weekly", start=date(2026, 12, 1), at=time(9)), "weekdays", "at least one day"),
    (Recurrence(kind="workdays", start=date(2026, 12, 1)), "time", "time of day"),
    (Recurrence(kind="once", start=date(2026, 1, 5), at=time(9)), "date", "Mon 5 Jan 2026 is in the past"),
    (Recurrence(kind="workdays", start=date(2026, 2, 1), at=time(9), end_date=date(2026, 1, 5)), "end_date",
     "The end date 2026-01-05 is before the start 2026-02-01."),
    (Recurrence(kind="workdays", start=date(2026, 12, 1), at=time(9), count=0), "count", "from 1 to 1000, not 0"),
    (Recurrence(kind="workdays", start=date(2026, 12, 1), at=time(9), count=1001), "count", "not 1001"),
    (Recurrence(kind="monthly", start=date(2026, 12, 1), at=time(9), day_of_month=32), "day_of_month", "1 to 31"),
    (Recurrence(kind="every_n_weeks", start=date(2026, 12, 1), at=time(9), weekdays=(0,), interval_weeks=1),
     "interval", "every 2 to 12 weeks, not 1"),
    (Recurrence(kind="cron", start=date(2026, 12, 1), cron="0 9 * * 8"), "cron", "not a weekday"),
    (Recurrence(kind="hourly", start=date(2026, 12, 1), at=time(9)), "when", "not a kind of schedule"),
])
def test_invalid_schedules_name_the_field(rec: Recurrence, field: str, says: str) -> None:
    with pytest.raises(RecurrenceError) as raised:
        rec.validate(today=date(2026, 11, 22))
    assert raised.value.field == field
    assert says in str(raised.value)


def test_valid_schedules_pass_including_end_date_with_count() -> None:
    for rec in (Recurrence(kind="once", start=date(2026, 11, 22), at=time(9)),
                Recurrence(kind="workdays", start=date(2026, 11, 23), at=time(9), end_date=date(2026, 12, 31), count=5),
                Recurrence(kind="cron", start=date(2026, 11, 23), cron="*/30 9-17 * jan-dec mon-fri")):
        rec.validate(today=date(2026, 11, 22))


@pytest.mark.parametrize(("rec", "text"), [
    (Recurrence(kind="workdays", start=date(2026, 12, 1), at=time(9)), "every weekday at 09:00"),
    (Recurrence(kind="weekly", start=date(2026, 12, 1), at=time(9), weekdays=(3, 0), end_date=date(2026, 12, 31)),
     "every Mon and Thu at 09:00 until 2026-12-31"),
    (Recurrence(kind="weekly", start=date(2026, 12, 1), at=time(9), weekdays=(0, 2, 4)),
     "every Mon, Wed and Fri at 09:00"),
    (Recurrence(kind="every_n_weeks", start=date(2026, 12, 1), at=time(8, 30), weekdays=(1,), interval_weeks=2,
                count=6),
     "every 2 weeks on Tue at 08:30, 6 times"),
    (Recurrence(kind="monthly", start=date(2026, 12, 1), at=time(9), day_of_month=1), "monthly on day 1 at 09:00"),
    (Recurrence(kind="cron", start=date(2026, 12, 1), cron="0 9 * * 1-5"), "cron 0 9 * * 1-5"),
    (Recurrence(kind="once", start=date(2026, 12, 7), at=time(9)), "once on Mon 7 Dec 2026 at 09:00"),
    (Recurrence(kind="workdays", start=date(2026, 12, 1), at=time(9), end_date=date(2027, 1, 31), count=1),
     "every weekday at 09:00 until 2027-01-31, at most 1 time"),
])
def test_describe(rec: Recurrence, text: str) -> None:
    assert rec.describe() == text


@pytest.mark.parametrize("rec", [
    Recurrence(kind="every_n_weeks", start=date(2026, 12, 1), at=time(8, 30), weekdays=(3, 1), interval_weeks=2,
               count=6),
    Recurrence(kind="monthly", start=date(2026, 12, 1), at=time(9, 0, 30), day_of_month=31,
               end_date=date(2027, 6, 30)),
    Recurrence(kind="cron", start=date(2026, 12, 1), cron="0 9 * * 1-5"),
    Recurrence(kind="once", start=date(2026, 12, 1), at=time(23, 59)),
])
def test_json_round_trips_exactly(rec: Recurrence) -> None:
    assert Recurrence.from_json(rec.to_json()) == rec


def test_stored_json_keeps_its_hh_mm_form() -> None:
    stored = ('{"at": "09:00", "count": null, "cron": null, "day_of_month": null, "end_date": null, '
              '"interval_weeks": 1, "kind": "workdays", "start": "2026-12-01", "weekdays": []}')
    assert Recurrence.from_json(stored).to_json() == stored


def test_unreadable_json_is_a_recurrence_error() -> None:
    with pytest.raises(RecurrenceError, match="cannot be read"):
        Recurrence.from_json('{"kind": "weekly"}')


@pytest.mark.parametrize("rec", [
    Recurrence(kind="every_n_weeks", start=date(2026, 3, 2), at=time(2, 30), weekdays=(0, 6), interval_weeks=2,
               count=9),
    Recurrence(kind="cron", start=date(2026, 10, 30), cron="30 1 * * *"),  # the fall-back 01:30 happens twice
    Recurrence(kind="monthly", start=date(2026, 1, 1), at=time(9, 0), day_of_month=31, count=7),
])
def test_a_walk_resumed_from_each_stored_checkpoint_equals_one_from_the_start(rec: Recurrence) -> None:
    tz = "America/New_York"
    begin, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)
    expected = occurrences_between(rec, tz, start=begin, end=end)
    walk = first_after(rec, tz, after=begin - timedelta(microseconds=1))
    walked: list[str] = []
    moment = begin
    while walk.next_due is not None and moment < end:  # a step a week, each from the checkpoint the last left
        moment += timedelta(days=7)
        walk = walk_from(rec, tz, cursor=walk.cursor, index=walk.index, until=min(moment, end))
        walked += [occurrence.key for occurrence in walk.found]
    assert walked == [occurrence.key for occurrence in expected]
    assert len(walked) == (rec.count or len(expected))
