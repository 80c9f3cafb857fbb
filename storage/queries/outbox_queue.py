"""How much the outbox still has to send, for a dispatch worker's progress lines and closing count (one query)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from storage.models import Delivery, DeliveryStatus


@dataclass(frozen=True)
class QueueCounts:
    waiting: int  # due now (or being sent) and not sent yet
    later: int  # queued for a later time (a recipient's morning, quiet hours, a retry)
    next_due: datetime | None  # when the first of those falls due


def queue_counts(session: Session, *, now: datetime) -> QueueCounts:
    """Counted over the unsent rows only, through the (status, due_at) index: costs what is queued, not history."""
    pending = Delivery.status == DeliveryStatus.PENDING
    later = pending & (Delivery.due_at > now)
    waiting, queued_later, next_due = session.execute(
        select(
            func.coalesce(func.sum(case((later, 0), else_=1)), 0),
            func.coalesce(func.sum(case((later, 1), else_=0)), 0),
            func.min(case((later, Delivery.due_at))),
        ).where(Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]))
    ).one()
    return QueueCounts(int(waiting), int(queued_later), next_due)
