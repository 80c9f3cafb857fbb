"""Reach and acknowledgement: who heard which message, computed by the database.

Only a broadcast's own deliveries count (a reminder or a lone re-asked question is not another message
heard). Everything is filtered by the team's members first (an indexed join on person.team_id), so the cost of
one team's summary depends on that team's history, not on the size of everybody else's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlmodel import Session

from storage.models import Delivery, DeliveryKind, DeliveryStatus, Message, Person, Role


@dataclass(frozen=True)
class MessageReach:
    key: str
    title: str
    versions: int  # how many versions of this message reached the team (consistency)
    recipients: int  # distinct people it was addressed to
    delivered: int  # deliveries that reached a DM
    acknowledged: int  # deliveries acknowledged

    @property
    def acknowledgement_rate(self) -> float | None:
        return self.acknowledged / self.delivered if self.delivered else None


@dataclass(frozen=True)
class TeamReach:
    reps: int  # active reps in the team
    reached: int  # reps who received at least one message in the period
    acknowledging: int  # reps who acknowledged at least one
    delivered: int
    acknowledged: int
    pending: int  # still queued or being sent
    failed: int


def _sent() -> object:
    return case((Delivery.status == DeliveryStatus.SENT, 1), else_=0)


def _acknowledged() -> object:
    return case((Delivery.acknowledged_at.is_not(None), 1), else_=0)


def message_reach(session: Session, *, team_id: int, since: datetime) -> list[MessageReach]:
    """One row per message key that was addressed to the team's members since `since`."""
    query = (
        select(
            Message.key,
            func.max(Message.title),
            func.count(distinct(Message.version)),
            func.count(distinct(Delivery.person_id)),
            func.sum(_sent()),
            func.sum(_acknowledged()),
        )
        .select_from(Delivery)
        .join(Person, Person.id == Delivery.person_id)
        .join(Message, Message.id == Delivery.message_id)
        .where(Person.team_id == team_id, Delivery.due_at >= since, Delivery.kind == DeliveryKind.BROADCAST)
        .group_by(Message.key)
        .order_by(func.max(Delivery.due_at).desc(), Message.key)
    )
    return [
        MessageReach(key, title, versions, recipients, int(delivered or 0), int(acknowledged or 0))
        for key, title, versions, recipients, delivered, acknowledged in session.execute(query)
    ]


def team_reach(session: Session, *, team_id: int, since: datetime) -> TeamReach:
    reps = session.execute(
        select(func.count())
        .select_from(Person)
        .where(Person.team_id == team_id, Person.role == Role.REP, Person.active.is_(True))
    ).scalar_one()
    row = session.execute(
        select(
            func.count(distinct(case((Delivery.status == DeliveryStatus.SENT, Delivery.person_id)))),
            func.count(distinct(case((Delivery.acknowledged_at.is_not(None), Delivery.person_id)))),
            func.sum(_sent()),
            func.sum(_acknowledged()),
            func.sum(case((Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]), 1), else_=0)),
            func.sum(case((Delivery.status == DeliveryStatus.FAILED, 1), else_=0)),
        )
        .select_from(Delivery)
        .join(Person, Person.id == Delivery.person_id)
        .where(Person.team_id == team_id, Delivery.due_at >= since, Delivery.kind == DeliveryKind.BROADCAST)
    ).one()
    reached, acknowledging, delivered, acknowledged, pending, failed = row
    return TeamReach(
        reps=reps,
        reached=reached or 0,
        acknowledging=acknowledging or 0,
        delivered=int(delivered or 0),
        acknowledged=int(acknowledged or 0),
        pending=int(pending or 0),
        failed=int(failed or 0),
    )
