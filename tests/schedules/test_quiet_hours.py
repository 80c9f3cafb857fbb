"""Quiet hours in each rep's own zone: nights, weekends, windows inside a day, DST mornings, parsing."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from schedules.quiet_hours import QuietHours

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def at(local: str, tz: str = BERLIN, fold: int = 0) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz), fold=fold).astimezone(UTC)


def local(moment: datetime, tz: str = BERLIN) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M %Z")


def test_tuesday_evening_moves_to_wednesday_morning() -> None:
    assert local(QuietHours().next_allowed(at("2026-11-24 20:00"), BERLIN)) == "Wed 2026-11-25 08:00 CET"


def test_early_morning_moves_to_eight_the_same_day() -> None:
    assert local(QuietHours().next_allowed(at("2026-11-25 06:10"), BERLIN)) == "Wed 2026-11-25 08:00 CET"


def test_friday_evening_moves_to_monday_morning_with_weekends_off() -> None:
    assert local(QuietHours().next_allowed(at("2026-11-27 19:30"), BERLIN)) == "Mon 2026-11-30 08:00 CET"
    assert local(QuietHours().next_allowed(at("2026-11-28 11:00"), BERLIN)) == "Mon 2026-11-30 08:00 CET"


def test_friday_evening_moves_to_saturday_morning_without_weekends_off() -> None:
    nights_only = QuietHours(weekends_off=False)
    assert local(nights_only.next_allowed(at("2026-11-27 19:30"), BERLIN)) == "Sat 2026-11-28 08:00 CET"


def test_allowed_moments_come_back_as_they_are_in_utc() -> None:
    moment = datetime(2026, 11, 24, 10, 15, tzinfo=ZoneInfo(BERLIN))
    moved = QuietHours().next_allowed(moment, BERLIN)
    assert moved == moment and moved.tzinfo is UTC


def test_the_window_edges_start_quiet_and_end_allowed() -> None:
    quiet = QuietHours()
    assert quiet.allowed(at("2026-11-24 18:59"), BERLIN)
    assert not quiet.allowed(at("2026-11-24 19:00"), BERLIN)
    assert not quiet.allowed(at("2026-11-25 07:59"), BERLIN)
    assert quiet.allowed(at("2026-11-25 08:00"), BERLIN)


def test_the_same_instant_is_night_in_one_zone_and_day_in_another() -> None:
    instant = at("2026-11-24 21:00")  # 21:00 Berlin, 15:00 New York
    assert not QuietHours().allowed(instant, BERLIN)
    assert QuietHours().allowed(instant, NEW_YORK)


def test_a_window_inside_one_day() -> None:
    lunch = QuietHours(start=time(12), end=time(13), weekends_off=False)
    assert local(lunch.next_allowed(at("2026-11-24 12:30"), BERLIN)) == "Tue 2026-11-24 13:00 CET"
    assert lunch.allowed(at("2026-11-24 23:00"), BERLIN)
    assert lunch.allowed(at("2026-11-24 11:59"), BERLIN)


def test_equal_start_and_end_means_no_quiet_hours() -> None:
    always = QuietHours(start=time(9), end=time(9), weekends_off=False)
    for moment in ("2026-11-28 03:00", "2026-11-24 09:00", "2026-11-24 23:59"):
        assert always.allowed(at(moment), BERLIN)
        assert always.next_allowed(at(moment), BERLIN) == at(moment)
    assert QuietHours.parse("off") == QuietHours(start=time(0), end=time(0), weekends_off=False)


def test_weekends_alone_keep_weekdays_open_all_night() -> None:
    weekends = QuietHours.parse("weekends")
    assert weekends.allowed(at("2026-11-24 03:00"), BERLIN)
    assert local(weekends.next_allowed(at("2026-11-28 03:00"), BERLIN)) == "Mon 2026-11-30 00:00 CET"


def test_a_weekend_across_the_eu_clock_change_still_ends_at_eight_local() -> None:
    moved = QuietHours().next_allowed(at("2026-10-23 22:00"), BERLIN)  # clocks go back on Sun 25 Oct
    assert local(moved) == "Mon 2026-10-26 08:00 CET"
    assert moved == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)


def test_a_quiet_end_skipped_by_spring_forward_becomes_the_instant_the_clocks_jump() -> None:
    until_half_past_two = QuietHours(start=time(22), end=time(2, 30), weekends_off=False)
    moved = until_half_past_two.next_allowed(at("2026-03-08 01:00", NEW_YORK), NEW_YORK)
    assert local(moved, NEW_YORK) == "Sun 2026-03-08 03:00 EDT"  # 02:00-02:59 do not exist that night
    assert moved == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert until_half_past_two.allowed(moved, NEW_YORK)


def test_a_quiet_end_in_the_repeated_fall_back_hour() -> None:
    until_half_past_one = QuietHours(start=time(22), end=time(1, 30), weekends_off=False)
    first_pass = until_half_past_one.next_allowed(at("2026-11-01 00:30", NEW_YORK), NEW_YORK)
    assert first_pass == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second_pass = until_half_past_one.next_allowed(at("2026-11-01 01:00", NEW_YORK, fold=1), NEW_YORK)
    assert second_pass == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # the clock reads 01:00 again: 01:30 EST


def test_an_unknown_zone_falls_back_to_utc_rather_than_stopping_deliveries() -> None:
    moved = QuietHours().next_allowed(datetime(2026, 11, 24, 20, tzinfo=UTC), "Mars/Olympus")
    assert moved == datetime(2026, 11, 25, 8, tzinfo=UTC)


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        QuietHours().allowed(datetime(2026, 11, 24, 20), BERLIN)


@pytest.mark.parametrize(("text", "expected"), [
    ("19:00-08:00", QuietHours()),
    ("19:00-08:00 weekends", QuietHours()),
    ("22:00-07:00 no-weekends", QuietHours(start=time(22), end=time(7), weekends_off=False)),
    ("  21:30 - 7:15  Weekends ", QuietHours(start=time(21, 30), end=time(7, 15))),
    ("12:00-13:00", QuietHours(start=time(12), end=time(13))),
    ("off", QuietHours(start=time(0), end=time(0), weekends_off=False)),
])
def test_parse(text: str, expected: QuietHours) -> None:
    assert QuietHours.parse(text) == expected


@pytest.mark.parametrize(("text", "says"), [
    ("25:00-08:00", "'25:00' is not a time of day (HH:MM)"),
    ("19:00-08:60", "'08:60' is not a time of day (HH:MM)"),
    ("evening", "'evening' is not a window like 19:00-08:00"),
    ("19:00", "'19:00' is not a window like 19:00-08:00"),
    ("19:00-08:00 weekend", "'weekend' is not understood here: write 'weekends' or 'no-weekends'"),
    ("", "quiet hours are empty"),
])
def test_bad_quiet_hours_are_explained(text: str, says: str) -> None:
    with pytest.raises(ValueError) as raised:
        QuietHours.parse(text)
    assert says in str(raised.value)
