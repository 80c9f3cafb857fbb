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
from storage.models import AuditEvent, Person, Role, Team, utcnow

TEAM_LINKERS = (Role.LEADER, Role.ADMIN)
MAX_TEAM_NAME = 120


@dataclass(frozen=True)
class Member:
    platform_user_id: str
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


def link_team(session: Session, *, caller: Person, team_name: str, usergroup_id: str) -> tuple[Team, bool]:
    """Link (creating the team if needed); returns the team and whether it was created."""
    require_role(caller, TEAM_LINKERS, "link teams to user groups")
    name = " ".join(team_name.split())
    if not name:
        raise BadInput("Say which team, e.g. `team link East @east-sales`.")
    if len(name) > MAX_TEAM_NAME:
        raise BadInput(f"A team name is at most {MAX_TEAM_NAME} characters.")
    taken = session.execute(select(Team).where(Team.slack_usergroup_id == usergroup_id)).scalar_one_or_none()
    team = find_team(session, name)
    if taken is not None and (team is None or taken.id != team.id):
        raise BadInput(f"That user group is already linked to team {taken.name}: `team unlink {taken.name}` first.")
    created = team is None
    if team is None:
        team = Team(name=name)
        session.add(team)
    team.slack_usergroup_id = usergroup_id
    session.flush()
    session.add(AuditEvent(actor_id=caller.id, action="team.linked", detail={"team": team.name, "group": usergroup_id}))
    return team, created


def unlink_team(session: Session, *, caller: Person, team_name: str) -> Team:
    require_role(caller, TEAM_LINKERS, "unlink teams from user groups")
    team = find_team(session, team_name)
    if team is None or team.slack_usergroup_id is None:
        raise NotFound(f"There is no linked team called '{team_name}'.")
    team.slack_usergroup_id = None
    session.add(AuditEvent(actor_id=caller.id, action="team.unlinked", detail={"team": team.name}))
    return team


def linked_teams(session: Session) -> list[Team]:
    return list(session.execute(select(Team).where(Team.slack_usergroup_id.is_not(None)).order_by(Team.name)).scalars())


def team_for_group(session: Session, usergroup_id: str) -> Team | None:
    return session.execute(select(Team).where(Team.slack_usergroup_id == usergroup_id)).scalar_one_or_none()


def unknown_members(session: Session, platform_user_ids: Iterable[str]) -> list[str]:
    """Who in the group Drumbeat has never met (the adapter looks up their names before syncing)."""
    ids = list(dict.fromkeys(platform_user_ids))
    known = set(session.execute(select(Person.slack_id).where(Person.slack_id.in_(ids))).scalars()) if ids else set()
    return [user_id for user_id in ids if user_id not in known]


def sync_members(session: Session, *, team: Team, members: list[Member]) -> SyncReport:
    assert team.id is not None
    ids = [member.platform_user_id for member in members]
    manager_ids = list(session.execute(
        select(Person.id).where(Person.team_id == team.id, Person.role == Role.MANAGER, Person.active.is_(True))
    ).scalars())
    team_manager = manager_ids[0] if len(manager_ids) == 1 else None
    known = {p.slack_id: p for p in session.execute(select(Person).where(Person.slack_id.in_(ids))).scalars()} if ids else {}
    joined = added = kept = 0
    for member in members:
        person = known.get(member.platform_user_id)
        if person is None:
            session.add(Person(slack_id=member.platform_user_id, name=member.name or member.platform_user_id,
                               tz=member.tz or "UTC", email=member.email, role=Role.REP, team_id=team.id,
                               manager_id=team_manager))
            added += 1
        elif person.role != Role.REP:
            kept += 1
        elif person.team_id != team.id:
            person.team_id, person.updated_at = team.id, utcnow()
            person.manager_id = team_manager or person.manager_id
            joined += 1
    leaving = update(Person).where(Person.team_id == team.id, Person.role == Role.REP)
    if ids:
        leaving = leaving.where(Person.slack_id.not_in(ids))
    left = session.execute(leaving.values(team_id=None, updated_at=utcnow())).rowcount or 0
    session.flush()
    return SyncReport(team=team.name, members=len(members), joined=joined, added=added, left=left, kept=kept)
