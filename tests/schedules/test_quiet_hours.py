from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from schedules.quiet_hours import QuietHours

BERLIN = "Europe/Berlin"


def at(local: str, tz: str = BERLIN) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local(moment: datetime, tz: str = BERLIN) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


def test_tuesday_evening_moves_to_wednesday_morning() -> None:
    assert local(QuietHours().next_allowed(at("2026-11-24 20:00"), BERLIN)) == "Wed 2026-11-25 08:00"


def test_friday_evening_moves_to_monday_morning() -> None:
    assert local(QuietHours().next_allowed(at("2026-11-27 19:30"), BERLIN)) == "Mon 2026-11-30 08:00"


def test_working_hours_are_allowed_as_they_are() -> None:
    moment = at("2026-11-24 10:15")
    assert QuietHours().next_allowed(moment, BERLIN) == moment


def test_a_window_inside_one_day() -> None:
    lunch = QuietHours(start=time(12), end=time(13), weekends_off=False)
    assert local(lunch.next_allowed(at("2026-11-24 12:30"), BERLIN)) == "Tue 2026-11-24 13:00"
    assert lunch.allowed(at("2026-11-24 23:00"), BERLIN)


def test_equal_start_and_end_means_no_quiet_hours() -> None:
    assert QuietHours.parse("off").allowed(at("2026-11-28 03:00"), BERLIN)


def test_spring_forward_morning_is_still_a_real_instant() -> None:
    early = QuietHours(start=time(22), end=time(2, 30), weekends_off=False)
    moved = early.next_allowed(at("2026-03-08 01:00", "America/New_York"), "America/New_York")
    assert local(moved, "America/New_York") == "Sun 2026-03-08 03:30"


@pytest.mark.parametrize(("text", "expected"), [
    ("19:00-08:00", QuietHours()),
    ("22:00-07:00 no-weekends", QuietHours(start=time(22), end=time(7), weekends_off=False)),
])
def test_parse(text: str, expected: QuietHours) -> None:
    assert QuietHours.parse(text) == expected


@pytest.mark.parametrize("text", ["25:00-08:00", "evening", "19:00"])
def test_bad_quiet_hours_are_explained(text: str) -> None:
    with pytest.raises(ValueError):
        QuietHours.parse(text)
