"""What long work says while it runs: a line per stage, a line every few seconds in a long loop, and a closing count.

Progress goes to the `drumbeat.progress` loggers, so the same lines serve both ends: under `drumbeat run` they are
ordinary INFO log lines (text or JSON, as LOG_FORMAT says), and the admin commands that run long work (`org
import`, `org sync`, `db upgrade`, `dispatch --until-idle`) show them on stderr as plain lines while they run
(`shown_on_stderr`), whatever LOG_LEVEL is. The closing count is the command's result and goes to stdout, so a
script can keep it and still see the progress. The lines are shown whether or not stderr is a terminal: they are
few (a handful of stages, one line per `interval` seconds at most), and a cron or CI log is where an admin most
needs to see how far a slow import got before it stopped.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

LOGGER = "drumbeat.progress"
DEFAULT_INTERVAL_SECONDS = 2.0


def progress_log(topic: str) -> logging.Logger:
    """The logger a piece of long work reports on (`drumbeat.progress.<topic>`)."""
    return logging.getLogger(f"{LOGGER}.{topic}")


def seconds(elapsed: float) -> str:
    """A duration as people say it: "0.4 s", "2.1 s", "3 min 05 s"."""
    if elapsed < 60:
        return f"{elapsed:.1f} s"
    minutes, rest = divmod(int(round(elapsed)), 60)
    return f"{minutes} min {rest:02d} s"


class Every:
    """Says a line at most once per `interval` seconds, the first one `interval` after it was made, so a loop over
    a million rows reports every few seconds, not a million times, and a quick one says nothing but its stages."""

    def __init__(self, log: logging.Logger, interval: float | None = None,
                 *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self.interval = DEFAULT_INTERVAL_SECONDS if interval is None else interval
        self._monotonic = monotonic
        self._last = monotonic()

    def ready(self) -> bool:
        """Whether a line is due now (and, if so, the next one is `interval` from now): for a line that costs
        something to compose, such as a count query."""
        now = self._monotonic()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True

    def __call__(self, message: str, *args: object) -> None:
        if self.ready():
            self.log.info(message, *args)


class Stopwatch:
    """Elapsed time since it was made, for a closing count ("... in 2.1 s")."""

    def __init__(self, monotonic: Callable[[], float] = time.perf_counter) -> None:
        self._monotonic = monotonic
        self._start = monotonic()

    def took(self) -> str:
        return seconds(self._monotonic() - self._start)


@contextmanager
def shown_on_stderr(stream: TextIO | None = None) -> Iterator[None]:
    """While an admin command runs: progress lines as plain text on stderr (and not again in the log)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(LOGGER)
    before = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before[0])
        logger.propagate = before[1]
