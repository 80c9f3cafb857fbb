"""One coaching run decides every manager's and rep's morning at once, each exactly once, through the outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.core import coaching
from schedules.materialise import DeliveryRules
from storage.db import session_scope
from storage.models import CoachingDigest, CoachingNudge, Delivery, DeliveryKind, DeliveryStatus, Person, QuizAsk
from storage.queries.coaching import SelectionRules, nudge_candidates
from tests.storage.test_org_at_size import NOW, seed_org

MORNING = NOW - timedelta(hours=2)  # 10:00 on a Monday, in the zone everyone here lives in
POLICY, RULES = coaching.CoachingPolicy(), DeliveryRules()


def test_every_manager_hears_about_their_own_reps_once_with_their_latest_two_answers(engine: Engine) -> None:
    with session_scope(engine) as session:
        org = seed_org(session, seed=3)
    with session_scope(engine) as session:
        expected = nudge_candidates(session, now=MORNING, rules=SelectionRules())
        report = coaching.run_daily(session, now=MORNING, policy=POLICY, rules=RULES)
    with session_scope(engine) as session:
        again = coaching.run_daily(session, now=MORNING + timedelta(minutes=30), policy=POLICY, rules=RULES)
    told = {c.manager_id for c in expected}
    assert (report.managers, report.nudges) == (len(told), len(expected)) and len(told) >= 3
    assert (again.managers, again.nudges, again.reps) == (0, 0, 0)
    with session_scope(engine) as session:
        digests = list(session.execute(select(CoachingDigest).where(CoachingDigest.kind == "manager")).scalars())
        assert sorted(d.person_id for d in digests) == sorted(told) and set(told) <= set(org.managers)
        for digest in digests:  # one pending outbox row each, written with the digest
            delivery = session.get(Delivery, digest.delivery_id)
            assert delivery is not None and (delivery.person_id, delivery.kind, delivery.status) == (
                digest.person_id, DeliveryKind.COACHING, DeliveryStatus.PENDING)
            nudges = list(session.execute(select(CoachingNudge).where(CoachingNudge.digest_id == digest.id)).scalars())
            assert digest.nudges == len(nudges)
            assert all(session.get(Person, n.rep_id).manager_id == digest.person_id for n in nudges)
        for nudge in session.execute(select(CoachingNudge).where(CoachingNudge.expectation_id.is_not(None))).scalars():
            latest = session.execute(
                select(QuizAsk).where(QuizAsk.person_id == nudge.rep_id, QuizAsk.expectation_id == nudge.expectation_id)
                .order_by(QuizAsk.answered_at.desc(), QuizAsk.id.desc()).limit(2)).scalars().all()
            assert [(a["right"], a["on"]) for a in nudge.detail["answers"]] == [
                (bool(ask.correct), ask.answered_at.date().isoformat()) for ask in latest]


def test_reps_waiting_get_their_own_nudge_once_and_nobody_twice(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_org(session, seed=3)
        rep = session.execute(select(Person).where(Person.role == "rep", Person.active.is_(True))).scalars().first()
        delivery = Delivery(occurrence="waiting", person_id=rep.id, kind=DeliveryKind.QUIZ, status=DeliveryStatus.SENT,
                            due_at=MORNING - timedelta(days=3), sent_at=MORNING - timedelta(days=3))
        session.add(delivery)
        session.flush()
        question_id, expectation_id = session.execute(select(QuizAsk.question_id, QuizAsk.expectation_id)).first()
        session.add(QuizAsk(question_id=question_id, expectation_id=expectation_id, person_id=rep.id,
                            asked_at=MORNING - timedelta(days=3), delivery_id=delivery.id))
    for minutes in (0, 20):
        with session_scope(engine) as session:
            coaching.run_daily(session, now=MORNING + timedelta(minutes=minutes), policy=POLICY, rules=RULES)
    with session_scope(engine) as session:
        per_person = session.execute(select(Delivery.person_id, func.count()).where(
            Delivery.kind.in_((DeliveryKind.NUDGE, DeliveryKind.COACHING))).group_by(Delivery.person_id)).all()
        nudged = session.execute(select(Delivery.person_id).where(Delivery.kind == DeliveryKind.NUDGE)).scalars().all()
    assert per_person and all(count == 1 for _, count in per_person)
    assert rep.id in nudged
