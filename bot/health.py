"""GET /healthz: whether the database answers, the dispatcher is alive and (in Socket Mode) Slack's WebSocket is
connected, cheaply, for load balancers and Docker.

A health check runs every few seconds from every balancer, so it costs one `SELECT 1` (bounded by a short
timeout: a database that hangs makes the check fail, never hang) and a read of the dispatcher's last heartbeat.
200 when both are fine, 503 when either is not, with a small JSON body saying which. It names no host, user or
error text (the endpoint is as public as the webhook); the cause goes to the log, once per outage.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from schedules.outages import OutageLog

log = logging.getLogger(__name__)

DATABASE_TIMEOUT_SECONDS = 2.0


class Heartbeat:
    """When the dispatcher last ran (or whether it is running now). A run can be long (a big fan-out is paced),
    and every send in it is bounded by the send timeout, so a run in progress counts as alive."""

    def __init__(self, stale_after: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.stale_after = stale_after
        self._monotonic = monotonic
        self._last: float | None = None
        self._running = 0
        self._lock = threading.Lock()

    def beat(self) -> None:
        with self._lock:
            self._last = self._monotonic()

    @contextmanager
    def running(self) -> Iterator[None]:
        with self._lock:
            self._running += 1
            self._last = self._monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                self._last = self._monotonic()

    def state(self) -> dict[str, Any]:
        with self._lock:
            if self._last is None:
                return {"ok": False, "state": "not started"}
            age = self._monotonic() - self._last
            if self._running:
                return {"ok": True, "state": "running"}
            alive = age <= self.stale_after
            return {"ok": alive, "state": "idle" if alive else "stalled", "last_run_seconds_ago": round(age, 1)}


class DatabaseProbe:
    """`SELECT 1` on a thread of its own, waited for at most `timeout`; one probe in flight at a time, so checks
    against a database that hangs do not pile up threads."""

    def __init__(self, engine: Engine, *, timeout: float = DATABASE_TIMEOUT_SECONDS) -> None:
        self.engine = engine
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drumbeat-health")
        self._in_flight: Future[None] | None = None
        self._lock = threading.Lock()
        self._outage = OutageLog("the database (health check)", log)

    def _select_one(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def state(self) -> dict[str, Any]:
        with self._lock:
            if self._in_flight is None or self._in_flight.done():
                self._in_flight = self._executor.submit(self._select_one)
            probe = self._in_flight
        try:
            probe.result(timeout=self.timeout)
        except FutureTimeout:
            self._outage.failed(TimeoutError(f"no answer to SELECT 1 within {self.timeout:g} s"))
            return {"ok": False, "state": f"no answer within {self.timeout:g} s"}
        except Exception as error:  # noqa: BLE001 - any failure is "not answering"; the cause goes to the log
            self._outage.failed(error)
            return {"ok": False, "state": "unreachable"}
        self._outage.succeeded()
        return {"ok": True, "state": "answers"}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


Check = Callable[[], dict[str, Any]]  # {"ok": bool, "state": "...", ...}: cheap, never blocking


def health_app(database: DatabaseProbe, dispatcher: Heartbeat,
               connections: Mapping[str, Check] | None = None) -> Callable[..., Iterable[bytes]]:
    """The WSGI answer of /healthz. `connections` are the long-lived links platforms hold instead of HTTP
    (Slack's Socket Mode: `slack_socket`), each read from its client's own state, never by sending anything."""
    connections = dict(connections or {})

    def application(_environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        checks = {"database": database.state(), "dispatcher": dispatcher.state(),
                  **{name: check() for name, check in connections.items()}}
        healthy = all(check["ok"] for check in checks.values())
        body = json.dumps({"status": "ok" if healthy else "failing", **checks}).encode()
        start_response("200 OK" if healthy else "503 Service Unavailable",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                        ("Cache-Control", "no-store")])
        return [body]

    return application
