"""Who owns an outbox row, and the only ways its state may change: every change is fenced by the claim.

A claim is a token unique to one claiming run of one process (`Dispatcher.worker_id` plus a counter). Each
statement that moves a claimed row on (begin a send, record it sent, put it back for a retry, fail it,
release it) says `WHERE claimed_by = <token> AND status = 'sending'`; a worker whose claim was taken over
changes nothing and learns so from the row count. See `schedules.outbox` for why that makes a send happen
at most once, and the history check at least once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from schedules.sending import Outgoing
from storage.db import is_postgresql, session_scope
from storage.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus

Composer = Callable[[Session, Delivery, datetime], Outgoing]
SKEW = timedelta(minutes=5)  # how far two instances' clocks may disagree (NTP keeps them far closer)


@dataclass(frozen=True)
class ClaimPolicy:
    """How long claims last.

    `lease`: a claimed row whose send has not begun is free again after this. `settle`: longer than any
    begun send can take to land on the platform (the client's timeout plus the platform's own delay); a row
    whose send began is free again only after both, and is then checked on the platform before any resend."""

    lease: timedelta = timedelta(minutes=2)
    settle: timedelta = timedelta(seconds=60)

    @property
    def begun_lease(self) -> timedelta:
        return max(self.lease, self.settle)


@dataclass(frozen=True)
class Begun:
    """A send this worker may now make: the row's attempt is recorded, the claim renewed."""

    outgoing: Outgoing
    possibly_sent: bool  # an earlier attempt may have landed: look before sending
    since: datetime  # look at the platform's history from here on
    attempts: int


@dataclass(frozen=True)
class Unsendable:
    """The row cannot be composed (a broken template, a deleted message): fail it, keep the queue moving."""

    error: str


class _LostClaim(Exception):
    """Raised inside a unit of work to roll it back when the claim is no longer ours."""


class Claims:
    def __init__(self, engine: Engine, clock: Callable[[], datetime], policy: ClaimPolicy) -> None:
        self.engine = engine
        self.clock = clock
        self.policy = policy

    def _not_on_hold(self) -> Any:
        # Coaching DMs and nudges have no broadcast: only a broadcast's pause or cancel holds its rows.
        on_hold = select(Broadcast.id).where(Broadcast.status.in_([BroadcastStatus.PAUSED, BroadcastStatus.CANCELLED]))
        return or_(Delivery.broadcast_id.is_(None), Delivery.broadcast_id.not_in(on_hold))

    def _due_pending(self, now: datetime) -> Any:
        """Rows waiting for their time (an index range on ix_delivery_due: status, due_at)."""
        return and_(
            Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now,
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now), self._not_on_hold(),
        )

    def _stale_sending(self, now: datetime) -> Any:
        """Claimed rows whose claimer went quiet: never begun after `lease`, begun after `max(lease, settle)`.
        Few rows are ever `sending` (a batch per instance), so this range is short."""
        never_begun = and_(Delivery.uncertain_since.is_(None), Delivery.attempts == 0)
        return and_(
            Delivery.status == DeliveryStatus.SENDING,
            or_(and_(never_begun, Delivery.claimed_at <= now - self.policy.lease),
                Delivery.claimed_at <= now - self.policy.begun_lease),
            self._not_on_hold(),
        )

    def claim(self, token: str, limit: int) -> list[int]:
        """Claim up to `limit` due rows for `token`: due pending rows first, then stale claims (two queries, so
        each can use the (status, ...) index instead of scanning for an OR of both; PostgreSQL skips rows
        another claimer is locking)."""
        now = self.clock()
        claimed: list[int] = []
        with session_scope(self.engine) as session:
            for due in (self._due_pending(now), self._stale_sending(now)):
                if len(claimed) >= limit:
                    break
                candidates = (select(Delivery.id).where(due).order_by(Delivery.due_at, Delivery.id)
                              .limit(limit - len(claimed)))
                if is_postgresql(self.engine):
                    candidates = candidates.with_for_update(skip_locked=True)
                ids = list(session.execute(candidates).scalars())
                if ids:
                    claimed += session.execute(
                        update(Delivery).where(Delivery.id.in_(ids), due)
                        .values(status=DeliveryStatus.SENDING, claimed_at=now, claimed_by=token)
                        .returning(Delivery.id)
                    ).scalars()
        return sorted(claimed)

    @staticmethod
    def _ours(delivery_id: int, token: str) -> Any:
        return and_(Delivery.id == delivery_id, Delivery.claimed_by == token, Delivery.status == DeliveryStatus.SENDING)

    def begin(self, delivery_id: int, token: str, compose: Composer) -> Begun | Unsendable | None:
        """Compose the row and record the attempt, renewing the claim; None when the claim is not ours.

        The attempt is committed before the send starts, so whoever sees the row next knows it may have
        landed (`uncertain_since`). Database errors propagate: they say nothing about the row."""
        now = self.clock()
        try:
            with session_scope(self.engine) as session:
                delivery = session.get(Delivery, delivery_id)
                if delivery is None or delivery.status != DeliveryStatus.SENDING or delivery.claimed_by != token:
                    return None
                possibly_sent = delivery.uncertain_since is not None or delivery.attempts > 0
                since = (delivery.uncertain_since or delivery.claimed_at or now) - self.policy.begun_lease - SKEW
                try:
                    outgoing = compose(session, delivery, now)
                except SQLAlchemyError:
                    raise
                except Exception as error:  # a broken template must not block the queue behind it
                    session.rollback()
                    return Unsendable(f"cannot compose: {error}")
                renewed = session.execute(
                    update(Delivery).where(self._ours(delivery_id, token)).values(
                        attempts=Delivery.attempts + 1, claimed_at=now,
                        uncertain_since=func.coalesce(Delivery.uncertain_since, now),
                    )
                )
                if renewed.rowcount != 1:
                    raise _LostClaim
                return Begun(outgoing, possibly_sent, since, delivery.attempts + 1)
        except _LostClaim:
            return None

    def _change(self, delivery_id: int, token: str, values: dict[str, Any]) -> bool:
        with session_scope(self.engine) as session:
            return session.execute(update(Delivery).where(self._ours(delivery_id, token)).values(**values)).rowcount == 1

    def sent(self, delivery_id: int, token: str, *, platform: str, conversation_id: str, message_id: str) -> bool:
        return self._change(delivery_id, token, {
            "status": DeliveryStatus.SENT, "platform": platform, "conversation_id": conversation_id,
            "platform_message_id": message_id, "sent_at": self.clock(), "last_error": None, "uncertain_since": None,
        })

    def retry(self, delivery_id: int, token: str, *, error: str, wait: float, uncertain: bool,
              count_attempt: bool = True) -> bool:
        """Back to pending after `wait` seconds; an uncertain row waits at least `settle`, then is looked for."""
        if uncertain:
            wait = max(wait, self.policy.settle.total_seconds())
        values: dict[str, Any] = {
            "status": DeliveryStatus.PENDING, "next_attempt_at": self.clock() + timedelta(seconds=wait),
            "last_error": error[:500], "claimed_at": None, "claimed_by": None,
        }
        if not uncertain:
            values["uncertain_since"] = None
        if not count_attempt:
            values["attempts"] = case((Delivery.attempts > 0, Delivery.attempts - 1), else_=0)
        return self._change(delivery_id, token, values)

    def fail(self, delivery_id: int, token: str, *, error: str, uncertain: bool = False) -> bool:
        values: dict[str, Any] = {"status": DeliveryStatus.FAILED, "last_error": error[:500]}
        if not uncertain:
            values["uncertain_since"] = None
        return self._change(delivery_id, token, values)

    def release(self, ids: Sequence[int], token: str) -> int:
        """Give back rows claimed but not begun in this run (a long pause, a shutdown)."""
        if not ids:
            return 0
        with session_scope(self.engine) as session:
            return session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.claimed_by == token, Delivery.status == DeliveryStatus.SENDING)
                .values(status=DeliveryStatus.PENDING, claimed_at=None, claimed_by=None)
            ).rowcount
