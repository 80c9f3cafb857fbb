"""From broadcasts (rows) to deliveries (rows): who gets which occurrence, and when.

Everything a delivery's timing depends on is decided here, once, when its row is written:
- the occurrence, computed with APScheduler's triggers in the recipient's zone (schedules.recurrence);
- quiet hours and weekends in the recipient's zone (the delivery moves to the next allowed time);
- the daily cap per rep (over it, the delivery moves to the rep's next allowed morning);
- time away (the row is HELD, and only the newest held occurrence of a broadcast is released on return).
Rows are inserted with ON CONFLICT DO NOTHING on (broadcast, occurrence, person), so running this twice,
or on two instances, or on a DST night when a trigger fires twice for one local date, adds nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session

from schedules.quiet_hours import QuietHours
from schedules.recurrence import Recurrence, next_occurrence, occurrences_between
from storage.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Message,
    Person,
)
from storage.queries.audience import stored_audience_members

log = logging.getLogger(__name__)

REMINDER_SUFFIX = ":reminder"
COUNTED_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)


@dataclass(frozen=True)
class DeliveryRules:
    """The rules that protect reps' attention (settings: quiet hours, daily cap, reminder delay)."""

    quiet: QuietHours = field(default_factory=QuietHours)
    daily_cap: int = 3
    reminder_after: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Planned:
    person_id: int
    due_at: datetime
    held: bool


@dataclass
class MaterialiseReport:
    broadcasts: int = 0
    created: int = 0
    held: int = 0
    coalesced: int = 0  # occurrences missed during downtime folded into the latest one
    finished: int = 0


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:  # an unknown zone from a directory must not stop everyone else's deliveries
        return ZoneInfo("UTC")


def local_day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    tzinfo = zone(tz)
    start = datetime.combine(day, time(0), tzinfo)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo)
    return start, end


def plan_for(
    session: Session, people: Sequence[Person], *, scheduled_for: datetime, rules: DeliveryRules, tz_of: dict[int, str]
) -> list[Planned]:
    """When each person should get something scheduled for `scheduled_for`, by the rules."""
    plans: list[Planned] = []
    by_zone: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        by_zone[tz_of[person.id]].append(person)
    for tz, group in by_zone.items():
        due = rules.quiet.next_allowed(scheduled_for, tz)
        local_day = due.astimezone(zone(tz)).date()
        counts = _deliveries_on(session, [p.id for p in group], local_day, tz)
        for person in group:
            person_due = due
            if rules.daily_cap and counts.get(person.id, 0) >= rules.daily_cap:
                next_morning = datetime.combine(local_day + timedelta(days=1), rules.quiet.end, zone(tz))
                person_due = rules.quiet.next_allowed(next_morning, tz)
            held = person.is_away_on(person_due.astimezone(zone(tz)).date())
            plans.append(Planned(person.id, person_due, held))
    return plans


def _deliveries_on(session: Session, person_ids: list[int], day: date, tz: str) -> dict[int, int]:
    """How many deliveries each person already has due on a local day (for the daily cap)."""
    if not person_ids:
        return {}
    start, end = local_day_bounds(day, tz)
    rows = session.execute(
        select(Delivery.person_id, func.count())
        .where(
            Delivery.person_id.in_(person_ids),
            Delivery.due_at >= start,
            Delivery.due_at < end,
            Delivery.status.in_(COUNTED_STATUSES),
        )
        .group_by(Delivery.person_id)
    )
    return {person_id: count for person_id, count in rows}


def insert_deliveries(
    session: Session,
    broadcast: Broadcast,
    plans: Iterable[Planned],
    *,
    occurrence: str,
    scheduled_for: datetime,
    kind: str = DeliveryKind.BROADCAST,
    message_id: int | None = None,
    question_id: int | None = None,
) -> int:
    """Insert one row per plan, skipping any that already exist; returns how many were added.

    A broadcast's own deliveries carry its attached question; a reminder does not ask again."""
    if question_id is None and kind in (DeliveryKind.BROADCAST, DeliveryKind.QUIZ):
        question_id = broadcast.question_id
    rows = [
        {
            "broadcast_id": broadcast.id,
            "occurrence": occurrence,
            "person_id": plan.person_id,
            "message_id": message_id or broadcast.message_id,
            "kind": kind,
            "question_id": question_id,
            "scheduled_for": scheduled_for,
            "due_at": plan.due_at,
            "status": DeliveryStatus.HELD if plan.held else DeliveryStatus.PENDING,
            "attempts": 0,
        }
        for plan in plans
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    added = 0
    for start in range(0, len(rows), 500):
        statement = (
            insert(Delivery)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=["broadcast_id", "occurrence", "person_id"])
            .returning(Delivery.id)  # rowcount is -1 on some drivers; the returned rows are exact
        )
        added += len(session.execute(statement).all())
    return added


def delivery_kind(broadcast: Broadcast) -> str:
    return DeliveryKind.QUIZ if broadcast.quiz_only else DeliveryKind.BROADCAST


def recipient_zone(broadcast: Broadcast, person: Person) -> str:
    """The zone a recipient's occurrences are computed in; an unknown zone falls back to UTC, so one odd
    directory entry never stops a broadcast for everyone else."""
    name = person.tz if broadcast.local_time else broadcast.anchor_tz
    return name if zone(name).key == name else "UTC"


def materialise_broadcast(session: Session, broadcast: Broadcast, *, now: datetime, rules: DeliveryRules,
                          report: MaterialiseReport) -> None:
    """Write the rows for occurrences of one recurring broadcast that fell due since its watermark."""
    recurrence = Recurrence.from_json(broadcast.recurrence or "")
    # A new broadcast's window includes its creation instant (an occurrence due right then counts).
    since = broadcast.materialised_until or (broadcast.created_at - timedelta(microseconds=1))
    members = stored_audience_members(session, broadcast.audience)
    tz_of = {person.id: recipient_zone(broadcast, person) for person in members}
    by_zone: dict[str, list[Person]] = defaultdict(list)
    for person in members:
        by_zone[tz_of[person.id]].append(person)
    window_end = now + timedelta(microseconds=1)
    still_running = False
    for tz, people in by_zone.items():
        due = occurrences_between(recurrence, tz, start=since + timedelta(microseconds=1), end=window_end)
        if due:
            latest = due[-1]
            report.coalesced += len(due) - 1
            plans = plan_for(session, people, scheduled_for=latest.due_at, rules=rules, tz_of=tz_of)
            report.held += sum(plan.held for plan in plans)
            report.created += insert_deliveries(session, broadcast, plans, occurrence=latest.key,
                                                scheduled_for=latest.due_at, kind=delivery_kind(broadcast))
        if next_occurrence(recurrence, tz, after=now) is not None:
            still_running = True
    broadcast.materialised_until = now
    if members and not still_running:
        broadcast.status = BroadcastStatus.DONE
        report.finished += 1


def materialise_due(session: Session, *, now: datetime, rules: DeliveryRules) -> MaterialiseReport:
    """One pass of the materialiser job over every active recurring broadcast."""
    report = MaterialiseReport()
    broadcasts = session.execute(
        select(Broadcast).where(Broadcast.status == BroadcastStatus.ACTIVE, Broadcast.recurrence.is_not(None))
    ).scalars()
    for broadcast in broadcasts:
        report.broadcasts += 1
        materialise_broadcast(session, broadcast, now=now, rules=rules, report=report)
    session.flush()
    return report


def release_returning(session: Session, *, now: datetime, rules: DeliveryRules) -> int:
    """People back from time away get the newest held occurrence of each broadcast; older ones are dropped."""
    held = session.execute(
        select(Delivery, Person)
        .join(Person, Person.id == Delivery.person_id)
        .where(Delivery.status == DeliveryStatus.HELD)
        .order_by(Delivery.person_id, Delivery.broadcast_id, Delivery.scheduled_for.desc(), Delivery.id.desc())
    ).all()
    released = 0
    newest_seen: set[tuple[int, int, str]] = set()
    for delivery, person in held:
        today = now.astimezone(zone(person.tz)).date()
        if person.is_away_on(today):
            continue
        key = (delivery.person_id, delivery.broadcast_id, delivery.kind)
        if key in newest_seen:
            delivery.status = DeliveryStatus.SUPERSEDED
            continue
        newest_seen.add(key)
        delivery.status = DeliveryStatus.PENDING
        delivery.due_at = rules.quiet.next_allowed(max(now, delivery.due_at), person.tz)
        released += 1
    session.flush()
    return released


def schedule_reminders(session: Session, *, now: datetime, rules: DeliveryRules) -> int:
    """At most one reminder per unacknowledged key message, only to those who have not acknowledged."""
    reminder = aliased(Delivery)
    already_reminded = (
        select(reminder.id)
        .where(
            reminder.broadcast_id == Delivery.broadcast_id,
            reminder.person_id == Delivery.person_id,
            reminder.occurrence == Delivery.occurrence + REMINDER_SUFFIX,
        )
        .exists()
    )
    due = session.execute(
        select(Delivery, Person, Broadcast)
        .join(Message, Message.id == Delivery.message_id)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .join(Person, Person.id == Delivery.person_id)
        .where(
            Message.key_message.is_(True),
            Delivery.kind == DeliveryKind.BROADCAST,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.acknowledged_at.is_(None),
            Delivery.sent_at <= now - rules.reminder_after,
            Broadcast.status.in_([BroadcastStatus.ACTIVE, BroadcastStatus.DONE]),
            Person.active.is_(True),
            ~already_reminded,
        )
    ).all()
    added = 0
    for delivery, person, broadcast in due:
        plans = plan_for(session, [person], scheduled_for=now, rules=rules, tz_of={person.id: person.tz})
        added += insert_deliveries(
            session, broadcast, plans, occurrence=delivery.occurrence + REMINDER_SUFFIX, scheduled_for=now,
            kind=DeliveryKind.REMINDER, message_id=delivery.message_id,
        )
    session.flush()
    return added


def cancel_pending(session: Session, broadcast_id: int) -> int:
    result = session.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.HELD]))
        .values(status=DeliveryStatus.CANCELLED)
    )
    return result.rowcount or 0
