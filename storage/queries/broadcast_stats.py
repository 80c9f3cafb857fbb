"""Reach and acknowledgement per broadcast, and each occurrence's actual reach, for a leader's list of schedules
(grouped queries)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
