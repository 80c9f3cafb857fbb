"""What a person sees on Drumbeat's Home tab: a live dashboard cut to their role.

A rep sees what waits for them (messages to acknowledge, questions to answer) and their own understanding; a
manager also sees each of their teams' summary; a leader sees the whole organisation, one line per team. The
figures come from the same SQL aggregates as `/drumbeat summary`, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from bot.core import summaries
from bot.core.feedback import Thresholds
from bot.core.roles import identify, managed_team_ids, sees_everything
from messages.rich import Rich
from storage.address import Address
from storage.models import Person, Role, Team
from storage.queries import understanding, waiting
from storage.queries.overview import TeamLine, org_by_team
from storage.queries.understanding import Rate

HOME_DAYS = 30
MAX_TEAMS_IN_DETAIL = 3  # a manager with more teams sees the rest by name, each one `summary <team>` away
MAX_WAITING_SHOWN = 8


@dataclass(frozen=True)
class Waiting:
    title: str
    sent_at: datetime | None


@dataclass(frozen=True)
class HomeView:
    name: str | None
    role: str | None
    unacknowledged: int
    note: Rich | None  # instead of the dashboard, for someone Drumbeat cannot show one (not in the directory)
    command: str
    waiting: list[Waiting] = field(default_factory=list)
    open_questions: int = 0
    own: Rate | None = None
    own_expectations: list[Rate] = field(default_factory=list)
    teams: list[summaries.TeamSummary] = field(default_factory=list)
    other_teams: list[str] = field(default_factory=list)
    organisation: list[TeamLine] = field(default_factory=list)
    days: int = HOME_DAYS


def unknown_person(note: Rich, command: str) -> HomeView:
    return HomeView(name=None, role=None, unacknowledged=0, note=note, command=command)


def home_for(session: Session, *, caller: Address, command: str, now: datetime,
             thresholds: Thresholds = Thresholds()) -> HomeView:
    person = identify(session, caller)
    assert person.id is not None
    since = now - timedelta(days=HOME_DAYS)
    waiting_rows = waiting.unacknowledged_titles(session, person_id=person.id, limit=MAX_WAITING_SHOWN)
    unacknowledged = waiting.unacknowledged_count(session, person_id=person.id)
    open_questions = waiting.open_questions_count(session, person_id=person.id)
    teams, other_teams = _manager_teams(session, person, now, thresholds)
    return HomeView(
        name=person.first_name,
        role=person.role,
        unacknowledged=unacknowledged,
        note=None,
        command=command,
        waiting=[Waiting(title, sent_at) for title, sent_at in waiting_rows],
        open_questions=open_questions,
        own=understanding.for_person(session, person_id=person.id, since=since),
        own_expectations=understanding.person_per_expectation(session, person_id=person.id, since=since),
        teams=teams,
        other_teams=other_teams,
        organisation=org_by_team(session, since=since) if sees_everything(person) else [],
    )


def _manager_teams(session: Session, person: Person, now: datetime,
                   thresholds: Thresholds) -> tuple[list[summaries.TeamSummary], list[str]]:
    if person.role != Role.MANAGER:
        return [], []
    ids = managed_team_ids(session, person)
    names = sorted(session.execute(select(Team.name).where(Team.id.in_(ids))).scalars()) if ids else []
    detailed = [
        summaries.team_summary(session, caller=person, now=now, thresholds=thresholds,
                               request=summaries.SummaryRequest(team_name=name, days=HOME_DAYS))
        for name in names[:MAX_TEAMS_IN_DETAIL]
    ]
    return detailed, names[MAX_TEAMS_IN_DETAIL:]
