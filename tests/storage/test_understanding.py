"""Understanding rates from SQL against figures worked out by hand on a small seeded organisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from tests.people import add_person
from storage.db import session_scope
from storage.models import Expectation, Question, QuizAsk, Team
from storage.queries import understanding

T1 = datetime(2026, 11, 2, 9, tzinfo=UTC)
T2, T3 = T1 + timedelta(days=7), T1 + timedelta(days=14)


def seed(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        a, b = Team(name="A"), Team(name="B")
        session.add_all([a, b])
        session.flush()
        people = {name: add_person(session, f"U0{name.upper()}", name=name, team_id=team.id)
                  for name, team in (("r1", a), ("r2", a), ("r3", b))}
        session.add_all(people.values())
        e1, e2 = Expectation(key="e1", statement="one", pillar="m"), Expectation(key="e2", statement="two", pillar="m")
        session.add_all([e1, e2])
        session.flush()
        q1 = Question(key="q1", expectation_id=e1.id, prompt="?", options=["a", "b"], correct=0, explanation=".")
        q2 = Question(key="q2", expectation_id=e2.id, prompt="?", options=["a", "b"], correct=0, explanation=".")
        session.add_all([q1, q2])
        session.flush()

        def ask(person: str, question: Question, correct: bool | None, at: datetime) -> None:
            session.add(QuizAsk(question_id=question.id, expectation_id=question.expectation_id,
                                person_id=people[person].id, asked_at=at, answered_at=at if correct is not None else None,
                                choice=None if correct is None else (0 if correct else 1), correct=correct))

        ask("r1", q1, False, T1)
        ask("r1", q1, True, T2)  # r1 now understands e1
        ask("r1", q2, False, T1)
        ask("r2", q1, True, T1)
        ask("r2", q1, False, T3)  # r2 forgot e1
        ask("r2", q2, None, T3)  # asked, never answered: not counted
        ask("r3", q1, True, T1)
        session.flush()
        return {"A": a.id, "B": b.id}


def test_team_rate_uses_each_reps_latest_answer_per_expectation(engine: Engine) -> None:
    teams = seed(engine)
    with session_scope(engine) as session:
        team_a = understanding.for_team(session, team_id=teams["A"])
        team_b = understanding.for_team(session, team_id=teams["B"])
    assert (team_a.correct, team_a.answered) == (1, 3)
    assert (team_b.correct, team_b.answered, team_b.rate) == (1, 1, 1.0)


def test_rates_per_expectation(engine: Engine) -> None:
    teams = seed(engine)
    with session_scope(engine) as session:
        expectations = {rate.key: (rate.correct, rate.answered)
                        for rate in understanding.per_expectation(session, team_id=teams["A"])}
    assert expectations == {"e1": (1, 2), "e2": (0, 1)}


def test_trend_is_the_rate_as_it_stood_at_each_week_end(engine: Engine) -> None:
    teams = seed(engine)
    with session_scope(engine) as session:
        trend = understanding.team_trend(session, team_id=teams["A"], week_ends=[T2, T3, T3 + timedelta(days=1)])
    assert [(rate.correct, rate.answered) for rate in trend] == [(1, 3), (2, 3), (1, 3)]
