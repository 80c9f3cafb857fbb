"""A clock the sandbox and the tests can move: "next Monday 09:00 in Tokyo" without waiting for it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SimulatedClock:
    """Callable like `utc_now`; starts at `start` and moves only when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a simulated clock needs an aware start time")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, by: timedelta) -> datetime:
        with self._lock:
            self._now += by
            return self._now

    def set(self, moment: datetime) -> datetime:
        with self._lock:
            if moment.astimezone(UTC) < self._now:
                raise ValueError("a simulated clock does not go backwards")
            self._now = moment.astimezone(UTC)
            return self._now
