"""What a manager sees when they ask how their team is doing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.errors import BadInput, NotFound, PermissionDenied
from bot.core.roles import find_team, managed_team_ids, require_role, sees_everything, visible_teams
from storage.models import Person, Role, Team
from storage.queries import understanding
from storage.queries.reach import MessageReach, TeamReach, message_reach, team_reach
from storage.queries.understanding import Rate

SUMMARY_READERS = (Role.MANAGER, Role.LEADER, Role.ADMIN)
PERIOD = re.compile(r"^(\d{1,3})d$")
DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class SummaryRequest:
    team_name: str | None = None
    days: int = DEFAULT_DAYS


@dataclass(frozen=True)
class TeamSummary:
    team: str
    days: int
    since: datetime
    reach: TeamReach
    messages: list[MessageReach]
    understanding: Rate
    expectations: list[Rate]  # least understood first


def parse_summary_args(words: list[str]) -> SummaryRequest:
    """`[team name] [7d|30d|90d|quarter]`, in any order; the period is the last word if it looks like one."""
    days = DEFAULT_DAYS
    if words:
        last = words[-1].lower()
        if last == "quarter":
            days, words = 91, words[:-1]
        elif PERIOD.match(last):
            days, words = int(PERIOD.match(last).group(1)), words[:-1]  # type: ignore[union-attr]
            if not 1 <= days <= MAX_DAYS:
                raise BadInput(f"A period is 1d to {MAX_DAYS}d (or 'quarter'); '{last}' is not.")
        elif re.fullmatch(r"\d+\w*", last):
            raise BadInput(f"'{last}' is not a period I know: use 7d, 30d, 90d or quarter.")
    team_name = " ".join(words).strip() or None
    return SummaryRequest(team_name=team_name, days=days)


def team_summary(session: Session, *, caller: Person, request: SummaryRequest, now: datetime) -> TeamSummary:
    require_role(caller, SUMMARY_READERS, "see team summaries")
    team = _choose_team(session, caller, request.team_name)
    since = now - timedelta(days=request.days)
    return TeamSummary(
        team=team.name,
        days=request.days,
        since=since,
        reach=team_reach(session, team_id=team.id, since=since),
        messages=message_reach(session, team_id=team.id, since=since),
        understanding=understanding.for_team(session, team_id=team.id),
        expectations=sorted(understanding.per_expectation(session, team_id=team.id),
                            key=lambda rate: (rate.rate if rate.rate is not None else 2.0, rate.key)),
    )


def _choose_team(session: Session, caller: Person, team_name: str | None) -> Team:
    if team_name is None:
        teams = visible_teams(session, caller) if not sees_everything(caller) else []
        if caller.team_id is not None and (sees_everything(caller) or caller.team_id in {t.id for t in teams}):
            team = session.get(Team, caller.team_id)
            assert team is not None
            return team
        if len(teams) == 1:
            return teams[0]
        names = ", ".join(team.name for team in visible_teams(session, caller)) or "none"
        raise BadInput(f"Which team? Add its name, e.g. `summary {names.split(', ')[0]}`. Your teams: {names}.")
    team = find_team(session, team_name)
    if team is None:
        names = ", ".join(t.name for t in visible_teams(session, caller)) or "none"
        raise NotFound(f"There is no team called '{team_name}'. Teams you can see: {names}.")
    if not sees_everything(caller) and team.id not in managed_team_ids(session, caller):
        raise PermissionDenied(f"Sorry, {team.name} is not one of your teams, so its summary is not yours to see.")
    return team
