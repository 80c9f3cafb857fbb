"""From broadcasts (rows) to deliveries (rows): who gets which occurrence, and when.

Everything a delivery's timing depends on is decided here, once, when its row is written:
- the occurrence, computed with APScheduler's triggers in the recipient's zone (schedules.recurrence);
- quiet hours and weekends in the recipient's zone (the delivery moves to the next allowed time);
- the daily cap per rep (over it, the delivery moves to the rep's next allowed morning);
- time away (the row is HELD, and only the newest held occurrence of a broadcast is released on return).
Rows are inserted with ON CONFLICT DO NOTHING on (broadcast, occurrence, person), so running this twice,
or on two instances, or on a DST night when a trigger fires twice for one local date, adds nothing.

The tick costs what is due, not what exists: broadcasts store their next due instant per zone and only those
due are read (schedules/next_due.py); an occurrence is expanded for its audience in SQL, one INSERT ... SELECT
per zone (schedules/expand.py, the same rules as plan_for, which serves one-off sends); released rows and
reminders are found through indexes on what is due (ix_delivery_due for held rows, ix_delivery_sent).
"""

from __future__ import annotations

import logging
import time as time_module
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session

from schedules.audience_refresh import GroupRefresher, audience_group_ids
from schedules.channel_posts import insert_channel_posts
from schedules.expand import (
    chunks,
    expand_occurrence,
    occurrence_parameters,
    planned_zone,
    zone_kind,
    zone_parameters,
)
from schedules.next_due import advance, due_ids, organisation_zones, people_zones, plan_new_zones, plan_unplanned
from schedules.quiet_hours import QuietHours
from schedules.recurrence import RecurrenceError
from storage.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Message,
    Person,
)

log = logging.getLogger(__name__)

REMINDER_SUFFIX = ":reminder"
COUNTED_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)
REMINDER_CATCH_UP = timedelta(days=1)
WRITE_GAP_SECONDS = 0.003


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
    """How many deliveries each person already has due on a local day (for the daily cap). A channel post is
    stored under its leader but reaches a channel, not them: it is not counted (nor capped: it goes when due)."""
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
            Delivery.kind != DeliveryKind.CHANNEL_POST,  # a channel's copy is not a message to its leader
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
    table = Delivery.__table__  # Core, not the ORM entity: one statement compiled once (and cached) for every
    # batch, its rows sent as executemany ("insertmanyvalues"), where a VALUES list of 500 literal rows was
    # compiled anew on every call (70 ms of a 300-person send, bench/ack.py)
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["broadcast_id", "occurrence", "person_id"])
        .returning(table.c.id)  # rowcount is -1 on some drivers; the returned rows are exact
    )
    return len(session.execute(statement, rows).all())


def delivery_kind(broadcast: Broadcast) -> str:
    return DeliveryKind.QUIZ if broadcast.quiz_only else DeliveryKind.BROADCAST


def recipient_zone(broadcast: Broadcast, person: Person) -> str:
    """The zone a recipient's occurrences are computed in; an unknown zone falls back to UTC, so one odd
    directory entry never stops a broadcast for everyone else."""
    name = person.tz if broadcast.local_time else broadcast.anchor_tz
    return name if zone(name).key == name else "UTC"


def materialise_due(session: Session, *, now: datetime, rules: DeliveryRules,
                    groups: GroupRefresher | None = None) -> MaterialiseReport:
    """One pass of the materialiser job: only the broadcasts due by `now` (schedules/next_due.py).

    Every write is short: an occurrence is inserted by INSERT ... SELECT per zone and per CHUNK recipients
    (schedules/expand.py), each committed alone, then the broadcast's advanced state. A crash before the state
    is stored repeats the occurrence at the next tick, whose inserts add nothing for those already written
    (ON CONFLICT DO NOTHING), so the rows are committed before the state that says they exist, never after.
    `groups` re-reads the stale platform groups of each due broadcast first (schedules/audience_refresh.py), before
    the broadcast is locked, so no platform call is made while its row is held."""
    report = MaterialiseReport()
    organisation = organisation_zones(people_zones(session))
    plan_new_zones(session, organisation, now=now)
    plan_unplanned(session, organisation)
    for broadcast_id in due_ids(session, now=now):
        if groups is not None:
            _refresh_groups(session, groups, broadcast_id, now=now)
        broadcast = _locked(session, broadcast_id)
        if broadcast is None or broadcast.status != BroadcastStatus.ACTIVE or not _due(broadcast, now):
            session.commit()  # another instance got here first
            continue
        report.broadcasts += 1
        try:
            _materialise_one(session, broadcast, now=now, rules=rules, organisation=organisation, report=report)
        except RecurrenceError:
            session.rollback()
            log.exception("broadcast %s: its schedule cannot be read; skipped", broadcast_id)
    return report


def _refresh_groups(session: Session, groups: GroupRefresher, broadcast_id: int, *, now: datetime) -> None:
    audience = session.execute(select(Broadcast.audience).where(Broadcast.id == broadcast_id)).scalar_one_or_none()
    if audience and (group_ids := audience_group_ids(audience)):
        groups.refresh(session, group_ids, now=now)
        session.commit()


def _materialise_one(session: Session, broadcast: Broadcast, *, now: datetime, rules: DeliveryRules,
                     organisation: list[str], report: MaterialiseReport) -> None:
    """The rows of every zone due, a chunk of recipients per transaction, then the advanced state."""
    for tz, found in advance(broadcast, now=now):
        if not found:
            continue
        report.coalesced += len(found) - 1
        kind = zone_kind(tz, local_time=broadcast.local_time)
        occurrence = occurrence_parameters(broadcast, found[-1], tz=tz, rules=rules)
        for recipients in chunks(session, broadcast, kind, zone_parameters(tz, organisation)):
            created, held = expand_occurrence(session, kind, {**occurrence, **recipients})
            _commit_and_let_others_write(session)
            report.created += created
            report.held += held
        if not broadcast.local_time or tz == planned_zone(broadcast.anchor_tz):  # once, at the leader's local time
            insert_channel_posts(session, broadcast, occurrence=found[-1].key, due=occurrence["due"],
                                 scheduled_for=found[-1].due_at)
    report.finished += broadcast.status == BroadcastStatus.DONE
    session.commit()


def _commit_and_let_others_write(session: Session) -> None:
    """Commit, then on SQLite leave the write lock free for a moment: its busy handler polls with back-off (up to
    100 ms apart), so a writer waiting behind back-to-back transactions could miss every gap between them."""
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
        time_module.sleep(WRITE_GAP_SECONDS)


def _locked(session: Session, broadcast_id: int) -> Broadcast | None:
    """The broadcast as stored now (FOR UPDATE on PostgreSQL, so a second instance waits, then sees it advanced)."""
    query = select(Broadcast).where(Broadcast.id == broadcast_id).execution_options(populate_existing=True)
    return session.execute(query.with_for_update()).scalars().first()


def _due(broadcast: Broadcast, now: datetime) -> bool:
    return broadcast.next_due_at is not None and broadcast.next_due_at <= now


def _returning(session: Session, *, now: datetime) -> list[tuple[int, str]]:
    """(person, zone) of people with held rows who may be back today: a range on ix_delivery_due for the held
    rows, filtered in SQL by a bound on every zone's local date, then exactly by their own."""
    earliest, latest = (now - timedelta(hours=12)).date(), (now + timedelta(hours=14)).date()
    maybe_back = or_(Person.away_until.is_(None), Person.away_until < latest,
                     and_(Person.away_from.is_not(None), Person.away_from > earliest))
    rows = session.execute(
        select(Person.id, Person.tz, Person.away_from, Person.away_until).distinct()
        .join(Delivery, Delivery.person_id == Person.id)
        .where(Delivery.status == DeliveryStatus.HELD, maybe_back)
    ).all()
    back = []
    for person_id, tz, away_from, away_until in rows:
        today = now.astimezone(zone(tz)).date()
        if away_until is None or not (away_from or date.min) <= today <= away_until:
            back.append((person_id, tz))
    return back


def release_returning(session: Session, *, now: datetime, rules: DeliveryRules) -> int:
    """People back from time away get the newest held occurrence of each broadcast; older ones are dropped."""
    back = dict(_returning(session, now=now))
    if not back:
        return 0
    held = session.execute(
        select(Delivery.id, Delivery.person_id, Delivery.broadcast_id, Delivery.kind, Delivery.due_at)
        .where(Delivery.status == DeliveryStatus.HELD, Delivery.person_id.in_(list(back)))
        .order_by(Delivery.person_id, Delivery.broadcast_id, Delivery.scheduled_for.desc(), Delivery.id.desc())
    ).all()
    changes: list[dict[str, object]] = []
    newest_seen: set[tuple[int, int | None, str]] = set()
    for row_id, person_id, broadcast_id, kind, due_at in held:
        key = (person_id, broadcast_id, kind)
        if key in newest_seen:
            changes.append({"row": row_id, "new_status": DeliveryStatus.SUPERSEDED, "new_due": due_at})
            continue
        newest_seen.add(key)
        released_due = rules.quiet.next_allowed(max(now, due_at), back[person_id])
        changes.append({"row": row_id, "new_status": DeliveryStatus.PENDING, "new_due": released_due})
    table = Delivery.__table__
    session.execute(
        update(table).where(table.c.id == bindparam("row"), table.c.status == DeliveryStatus.HELD)
        .values(status=bindparam("new_status"), due_at=bindparam("new_due")),
        changes,
    )
    session.flush()
    return len(newest_seen)


def schedule_reminders(session: Session, *, now: datetime, rules: DeliveryRules) -> int:
    """At most one reminder per unacknowledged key message, only to those who have not acknowledged.

    Only messages sent in the day before the reminder became due are looked at (a range on ix_delivery_sent),
    not all history: after an outage longer than REMINDER_CATCH_UP, a reminder that late is noise, not help."""
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
            Delivery.status == DeliveryStatus.SENT,
            Delivery.sent_at <= now - rules.reminder_after,
            Delivery.sent_at > now - rules.reminder_after - REMINDER_CATCH_UP,
            Message.key_message.is_(True),
            Delivery.kind == DeliveryKind.BROADCAST,
            Delivery.acknowledged_at.is_(None),
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
