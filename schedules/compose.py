"""Turn a Delivery row into a platform-neutral Outgoing: what the recipient will read, in their words.

The leader's message body is rendered here, per recipient, in the sandbox (it is untrusted template
text). The platform's Sender turns the result into Block Kit or an Adaptive Card.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from messages.render import render_text
from schedules.outbox import Outgoing
from storage.models import Broadcast, Delivery, DeliveryKind, Message, Person, Team

BROADCAST_KIND = "broadcast"


def person_context(session: Session, person: Person) -> dict[str, str]:
    """The variables a leader's template may use about its reader."""
    team = session.get(Team, person.team_id) if person.team_id else None
    manager = session.get(Person, person.manager_id) if person.manager_id else None
    return {
        "name": person.name,
        "first_name": person.first_name,
        "team": team.name if team else "",
        "manager": manager.name if manager else "",
    }


def local_time_label(moment: datetime, tz_name: str) -> str:
    """A short local time for a person, e.g. 'Mon 24 Nov, 09:00'."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%a %d %b, %H:%M")


LATE_AFTER = timedelta(minutes=30)


def compose_delivery(session: Session, delivery: Delivery, now: datetime | None = None) -> Outgoing:
    """`now` is when it is being sent: a delivery that went out well after its due time says so."""
    person = session.get(Person, delivery.person_id)
    message = session.get(Message, delivery.message_id)
    broadcast = session.get(Broadcast, delivery.broadcast_id)
    if person is None or message is None or broadcast is None:
        raise LookupError(f"delivery {delivery.id} points at a missing person, message or broadcast")
    author = session.get(Person, broadcast.created_by_id)
    body = render_text(message.body, {"person": person_context(session, person)})
    acknowledged = (
        local_time_label(delivery.acknowledged_at, person.tz) if delivery.acknowledged_at is not None else None
    )
    late_since = None
    if now is not None and delivery.scheduled_for is not None and now - delivery.due_at > LATE_AFTER:
        late_since = local_time_label(delivery.scheduled_for, person.tz)
    return Outgoing(
        recipient=person.slack_id,
        kind=BROADCAST_KIND,
        context={
            "delivery_id": delivery.id,
            "title": message.title,
            "body": body,
            "from_name": author.name if author else "Drumbeat",
            "message_key": message.key,
            "message_version": message.version,
            "key_message": message.key_message,
            "acknowledged": acknowledged,
            "reminder": delivery.kind == DeliveryKind.REMINDER,
            "late_since": late_since,
        },
        fallback_text=f"{message.title} (from {author.name if author else 'Drumbeat'})",
        idempotency_key=delivery.idempotency_key,
    )
