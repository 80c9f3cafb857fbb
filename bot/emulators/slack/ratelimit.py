"""Slack's rate limits, per method and per workspace, on the emulator's clock.

Windowed tiers (Tier 2/3/4 and auth.test) use a sliding 60 s window. chat.postMessage
has Slack's "special" limit: about one message per second per channel with short
bursts allowed, modelled as a token bucket per channel (capacity 3, refilling 1/s),
plus a workspace-wide budget modelled as a bucket refilling every second so that a
fan-out is paced smoothly rather than allowed in one burst per minute.

Only calls that are let through consume budget; a rejected call has no effect.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

from .contracts import CONTRACTS, SPECIAL_POST_MESSAGE, TIER_LIMITS_PER_MINUTE

Clock = Callable[[], float]  # epoch seconds: SimulatedClock.epoch, or time.time

WINDOW_SECONDS = 60.0
CHANNEL_BURST = 3.0
CHANNEL_RATE_PER_SECOND = 1.0


def _retry_after(seconds: float) -> int:
    """Retry-After is whole seconds, and at least 1 (as Slack sends it)."""
    return max(1, math.ceil(seconds - 1e-9))


class SlidingWindow:
    """At most ``limit`` calls in any ``WINDOW_SECONDS`` span."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._stamps: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more call would be allowed (0 if allowed now)."""
        while self._stamps and self._stamps[0] <= now - WINDOW_SECONDS:
            self._stamps.popleft()
        if len(self._stamps) < self.limit:
            return 0.0
        return self._stamps[0] + WINDOW_SECONDS - now

    def take(self, now: float) -> None:
        self._stamps.append(now)


class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``rate`` tokens per second."""

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self._tokens = capacity
        self._at = now

    def _refill(self, now: float) -> None:
        if now > self._at:
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now

    def wait(self, now: float) -> float:
        self._refill(now)
        if self._tokens >= 1.0 - 1e-9:
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self._tokens -= 1.0


class RateLimiter:
    """Decides whether a call may go through; thread-safe."""

    def __init__(self, clock: Clock, *, post_message_per_minute: int, enabled: bool = True) -> None:
        if post_message_per_minute < 1:
            raise ValueError("post_message_per_minute must be at least 1")
        self.enabled = enabled
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, SlidingWindow] = {}
        self._channels: dict[str, TokenBucket] = {}
        self._post_rate = post_message_per_minute / 60.0
        # A modest burst: about two seconds' worth, at least 3 (one channel's burst).
        self._post_capacity = float(min(post_message_per_minute, max(3, math.ceil(self._post_rate * 2))))
        self._workspace_posts: TokenBucket | None = None

    def admit(self, method: str, channel: str | None = None) -> int | None:
        """Consume budget for one call. Returns None when the call may proceed,
        or the Retry-After seconds when it is over a limit."""
        if not self.enabled:
            return None
        contract = CONTRACTS.get(method)
        if contract is None:
            return None
        now = self._clock()
        with self._lock:
            if contract.tier == SPECIAL_POST_MESSAGE:
                return self._admit_post(now, channel)
            window = self._windows.get(method)
            if window is None:
                window = self._windows[method] = SlidingWindow(TIER_LIMITS_PER_MINUTE[contract.tier])
            wait = window.wait(now)
            if wait > 0:
                return _retry_after(wait)
            window.take(now)
            return None

    def _admit_post(self, now: float, channel: str | None) -> int | None:
        if self._workspace_posts is None:
            self._workspace_posts = TokenBucket(self._post_capacity, self._post_rate, now)
        buckets = [self._workspace_posts]
        if channel:
            bucket = self._channels.get(channel)
            if bucket is None:
                bucket = self._channels[channel] = TokenBucket(CHANNEL_BURST, CHANNEL_RATE_PER_SECOND, now)
            buckets.append(bucket)
        wait = max(b.wait(now) for b in buckets)
        if wait > 0:
            return _retry_after(wait)
        for b in buckets:
            b.take(now)
        return None
