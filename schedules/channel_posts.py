"""A broadcast posted once to a channel as well as to each member's DM: its own outbox row per occurrence.

The row is a Delivery of kind CHANNEL_POST under the broadcast's leader (every delivery belongs to a person), its
occurrence key naming the channel's cache row (`<occurrence>|post:<audiencegroup id>`), so the unique key on
(broadcast, occurrence, person) makes the post exactly once, however often the occurrence is materialised.
The post carries the message without a *Got it* button: acknowledging is each member's, in their own DM.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from schedules.sending import Outgoing
from storage.address import Address
from storage.models import AudienceGroup, Broadcast, Delivery, DeliveryKind, Message, Person

POST_MARK = "|post:"
CHANNEL_POST_KIND = "channel_post"  # the platform template


def post_group_ids(audience: dict[str, object]) -> list[int]:
    return [int(group_id) for group_id in (audience.get("post_group_ids") or [])]  # type: ignore[union-attr]


def insert_channel_posts(session: Session, broadcast: Broadcast, *, occurrence: str, due: datetime,
                         scheduled_for: datetime) -> int:
    """One post row per channel the leader asked to post to, for this occurrence; how many were added."""
    from schedules.materialise import Planned, insert_deliveries  # one insert of deliveries, not a second copy

    added = 0
    for group_id in post_group_ids(broadcast.audience):
        added += insert_deliveries(session, broadcast, [Planned(broadcast.created_by_id, due, False)],
                                   occurrence=f"{occurrence}{POST_MARK}{group_id}", scheduled_for=scheduled_for,
                                   kind=DeliveryKind.CHANNEL_POST, question_id=None)
    return added


def _posted_group(session: Session, delivery: Delivery) -> AudienceGroup | None:
    _, mark, group_id = delivery.occurrence.rpartition(POST_MARK)
    return session.get(AudienceGroup, int(group_id)) if mark and group_id.isdigit() else None


def compose_channel_post(session: Session, delivery: Delivery) -> Outgoing:
    """The channel's copy of the message, addressed to the channel on its platform."""
    from schedules.compose import body_text, reader_context

    group = _posted_group(session, delivery)
    message = session.get(Message, delivery.message_id) if delivery.message_id is not None else None
    broadcast = session.get(Broadcast, delivery.broadcast_id) if delivery.broadcast_id is not None else None
    if group is None or message is None or broadcast is None:
        raise LookupError(f"delivery {delivery.id} points at a missing channel, message or broadcast")
    author = session.execute(select(Person.name).where(Person.id == broadcast.created_by_id)).scalar_one_or_none()
    from_name = author or "Drumbeat"
    return Outgoing(
        recipient=Address(group.platform, group.group_id),
        kind=CHANNEL_POST_KIND,
        context={"title": message.title, "body": body_text(message, {"person": reader_context("team", None, None)}),
                 "from_name": from_name, "key_message": message.key_message, "message_version": message.version},
        fallback_text=f"{message.title} (from {from_name})",
        idempotency_key=delivery.idempotency_key,
    )

