"""Spaced repetition: a missed expectation comes back after growing intervals until it is mastered.

The ladder is per rep and per expectation (not per question), so a re-ask can use a different question
for the same expectation. A correct answer moves up a box, a wrong one back to the first; two correct
answers in a row, the second at a spaced interval, master the expectation (it retires).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from schedules.materialise import DeliveryRules, insert_deliveries, local_day_bounds, plan_for, zone
from storage.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    ExpectationProgress,
    Person,
    Question,
    QuizAsk,
    QuizMode,
)

INTERVALS_DAYS = (1, 3, 7, 14, 30)
MASTERY_STREAK = 2
DAILY_QUESTION_CAP = 2


def record_answer(progress: ExpectationProgress, *, correct: bool, mode: str, now: datetime) -> None:
    progress.mode = mode
    progress.updated_at = now
    if correct:
        progress.streak += 1
        progress.box = min(progress.box + 1, len(INTERVALS_DAYS) - 1)
    else:
        progress.streak = 0
        progress.box = 0
        progress.ever_missed = True
    if correct and progress.streak >= MASTERY_STREAK:
        progress.mastered_at, progress.next_ask_at = now, None
        return
    repeats = mode == QuizMode.ALL or (mode == QuizMode.MISSED and progress.ever_missed)
    progress.next_ask_at = now + timedelta(days=INTERVALS_DAYS[progress.box]) if repeats else None


def progress_for(session: Session, *, person_id: int, expectation_id: int) -> ExpectationProgress:
    progress = session.execute(
        select(ExpectationProgress).where(ExpectationProgress.person_id == person_id,
                                          ExpectationProgress.expectation_id == expectation_id)
    ).scalar_one_or_none()
    if progress is None:
        progress = ExpectationProgress(person_id=person_id, expectation_id=expectation_id)
        session.add(progress)
        session.flush()
    return progress


def pick_question(session: Session, *, expectation_id: int, person_id: int, avoid: int | None) -> Question | None:
    """The active question for an expectation this rep has been asked least (and not the last one)."""
    asked = (
        select(QuizAsk.question_id, func.count().label("times"))
        .where(QuizAsk.person_id == person_id, QuizAsk.expectation_id == expectation_id)
        .group_by(QuizAsk.question_id)
        .subquery()
    )
    rows = session.execute(
        select(Question, func.coalesce(asked.c.times, 0))
        .outerjoin(asked, asked.c.question_id == Question.id)
        .where(Question.expectation_id == expectation_id, Question.active.is_(True))
        .order_by(func.coalesce(asked.c.times, 0), Question.id)
    ).all()
    for question, _ in rows:
        if question.id != avoid:
            return question
    return rows[0][0] if rows else None


def _questions_on(session: Session, person: Person, now: datetime) -> int:
    start, end = local_day_bounds(now.astimezone(zone(person.tz)).date(), person.tz)
    return session.execute(
        select(func.count()).select_from(Delivery).where(
            Delivery.person_id == person.id, Delivery.question_id.is_not(None),
            Delivery.due_at >= start, Delivery.due_at < end,
            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT]))
    ).scalar_one()


def schedule_reasks(session: Session, *, now: datetime, rules: DeliveryRules,
                    daily_cap: int = DAILY_QUESTION_CAP) -> int:
    """Queue due re-asks, oldest first, at most `daily_cap` questions per rep per local day."""
    pending_quiz = select(Delivery.id).where(
        Delivery.person_id == ExpectationProgress.person_id, Delivery.kind == DeliveryKind.QUIZ,
        Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.HELD]),
        Delivery.question_id.in_(select(Question.id).where(Question.expectation_id == ExpectationProgress.expectation_id)),
    ).exists()
    due = session.execute(
        select(ExpectationProgress, Person, Broadcast)
        .join(Person, Person.id == ExpectationProgress.person_id)
        .join(Broadcast, Broadcast.id == ExpectationProgress.origin_broadcast_id)
        .where(
            ExpectationProgress.next_ask_at <= now,
            ExpectationProgress.mastered_at.is_(None),
            Person.active.is_(True),
            Broadcast.status != BroadcastStatus.CANCELLED,
            ~pending_quiz,
        )
        .order_by(ExpectationProgress.next_ask_at, ExpectationProgress.id)
    ).all()
    queued = 0
    used: dict[int, int] = {}
    for progress, person, broadcast in due:
        if person.id not in used:
            used[person.id] = _questions_on(session, person, now)
        if used[person.id] >= daily_cap:
            continue  # tomorrow; oldest-first order keeps its place
        question = pick_question(session, expectation_id=progress.expectation_id, person_id=person.id,
                                 avoid=progress.last_question_id)
        if question is None:
            continue
        plans = plan_for(session, [person], scheduled_for=now, rules=rules, tz_of={person.id: person.tz})
        added = insert_deliveries(
            session, broadcast, plans, occurrence=f"quiz-e{progress.expectation_id}-{progress.next_ask_at:%Y%m%dT%H%M}",
            scheduled_for=now, kind=DeliveryKind.QUIZ, question_id=question.id,
        )
        used[person.id] += added
        queued += added
    session.flush()
    return queued
