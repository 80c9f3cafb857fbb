"""Turn a Delivery row into a platform-neutral Outgoing: what the recipient will read, in their words.

The leader's message body is rendered here, per recipient, in the sandbox (it is untrusted template
text). The platform's Sender turns the result into Block Kit or an Adaptive Card.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlmodel import Session

from messages.render import render_body
from messages.rich import Rich
from schedules.channel_posts import compose_channel_post
from schedules.compose_coaching import compose_coaching, refresher_sender
from schedules.sending import Outgoing
from schedules.reader import local_time_label, recipient_of
from storage.address import Address
from storage.models import (
    LITERAL_SOURCE,
    Broadcast,
    Delivery,
    DeliveryKind,
    Expectation,
    ExpectationProgress,
    Message,
    Person,
    Question,
    QuizAsk,
    QuizMode,
    Team,
    first_name_of,
)

BROADCAST_KIND = "broadcast"
QUIZ_KIND = "quiz"


def ask_for_delivery(session: Session, delivery: Delivery, person: Person, now: datetime) -> QuizAsk | None:
    """The pulse-check ask a delivery carries, created the first time the delivery is composed."""
    if delivery.question_id is None:
        return None
    ask = session.execute(select(QuizAsk).where(QuizAsk.delivery_id == delivery.id)).scalar_one_or_none()
    if ask is None:
        question = session.get(Question, delivery.question_id)
        broadcast = session.get(Broadcast, delivery.broadcast_id) if delivery.broadcast_id is not None else None
        assert question is not None
        ask = QuizAsk(question_id=question.id, expectation_id=question.expectation_id, person_id=person.id,
                      delivery_id=delivery.id, mode=broadcast.quiz_mode if broadcast else QuizMode.MISSED,
                      asked_at=now)
        session.add(ask)
        session.flush()
    return ask


def quiz_context(session: Session, ask: QuizAsk) -> dict[str, object]:
    """Everything the quiz blocks show, in the state the ask is in now."""
    question = session.get(Question, ask.question_id)
    expectation = session.get(Expectation, ask.expectation_id)
    assert question is not None and expectation is not None
    behind = next((m for m in session.execute(select(Message).order_by(Message.version.desc())).scalars()
                   if expectation.key in (m.expectation_keys or [])), None)
    progress = session.execute(select(ExpectationProgress).where(
        ExpectationProgress.person_id == ask.person_id, ExpectationProgress.expectation_id == ask.expectation_id)
    ).scalar_one_or_none()
    options = list(question.options)
    return {
        "ask_id": ask.id,
        "prompt": question.prompt,
        "options": options,
        "withdrawn": not question.active,
        "answered": ask.answered_at is not None,
        "correct": bool(ask.correct),
        "chosen_option": options[ask.choice] if ask.choice is not None and ask.choice < len(options) else "",
        "correct_option": options[question.correct],
        "explanation": question.explanation,
        "expectation": expectation.statement,
        "message_title": behind.title if behind else "",
        "confidence": ask.confidence,
        "repeats": bool(progress and progress.next_ask_at),
    }


def person_context(session: Session, person: Person) -> dict[str, str]:
    """The variables a leader's template may use about its reader."""
    team = session.get(Team, person.team_id) if person.team_id else None
    manager = session.get(Person, person.manager_id) if person.manager_id else None
    return reader_context(person.name, team.name if team else None, manager.name if manager else None)


def reader_context(name: str, team: str | None, manager: str | None) -> dict[str, str]:
    """`person_context` from plain values (a batch reads them as columns of one query)."""
    return {"name": name, "first_name": first_name_of(name), "team": team or "", "manager": manager or ""}


def body_text(message: Message, context: Mapping[str, Any]) -> Rich:
    """What a message's body says to a reader, as rich text each platform's dialect writes out: a leader's
    template rendered in the sandbox under its budget (their markup kept, the reader's values to be escaped), or
    a manager's plain text (a feedback request, a "you said, we did" note) exactly as typed, all of it escaped."""
    if message.source == LITERAL_SOURCE:
        return Rich(message.body)
    return render_body(message.body, context)


LATE_AFTER = timedelta(minutes=30)

# What composes the deliveries that carry no message of their own; every other kind is a message (compose_message).
COMPOSERS: Final[Mapping[str, Callable[[Session, Delivery], Outgoing]]] = {
    DeliveryKind.COACHING: compose_coaching,
    DeliveryKind.NUDGE: compose_coaching,
    DeliveryKind.CHANNEL_POST: compose_channel_post,
}


def compose_delivery(session: Session, delivery: Delivery, now: datetime | None = None) -> Outgoing:
    """What a delivery says now. `now` is when it is being sent: a message that went out well after its due
    time says so."""
    composer = COMPOSERS.get(delivery.kind)
    if composer is not None:
        return composer(session, delivery)
    return compose_message(session, delivery, now)


def compose_message(session: Session, delivery: Delivery, now: datetime | None = None) -> Outgoing:
    """A broadcast, its reminder or a refresher: the leader's message rendered for its reader, perhaps with a
    question. A refresher is the canonical message again, from the manager who asked for it, with no broadcast
    behind it."""
    person = session.get(Person, delivery.person_id)
    message = session.get(Message, delivery.message_id) if delivery.message_id is not None else None
    broadcast = session.get(Broadcast, delivery.broadcast_id) if delivery.broadcast_id is not None else None
    refresher_from = refresher_sender(session, delivery) if delivery.kind == DeliveryKind.REFRESHER else None
    if person is None or message is None or (broadcast is None and delivery.kind != DeliveryKind.REFRESHER):
        raise LookupError(f"delivery {delivery.id} points at a missing person, message or broadcast")
    author = session.get(Person, broadcast.created_by_id) if broadcast is not None else refresher_from
    moment = now or datetime.now(UTC)
    ask = ask_for_delivery(session, delivery, person, moment)
    quiz = quiz_context(session, ask) if ask is not None else None
    if delivery.kind == DeliveryKind.QUIZ and quiz is not None:
        return Outgoing(
            recipient=recipient_of(session, person), kind=QUIZ_KIND, context={"quiz": quiz, "delivery_id": delivery.id},
            fallback_text=f"Pulse check: {quiz['prompt']}", idempotency_key=delivery.idempotency_key,
        )
    return message_outgoing(delivery, recipient_of(session, person), person_context(session, person), person.tz,
                            message, author.name if author else None,
                            refresher_from.name if refresher_from else None, quiz, now)


def message_outgoing(delivery: Delivery, recipient: Address, reader: dict[str, str], tz: str, message: Message,
                     author_name: str | None, refresher_from: str | None, quiz: dict[str, object] | None,
                     now: datetime | None) -> Outgoing:
    """A message delivery's Outgoing from what was read for it: one definition whether the row is composed alone
    (compose_message) or in a dispatcher's batch (schedules.compose_batch), so both say exactly the same."""
    body = body_text(message, {"person": reader})
    acknowledged = local_time_label(delivery.acknowledged_at, tz) if delivery.acknowledged_at is not None else None
    # Late is judged at the send: a message shown again later (after a click) keeps what it said when it went out.
    sent = delivery.sent_at or now
    late_since = None
    if sent is not None and delivery.scheduled_for is not None and sent - delivery.due_at > LATE_AFTER:
        late_since = local_time_label(delivery.scheduled_for, tz)
    from_name = author_name if author_name is not None else "Drumbeat"
    return Outgoing(
        recipient=recipient,
        kind=BROADCAST_KIND,
        context={
            "delivery_id": delivery.id,
            "title": message.title,
            "body": body,
            "from_name": from_name,
            "message_key": message.key,
            "message_version": message.version,
            "key_message": message.key_message,
            "acknowledged": acknowledged,
            "reminder": delivery.kind == DeliveryKind.REMINDER,
            "refresher_from": refresher_from,
            "late_since": late_since,
            "quiz": quiz,
        },
        fallback_text=f"{message.title} (from {from_name})",
        idempotency_key=delivery.idempotency_key,
    )
