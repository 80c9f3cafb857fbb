"""The coaching use cases without Slack: each day decided once, the daily cap respected, bad input refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.core import coaching
from bot.core.errors import BadInput, PermissionDenied
from schedules.materialise import DeliveryRules
from tests.people import add_person
from storage.db import session_scope
from storage.models import (
    CoachingDigest,
    CoachingNudge,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Expectation,
    Message,
    Person,
    Question,
    QuizAsk,
)

MONDAY_9 = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)  # 09:15 in UTC, the zone everyone here lives in
POLICY = coaching.CoachingPolicy()
RULES = DeliveryRules()


def seed(engine: Engine) -> dict[str, int]:
    """Manager Mo; rep Ria missed e1 twice and has a message waiting for four days; rep Al is fine."""
    with session_scope(engine) as session:
        mo = add_person(session, "U0MO", name="Mo", role="manager")
        session.add(mo)
        session.flush()
        ria = add_person(session, "U0RIA", name="Ria", role="rep", manager_id=mo.id)
        al = add_person(session, "U0AL", name="Al", role="rep", manager_id=mo.id)
        expectation = Expectation(key="e1", statement="one", pillar="p")
        message = Message(key="m1", title="Message one", body="b", key_message=False, expectation_keys=["e1"])
        session.add_all([ria, al, expectation, message])
        session.flush()
        question = Question(key="q1", expectation_id=expectation.id, prompt="?", options=["a", "b"], correct=0,
                            explanation=".")
        session.add(question)
        session.flush()
        for days in (3, 2):
            at = MONDAY_9 - timedelta(days=days)
            session.add(QuizAsk(question_id=question.id, expectation_id=expectation.id, person_id=ria.id,
                                asked_at=at, answered_at=at, choice=1, correct=False))
        session.add(Delivery(occurrence="old", person_id=ria.id, message_id=message.id, kind=DeliveryKind.BROADCAST,
                             due_at=MONDAY_9 - timedelta(days=4), sent_at=MONDAY_9 - timedelta(days=4),
                             status=DeliveryStatus.SENT))
        return {"mo": mo.id, "ria": ria.id, "al": al.id}


def count(engine: Engine, kind: str) -> int:
    with session_scope(engine) as session:
        return session.execute(select(func.count()).select_from(Delivery).where(Delivery.kind == kind)).scalar_one()


def test_running_the_job_again_the_same_morning_writes_nothing_more(engine: Engine) -> None:
    seed(engine)
    with session_scope(engine) as session:
        first = coaching.run_daily(session, now=MONDAY_9, policy=POLICY, rules=RULES)
    with session_scope(engine) as session:
        again = coaching.run_daily(session, now=MONDAY_9 + timedelta(minutes=10), policy=POLICY, rules=RULES)
    assert (first.managers, first.nudges, first.reps) == (1, 1, 1)
    assert (again.managers, again.nudges, again.reps) == (0, 0, 0)
    assert (count(engine, DeliveryKind.COACHING), count(engine, DeliveryKind.NUDGE)) == (1, 1)


def test_nothing_is_decided_before_the_morning_window_or_after_it(engine: Engine) -> None:
    seed(engine)
    for moment in (MONDAY_9 - timedelta(minutes=30), MONDAY_9 + timedelta(hours=3)):
        with session_scope(engine) as session:
            report = coaching.run_daily(session, now=moment, policy=POLICY, rules=RULES)
        assert (report.managers, report.reps) == (0, 0)
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(CoachingDigest)).scalar_one() == 0


def test_a_rep_at_the_daily_cap_gets_no_nudge_that_day_but_does_the_next(engine: Engine) -> None:
    ids = seed(engine)
    with session_scope(engine) as session:
        for n in range(RULES.daily_cap):
            session.add(Delivery(occurrence=f"today-{n}", person_id=ids["ria"], kind=DeliveryKind.QUIZ,
                                 due_at=MONDAY_9 - timedelta(minutes=n), status=DeliveryStatus.SENT))
    with session_scope(engine) as session:
        assert coaching.run_daily(session, now=MONDAY_9, policy=POLICY, rules=RULES).reps == 0
    with session_scope(engine) as session:
        assert coaching.run_daily(session, now=MONDAY_9 + timedelta(days=1), policy=POLICY, rules=RULES).reps == 1
    with session_scope(engine) as session:
        nudge = session.execute(select(Delivery).where(Delivery.kind == DeliveryKind.NUDGE)).scalar_one()
    assert nudge.due_at == MONDAY_9 + timedelta(days=1)


def test_bad_cause_and_overlong_note_are_refused_with_a_clear_word(engine: Engine) -> None:
    ids = seed(engine)
    with session_scope(engine) as session:
        coaching.run_daily(session, now=MONDAY_9, policy=POLICY, rules=RULES)
    with session_scope(engine) as session:
        mo = session.get(Person, ids["mo"])
        nudge_id = session.execute(select(CoachingNudge.id)).scalar_one()
        with pytest.raises(BadInput, match="goal, work products, process, tasks, person"):
            coaching.choose_cause(session, nudge_id=nudge_id, caller=mo, cause="vibes", now=MONDAY_9)
        with pytest.raises(BadInput, match="1001 characters"):
            coaching.mark_coached(session, nudge_id=nudge_id, caller=mo, cause=None, note="x" * 1001, now=MONDAY_9)
        with pytest.raises(PermissionDenied, match="not one you can use") as refused:
            coaching.snooze(session, nudge_id=nudge_id, caller=session.get(Person, ids["al"]), now=MONDAY_9,
                            policy=POLICY)
        assert "Ria" not in str(refused.value)  # a refusal never names who was flagged
