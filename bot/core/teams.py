"""Teams kept in step with a chat platform's user group, so membership is managed where people already are.

Once a team is linked, the group is the source of truth for who the team's reps are: members join the team
(people Drumbeat has not met yet are added as reps), reps who left the group leave the team, and managers,
leaders and admins in the group keep their role and team. The CSV import still sets everything else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlmodel import Session

from bot.core.errors import BadInput, NotFound
from bot.core.roles import find_team, require_role
from messages.rich import Code, Rich
from storage.address import Address
from storage.models import NO_KNOWN_ZONE, AuditEvent, Person, Role, Team, utcnow
from storage.queries.accounts import link_account, people_at

TEAM_LINKERS = (Role.LEADER, Role.ADMIN)
MAX_TEAM_NAME = 120


@dataclass(frozen=True)
class Group:
    """A chat platform's group of people (a Slack user group; later a Teams team or Entra group)."""

    platform: str
    group_id: str


@dataclass(frozen=True)
class Member:
    address: Address
    name: str
    tz: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class SyncReport:
    team: str
    members: int
    joined: int  # reps moved into the team
    added: int  # people new to Drumbeat, added as reps
    left: int  # reps no longer in the group, taken out of the team
    kept: int  # managers, leaders and admins in the group, left as they are

    def describe(self) -> str:
        return (f"{self.members} members in the group: {self.joined} joined team {self.team}, {self.added} new to "
                f"Drumbeat added as reps, {self.left} left the team, {self.kept} managers or leaders left as they are.")


def link_team(session: Session, *, caller: Person, team_name: str, group: Group) -> tuple[Team, bool]:
    """Link (creating the team if needed); returns the team and whether it was created."""
    require_role(caller, TEAM_LINKERS, "link teams to user groups")
    name = " ".join(team_name.split())
    if not name:
        raise BadInput(Rich("Say which team, e.g. ", Code("team link East @east-sales"), "."))
    if len(name) > MAX_TEAM_NAME:
        raise BadInput(f"A team name is at most {MAX_TEAM_NAME} characters.")
    taken = team_for_group(session, group)
    team = find_team(session, name)
    if taken is not None and (team is None or taken.id != team.id):
        raise BadInput(Rich(f"That user group is already linked to team {taken.name}: ",
                            Code(f"team unlink {taken.name}"), " first."))
    created = team is None
    if team is None:
        team = Team(name=name)
        session.add(team)
    team.group_platform, team.group_id = group.platform, group.group_id
    session.flush()
    session.add(AuditEvent(actor_id=caller.id, action="team.linked",
                           detail={"team": team.name, "platform": group.platform, "group": group.group_id}))
    return team, created


def unlink_team(session: Session, *, caller: Person, team_name: str) -> Team:
    require_role(caller, TEAM_LINKERS, "unlink teams from user groups")
    team = find_team(session, team_name)
    if team is None or team.group_id is None:
        raise NotFound(f"There is no linked team called '{team_name}'.")
    team.group_platform, team.group_id = None, None
    session.add(AuditEvent(actor_id=caller.id, action="team.unlinked", detail={"team": team.name}))
    return team


def linked_teams(session: Session, platform: str) -> list[Team]:
    """Teams linked to one of this platform's groups."""
    return list(session.execute(select(Team).where(Team.group_platform == platform, Team.group_id.is_not(None))
                                .order_by(Team.name)).scalars())


def team_for_group(session: Session, group: Group) -> Team | None:
    return session.execute(select(Team).where(Team.group_platform == group.platform,
                                              Team.group_id == group.group_id)).scalar_one_or_none()


def group_of(team: Team) -> Group | None:
    return Group(team.group_platform, team.group_id) if team.group_platform and team.group_id else None


def unknown_members(session: Session, members: Iterable[Address]) -> list[Address]:
    """Who in the group Drumbeat has never met (the adapter looks up their names before syncing)."""
    wanted = list(dict.fromkeys(members))
    known = people_at(session, wanted, active_only=False)
    return [address for address in wanted if address not in known]


def sync_members(session: Session, *, team: Team, members: list[Member]) -> SyncReport:
    assert team.id is not None
    manager_ids = list(session.execute(
        select(Person.id).where(Person.team_id == team.id, Person.role == Role.MANAGER, Person.active.is_(True))
    ).scalars())
    team_manager = manager_ids[0] if len(manager_ids) == 1 else None
    known = people_at(session, [member.address for member in members], active_only=False)
    member_ids: set[int] = set()
    joined = added = kept = 0
    for member in members:
        person = known.get(member.address)
        if person is None:
            person = Person(name=member.name or member.address.user_id, tz=member.tz or NO_KNOWN_ZONE,
                            email=member.email, role=Role.REP, team_id=team.id, manager_id=team_manager)
            session.add(person)
            session.flush()
            link_account(session, person, member.address)
            known[member.address] = person
            added += 1
        elif person.role != Role.REP:
            kept += 1
        elif person.team_id != team.id:
            person.team_id, person.updated_at = team.id, utcnow()
            person.manager_id = team_manager or person.manager_id
            joined += 1
        member_ids.add(person.id)  # type: ignore[arg-type]
    leaving = update(Person).where(Person.team_id == team.id, Person.role == Role.REP)
    if member_ids:
        leaving = leaving.where(Person.id.not_in(member_ids))
    left = session.execute(leaving.values(team_id=None, updated_at=utcnow())).rowcount or 0
    session.flush()
    return SyncReport(team=team.name, members=len(members), joined=joined, added=added, left=left, kept=kept)
