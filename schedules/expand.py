"""One occurrence of a broadcast, for everyone it reaches in one zone, expanded in the database.

The rules are those of `schedules.materialise.plan_for`, written as one INSERT ... SELECT from the stored
audience (storage.queries.audience), so a tick never loads members into Python:
- quiet hours and weekends: every recipient in a zone shares the occurrence's instant, so they share the first
  allowed instant after it (computed once, in Python, for the zone);
- the daily cap: a correlated count of the person's deliveries already due that local day (an index range on
  ix_delivery_person_due); over the cap, the row moves to the zone's next allowed morning;
- time away: the row is HELD when the person is away on the local date it ends up on.
ON CONFLICT DO NOTHING on (broadcast, occurrence, person) keeps it idempotent, as every insert of a delivery is.
The statement reads the delivery table it writes; both databases evaluate the SELECT before inserting, so the
cap counts what existed before this occurrence, as plan_for does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, false, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from schedules.recurrence import Occurrence
from storage.models import Broadcast, Delivery, DeliveryKind, DeliveryStatus, Person
from storage.queries.audience import stored_audience_condition

if TYPE_CHECKING:
    from schedules.materialise import DeliveryRules

COUNTED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)
FALLBACK_ZONE = "UTC"
_COLUMNS = ("broadcast_id", "occurrence", "person_id", "message_id", "kind", "question_id", "scheduled_for",
            "due_at", "status", "attempts")


def planned_zone(name: str) -> str:
    """The zone a person's occurrences are computed in: their own if it is a zone we know, else UTC (as
    schedules.materialise.recipient_zone: one odd directory entry must not stop anyone's broadcast)."""
    try:
        return name if ZoneInfo(name).key == name else FALLBACK_ZONE
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError, TypeError for odd names
        return FALLBACK_ZONE


def in_zone(tz: str, other_zones: Iterable[str]) -> Any:
    """People reckoned in `tz`. The UTC group also holds everyone whose zone is unknown, i.e. everyone not in
    one of the other (valid) zones the organisation has: `other_zones`."""
    if tz != FALLBACK_ZONE:
        return Person.tz == tz
    return Person.tz.not_in(sorted(set(other_zones) - {FALLBACK_ZONE}))


def _away_on(day: date) -> Any:
    return and_(Person.away_until.is_not(None), Person.away_until >= day,
                or_(Person.away_from.is_(None), Person.away_from <= day))


def _typed(value: Any, column: str) -> Any:
    return literal(value, Delivery.__table__.c[column].type)


def expand_occurrence(session: Session, broadcast: Broadcast, occurrence: Occurrence, *, tz: str, people: Any,
                      rules: DeliveryRules) -> tuple[int, int]:
    """Insert this occurrence's rows for the audience members matching `people` (a Person condition), all
    reckoned in `tz`; returns (rows added, of which held)."""
    zone = ZoneInfo(tz)
    due = rules.quiet.next_allowed(occurrence.due_at, tz)
    day = due.astimezone(zone).date()
    day_start, day_end = (datetime.combine(day + timedelta(days=n), time(0), zone) for n in (0, 1))
    next_morning = rules.quiet.next_allowed(datetime.combine(day + timedelta(days=1), rules.quiet.end, zone), tz)
    capped_day = next_morning.astimezone(zone).date()
    counted = Delivery.__table__.alias("counted")
    already = (select(func.count()).select_from(counted)
               .where(counted.c.person_id == Person.id, counted.c.due_at >= day_start, counted.c.due_at < day_end,
                      counted.c.status.in_(COUNTED))
               .scalar_subquery())
    capped = already >= rules.daily_cap if rules.daily_cap else false()
    held = or_(and_(capped, _away_on(capped_day)), and_(~capped if rules.daily_cap else true(), _away_on(day)))
    kind = DeliveryKind.QUIZ if broadcast.quiz_only else DeliveryKind.BROADCAST
    source = select(
        _typed(broadcast.id, "broadcast_id"), _typed(occurrence.key, "occurrence"), Person.id,
        _typed(broadcast.message_id, "message_id"), _typed(str(kind), "kind"),
        _typed(broadcast.question_id, "question_id"), _typed(occurrence.due_at, "scheduled_for"),
        case((capped, _typed(next_morning, "due_at")), else_=_typed(due, "due_at")),
        case((held, literal(DeliveryStatus.HELD.value)), else_=literal(DeliveryStatus.PENDING.value)),
        literal(0),
    ).where(stored_audience_condition(broadcast.audience), people)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (insert(Delivery).from_select(list(_COLUMNS), source)
                 .on_conflict_do_nothing(index_elements=["broadcast_id", "occurrence", "person_id"])
                 .returning(Delivery.status))
    statuses = list(session.execute(statement).scalars())
    return len(statuses), sum(status == DeliveryStatus.HELD for status in statuses)
