"""Pulse checks: reps answer what leaders expect of them; missed expectations come back until mastered."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from bot.core.broadcasts import DraftProblems
from bot.core.errors import BadInput, NotFound, PermissionDenied
from bot.core.roles import require_role
from schedules.repetition import pick_question, progress_for, record_answer
from storage.models import (
    AuditEvent,
    Delivery,
    Expectation,
    ExpectationProgress,
    Person,
    Question,
    QuizAsk,
    QuizMode,
    Role,
)


@dataclass(frozen=True)
class AnswerOutcome:
    ask: QuizAsk
    newly_answered: bool
    note: str | None = None  # a friendly word when nothing changed (second click)


def _own_ask(session: Session, ask_id: int, person: Person) -> QuizAsk:
    ask = session.get(QuizAsk, ask_id)
    if ask is None:
        raise NotFound("That question is no longer in Drumbeat, so there is nothing to answer.")
    if ask.person_id != person.id:
        raise PermissionDenied("That question was asked to someone else.")
    return ask


def answer(session: Session, *, ask_id: int, person: Person, choice: int, now: datetime) -> AnswerOutcome:
    """Score an answer once. A second click, or a click on an old copy, changes nothing."""
    ask = _own_ask(session, ask_id, person)
    question = session.get(Question, ask.question_id)
    assert question is not None
    if ask.answered_at is not None:
        return AnswerOutcome(ask, False, "You already answered this one; your first answer counts.")
    if not question.active:
        return AnswerOutcome(ask, False, "That question was withdrawn, so there is nothing to answer. Thanks anyway!")
    if not 0 <= choice < len(question.options):
        raise BadInput("That button does not match any option of the question.")
    ask.choice, ask.correct, ask.answered_at = choice, choice == question.correct, now
    progress = progress_for(session, person_id=person.id, expectation_id=ask.expectation_id)
    if ask.delivery_id is not None:
        delivery = session.get(Delivery, ask.delivery_id)
        if delivery is not None and delivery.broadcast_id is not None:  # a refresher keeps the original's
            progress.origin_broadcast_id = delivery.broadcast_id
    progress.last_question_id = question.id
    record_answer(progress, correct=bool(ask.correct), mode=ask.mode, now=now)
    session.add(AuditEvent(at=now, actor_id=person.id, action="quiz.answer",
                           detail={"ask_id": ask.id, "correct": ask.correct}))
    session.flush()
    return AnswerOutcome(ask, True)


def rate_confidence(session: Session, *, ask_id: int, person: Person, level: int, now: datetime) -> QuizAsk:
    ask = _own_ask(session, ask_id, person)
    if not 1 <= level <= 5:
        raise BadInput("Confidence goes from 1 (guessed) to 5 (sure).")
    if ask.answered_at is None:
        raise BadInput("Answer the question first.")
    if ask.confidence is None:
        ask.confidence = level
        session.flush()
    return ask


def quiz_me(session: Session, *, person: Person, now: datetime) -> QuizAsk:
    """A question to practise now: a due repeat first (oldest), else the expectation asked least."""
    due = session.execute(
        select(ExpectationProgress).where(
            ExpectationProgress.person_id == person.id, ExpectationProgress.mastered_at.is_(None),
            ExpectationProgress.next_ask_at <= now)
        .order_by(ExpectationProgress.next_ask_at)
    ).scalars().first()
    if due is not None:
        expectation_id, avoid = due.expectation_id, due.last_question_id
    else:
        mastered = select(ExpectationProgress.expectation_id).where(
            ExpectationProgress.person_id == person.id, ExpectationProgress.mastered_at.is_not(None))
        times = (select(QuizAsk.expectation_id, func.count().label("n")).where(QuizAsk.person_id == person.id)
                 .group_by(QuizAsk.expectation_id).subquery())
        row = session.execute(
            select(Question.expectation_id)
            .outerjoin(times, times.c.expectation_id == Question.expectation_id)
            .where(Question.active.is_(True), Question.expectation_id.not_in(mastered))
            .order_by(func.coalesce(times.c.n, 0), Question.expectation_id)
            .limit(1)
        ).first()
        if row is None:
            raise NotFound("You have mastered every expectation in the library. Nothing to practise right now!")
        expectation_id, avoid = row[0], None
    question = pick_question(session, expectation_id=expectation_id, person_id=person.id, avoid=avoid)
    if question is None:
        raise NotFound("There are no questions to practise yet.")
    ask = QuizAsk(question_id=question.id, expectation_id=expectation_id, person_id=person.id,
                  mode=QuizMode.MISSED, asked_at=now)
    session.add(ask)
    session.flush()
    return ask


QUESTION_AUTHORS = (Role.LEADER, Role.ADMIN)
MAX_PROMPT, MAX_OPTION, MAX_EXPLANATION = 300, 75, 1200


@dataclass(frozen=True)
class CheckedQuestion:
    """A leader's question as it would be stored: what `check_question` found valid."""

    expectation_id: int
    prompt: str
    options: list[str]
    correct: int  # index into options
    explanation: str


def _text_problems(prompt: str, options: list[str], correct: int | None, explanation: str,
                   problems: dict[str, str]) -> list[int]:
    """The problems of the texts, by field; the positions of the options filled in."""
    if not prompt:
        problems["prompt"] = "Write the question."
    elif len(prompt) > MAX_PROMPT:
        problems["prompt"] = f"The question is {len(prompt)} characters; keep it under {MAX_PROMPT}."
    texts = [option.strip() for option in options if option and option.strip()]
    if len(texts) < 2:
        problems["options"] = "Give at least 2 options."
    elif len(texts) > 5:
        problems["options"] = "Give at most 5 options."
    elif len({text.casefold() for text in texts}) != len(texts):
        problems["options"] = "Two options say the same thing."
    elif any(len(text) > MAX_OPTION for text in texts):
        problems["options"] = f"An option is longer than {MAX_OPTION} characters (a button's limit)."
    positions = [number for number, option in enumerate(options) if option and option.strip()]
    if correct is None:
        problems["correct"] = "Say which option is right."
    elif correct not in positions:
        problems["correct"] = f"Option {correct + 1} is empty; pick one of the options you wrote."
    if not explanation:
        problems["explanation"] = "Explain the right answer: reps see it right after they answer."
    elif len(explanation) > MAX_EXPLANATION:
        problems["explanation"] = f"The explanation is {len(explanation)} characters; keep it under {MAX_EXPLANATION}."
    return positions


def check_question(session: Session, *, author: Person, expectation_key: str | None, prompt: str,
                   options: list[str], correct: int | None, explanation: str) -> CheckedQuestion:
    """Reads only: every problem of a leader's question by field (DraftProblems), else the question as it would
    be stored. A modal acknowledges from this; `add_question` checks again when it writes."""
    require_role(author, QUESTION_AUTHORS, "add quiz questions")
    problems: dict[str, str] = {}
    expectation_id = None
    if not expectation_key:
        problems["expectation"] = "Pick the expectation this question tests."
    else:
        expectation_id = session.execute(
            select(Expectation.id).where(Expectation.key == expectation_key)).scalar_one_or_none()
        if expectation_id is None:
            problems["expectation"] = f"There is no expectation '{expectation_key}'."
    prompt, explanation = prompt.strip(), explanation.strip()
    positions = _text_problems(prompt, options, correct, explanation, problems)
    if problems:
        raise DraftProblems(problems)
    assert expectation_id is not None and correct is not None
    return CheckedQuestion(expectation_id=expectation_id, prompt=prompt,
                           options=[options[number].strip() for number in positions],
                           correct=positions.index(correct), explanation=explanation)


def add_question(session: Session, *, author: Person, expectation_key: str | None, prompt: str,
                 options: list[str], correct: int | None, explanation: str, now: datetime) -> Question:
    """A leader's own question (from Slack), checked like a content pack's; every problem by field."""
    checked = check_question(session, author=author, expectation_key=expectation_key, prompt=prompt,
                             options=options, correct=correct, explanation=explanation)
    base = "q-" + (re.sub(r"[^a-z0-9]+", "-", checked.prompt.lower()).strip("-")[:50].strip("-") or "question")
    key, suffix = base, 2
    while session.execute(select(Question.id).where(Question.key == key)).first() is not None:
        key, suffix = f"{base}-{suffix}", suffix + 1
    question = Question(key=key, expectation_id=checked.expectation_id, prompt=checked.prompt,
                        options=checked.options, correct=checked.correct, explanation=checked.explanation)
    session.add(question)
    session.add(AuditEvent(at=now, actor_id=author.id, action="quiz.add_question", detail={"key": key}))
    session.flush()
    return question


def question_form(session: Session, *, author: Person) -> list[tuple[str, str]]:
    """The expectations a leader may write a question for, as (key, statement)."""
    require_role(author, QUESTION_AUTHORS, "add quiz questions")
    return [(key, statement) for key, statement in
            session.execute(select(Expectation.key, Expectation.statement).order_by(Expectation.key)).all()]
