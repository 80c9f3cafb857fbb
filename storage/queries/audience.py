"""Who a broadcast's audience means right now, as one SQL condition on Person.

An audience is stored as what the leader chose (bot.core.broadcasts.AudienceSpec, stored by `resolve_audience`):
named people, the reps of named teams, every rep, the members of platform groups (a Slack user group or channel,
their membership cached in AudienceGroupMember), and exclusions of the same kinds ("every rep except team West").
It is resolved when each occurrence is materialised, so someone who joins a team, a user group or a channel after
a weekly broadcast was scheduled gets the next occurrence, and someone who left does not.

Every value is a bind parameter (`audience_parameters`), so the condition is built and compiled once whatever the
audience, and the materialiser's INSERT ... SELECT expands every occurrence in the database, never loading members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, and_, bindparam, func, not_, or_, select
from sqlmodel import Session

from storage.models import NO_KNOWN_ZONE, AudienceGroup, AudienceGroupMember, Person, Role

EXCLUDE = "exclude"
LIST_KEYS = ("person_ids", "team_ids", "group_ids")


def _ids(name: str) -> Any:
    return bindparam(name, expanding=True)


def in_groups(group_ids: Any, *, bounded: bool) -> Any:
    """Whether the person is a member of one of these cached groups: a range read of the (group, person) index,
    within the person id range `low` < id <= `high` when `bounded` (the materialiser's chunks), so a chunk of 250
    reads its 250 members, not all 10,000 of a channel again."""
    members = select(AudienceGroupMember.person_id).where(AudienceGroupMember.group_id.in_(group_ids),
                                                          AudienceGroupMember.person_id.is_not(None))
    if bounded:
        members = members.where(AudienceGroupMember.person_id > bindparam("low"),
                                AudienceGroupMember.person_id <= bindparam("high"))
    return Person.id.in_(members)


def _included(bounded: bool) -> Any:
    return or_(
        Person.id.in_(_ids("audience_person_ids")),
        and_(Person.team_id.in_(_ids("audience_team_ids")), Person.role == Role.REP),
        and_(bindparam("audience_all_reps", type_=Boolean), Person.role == Role.REP),
        in_groups(_ids("audience_group_ids"), bounded=bounded),
    )


def _excluded(bounded: bool) -> Any:
    """Anyone named in the exclusions, whatever their role (a team excluded is all of it)."""
    return or_(
        Person.id.in_(_ids("exclude_person_ids")),
        and_(Person.team_id.is_not(None), Person.team_id.in_(_ids("exclude_team_ids"))),
        in_groups(_ids("exclude_group_ids"), bounded=bounded),
    )


def audience_by_parameters(*, bounded: bool = False) -> Any:
    """The active people an audience reaches, its values as bind parameters (`audience_parameters`); `bounded`
    adds the person id range `low` < id <= `high` to its group look-ups (the caller bounds Person.id the same)."""
    return and_(Person.active.is_(True), _included(bounded), not_(_excluded(bounded)))


def audience_parameters(audience: dict[str, Any]) -> dict[str, Any]:
    """The values `audience_by_parameters` takes, for an audience as stored on a Broadcast row (older rows have
    no groups or exclusions: they mean none)."""
    exclude = audience.get(EXCLUDE) or {}
    values: dict[str, Any] = {f"audience_{key}": list(audience.get(key) or []) for key in LIST_KEYS}
    values.update({f"exclude_{key}": list(exclude.get(key) or []) for key in LIST_KEYS})
    values["audience_all_reps"] = bool(audience.get("all_reps"))
    return values


def stored_audience_members(session: Session, audience: dict[str, Any]) -> list[Person]:
    """Members of an audience as stored on a Broadcast row, in id order."""
    query = select(Person).where(audience_by_parameters()).order_by(Person.id)
    return list(session.execute(query, audience_parameters(audience)).scalars())


def stored_audience_count(session: Session, audience: dict[str, Any]) -> int:
    """How many people an audience reaches, counted in the database (a leader's answer must not wait for
    10,000 rows to load)."""
    query = select(func.count()).select_from(Person).where(audience_by_parameters())
    return int(session.execute(query, audience_parameters(audience)).scalar_one())


def audience_members(session: Session, **audience: Any) -> list[Person]:
    """Members of an audience given as keywords (person_ids, team_ids, all_reps, group_ids, exclude)."""
    return stored_audience_members(session, audience)


def count_audience_members(session: Session, **audience: Any) -> int:
    return stored_audience_count(session, audience)


@dataclass(frozen=True)
class AudienceReach:
    """What an audience resolves to now, and who of it is left out, for the leader's preview."""

    people: int  # active people it reaches
    without_zone: int  # of them, with no known time zone (their local-time deliveries are reckoned in UTC)
    outside_directory: int  # group members with no account in Drumbeat's directory: they get nothing
    outside_sample: tuple[str, ...] = ()  # a few of those platform user ids, to name them
    unread_groups: int = 0  # groups whose members could not be read yet (counted as none)


def audience_reach(session: Session, audience: dict[str, Any], *, sample: int = 10) -> AudienceReach:
    """The preview's figures, each one aggregate in SQL."""
    values = audience_parameters(audience)
    reached = select(func.count(), func.count().filter(Person.tz == NO_KNOWN_ZONE)).where(audience_by_parameters())
    people, without_zone = session.execute(reached, values).one()
    group_ids = values["audience_group_ids"]
    if not group_ids:
        return AudienceReach(int(people), int(without_zone), 0)
    outside = (select(AudienceGroupMember.user_id.label("user_id")).distinct()
               .where(AudienceGroupMember.group_id.in_(group_ids), AudienceGroupMember.person_id.is_(None))).subquery()
    outside_count = session.execute(select(func.count()).select_from(outside)).scalar_one()
    names = session.execute(select(outside.c.user_id).order_by(outside.c.user_id).limit(sample)).scalars()
    unread = session.execute(select(func.count()).select_from(AudienceGroup)
                             .where(AudienceGroup.id.in_(group_ids), AudienceGroup.refreshed_at.is_(None))).scalar_one()
    return AudienceReach(int(people), int(without_zone), int(outside_count), tuple(names), int(unread))
