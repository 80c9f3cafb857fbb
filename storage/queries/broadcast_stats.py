"""Reach and acknowledgement per broadcast, and each occurrence's actual reach, for a leader's list of schedules
(grouped queries)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlmodel import Session

from storage.models import Delivery, DeliveryKind, DeliveryStatus


@dataclass(frozen=True)
class BroadcastStats:
    delivered: int
    acknowledged: int
    reach: int  # distinct people who received it at least once


def broadcast_stats(session: Session, broadcast_ids: Sequence[int]) -> dict[int, BroadcastStats]:
    if not broadcast_ids:
        return {}
    sent = Delivery.status == DeliveryStatus.SENT
    rows = session.execute(
        select(
            Delivery.broadcast_id,
            func.sum(case((sent, 1), else_=0)),
            func.sum(case((Delivery.acknowledged_at.is_not(None), 1), else_=0)),
            func.count(distinct(case((sent, Delivery.person_id)))),
        )
        .where(Delivery.broadcast_id.in_(list(broadcast_ids)), Delivery.kind == DeliveryKind.BROADCAST)
        .group_by(Delivery.broadcast_id)
    )
    return {
        broadcast_id: BroadcastStats(int(delivered or 0), int(acknowledged or 0), int(reach or 0))
        for broadcast_id, delivered, acknowledged, reach in rows
    }


@dataclass(frozen=True)
class OccurrenceReach:
    """One occurrence of a broadcast: whom its audience resolved to that day, and how many were sent it."""

    occurrence: str
    scheduled_for: datetime | None
    people: int
    sent: int


def occurrence_reach(session: Session, broadcast_ids: Sequence[int], *, latest: int = 3) -> dict[int, list[OccurrenceReach]]:
    """The `latest` occurrences of each broadcast, newest first, with their actual reach: one grouped query on the
    (broadcast, occurrence, person) key, ranked by a window function in the database. A recurring broadcast's
    reach changes as its audience does; reminders and channel posts are not people reached."""
    if not broadcast_ids:
        return {}
    sent = Delivery.status == DeliveryStatus.SENT
    per_occurrence = (
        select(Delivery.broadcast_id, Delivery.occurrence, func.min(Delivery.scheduled_for).label("scheduled_for"),
               func.count().label("people"), func.sum(case((sent, 1), else_=0)).label("sent"))
        .where(Delivery.broadcast_id.in_(list(broadcast_ids)),
               Delivery.kind.in_([DeliveryKind.BROADCAST, DeliveryKind.QUIZ]),
               Delivery.status.not_in([DeliveryStatus.CANCELLED, DeliveryStatus.SUPERSEDED]))
        .group_by(Delivery.broadcast_id, Delivery.occurrence)
        .subquery()
    )
    rank = func.row_number().over(partition_by=per_occurrence.c.broadcast_id,
                                  order_by=(per_occurrence.c.scheduled_for.desc(), per_occurrence.c.occurrence.desc()))
    ranked = select(per_occurrence, rank.label("rank")).subquery()
    rows = session.execute(select(ranked).where(ranked.c.rank <= latest)
                           .order_by(ranked.c.broadcast_id, ranked.c.rank)).all()
    found: dict[int, list[OccurrenceReach]] = {}
    for row in rows:
        found.setdefault(row.broadcast_id, []).append(
            OccurrenceReach(row.occurrence, row.scheduled_for, int(row.people), int(row.sent or 0)))
    return found
