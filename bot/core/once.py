"""A leader's action is acted on once, however often the platform or the leader repeats the request.

Each request that creates something names itself (`RequestKey`: a modal's view id, a slash command's trigger
id, a button's action); the receipt is written in the same transaction as the broadcast it creates, so a
repeat finds the receipt and is answered with what the first request made, and a failed first attempt
leaves no receipt behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from bot.core.errors import BadInput
from schedules.recurrence import Recurrence
from storage.models import Broadcast, Delivery, DeliveryStatus, Message
from storage.queries.audience import stored_audience_count
from storage.queries.receipts import first_time, receipt, record_outcome

BROADCAST_OUTCOME = "broadcast:"


@dataclass(frozen=True)
class RequestKey:
    platform: str
    key: str  # "view:V0123", "trigger:123.456.abc"


def claim_request(session: Session, request: RequestKey | None, now: datetime) -> bool:
    """True when this request is new (or unnamed): the caller may act on it."""
    return request is None or first_time(session, request.platform, request.key, now=now)


def remember_broadcast(session: Session, request: RequestKey | None, broadcast_id: int) -> None:
    if request is not None:
        record_outcome(session, request.platform, request.key, f"{BROADCAST_OUTCOME}{broadcast_id}")


def earlier_broadcast(session: Session, request: RequestKey) -> Broadcast:
    found = receipt(session, request.platform, request.key)
    outcome = (found.outcome if found else None) or ""
    broadcast = None
    if outcome.startswith(BROADCAST_OUTCOME):
        broadcast = session.get(Broadcast, int(outcome.removeprefix(BROADCAST_OUTCOME)))
    if broadcast is None:
        raise BadInput("That request was already received and is still being handled.")
    return broadcast


def queued_counts(session: Session, broadcast: Broadcast) -> tuple[int, int, int]:
    """(recipients, due at once, held for later) of a broadcast as it was queued."""
    if broadcast.recurrence is not None:
        return stored_audience_count(session, broadcast.audience), 0, 0
    at_once = case((Delivery.due_at <= broadcast.created_at, 1), else_=0)
    total, now_count = session.execute(
        select(func.count(), func.coalesce(func.sum(at_once), 0))
        .where(Delivery.broadcast_id == broadcast.id, Delivery.status != DeliveryStatus.CANCELLED)
    ).one()
    return int(total), int(now_count), int(total) - int(now_count)


def describe_schedule(broadcast: Broadcast) -> str:
    return Recurrence.from_json(broadcast.recurrence).describe() if broadcast.recurrence else "now"


def message_of(session: Session, broadcast: Broadcast) -> Message:
    message = session.get(Message, broadcast.message_id)
    assert message is not None
    return message
