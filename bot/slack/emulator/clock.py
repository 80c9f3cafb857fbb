"""Clocks for the emulator.

Everything time-dependent in the emulator (rate-limit windows, trigger_id expiry,
response_url expiry, message ``ts`` values, request-signing timestamps) reads one
injectable clock, so tests can move time forward instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

Clock = Callable[[], float]


class ManualClock:
    """A thread-safe clock that only moves when told to.

    It starts at the real current time by default, because the bot under test
    (Bolt) checks the ``X-Slack-Request-Timestamp`` of signed requests against
    its own wall clock and rejects anything more than five minutes off. Start it
    elsewhere only if you don't deliver signed requests after moving it far.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError("a ManualClock only moves forward")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, now: float) -> None:
        """Jump to an absolute time (forward only, like real time)."""
        with self._lock:
            if now < self._now:
                raise ValueError("a ManualClock only moves forward")
            self._now = float(now)

    def __repr__(self) -> str:
        return f"ManualClock({self():.6f})"
