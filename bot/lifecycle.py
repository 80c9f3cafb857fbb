"""How a long-running Drumbeat process stops, and how its loop outlives outages.

SIGTERM is what systemd, Docker and Kubernetes send; SIGINT is Ctrl-C. Either one sets a stop event: the
outbox stops claiming, finishes the send in flight and gives back the rows it claimed, HTTP requests in
flight are answered, and the process exits 0. A watchdog bounds the whole stop (DRUMBEAT_SHUTDOWN_SECONDS):
past it the process exits anyway, which is safe, because a send cut short is left uncertain and is looked
for on the platform before any resend (schedules.outbox).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from schedules.outages import OutageLog, is_database_outage
from schedules.outbox import DispatchReport

log = logging.getLogger(__name__)


class Shutdown:
    """A stop event set by SIGTERM or SIGINT (or by `request`), with a bounded time to stop in."""

    def __init__(self, budget_seconds: float, *, exit_now: Callable[[int], None] = os._exit) -> None:
        self.budget_seconds = budget_seconds
        self.event = threading.Event()
        self._on_stop: list[Callable[[], None]] = []
        self._exit_now = exit_now

    def install(self) -> Shutdown:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        return self

    def on_stop(self, callback: Callable[[], None]) -> None:
        self._on_stop.append(callback)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.request(signal.Signals(signum).name)

    def request(self, why: str) -> None:
        if self.event.is_set():
            return
        log.warning("%s received: stopping (at most %g s)", why, self.budget_seconds)
        self.event.set()
        for callback in self._on_stop:
            callback()
        threading.Thread(target=self._watchdog, name="drumbeat-shutdown-watchdog", daemon=True).start()

    def _watchdog(self) -> None:
        time.sleep(self.budget_seconds)
        log.warning("stopping took longer than %g s: exiting now; sends cut short are checked before any resend",
                    self.budget_seconds)
        logging.shutdown()
        self._exit_now(0)


def dispatch_until_stopped(
    tick: Callable[[], DispatchReport],
    has_due: Callable[[], bool],
    stop: threading.Event,
    *,
    interval: float,
    until_idle: bool = False,
    database: OutageLog | None = None,
    on_tick: Callable[[DispatchReport], None] | None = None,
) -> DispatchReport:
    """The dispatch worker's loop: tick, pause when idle, and wait out database outages instead of dying.
    Returns what all its ticks did together; `on_tick` is told that running total after each tick that sent."""
    database = database or OutageLog("the database", log)
    total = DispatchReport()
    while not stop.is_set():
        try:
            report = tick()
            idle = until_idle and not has_due()
        except Exception as error:
            if not is_database_outage(error):
                log.exception("dispatch tick failed; trying again in %g s", interval)
                stop.wait(interval)
                continue
            stop.wait(database.failed(error))
            continue
        database.succeeded()
        if report.touched:
            log.info("outbox: %s sent, %s recovered, %s retried, %s failed",
                     report.sent, report.recovered, report.retried, report.failed)
            _add(total, report)
            if on_tick is not None:
                on_tick(total)
        if idle:
            return total
        stop.wait(0 if report.touched else interval)
    return total


def _add(total: DispatchReport, report: DispatchReport) -> None:
    total.sent += report.sent
    total.recovered += report.recovered
    total.retried += report.retried
    total.failed += report.failed
    total.rate_limited += report.rate_limited
    total.taken_over += report.taken_over
