"""The answer state is what ranking the answers would say, whoever writes quizask and in whatever order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.db import session_scope
from storage.models import AnswerState, Expectation, Person, Question, QuizAsk
from tests.people import add_person

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def ranked_state(session: Session) -> dict[tuple[int, int], tuple[object, ...]]:
    """The latest two answers per (rep, expectation), worked out from every answer in Python."""
    answers: dict[tuple[int, int], list[QuizAsk]] = {}
    for ask in session.execute(select(QuizAsk).where(QuizAsk.answered_at.is_not(None))).scalars():
        answers.setdefault((ask.person_id, ask.expectation_id), []).append(ask)
    state = {}
    for pair, asks in answers.items():
        latest, *rest = sorted(asks, key=lambda a: (a.answered_at, a.id), reverse=True)
        previous = rest[0] if rest else None
        state[pair] = (latest.id, latest.answered_at, latest.correct, previous and previous.id,
                       previous and previous.answered_at, previous and previous.correct)
    return state


def stored_state(session: Session) -> dict[tuple[int, int], tuple[object, ...]]:
    return {(s.person_id, s.expectation_id): (s.latest_ask_id, s.latest_at, s.latest_correct, s.previous_ask_id,
                                              s.previous_at, s.previous_correct)
            for s in session.execute(select(AnswerState)).scalars()}


def people_and_questions(session: Session) -> tuple[list[int], list[Question]]:
    reps = [add_person(session, f"U0S{n}", name=f"Rep {n}", role="rep").id for n in range(3)]
    questions = []
    for n in range(3):
        expectation = Expectation(key=f"s{n}", statement="s", pillar="p")
        session.add(expectation)
        session.flush()
        question = Question(key=f"qs{n}", expectation_id=expectation.id, prompt="?", options=["a", "b"], correct=0,
                            explanation=".")
        session.add(question)
        questions.append(question)
    session.flush()
    return reps, questions  # type: ignore[return-value]


def test_state_matches_the_ranked_answers_after_answers_in_any_order_ties_edits_and_deletes(engine: Engine) -> None:
    rng = random.Random(13)
    with session_scope(engine) as session:
        reps, questions = people_and_questions(session)
        for _ in range(60):  # answered out of time order, some at the same instant (the id breaks the tie)
            question = rng.choice(questions)
            at = T0 + timedelta(hours=rng.randrange(12))
            session.add(QuizAsk(question_id=question.id, expectation_id=question.expectation_id,
                                person_id=rng.choice(reps), asked_at=at, answered_at=at,
                                choice=rng.randrange(2), correct=rng.random() < 0.5))
            session.flush()
        session.add(QuizAsk(question_id=questions[0].id, expectation_id=questions[0].expectation_id,
                            person_id=reps[0], asked_at=T0))  # asked, not answered: no state of its own
    with session_scope(engine) as session:
        assert stored_state(session) == ranked_state(session)
        some = list(session.execute(select(QuizAsk.id).order_by(QuizAsk.id)).scalars())
        session.execute(update(QuizAsk).where(QuizAsk.id.in_(some[::7])).values(correct=False))
        session.execute(update(QuizAsk).where(QuizAsk.id.in_(some[1::9])).values(answered_at=T0 + timedelta(days=1)))
        session.execute(delete(QuizAsk).where(QuizAsk.id.in_(some[2::5])))
    with session_scope(engine) as session:
        assert stored_state(session) == ranked_state(session)


def test_answering_an_open_ask_through_the_orm_moves_it_to_the_latest(engine: Engine) -> None:
    with session_scope(engine) as session:
        reps, questions = people_and_questions(session)
        old = QuizAsk(question_id=questions[0].id, expectation_id=questions[0].expectation_id, person_id=reps[0],
                      asked_at=T0, answered_at=T0, choice=0, correct=True)
        open_ask = QuizAsk(question_id=questions[0].id, expectation_id=questions[0].expectation_id,
                           person_id=reps[0], asked_at=T0 + timedelta(hours=1))
        session.add_all([old, open_ask])
        session.flush()
        open_ask.answered_at, open_ask.choice, open_ask.correct = T0 + timedelta(hours=2), 1, False
        session.flush()
        state = session.get(AnswerState, (reps[0], questions[0].expectation_id))
        assert state is not None
        assert (state.latest_ask_id, state.latest_correct, state.previous_ask_id, state.previous_correct) == (
            open_ask.id, False, old.id, True)


def test_a_rep_with_no_answer_on_an_expectation_has_no_state_for_it(engine: Engine) -> None:
    with session_scope(engine) as session:
        reps, questions = people_and_questions(session)
        ask = QuizAsk(question_id=questions[1].id, expectation_id=questions[1].expectation_id, person_id=reps[1],
                      asked_at=T0, answered_at=T0, choice=0, correct=True)
        session.add(ask)
        session.flush()
        session.delete(ask)
        session.flush()
        assert session.execute(select(AnswerState).where(AnswerState.person_id == reps[1])).first() is None
        assert session.get(Person, reps[1]) is not None
