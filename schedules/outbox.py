"""The outbox: every message Drumbeat owes someone is a Delivery row; the dispatcher pays them, once.

Why rows and not direct sends: the row is written in the same transaction as the change that caused it,
so a crash can neither lose a message (the row is there) nor send it twice (the unique key and the claim
protocol below). The dispatcher never knows which chat platform it talks to: it hands a neutral
`Outgoing` to a `Sender` (schedules.sending), which each platform implements.

Claim protocol (schedules.claims holds its statements). Any number of dispatchers, in any number of
processes, may run on one database:
1. Claim: due rows go from `pending` to `sending` under a token unique to this run of this process
   (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so instances never wait on each other's rows).
2. Begin: just before the network call, one fenced statement (`WHERE claimed_by = token AND status =
   'sending'`) counts the attempt, renews the claim (`claimed_at = now`) and marks the row uncertain
   (`uncertain_since`). If it changes no row, the claim was taken over: this worker does not send.
3. Outcome: `sent`, a retry or a failure is recorded by the same fence; a definite outcome clears the
   uncertainty, an ambiguous one (timeout, reset after the request was written) keeps it.
4. Reclaim: a claimed row never begun is free again after `lease`; a begun row only after
   `max(lease, settle)` since its attempt began, and an uncertain pending row waits `settle` before its
   retry. Before a row that may have landed is sent again, the Sender looks for it on the platform by its
   idempotency key (`find_sent`); while that look fails, nothing is resent.

Why a row cannot be sent twice: a send happens only after a successful begin, by the one token that owned
the row at that instant; another token can own the row afterwards only once `settle` has passed since the
begin. `settle` is longer than any begun send can take to land (the client times out at 15 s; the default
settle is 60 s), so by then the first send has landed or never will, and the new owner's history check sees
it. Why none is lost: every begun or claimed row is reclaimable after a bounded time, whatever happened to
its claimer, and database errors never fail a row (the process backs off and resumes).

Why not a job library (procrastinate, pgqueuer): both are PostgreSQL-only, while SQLite is our zero-set-up
default; and neither can do the part that matters, proving on the chat platform that a message did not land.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from schedules.claims import Begun, ClaimPolicy, Claims, Composer, Unsendable
from schedules.outages import OutageLog
from schedules.sending import (  # noqa: F401  (re-exported: the outbox's vocabulary)
    DeliveryFailure,
    Outgoing,
    PermanentFailure,
    PlatformSenders,
    RateLimited,
    Sender,
    SentRef,
    TemporaryFailure,
)

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


def unique_worker_id() -> str:
    """host:pid:random, so claims of two processes (or two runs of one) can always be told apart."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class DispatchReport:
    sent: int = 0
    recovered: int = 0  # found already delivered (after a crash or a lost answer); not sent again
    retried: int = 0
    failed: int = 0
    rate_limited: int = 0
    taken_over: int = 0  # rows whose claim passed to another worker before we began them
    errors: list[str] = field(default_factory=list)

    @property
    def touched(self) -> int:
        return self.sent + self.recovered + self.retried + self.failed


class Dispatcher:
    """Claims due deliveries and sends them through a Sender, one at a time, pacing on Retry-After."""

    def __init__(
        self,
        engine: Engine,
        sender: Sender,
        compose: Composer,
        *,
        worker_id: str | None = None,
        clock: Clock = utc_clock,
        batch_size: int = 200,
        max_attempts: int = 8,
        lease: timedelta = timedelta(minutes=2),
        settle: timedelta = timedelta(seconds=60),
        sleep: Callable[[float], None] = time.sleep,
        max_wait_seconds: float = 30.0,
        outage_after: int = 3,
    ) -> None:
        self.sender = sender
        self.compose = compose
        self.worker_id = worker_id or unique_worker_id()
        self.clock = clock
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.claims = Claims(engine, clock, ClaimPolicy(lease=lease, settle=settle))
        self.sleep = sleep
        self.max_wait_seconds = max_wait_seconds
        self.outage_after = outage_after
        self.platform_outage = OutageLog("the chat platform", log)
        self._runs = itertools.count(1)
        self._stopping = threading.Event()
        self._failing_in_a_row = 0

    def stop(self) -> None:
        """Stop claiming; the run in progress finishes its current send and gives back the rest."""
        self._stopping.set()

    def dispatch_due(self) -> DispatchReport:
        """Send everything due now; return what happened. Safe to call from several processes."""
        report = DispatchReport()
        while not self._stopping.is_set():
            token = f"{self.worker_id}#{next(self._runs)}"
            claimed = self.claims.claim(token, self.batch_size)
            if not claimed:
                return report
            for index, delivery_id in enumerate(claimed):
                if self._stopping.is_set() or self._deliver_one(delivery_id, token, report):
                    rest = claimed[index:] if self._stopping.is_set() else claimed[index + 1 :]
                    self.claims.release(rest, token)
                    return report
        return report

    def _deliver_one(self, delivery_id: int, token: str, report: DispatchReport) -> bool:
        """Send one claimed row. Returns True when the run should stop (a long rate-limit pause, an outage)."""
        begun = self.claims.begin(delivery_id, token, self.compose)
        if begun is None:
            report.taken_over += 1
            return False
        if isinstance(begun, Unsendable):
            log.error("delivery %s cannot be composed: %s", delivery_id, begun.error)
            self._fail(delivery_id, token, begun.error, report)
            return False
        # The network calls happen outside any transaction: a slow platform never holds a database lock.
        looked = False
        try:
            ref = None
            if begun.possibly_sent:
                ref = self.sender.find_sent(begun.outgoing, since=begun.since)
                looked = True
                if ref is not None:
                    report.recovered += 1
            if ref is None:
                ref = self.sender.send(begun.outgoing)
                report.sent += 1
        except RateLimited as limited:
            return self._rate_limited(delivery_id, token, limited, report, uncertain=begun.possibly_sent and not looked)
        except TemporaryFailure as failure:
            uncertain = failure.ambiguous or (begun.possibly_sent and not looked)
            return self._temporary(delivery_id, token, begun, failure, report, uncertain=uncertain)
        except PermanentFailure as failure:
            self._fail(delivery_id, token, str(failure), report, uncertain=begun.possibly_sent and not looked)
            return False
        self._failing_in_a_row = 0
        self.platform_outage.succeeded()
        if not self.claims.sent(delivery_id, token, platform=ref.platform, conversation_id=ref.conversation_id,
                                message_id=ref.message_id):
            log.info("delivery %s was sent, but its claim had passed on; the new owner will find it by its key",
                     delivery_id)
        return False

    def _rate_limited(self, delivery_id: int, token: str, limited: RateLimited, report: DispatchReport,
                      *, uncertain: bool) -> bool:
        report.rate_limited += 1
        report.retried += 1
        wait = max(limited.retry_after, 0.0)
        # A 429 is a definite "not sent": the attempt does not count toward giving up.
        self.claims.retry(delivery_id, token, error=str(limited), wait=wait, uncertain=uncertain, count_attempt=False)
        if wait <= self.max_wait_seconds:
            self.sleep(wait)
            return False
        return True

    def _temporary(self, delivery_id: int, token: str, begun: Begun, failure: TemporaryFailure,
                   report: DispatchReport, *, uncertain: bool) -> bool:
        if begun.attempts >= self.max_attempts:
            self._fail(delivery_id, token, f"gave up after {begun.attempts} attempts: {failure}", report,
                       uncertain=uncertain)
        else:
            report.retried += 1
            self.claims.retry(delivery_id, token, error=str(failure), wait=self._backoff(begun.attempts),
                              uncertain=uncertain)
        self._failing_in_a_row += 1
        if self._failing_in_a_row >= self.outage_after:
            self.platform_outage.failed(failure)
            return True  # pause the run: the next tick tries again, the rows back off on their own
        return False

    def _backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter: 2, 4, 8 ... seconds, capped at 10 minutes."""
        return min(600.0, 2.0**attempts) * random.uniform(0.8, 1.2)

    def _fail(self, delivery_id: int, token: str, error: str, report: DispatchReport, *,
              uncertain: bool = False) -> None:
        report.failed += 1
        report.errors.append(f"delivery {delivery_id}: {error}")
        log.warning("delivery %s failed: %s", delivery_id, error)
        self.claims.fail(delivery_id, token, error=error, uncertain=uncertain)

