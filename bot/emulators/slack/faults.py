"""Injected failures: the ways the network and Slack fail that a bot must survive.

A fault is queued per method and consumed by the next calls to that method. Kinds:
an HTTP error status with a Slack-like body, an ``ok: false`` answer with a chosen
error code, a connection dropped without an answer, or an answer delayed by real
seconds (the delayed call then runs normally, which is what makes a client-side
timeout dangerous: Slack may have done the work although the client gave up). A
delay can be a random range (``delay`` to ``delay_max``), for a Slack that is slow
by varying amounts, as it is under load.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict, deque
from dataclasses import dataclass

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

    def wait_seconds(self) -> float:
        """How long this call is held before it is answered (or takes effect)."""
        if self.delay_max is None:
            return self.delay
        return random.uniform(self.delay, self.delay_max)

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

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
