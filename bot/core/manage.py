"""A leader's running broadcasts: list them, pause, resume, cancel, send again now, edit the message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from bot.core.broadcasts import BROADCASTERS, DraftProblems, consistency_warnings
from bot.core.library import NewMessage, check_new_message, new_version
from bot.core.errors import BadInput, NotFound, PermissionDenied
from bot.core.roles import require_role
from schedules.audience_refresh import GroupRefresher, audience_group_ids
from schedules.channel_posts import insert_channel_posts
from schedules.materialise import (
    DeliveryRules,
    cancel_pending,
    delivery_kind,
    insert_deliveries,
    plan_for,
    recipient_zone,
)
from schedules.recurrence import Recurrence, next_occurrence
from storage.models import (
    LITERAL_SOURCE,
    AuditEvent,
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Message,
    Person,
    Role,
)
from storage.queries.audience import stored_audience_members
from storage.queries.broadcast_stats import broadcast_stats
from storage.queries.occurrence_progress import OccurrenceProgress, occurrence_progress


@dataclass(frozen=True)
class BroadcastRow:
    id: int
    key: str
    title: str
    version: int
    audience_label: str
    schedule: str
    status: str
    next_run: datetime | None
    delivered: int
    acknowledged: int
    reach: int
    author: str
    # Its latest occurrences, newest first, with how far each has got (sent, waiting, away, failed): a large
    # broadcast's progress, counted afresh each time the list is shown.
    occurrences: tuple[OccurrenceProgress, ...] = field(default=())


@dataclass(frozen=True)
class EditResult:
    version: int
    warnings: tuple[str, ...]


def _owned(session: Session, caller: Person, broadcast_id: int) -> Broadcast:
    require_role(caller, BROADCASTERS, "manage broadcasts")
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound("That broadcast no longer exists.")
    if caller.role != Role.ADMIN and broadcast.created_by_id != caller.id:
        raise PermissionDenied("That broadcast belongs to another leader; only they (or an admin) can change it.")
    return broadcast


def describe_schedule(broadcast: Broadcast) -> str:
    if broadcast.recurrence is None:
        return "sent once, immediately"
    text = Recurrence.from_json(broadcast.recurrence).describe()
    return text + (" at each recipient's local time" if broadcast.local_time else f" ({broadcast.anchor_tz})")


def _next_run(broadcast: Broadcast, now: datetime) -> datetime | None:
    if broadcast.recurrence is None or broadcast.status != BroadcastStatus.ACTIVE:
        return None
    occurrence = next_occurrence(Recurrence.from_json(broadcast.recurrence), broadcast.anchor_tz, after=now)
    return occurrence.due_at if occurrence else None


def list_broadcasts(session: Session, *, caller: Person, now: datetime, limit: int = 20) -> list[BroadcastRow]:
    require_role(caller, BROADCASTERS, "list broadcasts")
    query = (
        select(Broadcast, Message, Person)
        .join(Message, Message.id == Broadcast.message_id)
        .join(Person, Person.id == Broadcast.created_by_id)
        .where(Broadcast.status != BroadcastStatus.CANCELLED)
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        .limit(limit)
    )
    if caller.role != Role.ADMIN:
        query = query.where(Broadcast.created_by_id == caller.id)
    rows = session.execute(query).all()
    ids = [broadcast.id for broadcast, _, _ in rows]
    stats, progress = broadcast_stats(session, ids), occurrence_progress(session, ids)
    result = []
    for broadcast, message, author in rows:
        figures = stats.get(broadcast.id)
        result.append(
            BroadcastRow(
                id=broadcast.id, key=message.key, title=message.title, version=message.version,
                audience_label=broadcast.audience_label, schedule=describe_schedule(broadcast),
                status=broadcast.status, next_run=_next_run(broadcast, now),
                delivered=figures.delivered if figures else 0, acknowledged=figures.acknowledged if figures else 0,
                reach=figures.reach if figures else 0, author=author.name,
                occurrences=tuple(progress.get(broadcast.id, ())),
            )
        )
    return result


def _audit(session: Session, caller: Person, action: str, broadcast: Broadcast, now: datetime) -> None:
    session.add(AuditEvent(at=now, actor_id=caller.id, action=action, detail={"broadcast_id": broadcast.id}))


def pause(session: Session, *, caller: Person, broadcast_id: int, now: datetime) -> str:
    broadcast = _owned(session, caller, broadcast_id)
    if broadcast.status != BroadcastStatus.ACTIVE:
        raise BadInput(f"That broadcast is {broadcast.status}, so it cannot be paused.")
    broadcast.status, broadcast.updated_at = BroadcastStatus.PAUSED, now
    _audit(session, caller, "broadcast.pause", broadcast, now)
    return f"Paused the broadcast to {broadcast.audience_label}. Nothing more goes out until you resume it."


def resume(session: Session, *, caller: Person, broadcast_id: int, now: datetime) -> str:
    broadcast = _owned(session, caller, broadcast_id)
    if broadcast.status != BroadcastStatus.PAUSED:
        raise BadInput(f"That broadcast is {broadcast.status}, not paused.")
    # Occurrences that fell in the pause are skipped, not sent in a burst.
    broadcast.status, broadcast.updated_at, broadcast.materialised_until = BroadcastStatus.ACTIVE, now, now
    broadcast.next_due_at = broadcast.schedule_state = None  # planned again from now (schedules/next_due.py)
    _audit(session, caller, "broadcast.resume", broadcast, now)
    return f"Resumed the broadcast to {broadcast.audience_label}; occurrences during the pause are skipped."


def cancel(session: Session, *, caller: Person, broadcast_id: int, now: datetime) -> str:
    broadcast = _owned(session, caller, broadcast_id)
    if broadcast.status == BroadcastStatus.CANCELLED:
        raise BadInput("That broadcast is already cancelled.")
    withdrawn = cancel_pending(session, broadcast.id)
    broadcast.status, broadcast.updated_at = BroadcastStatus.CANCELLED, now
    _audit(session, caller, "broadcast.cancel", broadcast, now)
    queued = f" {withdrawn} queued message{'s' if withdrawn != 1 else ''} withdrawn." if withdrawn else ""
    return f"Cancelled the broadcast to {broadcast.audience_label}.{queued}"


def send_again_now(session: Session, *, caller: Person, broadcast_id: int, now: datetime, rules: DeliveryRules,
                   groups: GroupRefresher | None = None) -> str:
    """The broadcast once more, now, to whoever is in its audience now (`groups` re-reads its stale platform
    groups first), with its channel posts."""
    broadcast = _owned(session, caller, broadcast_id)
    if broadcast.status == BroadcastStatus.CANCELLED:
        raise BadInput("That broadcast is cancelled; schedule a new one instead.")
    if groups is not None:
        groups.refresh(session, audience_group_ids(broadcast.audience), now=now)
    members = stored_audience_members(session, broadcast.audience)
    if not members:
        raise BadInput("Nobody in that audience is active any more.")
    tz_of = {person.id: recipient_zone(broadcast, person) for person in members}
    plans = plan_for(session, members, scheduled_for=now, rules=rules, tz_of=tz_of)
    occurrence = f"manual-{now:%Y%m%dT%H%M%S}"
    added = insert_deliveries(session, broadcast, plans, occurrence=occurrence, scheduled_for=now,
                              kind=delivery_kind(broadcast))
    insert_channel_posts(session, broadcast, occurrence=occurrence, scheduled_for=now,
                         due=rules.quiet.next_allowed(now, broadcast.anchor_tz))
    _audit(session, caller, "broadcast.send_now", broadcast, now)
    later = sum(1 for plan in plans if plan.due_at > now or plan.held)
    note = f" ({later} after their quiet hours or time away)" if later else ""
    return f"Sending it now to {added} people in {broadcast.audience_label}{note}."


def check_edit(session: Session, *, caller: Person, broadcast_id: int, title: str,
               body: str) -> tuple[Broadcast, Message, NewMessage]:
    """Reads only: whether the caller may give this broadcast this message now (refused with the reason, the
    message's problems by field), and the broadcast, its current message and the new one."""
    broadcast = _owned(session, caller, broadcast_id)
    if broadcast.status == BroadcastStatus.CANCELLED:
        raise BadInput("That broadcast was cancelled, so there is nothing left to edit.")
    current = session.get(Message, broadcast.message_id)
    assert current is not None
    new = NewMessage(title=title, body=body, key=current.key, key_message=current.key_message,
                     literal=current.source == LITERAL_SOURCE)  # an edited feedback request stays plain text
    problems = check_new_message(new)
    if problems:
        raise DraftProblems(problems)
    return broadcast, current, new


def edit_message(session: Session, *, caller: Person, broadcast_id: int, title: str, body: str, now: datetime) -> EditResult:
    """A new version of the message; sent deliveries keep theirs, queued ones carry the new one. Checked again as
    it is written (the broadcast may have been cancelled since the form was checked)."""
    broadcast, current, new = check_edit(session, caller=caller, broadcast_id=broadcast_id, title=title, body=body)
    if (title.strip(), body.strip()) == (current.title, current.body):
        return EditResult(current.version, ())
    message = new_version(session, caller, new, now)
    broadcast.message_id, broadcast.updated_at = message.id, now
    session.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast.id,
               Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.HELD]),
               Delivery.message_id == current.id)
        .values(message_id=message.id)
    )
    _audit(session, caller, "broadcast.edit", broadcast, now)
    session.flush()
    return EditResult(message.version, tuple(consistency_warnings(session, message=message, editor=caller)))


def current_message(session: Session, *, caller: Person, broadcast_id: int) -> Message:
    """The version a broadcast sends now (for the editor), if the caller may change it."""
    message = session.get(Message, _owned(session, caller, broadcast_id).message_id)
    assert message is not None
    return message


#: What a button in a leader's list of broadcasts may do to one of them (each platform names its buttons so).
STEERS = ("pause", "resume", "send_now", "cancel")


def steer(session: Session, *, caller: Person, verb: str, broadcast_id: int, now: datetime, rules: DeliveryRules,
          groups: GroupRefresher | None = None) -> str:
    """One of STEERS, for the list's buttons on every platform; anything else is refused (a forged button)."""
    if verb == "pause":
        return pause(session, caller=caller, broadcast_id=broadcast_id, now=now)
    if verb == "resume":
        return resume(session, caller=caller, broadcast_id=broadcast_id, now=now)
    if verb == "cancel":
        return cancel(session, caller=caller, broadcast_id=broadcast_id, now=now)
    if verb == "send_now":
        return send_again_now(session, caller=caller, broadcast_id=broadcast_id, now=now, rules=rules, groups=groups)
    raise PermissionDenied("That button does not do anything I know.")
