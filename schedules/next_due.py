"""Each recurring broadcast's next due instant, so the materialiser costs what is due, not what exists.

The design:
- Zones. A broadcast at each recipient's local time is planned in every zone a person of the organisation is
  in (the ScheduleZone table lists the zones planned so far); one at a fixed time, in its anchor zone alone.
  The zone set is the organisation's, not the audience's, so someone who joins a team, or moves to another
  zone somebody already has, is covered with no re-planning: audiences are resolved only when an occurrence
  is expanded (schedules.expand). A zone with nobody of the audience in it costs a wake-up whose INSERT adds
  nothing.
- State. `Broadcast.schedule_state` holds, per zone, the instant of the next occurrence there, its index in
  the series (which `count` needs) and the cursor the trigger found it from (recurrence.Walk says why that is
  not the instant itself); `Broadcast.next_due_at` is the earliest of those instants, indexed with the status
  (ix_broadcast_due). A tick reads only the active broadcasts with next_due_at <= now through that index.
- Advancing. For a due broadcast, every zone whose instant has come is walked (recurrence.walk_from) from its
  own stored checkpoint to the first occurrence after now: never from the start of the series. The newest
  occurrence passed is expanded (older ones, missed during downtime, are coalesced into it, as before).
- Planning. next_due_at NULL on an active recurring broadcast means "not planned yet": new, resumed, or from
  before migration 0010. Planning computes each zone's first occurrence after `materialised_until` (for a
  new broadcast, just before its creation instant, so an occurrence due right then counts).
- New zones. Each tick lists the zones people are in (a loose index scan of ix_person_tz: one step a zone).
  A zone not yet in ScheduleZone is planned, from now, into every planned local-time broadcast, lowering
  next_due_at where it comes first; only then is it recorded, so an interrupted tick plans it again. That is
  the one step whose cost is the number of broadcasts, and it runs only when a zone appears.
- Writes. Recipients' rows are committed (in chunks) before the state that says they exist; a crash between
  repeats the occurrence, and ON CONFLICT DO NOTHING makes the repeat add only what was missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from schedules.expand import FALLBACK_ZONE, planned_zone
from schedules.recurrence import Occurrence, Recurrence, RecurrenceError, Walk, first_after, walk_from
from storage.models import Broadcast, BroadcastStatus, ScheduleZone

log = logging.getLogger(__name__)
_TICK = timedelta(microseconds=1)
BATCH = 200  # broadcasts per transaction when planning: short writes, so other writers never wait long


# A loose index scan: one step of ix_person_tz per distinct zone, so listing the zones costs the number of zones,
# not of people (neither database skips through an index for a plain DISTINCT).
_ZONES_BY_INDEX = text("""
    WITH RECURSIVE zones(tz) AS (
        SELECT min(tz) FROM person
        UNION ALL
        SELECT (SELECT min(later.tz) FROM person AS later WHERE later.tz > zones.tz) FROM zones
        WHERE zones.tz IS NOT NULL
    )
    SELECT tz FROM zones WHERE tz IS NOT NULL
""")


def people_zones(session: Session) -> list[str]:
    """The distinct zone names people have (raw, as the directory gave them)."""
    return list(session.execute(_ZONES_BY_INDEX).scalars())


def organisation_zones(raw_zones: list[str]) -> list[str]:
    """The zones occurrences are computed in: the valid ones, and UTC for any unknown (or for nobody yet)."""
    return sorted({planned_zone(name) for name in raw_zones} or {FALLBACK_ZONE})


def zones_of(broadcast: Broadcast, organisation: list[str]) -> list[str]:
    return organisation if broadcast.local_time else [planned_zone(broadcast.anchor_tz)]


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _text(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _entry(walk: Walk) -> list[Any]:
    return [_text(walk.next_due), walk.index, _text(walk.cursor)]


def set_state(broadcast: Broadcast, state: dict[str, list[Any]]) -> None:
    """Store the per-zone state and its earliest instant; a series over in every zone is done."""
    broadcast.schedule_state = state  # reassigned, never changed in place (JSON columns do not track that)
    upcoming = [moment for moment in (_instant(entry[0]) for entry in state.values()) if moment is not None]
    broadcast.next_due_at = min(upcoming) if upcoming else None
    if broadcast.next_due_at is None:
        broadcast.status = BroadcastStatus.DONE


def plan(broadcast: Broadcast, organisation: list[str]) -> None:
    """The first occurrence in each zone after the watermark (see the module docstring)."""
    recurrence = Recurrence.from_json(broadcast.recurrence or "")
    since = broadcast.materialised_until or (broadcast.created_at - _TICK)
    state: dict[str, list[Any]] = {}
    for tz in zones_of(broadcast, organisation):
        state[tz] = _entry(first_after(recurrence, tz, after=since))
    set_state(broadcast, state)


def add_zone(broadcast: Broadcast, tz: str, *, now: datetime) -> None:
    """Plan a zone new to the organisation into a planned broadcast, from now on."""
    state = dict(broadcast.schedule_state or {})
    if tz in state or not broadcast.local_time:
        return
    state[tz] = _entry(first_after(Recurrence.from_json(broadcast.recurrence or ""), tz, after=now))
    set_state(broadcast, state)


def advance(broadcast: Broadcast, *, now: datetime) -> Iterator[tuple[str, list[Occurrence]]]:
    """For each zone due by `now`: the occurrences passed, walking on from the stored instant; the state is
    stored advanced once the caller has consumed every zone."""
    recurrence = Recurrence.from_json(broadcast.recurrence or "")
    state = dict(broadcast.schedule_state or {})
    for tz, (next_text, index, cursor_text) in sorted(state.items()):
        next_at, cursor = _instant(next_text), _instant(cursor_text)
        if next_at is None or next_at > now or cursor is None:
            continue
        walk = walk_from(recurrence, tz, cursor=cursor, index=index, until=now + _TICK)
        state[tz] = _entry(walk)
        yield tz, walk.found
    set_state(broadcast, state)
    broadcast.materialised_until = now


def due_ids(session: Session, *, now: datetime) -> list[int]:
    """Active broadcasts due by `now`: an index range on ix_broadcast_due."""
    return list(session.execute(
        select(Broadcast.id).where(Broadcast.status == BroadcastStatus.ACTIVE, Broadcast.next_due_at <= now)
        .order_by(Broadcast.next_due_at, Broadcast.id)
    ).scalars())


def unplanned_ids(session: Session, *, limit: int, after_id: int = 0) -> list[int]:
    """Active recurring broadcasts not planned yet: the same index, at its NULL end."""
    return list(session.execute(
        select(Broadcast.id).where(Broadcast.status == BroadcastStatus.ACTIVE, Broadcast.next_due_at.is_(None),
                                   Broadcast.recurrence.is_not(None), Broadcast.id > after_id)
        .order_by(Broadcast.id).limit(limit)
    ).scalars())


def plan_unplanned(session: Session, organisation: list[str]) -> int:
    """Plan every active recurring broadcast without a plan, a batch per transaction; how many. One whose stored
    schedule cannot be read is logged and left for the next tick, never stopping the others."""
    planned = after_id = 0
    while ids := unplanned_ids(session, limit=BATCH, after_id=after_id):
        for broadcast in session.execute(select(Broadcast).where(Broadcast.id.in_(ids))).scalars():
            try:
                plan(broadcast, organisation)
                planned += 1
            except RecurrenceError:
                log.exception("broadcast %s: its schedule cannot be read; it is not planned", broadcast.id)
        session.commit()
        after_id = ids[-1]
    return planned


def plan_new_zones(session: Session, organisation: list[str], *, now: datetime) -> list[str]:
    """Zones people are in that no broadcast is planned in yet: planned into every local-time broadcast, then
    recorded; which were new."""
    known = set(session.execute(select(ScheduleZone.tz)).scalars())
    new = [tz for tz in organisation if tz not in known]
    if not new:
        return []
    after_id = 0
    while True:
        batch = list(session.execute(
            select(Broadcast).where(Broadcast.status == BroadcastStatus.ACTIVE, Broadcast.next_due_at.is_not(None),
                                    Broadcast.local_time.is_(True), Broadcast.id > after_id)
            .order_by(Broadcast.id).limit(BATCH)
        ).scalars())
        if not batch:
            break
        for broadcast in batch:
            for tz in new:
                add_zone(broadcast, tz, now=now)
        after_id = batch[-1].id or after_id
        session.commit()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(ScheduleZone).values([{"tz": tz, "added_at": now} for tz in new])
                    .on_conflict_do_nothing(index_elements=["tz"]))  # another instance may record it too
    session.commit()
    return new
