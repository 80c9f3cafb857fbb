"""How a message looks now, after a click changed what it shows: re-composed from the database.

The adapter updates the clicked message in place with what these return (a DM whose *Got it* became a
check mark, a question that now shows its explanation, a coaching DM with a nudge marked coached), so the
words come from the same composers the outbox uses and never drift from what was sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlmodel import Session

from bot.core.coaching import digest_delivery
from bot.core.errors import BadInput, NotFound
from schedules.compose import QUIZ_KIND, compose_delivery, quiz_context
from schedules.sending import Outgoing, SentRef
from schedules.reader import recipient_of
from storage.models import CoachingNudge, Delivery, Person, QuizAsk


class Shown(NamedTuple):
    """A message as it should look now, and where Drumbeat recorded sending it (None: not recorded, e.g. a
    practice question answered straight to a command). Adapters update `sent`, never a place a payload names."""

    outgoing: Outgoing
    sent: SentRef | None


def sent_ref(delivery: Delivery) -> SentRef | None:
    """Where the outbox recorded sending a delivery, if it did."""
    if delivery.platform and delivery.conversation_id and delivery.platform_message_id:
        return SentRef(delivery.platform, delivery.conversation_id, delivery.platform_message_id)
    return None


def delivery_now(session: Session, delivery_id: int, now: datetime) -> Shown:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("That message is no longer in Drumbeat.")
    return Shown(compose_delivery(session, delivery, now), sent_ref(delivery))


def ask_now(session: Session, ask: QuizAsk, now: datetime) -> Shown:
    """The message carrying this ask: a broadcast DM with its question, or a lone practice question."""
    if ask.delivery_id is not None:
        return delivery_now(session, ask.delivery_id, now)
    person = session.get(Person, ask.person_id)
    assert person is not None
    quiz = quiz_context(session, ask)
    return Shown(Outgoing(recipient=recipient_of(session, person), kind=QUIZ_KIND,
                          context={"quiz": quiz, "delivery_id": None}, fallback_text=f"Pulse check: {quiz['prompt']}",
                          idempotency_key=f"ask{ask.id}"), None)


def digest_now(session: Session, nudge: CoachingNudge, now: datetime) -> Shown:
    """The coaching DM a nudge belongs to, and where it was sent."""
    delivery = digest_delivery(session, nudge)
    if delivery is None:
        raise BadInput("That coaching DM is no longer in Drumbeat.")
    return Shown(compose_delivery(session, delivery, now), sent_ref(delivery))
