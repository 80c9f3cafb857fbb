"""The materialiser as it was before next due instants (schedules/materialise.py at 6e15dab), kept for the
schedule benchmark only, as its peer: every active recurring broadcast read on every tick, every member loaded
into Python, occurrences recomputed per zone, all in the caller's one transaction."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from schedules.materialise import (
    DeliveryRules,
    MaterialiseReport,
    delivery_kind,
    insert_deliveries,
    plan_for,
    recipient_zone,
)
from schedules.recurrence import Recurrence, next_occurrence, occurrences_between
from storage.models import Broadcast, BroadcastStatus, Person
from storage.queries.audience import stored_audience_members


def old_materialise_broadcast(session: Session, broadcast: Broadcast, *, now: datetime, rules: DeliveryRules,
                              report: MaterialiseReport) -> None:
    recurrence = Recurrence.from_json(broadcast.recurrence or "")
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


def old_materialise_due(session: Session, *, now: datetime, rules: DeliveryRules) -> MaterialiseReport:
    report = MaterialiseReport()
    broadcasts = session.execute(
        select(Broadcast).where(Broadcast.status == BroadcastStatus.ACTIVE, Broadcast.recurrence.is_not(None))
    ).scalars()
    for broadcast in broadcasts:
        report.broadcasts += 1
        old_materialise_broadcast(session, broadcast, now=now, rules=rules, report=report)
    session.flush()
    return report
