"""The whole organisation at a glance, one row per team, for leaders' Home tab.

Three grouped queries (reps, deliveries, latest answers), grouped by team in the database; nothing here loops
over people or teams. The latest answers come from `answerstate` (one row per rep and expectation, kept by
triggers): the latest answer in a period open at its end is the latest answer overall when it falls in the
period, so no answer history is ranked (ranking the period's answers took 3 s on SQLite at 5,000 reps).
A team's rows are its active reps', as in a team's own summary (`summary_scope`), so both say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, case, cast, func, select
from sqlmodel import Session

from storage.models import AnswerState, Delivery, DeliveryKind, DeliveryStatus, Person, Role, Team
from storage.queries.momentum import share


@dataclass(frozen=True)
class TeamLine:
    team: str
    reps: int
    delivered: int
    acknowledged: int
    answered: int
    correct: int

    @property
    def understanding(self) -> float | None:
        return share(self.correct, self.answered)

    @property
    def acknowledgement(self) -> float | None:
        return share(self.acknowledged, self.delivered)


def org_by_team(session: Session, *, since: datetime) -> list[TeamLine]:
    reps = dict(session.execute(
        select(Person.team_id, func.count())
        .where(Person.role == Role.REP, Person.active.is_(True), Person.team_id.is_not(None))
        .group_by(Person.team_id)
    ).all())
    deliveries = {team_id: (int(sent or 0), int(acked or 0)) for team_id, sent, acked in session.execute(
        select(Person.team_id,
               func.sum(case((Delivery.status == DeliveryStatus.SENT, 1), else_=0)),
               func.sum(case((Delivery.acknowledged_at.is_not(None), 1), else_=0)))
        .select_from(Delivery).join(Person, Person.id == Delivery.person_id)
        .where(Delivery.due_at >= since, Delivery.kind == DeliveryKind.BROADCAST, Person.team_id.is_not(None),
               Person.role == Role.REP, Person.active.is_(True))
        .group_by(Person.team_id)
    )}
    answers = {team_id: (int(answered), int(correct or 0)) for team_id, answered, correct in session.execute(
        select(Person.team_id, func.count(), func.sum(cast(AnswerState.latest_correct, Integer)))
        .select_from(AnswerState).join(Person, Person.id == AnswerState.person_id)
        .where(AnswerState.latest_at >= since, Person.team_id.is_not(None), Person.role == Role.REP,
               Person.active.is_(True))
        .group_by(Person.team_id)
    )}
    return [
        TeamLine(team.name, reps.get(team.id, 0), *deliveries.get(team.id, (0, 0)), *answers.get(team.id, (0, 0)))
        for team in session.execute(select(Team).order_by(Team.name)).scalars()
    ]
