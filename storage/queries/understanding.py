"""Understanding rates: the share of expectations a rep answered correctly on their latest ask.

"Latest" is chosen in SQL with a window function (one row per rep and expectation), so every rate here
is an aggregate the database computes, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, cast, func, literal, select
from sqlmodel import Session

from storage.address import Address
from storage.models import Expectation, Person, QuizAsk, Role
from storage.queries.summary_scope import in_period, is_team_rep


@dataclass(frozen=True)
class Rate:
    key: str  # a slack id, an expectation key, or a team id as text
    correct: int
    answered: int

    @property
    def rate(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def latest_answers(*, team_id: int | None = None, person_id: int | None = None,  # noqa: ANN201
                   until: datetime | None = None, since: datetime | None = None, per: Any = None,
                   before: datetime | None = None):
    """Each person's latest answer per expectation answered in [since, until] (`summary_scope.in_period`),
    one row each; with `per` (an expression over QuizAsk, such as a week bucket) the latest within each of
    its values, exposed as column `per`. A team's answers are its active reps' (`summary_scope.team_reps`).
    `before` (exclusive) is for "as it stood when a week began": an answer given at that instant is the week's."""
    partition = [QuizAsk.person_id, QuizAsk.expectation_id] + ([per] if per is not None else [])
    columns = [QuizAsk.person_id, QuizAsk.expectation_id, QuizAsk.correct]
    if per is not None:
        columns.append(per.label("per"))
    ranked = select(
        *columns,
        func.row_number().over(
            partition_by=partition,
            order_by=(QuizAsk.answered_at.desc(), QuizAsk.id.desc()),
        ).label("recency"),
    ).where(QuizAsk.answered_at.is_not(None), in_period(QuizAsk.answered_at, since, until))
    if before is not None:
        ranked = ranked.where(QuizAsk.answered_at < before)
    if person_id is not None:
        ranked = ranked.where(QuizAsk.person_id == person_id)
    if team_id is not None:
        ranked = ranked.where(is_team_rep(QuizAsk.person_id, team_id))
    ranked = ranked.subquery()
    return select(ranked).where(ranked.c.recency == 1).subquery()


def per_expectation(session: Session, *, team_id: int, since: datetime | None = None,
                    until: datetime | None = None) -> list[Rate]:
    latest = latest_answers(team_id=team_id, since=since, until=until)
    rows = session.execute(
        select(Expectation.key, func.sum(cast(latest.c.correct, Integer)), func.count())
        .join(Expectation, Expectation.id == latest.c.expectation_id)
        .group_by(Expectation.key).order_by(Expectation.key)
    )
    return [Rate(key, int(correct or 0), answered) for key, correct, answered in rows]


def for_team(session: Session, *, team_id: int, until: datetime | None = None,
             since: datetime | None = None, before: datetime | None = None) -> Rate:
    latest = latest_answers(team_id=team_id, until=until, since=since, before=before)
    correct, answered = session.execute(select(func.sum(cast(latest.c.correct, Integer)), func.count()).select_from(latest)).one()
    return Rate(str(team_id), int(correct or 0), answered)


def for_person(session: Session, *, person_id: int, since: datetime | None = None,
               until: datetime | None = None) -> Rate:
    latest = latest_answers(person_id=person_id, since=since, until=until)
    correct, answered = session.execute(select(func.sum(cast(latest.c.correct, Integer)), func.count()).select_from(latest)).one()
    return Rate(str(person_id), int(correct or 0), answered)


def team_trend(session: Session, *, team_id: int, week_ends: list[datetime]) -> list[Rate]:
    """The team's understanding as it stood at the end of each given week (latest answers before it)."""
    return [for_team(session, team_id=team_id, before=end) for end in week_ends]


def person_per_expectation(session: Session, *, person_id: int, since: datetime | None = None,
                           until: datetime | None = None) -> list[Rate]:
    """One rep's latest answer per expectation (1 of 1 or 0 of 1), least understood first."""
    latest = latest_answers(person_id=person_id, since=since, until=until)
    rows = session.execute(
        select(Expectation.key, func.sum(cast(latest.c.correct, Integer)), func.count())
        .join(Expectation, Expectation.id == latest.c.expectation_id)
        .group_by(Expectation.key).order_by(func.sum(cast(latest.c.correct, Integer)), Expectation.key)
    )
    return [Rate(key, int(correct or 0), answered) for key, correct, answered in rows]


@dataclass(frozen=True)
class RepNeed:
    """A rep whose latest answers in the period are mostly wrong, with what they missed."""

    person_id: int
    name: str
    manager_id: int | None
    correct: int
    answered: int
    missed: list[str]  # expectation keys answered wrong on the latest ask
    address: Address | None = None  # where the rep is reached, filled in for those who will be named


MIN_ANSWERS_TO_JUDGE = 2  # one answer is too few to say a rep needs coaching


def reps_needing_coaching(session: Session, *, team_id: int, since: datetime, below: float,
                          min_answers: int = MIN_ANSWERS_TO_JUDGE, until: datetime | None = None) -> list[RepNeed]:
    """Reps under `below` on their latest answer per expectation in the period, weakest first."""
    latest = latest_answers(team_id=team_id, since=since, until=until)
    missed_key = func.aggregate_strings(Expectation.key, ",").filter(latest.c.correct.is_(False))
    correct = func.sum(cast(latest.c.correct, Integer))
    rows = session.execute(
        select(Person.id, Person.name, Person.manager_id, correct, func.count(), missed_key)
        .select_from(latest)
        .join(Person, Person.id == latest.c.person_id)
        .join(Expectation, Expectation.id == latest.c.expectation_id)
        .where(Person.role == Role.REP, Person.active.is_(True))
        .group_by(Person.id, Person.name, Person.manager_id)
        .having(func.count() >= min_answers)
        .having(cast(correct, Float) < literal(below, Float) * func.count())
        .order_by(cast(correct, Float) / func.count(), Person.name)
    )
    return [RepNeed(person_id, name, manager_id, int(right or 0), answered,
                    sorted((missed or "").split(",")) if missed else [])
            for person_id, name, manager_id, right, answered, missed in rows]


def reps_too_few_answers(session: Session, *, team_id: int, since: datetime, until: datetime | None = None,
                         min_answers: int = MIN_ANSWERS_TO_JUDGE) -> int:
    """How many of the team's reps answered in the period, but too few expectations to be judged: the summary
    says so, or "nobody needs coaching" would stand under a team rate that only they pulled down."""
    latest = latest_answers(team_id=team_id, since=since, until=until)
    per_rep = select(latest.c.person_id).group_by(latest.c.person_id).having(func.count() < min_answers).subquery()
    return int(session.execute(select(func.count()).select_from(per_rep)).scalar_one())
