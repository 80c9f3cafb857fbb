"""A long-running process outlives database outages (one line when it starts, one when it ends) and stops
within its budget when asked."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.lifecycle import Shutdown, dispatch_until_stopped
from schedules.outages import OutageLog, is_database_outage
from schedules.outbox import DispatchReport

OUTAGE = OperationalError("SELECT 1", {}, Exception("connection refused"))


def scripted_tick(outcomes: list[object]) -> Callable[[], DispatchReport]:
    """A tick that raises or returns each outcome in turn."""
    def tick() -> DispatchReport:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[return-value]

    return tick


def test_dispatch_loop_waits_out_a_database_outage_and_says_so_twice(caplog: pytest.LogCaptureFixture) -> None:
    outcomes: list[object] = [OUTAGE, OUTAGE, OUTAGE, DispatchReport(sent=2), DispatchReport()]
    stop, tick = threading.Event(), scripted_tick(outcomes)
    database = OutageLog("the database", logging.getLogger("test.outage"), first_wait=0.001, longest_wait=0.002)
    with caplog.at_level(logging.WARNING):
        dispatch_until_stopped(tick, lambda: bool(outcomes), stop, interval=0.001, until_idle=True, database=database)
    lines = [record.getMessage() for record in caplog.records]
    assert outcomes == []
    assert len(lines) == 2
    assert "the database is unreachable" in lines[0]
    assert "reachable again" in lines[1] and "3 failed attempts" in lines[1]


def test_a_bug_in_a_tick_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    outcomes: list[object] = [ValueError("bug"), DispatchReport()]
    stop, tick = threading.Event(), scripted_tick(outcomes)
    dispatch_until_stopped(tick, lambda: False, stop, interval=0.001, until_idle=True)
    assert outcomes == []
    assert any("dispatch tick failed" in record.getMessage() for record in caplog.records)


def test_database_outages_are_told_from_bugs_in_statements() -> None:
    assert is_database_outage(OUTAGE)
    assert not is_database_outage(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_database_outage(ValueError("bug"))


def test_a_stop_that_takes_too_long_exits_anyway_with_status_zero() -> None:
    exits: list[int] = []
    stopped: list[str] = []
    shutdown = Shutdown(0.05, exit_now=exits.append)
    shutdown.on_stop(lambda: stopped.append("dispatcher"))
    shutdown.request("SIGTERM")
    shutdown.request("SIGTERM")  # a second signal changes nothing
    assert shutdown.event.wait(1)
    for _ in range(100):
        if exits:
            break
        threading.Event().wait(0.01)
    assert exits == [0]
    assert stopped == ["dispatcher"]
