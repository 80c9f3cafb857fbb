"""The runtime's pool for work after an acknowledgement (a broadcast written, a chart drawn, a file sent).

It can tell when nothing is left to do, so the sandbox and the tests can wait for what a person would see
a moment after their click, instead of sleeping and hoping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class BackgroundWork(ThreadPoolExecutor):
    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._pending: set[Future[Any]] = set()
        self._changed = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._changed:
            future = super().submit(fn, *args, **kwargs)
            self._pending.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: Future[Any]) -> None:
        with self._changed:
            self._pending.discard(future)
            self._changed.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted (and everything it submitted) has finished; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending, timeout)
