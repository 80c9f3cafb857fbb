"""Injected failures: the ways the network and Slack fail that a bot must survive.

A fault is queued per method and consumed by the next calls to that method. Kinds:
an HTTP error status with a Slack-like body, an ``ok: false`` answer with a chosen
error code, a connection dropped without an answer, or an answer delayed by real
seconds (the delayed call then runs normally, which is what makes a client-side
timeout dangerous: Slack may have done the work although the client gave up). A
delay can be a random range (``delay`` to ``delay_max``), for a Slack that is slow
by varying amounts, as it is under load. A call can also be held until the test releases it (`Hold`), so a test
checks what happens *while* Slack is slow by the order of events, never by timing.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field

#: The longest a held call waits for its release: a test that forgets to release cannot hang the emulator.
HOLD_BUDGET_SECONDS = 30.0


class Hold:
    """Holds the calls of a fault until `release()`; `wait_arrived()` tells a test a held call has come in."""

    def __init__(self) -> None:
        self._arrived = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    @property
    def released(self) -> bool:
        return self._released.is_set()

    def wait_arrived(self, timeout: float = 10.0) -> bool:
        return self._arrived.wait(timeout)

    def block(self) -> None:
        self._arrived.set()
        self._released.wait(HOLD_BUDGET_SECONDS)

#: Error code in the body of an injected HTTP error, by status (Slack's generic
#: errors: ``fatal_error``, ``service_unavailable``, ``request_timeout``).
_STATUS_ERRORS: dict[int, str] = {
    408: "request_timeout",
    429: "ratelimited",
    500: "fatal_error",
    502: "service_unavailable",
    503: "service_unavailable",
    504: "request_timeout",
}


@dataclass
class Fault:
    """One queued failure, applying to the next ``times`` calls."""

    status: int | None = None
    error: str | None = None
    reset: bool = False
    delay: float = 0.0
    times: int = 1
    #: When set, each call waits a uniformly random time between ``delay`` and this.
    delay_max: float | None = None
    #: When set, each call first waits for the test to release it.
    hold: Hold | None = None
    #: The delay each call was given, in order (a test checks a random range by these, not by a stopwatch).
    waits: list[float] = field(default_factory=list)

    def wait_seconds(self) -> float:
        """How long this call is held before it is answered (or takes effect)."""
        wait = self.delay if self.delay_max is None else random.uniform(self.delay, self.delay_max)
        self.waits.append(wait)
        return wait

    @property
    def only_delays(self) -> bool:
        """True when the call should still be served, just late."""
        return not self.reset and self.status is None and self.error is None

    def answer(self) -> tuple[int, dict[str, object], dict[str, str]]:
        """HTTP status, JSON body and extra headers for a failing answer."""
        status = self.status if self.status is not None else 200
        error = self.error or _STATUS_ERRORS.get(status, "fatal_error")
        headers = {"Retry-After": "1"} if status == 429 else {}
        return status, {"ok": False, "error": error}, headers


class FaultBook:
    """Queued faults per method; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = defaultdict(deque)

    def add(self, method: str, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        if fault.delay < 0:
            raise ValueError("delay must not be negative")
        if fault.delay_max is not None and fault.delay_max < fault.delay:
            raise ValueError("delay_max must not be less than delay")
        with self._lock:
            self._queues[method].append(fault)

    def take(self, method: str) -> Fault | None:
        """The fault for this call, if any, counting it as used once."""
        with self._lock:
            queue = self._queues.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.popleft()
            return fault

    def pending(self, method: str) -> int:
        """How many calls to `method` the queued faults still apply to."""
        with self._lock:
            return sum(fault.times for fault in self._queues.get(method, ()))

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
