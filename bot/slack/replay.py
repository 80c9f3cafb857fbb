"""Signatures already seen, in memory: a replayed request is refused without waiting for the database.

A Slack signature is good for 5 minutes, so a captured request could be replayed within that window. Each
instance remembers the signatures it accepted for `SIGNATURES_KEPT` (twice the window) and refuses a second
one. This is in memory on purpose: the check runs before the acknowledgement, and a database write there
queued, on SQLite behind every long write transaction (50 sends to 10,000 people held the one write lock in
turn, and acknowledgements timed out), on PostgreSQL for a pooled connection and a commit (help's p50 went from
26 ms to 109 ms at 50 at once). A replay sent to another instance is not refused, and still acts once: every
side effect is idempotent by its own key (a command's trigger id, a modal's view id, a delivery's row).

Memory is bounded: at most `LIMIT` signatures (about 150 bytes each); past that the oldest is forgotten first,
which only matters above 300 requests a second sustained for ten minutes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Final

from storage.queries.receipts import SIGNATURES_KEPT

LIMIT: Final = 200_000


class SeenSignatures:
    """Signatures accepted within the last `SIGNATURES_KEPT`, oldest first."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def first_time(self, signature: str, now: datetime) -> bool:
        """Remember `signature`; False if it was already seen within the window."""
        with self._lock:
            self._forget_before(now - SIGNATURES_KEPT)
            if signature in self._seen:
                return False
            self._seen[signature] = now
            while len(self._seen) > self._limit:
                self._seen.popitem(last=False)
            return True

    def forget(self, signature: str) -> None:
        """Un-see a signature whose request was refused for another reason (so Slack's retry is accepted)."""
        with self._lock:
            self._seen.pop(signature, None)

    def _forget_before(self, cutoff: datetime) -> None:
        while self._seen:
            oldest, seen_at = next(iter(self._seen.items()))
            if seen_at >= cutoff:
                return
            del self._seen[oldest]

    def __len__(self) -> int:
        return len(self._seen)
