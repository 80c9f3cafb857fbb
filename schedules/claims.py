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
from typing import Any, Protocol

from sqlalchemy import Boolean, DateTime, String, and_, bindparam, case, func, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import Update
from sqlmodel import Session

from schedules.sending import Outgoing
from storage.db import is_postgresql, session_scope
from storage.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus

Composer = Callable[[Session, Delivery, datetime], Outgoing]


class BatchComposer(Protocol):
    """Composes a window of claimed rows at once (schedules.compose_batch): `compose_many` from reads alone, for the
    rows it can (an error for a row it cannot render); the rows it leaves out go to `compose_one`, each begun in its
    own transaction (composing them may write, e.g. a quiz's ask)."""

    def compose_many(self, session: Session, deliveries: Sequence[Delivery],
                     now: datetime) -> dict[int, Outgoing | Exception]: ...

    def compose_one(self, session: Session, delivery: Delivery, now: datetime) -> Outgoing: ...


class OneAtATime:
    """A plain per-row Composer as a BatchComposer: every row composed and begun on its own, as before batching."""

    def __init__(self, compose: Composer) -> None:
        self.compose_one = compose

    def compose_many(self, session: Session, deliveries: Sequence[Delivery],
                     now: datetime) -> dict[int, Outgoing | Exception]:
        return {}
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
    was_uncertain: bool = False  # uncertain before this attempt: stays so if the attempt is given back unsent
    last_error: str | None = None  # the row's error before this attempt, kept if the attempt is given back
    # The claimed_at the begin wrote: takeover is counted from it, so the send budget is too (not from when the
    # begin returned, which a wait for SQLite's write lock can put well after it).
    begun_at: datetime | None = None


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
        """Claim up to `limit` due rows for `token`: due pending rows first, then stale claims. Each kind is one
        statement (`UPDATE ... WHERE id IN (SELECT ... LIMIT n)`), so each is an index range on ix_delivery_due
        (status, due_at) instead of a scan for an OR of both; PostgreSQL skips rows another claimer is locking."""
        now = self.clock()
        claimed: list[int] = []
        with session_scope(self.engine) as session:
            if is_postgresql(self.engine):
                # A claim lost in a server crash only puts its rows back to pending, never begun: nothing was sent
                # (every begin is fenced on the claim, and commits durably, flushing this commit with it).
                session.execute(text("SET LOCAL synchronous_commit = off"))
            for due in (self._due_pending(now), self._stale_sending(now)):
                if len(claimed) >= limit:
                    break
                claimed += session.execute(self.claim_statement(due, token, now, limit - len(claimed)),
                                           execution_options={"synchronize_session": False}).scalars()
        return sorted(claimed)

    def claim_statement(self, due: Any, token: str, now: datetime, limit: int) -> Update:
        """Take the first `limit` rows matching `due`, oldest first, in one statement. The pick is a CTE: PostgreSQL
        evaluates a locking CTE once (never re-runs the LIMIT), and SQLite runs the whole statement under its write
        lock, so the rows picked are the rows taken and no re-check is needed."""
        picked = select(Delivery.id).where(due).order_by(Delivery.due_at, Delivery.id).limit(limit)
        if is_postgresql(self.engine):
            picked = picked.with_for_update(skip_locked=True)
        chosen = picked.cte("picked")
        return (update(Delivery).where(Delivery.id.in_(select(chosen.c.id)))
                .values(status=DeliveryStatus.SENDING, claimed_at=now, claimed_by=token).returning(Delivery.id))

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
                return Begun(outgoing, possibly_sent, since, delivery.attempts + 1, delivery.uncertain_since is not None,
                             delivery.last_error, begun_at=now)
        except _LostClaim:
            return None

    def begin_many(self, ids: Sequence[int], token: str, composer: BatchComposer) -> dict[int, Begun | Unsendable]:
        """`begin` for a window of rows at once: one read of the rows, the composer's set-based reads, one fenced
        UPDATE for every row composed, one commit. Rows the composer leaves out are begun one at a time. Rows
        missing from the answer were taken over. Database errors propagate (nothing is begun then)."""
        now = self.clock()
        with session_scope(self.engine) as session:
            deliveries = list(session.execute(select(Delivery).where(
                Delivery.id.in_(ids), Delivery.claimed_by == token, Delivery.status == DeliveryStatus.SENDING,
            ).order_by(Delivery.id)).scalars())
            composed = composer.compose_many(session, deliveries, now)
            ready = [delivery.id for delivery in deliveries if isinstance(composed.get(delivery.id or 0), Outgoing)]
            begun_ids = set(session.execute(
                update(Delivery).where(Delivery.id.in_(ready), Delivery.claimed_by == token,
                                       Delivery.status == DeliveryStatus.SENDING)
                .values(attempts=Delivery.attempts + 1, claimed_at=now,
                        uncertain_since=func.coalesce(Delivery.uncertain_since, now))
                .returning(Delivery.id), execution_options={"synchronize_session": False}).scalars()) if ready else set()
        result: dict[int, Begun | Unsendable] = {}
        for delivery in deliveries:
            delivery_id = delivery.id or 0
            if delivery_id not in composed:
                alone = self.begin(delivery_id, token, composer.compose_one)
                if alone is not None:
                    result[delivery_id] = alone
                continue
            outgoing = composed[delivery_id]
            if isinstance(outgoing, Exception):
                result[delivery_id] = Unsendable(f"cannot compose: {outgoing}")
            elif delivery_id in begun_ids:
                result[delivery_id] = Begun(
                    outgoing, delivery.uncertain_since is not None or delivery.attempts > 0,
                    (delivery.uncertain_since or delivery.claimed_at or now) - self.policy.begun_lease - SKEW,
                    delivery.attempts + 1, delivery.uncertain_since is not None, delivery.last_error, begun_at=now)
        return result

    def sent(self, delivery_id: int, token: str, *, platform: str, conversation_id: str, message_id: str) -> bool:
        return self.record([self.sent_outcome(delivery_id, platform, conversation_id, message_id)], token) == 1

    def retry(self, delivery_id: int, token: str, *, error: str, wait: float, uncertain: bool,
              count_attempt: bool = True) -> bool:
        return self.record([self.retry_outcome(delivery_id, error=error, wait=wait, uncertain=uncertain,
                                               count_attempt=count_attempt)], token) == 1

    def fail(self, delivery_id: int, token: str, *, error: str, uncertain: bool = False) -> bool:
        return self.record([self.fail_outcome(delivery_id, error=error, uncertain=uncertain)], token) == 1

    def sent_outcome(self, delivery_id: int, platform: str, conversation_id: str, message_id: str) -> Outcome:
        return Outcome(delivery_id, DeliveryStatus.SENT, platform=platform, conversation_id=conversation_id,
                       message_id=message_id, sent_at=self.clock())

    def retry_outcome(self, delivery_id: int, *, error: str, wait: float, uncertain: bool,
                      count_attempt: bool = True) -> Outcome:
        """Back to pending after `wait` seconds; an uncertain row waits at least `settle`, then is looked for."""
        if uncertain:
            wait = max(wait, self.policy.settle.total_seconds())
        return Outcome(delivery_id, DeliveryStatus.PENDING, error=error[:500],
                       next_attempt_at=self.clock() + timedelta(seconds=wait), release=True, keep_uncertain=uncertain,
                       uncount=not count_attempt)

    def fail_outcome(self, delivery_id: int, *, error: str, uncertain: bool = False) -> Outcome:
        return Outcome(delivery_id, DeliveryStatus.FAILED, error=error[:500], keep_uncertain=uncertain)

    @staticmethod
    def unbegun_outcome(delivery_id: int, begun: Begun) -> Outcome:
        """A begun row given back unsent (the run paused, or stopped): as it was before the attempt."""
        return Outcome(delivery_id, DeliveryStatus.PENDING, error=begun.last_error, release=True,
                       keep_uncertain=begun.was_uncertain, uncount=True)

    def record(self, outcomes: Sequence[Outcome], token: str) -> int:
        """Record a batch of outcomes in one transaction, as one fenced UPDATE executed for all of them (one round
        trip on PostgreSQL's pipeline, one prepared statement on SQLite). A row whose claim is no longer `token`'s
        is left alone; returns how many rows were changed."""
        if not outcomes:
            return 0
        with session_scope(self.engine) as session:
            result = session.connection().execute(_RECORD, [outcome.params(token) for outcome in outcomes])
            return max(result.rowcount, 0)

    def renew(self, ids: Sequence[int], token: str) -> tuple[set[int], datetime]:
        """Renew the claim of begun rows not yet sent (a window that is taking a while): the rows still ours (the
        others were taken over and must not be sent) and the claimed_at written, from which their budget counts."""
        now = self.clock()
        if not ids:
            return set(), now
        with session_scope(self.engine) as session:
            return set(session.execute(
                update(Delivery).where(Delivery.id.in_(ids), Delivery.claimed_by == token,
                                       Delivery.status == DeliveryStatus.SENDING)
                .values(claimed_at=now).returning(Delivery.id),
                execution_options={"synchronize_session": False}).scalars()), now

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


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed row, to be recorded with others (`Claims.record`), fenced by the claim.

    `release` gives the claim back (pending again); `keep_uncertain` keeps `uncertain_since` (the message may have
    landed: look before resending); `uncount` takes back the attempt (a 429, or an attempt never made)."""

    delivery_id: int
    status: str
    error: str | None = None
    platform: str | None = None
    conversation_id: str | None = None
    message_id: str | None = None
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    release: bool = False
    keep_uncertain: bool = False
    uncount: bool = False

    def params(self, token: str) -> dict[str, Any]:
        return {"o_id": self.delivery_id, "o_token": token, "o_status": self.status, "o_error": self.error,
                "o_platform": self.platform, "o_conversation": self.conversation_id, "o_message": self.message_id,
                "o_sent_at": self.sent_at, "o_next": self.next_attempt_at, "o_release": self.release,
                "o_keep": self.keep_uncertain, "o_uncount": self.uncount}


def _record_statement() -> Update:
    """One statement for every kind of outcome: what an outcome does not set, it keeps (COALESCE / CASE)."""
    table = Delivery.__table__  # type: ignore[attr-defined]
    release = bindparam("o_release", type_=Boolean)
    return (
        update(table)
        .where(table.c.id == bindparam("o_id"), table.c.claimed_by == bindparam("o_token"),
               table.c.status == DeliveryStatus.SENDING)
        .values(
            status=bindparam("o_status", type_=String),
            last_error=bindparam("o_error", type_=String),
            platform=func.coalesce(bindparam("o_platform", type_=String), table.c.platform),
            conversation_id=func.coalesce(bindparam("o_conversation", type_=String), table.c.conversation_id),
            platform_message_id=func.coalesce(bindparam("o_message", type_=String), table.c.platform_message_id),
            sent_at=func.coalesce(bindparam("o_sent_at", type_=DateTime(timezone=True)), table.c.sent_at),
            next_attempt_at=func.coalesce(bindparam("o_next", type_=DateTime(timezone=True)),
                                          table.c.next_attempt_at),
            claimed_at=case((release, None), else_=table.c.claimed_at),
            claimed_by=case((release, None), else_=table.c.claimed_by),
            uncertain_since=case((bindparam("o_keep", type_=Boolean), table.c.uncertain_since), else_=None),
            attempts=case((and_(bindparam("o_uncount", type_=Boolean), table.c.attempts > 0), table.c.attempts - 1),
                          else_=table.c.attempts),
        )
    )


_RECORD = _record_statement()
