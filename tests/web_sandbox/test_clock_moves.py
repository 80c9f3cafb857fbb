"""Where the clock's jumps land."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot.web_sandbox.clock import next_local


def test_next_monday_0800_in_tokyo_is_sunday_2300_utc() -> None:
    tuesday = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
    assert next_local(tuesday, zone="Asia/Tokyo", weekday=0, at=time(8, 0)) == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)


def test_a_jump_from_the_very_moment_goes_a_week_ahead() -> None:
    monday_eight_new_york = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    assert next_local(monday_eight_new_york, zone="America/New_York", weekday=0, at=time(8, 0)) == \
        datetime(2026, 12, 7, 13, 0, tzinfo=UTC)


def test_the_jump_follows_daylight_saving_in_the_zone_asked_for() -> None:
    before_spring_forward = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # New York moves to EDT on 14 March
    assert next_local(before_spring_forward, zone="America/New_York", weekday=0, at=time(8, 0)) == \
        datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
