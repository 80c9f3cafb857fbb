"""Outages of what Drumbeat depends on (the database, a chat platform): said once, waited out, recovered.

A long-running process must not die, nor log a traceback every tick, because PostgreSQL restarted or Slack is
down: it says so in one line when the outage starts, backs off, and says so again when it is over.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout


def is_database_outage(error: BaseException) -> bool:
    """A database that cannot be reached (or dropped our connection), as opposed to a bug in a statement."""
    if isinstance(error, OperationalError | InterfaceError | PendingRollbackError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class OutageLog:
    """Tracks one dependency's outage: the first failure is logged, later ones are counted, recovery is logged."""

    def __init__(self, what: str, logger: logging.Logger, *, monotonic: Callable[[], float] = time.monotonic,
                 first_wait: float = 1.0, longest_wait: float = 30.0) -> None:
        self.what = what
        self.log = logger
        self.monotonic = monotonic
        self.first_wait = first_wait
        self.longest_wait = longest_wait
        self.since: float | None = None
        self.failures = 0
        self._lock = threading.Lock()  # the scheduler's jobs share one account from several threads

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException) -> float:
        """Note a failure; return how long to wait before trying again (exponential, with jitter)."""
        with self._lock:
            if self.since is None:
                self.since = self.monotonic()
                self.log.warning("%s is unreachable (%s); retrying with back-off until it is back",
                                 self.what, _one_line(error))
            self.failures += 1
            wait = min(self.longest_wait, self.first_wait * 2 ** (self.failures - 1))
        return wait * random.uniform(0.8, 1.2)

    def succeeded(self) -> None:
        with self._lock:
            if self.since is None:
                return
            self.log.warning("%s is reachable again after %.0f s (%s failed attempts)",
                             self.what, self.monotonic() - self.since, self.failures)
            self.since, self.failures = None, 0


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200] if text else ''}"
