"""The whole organisation at a glance, one row per team, for leaders' Home tab.

Three grouped queries (reps, deliveries, latest answers) each read the period's rows once, grouped by team in
the database; nothing here loops over people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, case, cast, func, select
from sqlmodel import Session

from storage.models import Delivery, DeliveryKind, DeliveryStatus, Person, QuizAsk, Role, Team
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
        .where(Delivery.due_at >= since, Delivery.kind == DeliveryKind.BROADCAST, Person.team_id.is_not(None))
        .group_by(Person.team_id)
    )}
    ranked = select(
        QuizAsk.person_id, QuizAsk.correct,
        func.row_number().over(partition_by=(QuizAsk.person_id, QuizAsk.expectation_id),
                               order_by=(QuizAsk.answered_at.desc(), QuizAsk.id.desc())).label("recency"),
    ).where(QuizAsk.answered_at >= since).subquery()
    answers = {team_id: (answered, int(correct or 0)) for team_id, answered, correct in session.execute(
        select(Person.team_id, func.count(), func.sum(cast(ranked.c.correct, Integer)))
        .select_from(ranked).join(Person, Person.id == ranked.c.person_id)
        .where(ranked.c.recency == 1, Person.team_id.is_not(None))
        .group_by(Person.team_id)
    )}
    return [
        TeamLine(team.name, reps.get(team.id, 0), *deliveries.get(team.id, (0, 0)), *answers.get(team.id, (0, 0)))
        for team in session.execute(select(Team).order_by(Team.name)).scalars()
    ]
