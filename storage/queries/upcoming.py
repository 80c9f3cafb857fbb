"""The next instant after a moment at which something is due: a queued delivery, a broadcast's next occurrence,
or a spaced-repetition re-ask. What a simulated clock stops at on its way forward (the web sandbox), so each
thing happens at its own time rather than all at once at the end of a jump."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from storage.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, ExpectationProgress


def next_due_after(session: Session, *, after: datetime) -> datetime | None:
    """The earliest due instant later than `after`: one MIN per kind, each over an index on its due column
    (three typed scalars, so each comes back an aware datetime on SQLite too)."""
    queries = (
        select(func.min(Delivery.due_at)).where(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at > after),
        select(func.min(Broadcast.next_due_at)).where(Broadcast.status == BroadcastStatus.ACTIVE,
                                                      Broadcast.next_due_at > after),
        select(func.min(ExpectationProgress.next_ask_at)).where(ExpectationProgress.next_ask_at > after),
    )
    found = [at for at in (session.execute(query).scalar_one() for query in queries) if at is not None]
    return min(found, default=None)
