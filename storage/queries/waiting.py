"""What waits for one person: messages without a Got it, and questions without an answer.

Shared by the Home tab and a person's summary so the two always count the same things: a broadcast's own
deliveries (a reminder's Got it acknowledges its original; lone questions have nothing to acknowledge).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from storage.models import Delivery, DeliveryKind, DeliveryStatus, Message, QuizAsk
from storage.queries.summary_scope import in_period


def _unacknowledged(person_id: int, since: datetime | None, until: datetime | None = None):  # noqa: ANN202
    return [Delivery.person_id == person_id, Delivery.status == DeliveryStatus.SENT,
            Delivery.kind == DeliveryKind.BROADCAST, Delivery.acknowledged_at.is_(None),
            in_period(Delivery.due_at, since, until)]


def unacknowledged_count(session: Session, *, person_id: int, since: datetime | None = None,
                         until: datetime | None = None) -> int:
    return session.execute(
        select(func.count()).select_from(Delivery).where(*_unacknowledged(person_id, since, until))).scalar_one()


def unacknowledged_titles(session: Session, *, person_id: int, limit: int) -> list[tuple[str, datetime | None]]:
    """The newest messages still waiting, with when they were sent."""
    return [(title, sent_at) for title, sent_at in session.execute(
        select(Message.title, Delivery.sent_at).join(Message, Message.id == Delivery.message_id)
        .where(*_unacknowledged(person_id, None)).order_by(Delivery.sent_at.desc()).limit(limit))]


def open_questions_count(session: Session, *, person_id: int) -> int:
    return session.execute(select(func.count()).select_from(QuizAsk).where(
        QuizAsk.person_id == person_id, QuizAsk.answered_at.is_(None))).scalar_one()
