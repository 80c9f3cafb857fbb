"""How far each occurrence of a broadcast has got: sent, waiting, away, failed, for a leader's list of schedules.

One grouped query for every broadcast listed (broadcast, occurrence), whose window keeps each broadcast's latest
few occurrences, so a daily broadcast's year of history costs one index range per broadcast and returns three
rows, not 365. Counted from the Delivery rows as they are now, so a list opened (or refreshed) while a large
broadcast fans out shows the outbox's progress. Reminders are not counted: they follow their occurrence's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, type_coerce
from sqlmodel import Session

from storage.models import Delivery, DeliveryKind, DeliveryStatus

LATEST = 3  # occurrences shown per broadcast
WAITING = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class OccurrenceProgress:
    occurrence: str  # the occurrence's key (its recipients' local date, or "now-..." for a send now)
    first_due: datetime  # its earliest recipient's time (before any quiet-hours shift)
    sent: int
    waiting: int  # due later, or due and not yet sent (retries included)
    away: int  # held while the recipient is away (sent when they are back)
    failed: int

    @property
    def people(self) -> int:
        """Whom the occurrence's audience resolved to that day (its actual reach; cancelled rows are not counted)."""
        return self.sent + self.waiting + self.away + self.failed

    @property
    def finished(self) -> bool:
        return not self.waiting and not self.away


def _count(condition: object) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def occurrence_progress(session: Session, broadcast_ids: Sequence[int], *,
                        latest: int = LATEST) -> dict[int, list[OccurrenceProgress]]:
    """Per broadcast, its `latest` occurrences, newest first."""
    if not broadcast_ids:
        return {}
    # Typed as the column is, so the value comes back as an aware datetime on SQLite too (not a string).
    first_due = type_coerce(func.min(func.coalesce(Delivery.scheduled_for, Delivery.due_at)),
                            Delivery.__table__.c.due_at.type)  # type: ignore[attr-defined]
    grouped = (
        select(
            Delivery.broadcast_id.label("broadcast_id"),
            Delivery.occurrence.label("occurrence"),
            first_due.label("first_due"),
            _count(Delivery.status == DeliveryStatus.SENT).label("sent"),
            _count(Delivery.status.in_(WAITING)).label("waiting"),
            _count(Delivery.status == DeliveryStatus.HELD).label("away"),
            _count(Delivery.status == DeliveryStatus.FAILED).label("failed"),
            func.row_number().over(partition_by=Delivery.broadcast_id,
                                   order_by=(first_due.desc(), Delivery.occurrence.desc())).label("rank"),
        )
        .where(Delivery.broadcast_id.in_(list(broadcast_ids)),
               Delivery.kind.in_([DeliveryKind.BROADCAST, DeliveryKind.QUIZ]))
        .group_by(Delivery.broadcast_id, Delivery.occurrence)
        .subquery()
    )
    rows = session.execute(
        select(grouped.c.broadcast_id, grouped.c.occurrence, grouped.c.first_due, grouped.c.sent,
               grouped.c.waiting, grouped.c.away, grouped.c.failed)
        .where(grouped.c.rank <= latest)
        .order_by(grouped.c.broadcast_id, grouped.c.rank)
    )
    progress: dict[int, list[OccurrenceProgress]] = {}
    for broadcast_id, occurrence, due, sent, waiting, away, failed in rows:
        progress.setdefault(broadcast_id, []).append(
            OccurrenceProgress(occurrence, due, int(sent), int(waiting), int(away), int(failed)))
    return progress
