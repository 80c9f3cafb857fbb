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

Batches: a claimed batch is begun a window at a time (one statement for up to `window` rows, composed with a
few set-based reads), and outcomes are recorded together (one fenced statement per flush, by count or age and
before any pause or return). A window's rows are sent one by one; before each send, if the window's begin (or
its last renewal) is older than `renew_after`, the rows not yet sent are renewed by one fenced statement, and a
row it does not renew is not sent. Ages count from the `claimed_at` the begin or renewal wrote (taken before the
statement, so a wait for SQLite's write lock or a stalled process counts against the budget, not for it); a renewal
that comes back already `renew_after` old gives the window back. So every send still starts within `renew_after` of
the claimed_at of a successful fenced begin or renewal by its token. Rows begun but given back unsent (a long pause, a stop) return as they were
(attempt taken back, uncertainty as before).

Why a row cannot be sent twice: a send happens only within `renew_after` of a successful begin or renewal, by
the one token that owned the row at that instant; another token can own the row afterwards only once `settle`
has passed since then. `settle` is longer than `renew_after` plus any begun send's time to land (the client
times out at 15 s; renew_after is at most 5 s; the default settle is 60 s), so by then the first send has
landed or never will, and the new owner's history check sees it. An outcome not yet recorded when its worker
dies leaves the row begun and uncertain: it is reclaimed after `settle` and looked for before any resend.
Why none is lost: every begun or claimed row is reclaimable after a bounded time, whatever happened to
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

from schedules.claims import (
    BatchComposer,
    Begun,
    ClaimPolicy,
    Claims,
    Composer,
    OneAtATime,
    Outcome,
    Unsendable,
)
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


class _Outcomes:
    """Outcomes waiting to be recorded together: flushed every `every` rows, when the oldest is `within` old, and
    before any pause, renewal or return, so the table lags the sends by a moment at most."""

    def __init__(self, claims: Claims, token: str, clock: Clock, *, every: int, within: timedelta) -> None:
        self.claims, self.token, self.clock = claims, token, clock
        self.every, self.within = every, within
        self._waiting: list[Outcome] = []
        self._oldest: datetime | None = None

    def add(self, outcome: Outcome) -> None:
        if not self._waiting:
            self._oldest = self.clock()
        self._waiting.append(outcome)
        if len(self._waiting) >= self.every or self.clock() - (self._oldest or self.clock()) >= self.within:
            self.flush()

    def flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        recorded = self.claims.record(waiting, self.token)
        if recorded < len(waiting):
            log.info("%s outcomes were not recorded: their claim had passed on (the new owner looks before sending)",
                     len(waiting) - recorded)


@dataclass
class _WindowClaim:
    """A window's claim as the database holds it: the claimed_at last written for its unsent rows, and the rows
    found taken over."""

    stamp: datetime
    lost: set[int] = field(default_factory=set)


class Dispatcher:
    """Claims due deliveries and sends them through a Sender, one at a time, pacing on Retry-After; begins and
    records them in batches (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        sender: Sender,
        compose: Composer | BatchComposer,
        *,
        worker_id: str | None = None,
        clock: Clock = utc_clock,
        batch_size: int = 200,
        window: int = 50,
        max_attempts: int = 8,
        lease: timedelta = timedelta(minutes=2),
        settle: timedelta = timedelta(seconds=60),
        sleep: Callable[[float], None] = time.sleep,
        max_wait_seconds: float = 30.0,
        outage_after: int = 3,
    ) -> None:
        self.sender = sender
        self.composer: BatchComposer = compose if hasattr(compose, "compose_many") else OneAtATime(compose)  # type: ignore[arg-type, assignment]
        self.worker_id = worker_id or unique_worker_id()
        self.clock = clock
        self.batch_size = batch_size
        self.window = max(1, window)
        self.max_attempts = max_attempts
        policy = ClaimPolicy(lease=lease, settle=settle)
        self.claims = Claims(engine, clock, policy)
        self.renew_after = min(timedelta(seconds=5), policy.begun_lease / 4)
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
            if not claimed or self._deliver_batch(claimed, token, report):
                return report
        return report

    def _deliver_batch(self, claimed: list[int], token: str, report: DispatchReport) -> bool:
        """Begin, send and record one claimed batch, a window at a time. True when the run should stop."""
        outcomes = _Outcomes(self.claims, token, self.clock, every=self.window, within=timedelta(seconds=1))
        try:
            for start in range(0, len(claimed), self.window):
                if self._stopping.is_set():
                    self.claims.release(claimed[start:], token)
                    return True
                ids = claimed[start:start + self.window]
                window = self.claims.begin_many(ids, token, self.composer)
                report.taken_over += len(ids) - len(window)
                if self._deliver_window(window, token, report, outcomes):
                    self.claims.release(claimed[start + self.window:], token)
                    return True
            return False
        finally:
            outcomes.flush()

    def _deliver_window(self, window: dict[int, Begun | Unsendable], token: str, report: DispatchReport,
                        outcomes: _Outcomes) -> bool:
        """Send a begun window's rows in order, renewing the unsent ones when the window takes a while."""
        rows = list(window.items())
        stamps = [row.begun_at for row in window.values() if isinstance(row, Begun) and row.begun_at is not None]
        claim = _WindowClaim(min(stamps, default=self.clock()))
        for index, (delivery_id, begun) in enumerate(rows):
            if isinstance(begun, Unsendable):
                log.error("delivery %s cannot be composed: %s", delivery_id, begun.error)
                self._fail(delivery_id, begun.error, report, outcomes)
                continue
            if self._stopping.is_set() or not self._keep_fresh(claim, rows[index:], token, report, outcomes):
                self._give_back(rows[index:], claim.lost, token, outcomes)
                return True
            if delivery_id in claim.lost:
                continue
            if self._deliver_one(delivery_id, begun, report, outcomes):
                self._give_back(rows[index + 1:], claim.lost, token, outcomes)
                return True
        return False

    def _keep_fresh(self, claim: _WindowClaim, unsent_rows: list[tuple[int, Begun | Unsendable]], token: str,
                    report: DispatchReport, outcomes: _Outcomes) -> bool:
        """Renew the window's unsent rows when their claim is `renew_after` old, counted from the claimed_at the
        database holds. False when two renewals in a row come back already that old (the database is too slow for
        a send to start safely within its budget): the run gives the rows back rather than risk a second owner."""
        for _ in range(2):
            if self.clock() - claim.stamp < self.renew_after:
                return True
            outcomes.flush()
            unsent = [row_id for row_id, row in unsent_rows if isinstance(row, Begun) and row_id not in claim.lost]
            kept, claim.stamp = self.claims.renew(unsent, token)
            claim.lost.update(set(unsent) - kept)
            report.taken_over += len(set(unsent) - kept)
        if self.clock() - claim.stamp < self.renew_after:
            return True
        log.warning("renewing a claim took longer than %s s: giving the rest of the window back",
                    self.renew_after.total_seconds())
        return False

    def _give_back(self, rows: list[tuple[int, Begun | Unsendable]], lost: set[int], token: str,
                   outcomes: _Outcomes) -> None:
        """Rows of a window not sent when the run stops: begun ones as they were before, the rest released."""
        for delivery_id, begun in rows:
            if isinstance(begun, Begun) and delivery_id not in lost:
                outcomes.add(Claims.unbegun_outcome(delivery_id, begun))
        outcomes.flush()
        self.claims.release([delivery_id for delivery_id, begun in rows if isinstance(begun, Unsendable)], token)

    def _deliver_one(self, delivery_id: int, begun: Begun, report: DispatchReport, outcomes: _Outcomes) -> bool:
        """Send one begun row. Returns True when the run should stop (a long rate-limit pause, an outage)."""
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
            return self._rate_limited(delivery_id, limited, report, outcomes,
                                      uncertain=begun.possibly_sent and not looked)
        except TemporaryFailure as failure:
            uncertain = failure.ambiguous or (begun.possibly_sent and not looked)
            return self._temporary(delivery_id, begun, failure, report, outcomes, uncertain=uncertain)
        except PermanentFailure as failure:
            self._fail(delivery_id, str(failure), report, outcomes, uncertain=begun.possibly_sent and not looked)
            return False
        self._failing_in_a_row = 0
        self.platform_outage.succeeded()
        outcomes.add(self.claims.sent_outcome(delivery_id, ref.platform, ref.conversation_id, ref.message_id))
        return False

    def _rate_limited(self, delivery_id: int, limited: RateLimited, report: DispatchReport, outcomes: _Outcomes,
                      *, uncertain: bool) -> bool:
        report.rate_limited += 1
        report.retried += 1
        wait = max(limited.retry_after, 0.0)
        # A 429 is a definite "not sent": the attempt does not count toward giving up.
        outcomes.add(self.claims.retry_outcome(delivery_id, error=str(limited), wait=wait, uncertain=uncertain,
                                               count_attempt=False))
        if wait <= self.max_wait_seconds:
            outcomes.flush()  # what is known is recorded before the pause
            self.sleep(wait)
            return False
        return True

    def _temporary(self, delivery_id: int, begun: Begun, failure: TemporaryFailure, report: DispatchReport,
                   outcomes: _Outcomes, *, uncertain: bool) -> bool:
        if begun.attempts >= self.max_attempts:
            self._fail(delivery_id, f"gave up after {begun.attempts} attempts: {failure}", report, outcomes,
                       uncertain=uncertain)
        else:
            report.retried += 1
            outcomes.add(self.claims.retry_outcome(delivery_id, error=str(failure), wait=self._backoff(begun.attempts),
                                                   uncertain=uncertain))
        self._failing_in_a_row += 1
        if self._failing_in_a_row >= self.outage_after:
            self.platform_outage.failed(failure)
            return True  # pause the run: the next tick tries again, the rows back off on their own
        return False

    def _backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter: 2, 4, 8 ... seconds, capped at 10 minutes."""
        return min(600.0, 2.0**attempts) * random.uniform(0.8, 1.2)

    def _fail(self, delivery_id: int, error: str, report: DispatchReport, outcomes: _Outcomes, *,
              uncertain: bool = False) -> None:
        report.failed += 1
        report.errors.append(f"delivery {delivery_id}: {error}")
        log.warning("delivery %s failed: %s", delivery_id, error)
        outcomes.add(self.claims.fail_outcome(delivery_id, error=error, uncertain=uncertain))
