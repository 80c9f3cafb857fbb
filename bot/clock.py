"""The one simulated clock: the sandbox, the emulators and the tests move it instead of waiting.

The bot reads it as `utc_now` (an aware datetime); an emulator reads it as epoch seconds (`epoch`), which is
what its rate-limit windows, trigger expiry and message timestamps are made of. One object, so a test that
jumps to "next Monday 09:00 in Tokyo" moves both the bot's and the platform's time.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SimulatedClock:
    """Callable like `utc_now`; starts at `start` (default: the real time now) and moves only when told to.

    An emulator that sends signed requests must stay near real time (a bot rejects request timestamps more
    than five minutes off its own wall clock), which is why real time is the default start; an emulator given
    no clock at all follows real time.
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("a simulated clock needs an aware start time")
        self._now = (start or datetime.now(UTC)).astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def epoch(self) -> float:
        """The same instant as seconds since 1970 (the emulators' unit)."""
        return self().timestamp()

    def advance(self, by: timedelta | float) -> datetime:
        """Move forward by a timedelta or by seconds; never backwards."""
        step = by if isinstance(by, timedelta) else timedelta(seconds=by)
        if step < timedelta(0):
            raise ValueError("a simulated clock does not go backwards")
        with self._lock:
            self._now += step
            return self._now

    def set(self, moment: datetime | float) -> datetime:
        """Jump to an instant (an aware datetime or epoch seconds), forward only."""
        target = moment if isinstance(moment, datetime) else datetime.fromtimestamp(moment, UTC)
        with self._lock:
            if target.astimezone(UTC) < self._now:
                raise ValueError("a simulated clock does not go backwards")
            self._now = target.astimezone(UTC)
            return self._now

    def __repr__(self) -> str:
        return f"SimulatedClock({self().isoformat()})"
