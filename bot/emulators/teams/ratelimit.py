"""Microsoft's published rate limits for bots, on the emulator's clock.

From Teams' "Optimize your bot with rate limiting" page: per bot per conversation (thread), for each kind of
operation (sending, creating a conversation, reading members...), at most 7 calls in any 1 s, 8 in 2 s, 60 in
30 s and 1,800 in 3,600 s; and per app per tenant about 50 calls per second across all conversations. Over
a limit the service answers 429 with Retry-After. Each limit is a sliding window of call times; a call is
admitted only when every window that applies to it has room, and only admitted calls use budget (a refused
call changes nothing, as with the Slack emulator).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]

#: (window seconds, calls allowed in it), per bot per conversation per operation.
PER_CONVERSATION: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
#: Per app per tenant, all operations together.
PER_TENANT: tuple[tuple[float, int], ...] = ((1.0, 50),)


class Window:
    """At most `limit` admitted calls in any `seconds` span."""

    def __init__(self, seconds: float, limit: int) -> None:
        self.seconds = seconds
        self.limit = limit
        self._stamps: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more call fits (0 when it fits now)."""
        while self._stamps and self._stamps[0] <= now - self.seconds:
            self._stamps.popleft()
        if len(self._stamps) < self.limit:
            return 0.0
        return self._stamps[len(self._stamps) - self.limit] + self.seconds - now

    def take(self, now: float) -> None:
        self._stamps.append(now)


def retry_after_seconds(wait: float) -> int:
    """Retry-After is whole seconds and at least 1."""
    return max(1, math.ceil(wait - 1e-9))


class RateLimiter:
    """Thread-safe admission for connector calls."""

    def __init__(
        self,
        clock: Clock,
        *,
        enabled: bool = True,
        per_conversation: tuple[tuple[float, int], ...] = PER_CONVERSATION,
        per_tenant: tuple[tuple[float, int], ...] = PER_TENANT,
    ) -> None:
        self.enabled = enabled
        self._clock = clock
        self._lock = threading.Lock()
        self._per_conversation = per_conversation
        self._per_tenant = per_tenant
        self._windows: dict[tuple[str, ...], list[Window]] = {}

    def _for(self, key: tuple[str, ...], limits: tuple[tuple[float, int], ...]) -> list[Window]:
        found = self._windows.get(key)
        if found is None:
            found = self._windows[key] = [Window(seconds, limit) for seconds, limit in limits]
        return found

    def admit(self, operation: str, *, tenant_id: str | None, conversation_id: str | None) -> float | None:
        """None when the call may go through (its budget is then used), else the seconds to wait."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            windows: list[Window] = []
            if tenant_id:
                windows += self._for(("tenant", tenant_id), self._per_tenant)
            if conversation_id:
                windows += self._for(("conversation", conversation_id, operation), self._per_conversation)
            wait = max((w.wait(now) for w in windows), default=0.0)
            if wait > 0:
                return wait
            for window in windows:
                window.take(now)
            return None
