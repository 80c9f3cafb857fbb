"""The Teams SDK's event loop, on a thread of its own, and the one way sync code (the outbox, listeners, the
WSGI bridge) runs a coroutine on it: with a budget, so nothing waits on Teams for ever.

The SDK is asyncio-only and its HTTP client (httpx) belongs to the loop it was first used on, so every call
into the SDK goes through this one loop (docs/teams.md).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopTimeout(TimeoutError):
    """A coroutine on the SDK's loop did not finish within its budget (it is cancelled)."""


class SdkLoop:
    def __init__(self, name: str = "drumbeat-teams") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run `coroutine` on the loop and wait at most `timeout` seconds for its result (or its exception)."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as error:
            future.cancel()
            raise LoopTimeout(f"no answer within {timeout:g} s") from error

    def close(self, timeout: float = 5.0) -> None:
        if not self.loop.is_running():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()
