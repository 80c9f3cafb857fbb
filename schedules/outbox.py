"""The outbox: every message Drumbeat owes someone is a Delivery row; the dispatcher pays them, once.

Why rows and not direct sends: the row is written in the same transaction as the change that caused it,
so a crash can neither lose a message (the row is there) nor send it twice (the unique key and the
claim protocol below). The dispatcher never knows which chat platform it talks to: it hands a
platform-neutral `Outgoing` to a `Sender`, which each platform implements in `bot/<platform>/sender.py`.

Claim protocol: a dispatcher flips due rows from `pending` to `sending` (PostgreSQL: FOR UPDATE SKIP
LOCKED, so several instances can share the work), commits, sends, then records channel + ts as `sent`.
A row left in `sending` by a dispatcher that died may or may not have reached the recipient: before it
is sent again, the Sender is asked whether a message with that idempotency key is already there.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.address import Address
from storage.db import session_scope
from storage.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """What to say to whom, without saying how any platform says it."""

    recipient: Address  # the account it goes to; its platform picks the Sender
    kind: str  # names the platform template, e.g. "broadcast"
    context: dict[str, Any]
    fallback_text: str  # for notifications and screen readers
    idempotency_key: str


@dataclass(frozen=True)
class SentRef:
    """Where a sent message lives on its platform, so it can be updated later (Slack: channel and ts)."""

    platform: str
    conversation_id: str
    message_id: str


class DeliveryFailure(Exception):
    """Base for what a Sender reports when a send did not succeed."""


class RateLimited(DeliveryFailure):
    def __init__(self, retry_after: float, detail: str = "rate limited") -> None:
        super().__init__(f"{detail} (retry after {retry_after:g} s)")
        self.retry_after = retry_after


class TemporaryFailure(DeliveryFailure):
    """Worth retrying. `ambiguous` means the message may have arrived even so (e.g. connection lost)."""

    def __init__(self, detail: str, *, ambiguous: bool = False) -> None:
        super().__init__(detail)
        self.ambiguous = ambiguous


class PermanentFailure(DeliveryFailure):
    """Retrying cannot help (the user is gone, the content is rejected)."""


class Sender(Protocol):
    """What the outbox needs from a chat platform."""

    def send(self, outgoing: Outgoing) -> SentRef: ...

    def find_sent(self, outgoing: Outgoing, *, since: datetime) -> SentRef | None:
        """Return the message already sent with this idempotency key since `since`, if any."""
        ...

    def update(self, ref: SentRef, outgoing: Outgoing) -> None: ...


class PlatformSenders:
    """The outbox's one Sender: hands each message to the Sender of its recipient's platform.

    A mixed organisation (some people on Slack, some on Teams) shares one outbox; a recipient on a platform
    this installation does not run is a permanent failure (retrying cannot help), said in the row's error."""

    def __init__(self, senders: dict[str, Sender]) -> None:
        self.senders = dict(senders)

    def _for(self, platform: str) -> Sender:
        sender = self.senders.get(platform)
        if sender is None:
            raise PermanentFailure(f"no {platform!r} platform is configured to reach this person")
        return sender

    def send(self, outgoing: Outgoing) -> SentRef:
        return self._for(outgoing.recipient.platform).send(outgoing)

    def find_sent(self, outgoing: Outgoing, *, since: datetime) -> SentRef | None:
        return self._for(outgoing.recipient.platform).find_sent(outgoing, since=since)

    def update(self, ref: SentRef, outgoing: Outgoing) -> None:
        self._for(ref.platform).update(ref, outgoing)


Composer = Callable[[Session, Delivery, datetime], Outgoing]
Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class DispatchReport:
    sent: int = 0
    recovered: int = 0  # found already delivered after a crash; not sent again
    retried: int = 0
    failed: int = 0
    rate_limited: int = 0
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
        worker_id: str = "dispatcher",
        clock: Clock = utc_clock,
        batch_size: int = 200,
        max_attempts: int = 8,
        lease: timedelta = timedelta(minutes=2),
        sleep: Callable[[float], None] = time.sleep,
        max_wait_seconds: float = 30.0,
    ) -> None:
        self.engine = engine
        self.sender = sender
        self.compose = compose
        self.worker_id = worker_id
        self.clock = clock
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.lease = lease
        self.sleep = sleep
        self.max_wait_seconds = max_wait_seconds

    def dispatch_due(self) -> DispatchReport:
        """Send everything due now; return what happened. Safe to call from several processes."""
        report = DispatchReport()
        while True:
            claimed = self._claim_batch()
            if not claimed:
                return report
            for index, delivery_id in enumerate(claimed):
                stop = self._deliver_one(delivery_id, report)
                if stop:
                    self._release(claimed[index + 1 :])
                    return report

    def _claim_batch(self) -> list[int]:
        now = self.clock()
        stale = now - self.lease
        on_hold = select(Broadcast.id).where(Broadcast.status.in_([BroadcastStatus.PAUSED, BroadcastStatus.CANCELLED]))
        due = and_(
            or_(
                and_(
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.due_at <= now,
                    or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
                ),
                and_(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at <= stale),
            ),
            # Coaching DMs and nudges have no broadcast: only a broadcast's pause or cancel holds its rows.
            or_(Delivery.broadcast_id.is_(None), Delivery.broadcast_id.not_in(on_hold)),
        )
        with session_scope(self.engine) as session:
            candidates = select(Delivery.id).where(due).order_by(Delivery.due_at, Delivery.id).limit(self.batch_size)
            if self.engine.dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            ids = list(session.execute(candidates).scalars())
            if not ids:
                return []
            claimed = session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), due)
                .values(status=DeliveryStatus.SENDING, claimed_at=now, claimed_by=self.worker_id)
                .returning(Delivery.id)
            ).scalars()
            return sorted(claimed)

    def _release(self, ids: Sequence[int]) -> None:
        """Give back rows we claimed but will not send in this run (we are pausing for a rate limit)."""
        if not ids:
            return
        with session_scope(self.engine) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.claimed_by == self.worker_id)
                .values(status=DeliveryStatus.PENDING, claimed_at=None, claimed_by=None)
            )

    def _deliver_one(self, delivery_id: int, report: DispatchReport) -> bool:
        """Send one claimed row. Returns True when the run should stop (a long rate-limit pause)."""
        with session_scope(self.engine) as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None or delivery.status != DeliveryStatus.SENDING:
                return False
            try:
                outgoing = self.compose(session, delivery, self.clock())
            except Exception as error:  # a broken template must not block the queue behind it
                log.exception("cannot compose delivery %s", delivery_id)
                self._give_up(delivery, f"cannot compose: {error}", report)
                return False
            # attempts > 0: an earlier attempt started and may have reached the recipient (crash, lost answer)
            possibly_sent = delivery.attempts > 0
            previous_claim = delivery.claimed_at
            delivery.attempts += 1
            attempts = delivery.attempts
        # The network call happens outside any transaction: a slow Slack never holds a database lock.
        try:
            ref = None
            if possibly_sent:
                since = (previous_claim or self.clock()) - self.lease - timedelta(minutes=5)
                ref = self.sender.find_sent(outgoing, since=since)
                if ref is not None:
                    report.recovered += 1
            if ref is None:
                ref = self.sender.send(outgoing)
                report.sent += 1
        except RateLimited as limited:
            report.rate_limited += 1
            wait = max(limited.retry_after, 0.0)
            self._retry_later(delivery_id, str(limited), wait, report, count_attempt=False)
            if wait <= self.max_wait_seconds:
                self.sleep(wait)
                return False
            return True
        except TemporaryFailure as failure:
            if attempts >= self.max_attempts:
                self._fail(delivery_id, f"gave up after {attempts} attempts: {failure}", report)
            else:
                self._retry_later(delivery_id, str(failure), self._backoff(attempts), report)
            return False
        except PermanentFailure as failure:
            self._fail(delivery_id, str(failure), report)
            return False
        self._mark_sent(delivery_id, ref)
        return False

    def _backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter: 2, 4, 8 ... seconds, capped at 10 minutes."""
        return min(600.0, 2.0**attempts) * random.uniform(0.8, 1.2)

    def _mark_sent(self, delivery_id: int, ref: SentRef) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(
                    status=DeliveryStatus.SENT,
                    platform=ref.platform,
                    conversation_id=ref.conversation_id,
                    platform_message_id=ref.message_id,
                    sent_at=self.clock(),
                    last_error=None,
                )
            )

    def _retry_later(
        self, delivery_id: int, error: str, wait: float, report: DispatchReport, *, count_attempt: bool = True
    ) -> None:
        report.retried += 1
        values: dict[str, Any] = {
            "status": DeliveryStatus.PENDING,
            "next_attempt_at": self.clock() + timedelta(seconds=wait),
            "last_error": error[:500],
        }
        with session_scope(self.engine) as session:
            if not count_attempt:
                delivery = session.get(Delivery, delivery_id)
                if delivery is not None:
                    values["attempts"] = max(delivery.attempts - 1, 0)
            session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))

    def _fail(self, delivery_id: int, error: str, report: DispatchReport) -> None:
        report.failed += 1
        report.errors.append(f"delivery {delivery_id}: {error}")
        log.warning("delivery %s failed: %s", delivery_id, error)
        with session_scope(self.engine) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(status=DeliveryStatus.FAILED, last_error=error[:500])
            )

    def _give_up(self, delivery: Delivery, error: str, report: DispatchReport) -> None:
        report.failed += 1
        report.errors.append(f"delivery {delivery.id}: {error}")
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = error[:500]
