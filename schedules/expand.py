"""One occurrence of a broadcast, for everyone it reaches in one zone, expanded in the database.

The rules are those of `schedules.materialise.plan_for`, written as one INSERT ... SELECT from the stored
audience (storage.queries.audience), so a tick never loads members into Python:
- quiet hours and weekends: every recipient in a zone shares the occurrence's instant, so they share the first
  allowed instant after it (computed once, in Python, for the zone);
- the daily cap: a correlated count of the person's deliveries already due that local day (an index range on
  ix_delivery_person_due); over the cap, the row moves to the zone's next allowed morning;
- time away: the row is HELD when the person is away on the local date it ends up on.
ON CONFLICT DO NOTHING on (broadcast, occurrence, person) keeps it idempotent, as every insert of a delivery is.
Every value is a bind parameter, so the few statement shapes (by zone kind and database) are built and compiled
once per process: what a due broadcast costs is its SQL, not SQLAlchemy building it again.
The statement reads the delivery table it writes; both databases evaluate the SELECT before inserting, so the
cap counts what existed before this occurrence, as plan_for does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, and_, bindparam, case, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from schedules.recurrence import Occurrence
from storage.models import Broadcast, Delivery, DeliveryKind, DeliveryStatus, Person
from storage.queries.audience import audience_by_parameters, audience_parameters

if TYPE_CHECKING:
    from schedules.materialise import DeliveryRules

COUNTED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)
CHUNK = 250  # recipients per INSERT: each is its own short write, so another connection's write never waits long
FALLBACK_ZONE = "UTC"
NO_LIMIT = 2**31 - 1  # the upper id bound of a last chunk (the largest INTEGER id)
_COLUMNS = ("broadcast_id", "occurrence", "person_id", "message_id", "kind", "question_id", "scheduled_for",
            "due_at", "status", "attempts")
ALL, ONE_ZONE, UNKNOWN_ZONES = "all", "zone", "unknown"  # who of the audience a statement reaches


def planned_zone(name: str) -> str:
    """The zone a person's occurrences are computed in: their own if it is a zone we know, else UTC (as
    schedules.materialise.recipient_zone: one odd directory entry must not stop anyone's broadcast)."""
    try:
        return name if ZoneInfo(name).key == name else FALLBACK_ZONE
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError, TypeError for odd names
        return FALLBACK_ZONE


def zone_kind(tz: str, *, local_time: bool) -> str:
    """Everyone (a fixed-time broadcast), the people in `tz`, or for UTC also everyone whose zone is unknown."""
    if not local_time:
        return ALL
    return UNKNOWN_ZONES if tz == FALLBACK_ZONE else ONE_ZONE


def zone_parameters(tz: str, organisation: list[str]) -> dict[str, Any]:
    """The values the zone conditions take: the UTC group is everyone not in one of the other (valid) zones."""
    return {"zone": tz, "other_zones": [name for name in organisation if name != FALLBACK_ZONE]}


def _who(kind: str) -> Any:
    if kind == ONE_ZONE:
        return Person.tz == bindparam("zone")
    if kind == UNKNOWN_ZONES:
        return Person.tz.not_in(bindparam("other_zones", expanding=True))
    return true()


def _recipients(kind: str) -> Any:
    return and_(audience_by_parameters(bounded=True), _who(kind), Person.id > bindparam("low"),
                Person.id <= bindparam("high"))


@cache
def _chunk_end(kind: str) -> Any:
    return select(Person.id).where(_recipients(kind)).order_by(Person.id).offset(bindparam("skip", type_=Integer)).limit(1)


def chunks(session: Session, broadcast: Broadcast, kind: str, parameters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The recipients as id ranges of at most CHUNK people each (one indexed look-up per range), so a big
    audience is written as several short statements; yields the parameters of each range."""
    values = {**audience_parameters(broadcast.audience), **parameters, "high": NO_LIMIT}
    low = 0
    while True:
        high = session.connection().execute(_chunk_end(kind), {**values, "low": low, "skip": CHUNK - 1}).scalar()
        yield {**values, "low": low, "high": NO_LIMIT if high is None else high}
        if high is None:
            return
        low = high


def _away_on(day: Any) -> Any:
    return and_(Person.away_until.is_not(None), Person.away_until >= day,
                or_(Person.away_from.is_(None), Person.away_from <= day))


def _typed(name: str, column: str) -> Any:
    return bindparam(name, type_=Delivery.__table__.c[column].type)


@cache
def _insert(kind: str, dialect: str) -> Any:
    counted = Delivery.__table__.alias("counted")
    already = (select(func.count()).select_from(counted)
               .where(counted.c.person_id == Person.id, counted.c.due_at >= _typed("day_start", "due_at"),
                      counted.c.due_at < _typed("day_end", "due_at"), counted.c.status.in_(COUNTED),
                      counted.c.kind != DeliveryKind.CHANNEL_POST.value)  # a channel's copy, not the leader's
               .scalar_subquery())
    cap = bindparam("cap", type_=Integer)
    capped = and_(cap > 0, already >= cap)
    day, capped_day = bindparam("day", type_=Date), bindparam("capped_day", type_=Date)
    held = or_(and_(capped, _away_on(capped_day)), and_(~capped, _away_on(day)))
    source = select(
        _typed("broadcast_id", "broadcast_id"), _typed("occurrence", "occurrence"), Person.id,
        _typed("message_id", "message_id"), _typed("kind", "kind"), _typed("question_id", "question_id"),
        _typed("scheduled_for", "scheduled_for"),
        case((capped, _typed("next_morning", "due_at")), else_=_typed("due", "due_at")),
        case((held, literal(DeliveryStatus.HELD.value)), else_=literal(DeliveryStatus.PENDING.value)),
        literal(0),
    ).where(_recipients(kind))
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (insert(Delivery.__table__).from_select(list(_COLUMNS), source)
            .on_conflict_do_nothing(index_elements=["broadcast_id", "occurrence", "person_id"])
            .returning(Delivery.__table__.c.status))


def occurrence_parameters(broadcast: Broadcast, occurrence: Occurrence, *, tz: str,
                          rules: DeliveryRules) -> dict[str, Any]:
    """The values of one occurrence in one zone: its instant moved out of quiet hours, that local day's bounds
    for the cap, and the next allowed morning a capped row moves to."""
    zone = ZoneInfo(tz)
    due = rules.quiet.next_allowed(occurrence.due_at, tz)
    day = due.astimezone(zone).date()
    next_morning = rules.quiet.next_allowed(datetime.combine(day + timedelta(days=1), rules.quiet.end, zone), tz)
    return {
        "broadcast_id": broadcast.id, "occurrence": occurrence.key, "message_id": broadcast.message_id,
        "kind": str(DeliveryKind.QUIZ if broadcast.quiz_only else DeliveryKind.BROADCAST),
        "question_id": broadcast.question_id, "scheduled_for": occurrence.due_at, "due": due, "day": day,
        "day_start": datetime.combine(day, time(0), zone),
        "day_end": datetime.combine(day + timedelta(days=1), time(0), zone),
        "next_morning": next_morning, "capped_day": next_morning.astimezone(zone).date(), "cap": rules.daily_cap,
    }


def expand_occurrence(session: Session, kind: str, parameters: dict[str, Any]) -> tuple[int, int]:
    """Insert one occurrence's rows for one range of recipients (parameters: `occurrence_parameters` and one of
    `chunks`); returns (rows added, of which held)."""
    statement = _insert(kind, session.get_bind().dialect.name)
    statuses = list(session.connection().execute(statement, parameters).scalars())  # Core: not an ORM bulk insert
    return len(statuses), sum(status == DeliveryStatus.HELD for status in statuses)
