"""Who a broadcast's audience means right now: named people, the reps of named teams, or every rep.

Resolved when each occurrence is materialised, so someone who joins a team after a weekly broadcast
was scheduled gets the next occurrence, and someone who left does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, and_, bindparam, false, func, or_, select
from sqlmodel import Session

from storage.models import Person, Role


def _members_of(person_ids: Sequence[int], team_ids: Sequence[int], all_reps: bool) -> Any:
    conditions: list[Any] = []
    if person_ids:
        conditions.append(Person.id.in_(list(person_ids)))
    if team_ids:
        conditions.append(and_(Person.team_id.in_(list(team_ids)), Person.role == Role.REP))
    if all_reps:
        conditions.append(Person.role == Role.REP)
    return and_(Person.active.is_(True), or_(*conditions) if conditions else false())


def audience_members(
    session: Session, *, person_ids: Sequence[int] = (), team_ids: Sequence[int] = (), all_reps: bool = False
) -> list[Person]:
    where = _members_of(person_ids, team_ids, all_reps)
    return list(session.execute(select(Person).where(where).order_by(Person.id)).scalars())


def count_audience_members(
    session: Session, *, person_ids: Sequence[int] = (), team_ids: Sequence[int] = (), all_reps: bool = False
) -> int:
    """How many people an audience reaches, counted in the database (a leader's answer must not wait for
    10,000 rows to load)."""
    where = _members_of(person_ids, team_ids, all_reps)
    return int(session.execute(select(func.count()).select_from(Person).where(where)).scalar_one())


def stored_audience_members(session: Session, audience: dict[str, Any]) -> list[Person]:
    """Members of an audience as stored on a Broadcast row (see bot.core.broadcasts.AudienceSpec)."""
    return audience_members(
        session,
        person_ids=audience.get("person_ids", []),
        team_ids=audience.get("team_ids", []),
        all_reps=bool(audience.get("all_reps")),
    )


def audience_by_parameters() -> Any:
    """The condition of `_members_of` with the audience's values as bind parameters (`audience_parameters`), so a
    statement using it is built and compiled once, whatever the audience (the materialiser's INSERT ... SELECT
    expands every occurrence in the database, never loading members)."""
    return and_(Person.active.is_(True), or_(
        Person.id.in_(bindparam("audience_person_ids", expanding=True)),
        and_(Person.team_id.in_(bindparam("audience_team_ids", expanding=True)), Person.role == Role.REP),
        and_(bindparam("audience_all_reps", type_=Boolean), Person.role == Role.REP),
    ))


def audience_parameters(audience: dict[str, Any]) -> dict[str, Any]:
    """The values `audience_by_parameters` takes, for an audience as stored on a Broadcast row."""
    return {"audience_person_ids": list(audience.get("person_ids", [])),
            "audience_team_ids": list(audience.get("team_ids", [])),
            "audience_all_reps": bool(audience.get("all_reps"))}


def stored_audience_count(session: Session, audience: dict[str, Any]) -> int:
    return count_audience_members(
        session,
        person_ids=audience.get("person_ids", []),
        team_ids=audience.get("team_ids", []),
        all_reps=bool(audience.get("all_reps")),
    )
