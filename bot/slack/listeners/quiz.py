"""Pulse-check buttons: answer, then "how sure were you?"; the DM updates in place each time."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import quizzes
from bot.core.errors import DrumbeatError
from bot.core.roles import identify
from bot.services import Services
from bot.slack import replies
from bot.slack.listeners.actions import tell_privately
from bot.slack.sender import SlackSender
from schedules.compose import QUIZ_KIND, compose_delivery, quiz_context
from schedules.outbox import Outgoing, SentRef
from storage.models import Delivery, QuizAsk

ANSWER = re.compile(r"^quiz_answer_\d$")
SURE = re.compile(r"^quiz_sure_[1-5]$")


def ask_outgoing(session: Session, ask: QuizAsk, services: Services) -> Outgoing:
    """How the message carrying this ask looks now (a broadcast DM with a question, or a lone question)."""
    if ask.delivery_id is not None:
        delivery = session.get(Delivery, ask.delivery_id)
        assert delivery is not None
        return compose_delivery(session, delivery, services.clock())
    quiz = quiz_context(session, ask)
    return Outgoing(recipient="", kind=QUIZ_KIND, context={"quiz": quiz, "delivery_id": None},
                    fallback_text=f"Pulse check: {quiz['prompt']}", idempotency_key=f"ask{ask.id}")


def _parse(value: str) -> tuple[int, int]:
    ask_id, _, number = value.partition(":")
    return int(ask_id), int(number)


def _handle(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
            services: Services, *, confidence: bool) -> None:
    try:
        ask_id, number = _parse(action.get("value", ""))
    except ValueError:
        tell_privately(body, respond, client, replies.notice("That button does not match a question.", ":warning:"))
        return
    note = None
    try:
        with services.unit_of_work() as session:
            person = identify(session, body["user"]["id"])
            if confidence:
                ask = quizzes.rate_confidence(session, ask_id=ask_id, person=person, level=number, now=services.clock())
            else:
                outcome = quizzes.answer(session, ask_id=ask_id, person=person, choice=number, now=services.clock())
                ask, note = outcome.ask, outcome.note
            outgoing = ask_outgoing(session, ask, services)
    except DrumbeatError as problem:
        tell_privately(body, respond, client, replies.notice(str(problem), ":warning:"))
        return
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    SlackSender(client).update(SentRef(channel_id=channel, message_ts=ts), outgoing)
    if note:
        tell_privately(body, respond, client, replies.notice(note, ":information_source:"))


def answer(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
           services: Services) -> None:
    ack()
    _handle(body, action, client, respond, services, confidence=False)


def sure(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
         services: Services) -> None:
    ack()
    _handle(body, action, client, respond, services, confidence=True)


def send_practice_question(session: Session, services: Services, user_id: str, client: WebClient) -> None:
    """`/drumbeat quiz me`: a question now, in the rep's DM (one message, so no outbox needed)."""
    person = identify(session, user_id)
    ask = quizzes.quiz_me(session, person=person, now=services.clock())
    outgoing = ask_outgoing(session, ask, services)
    posted = client.chat_postMessage(channel=user_id, text=outgoing.fallback_text,
                                     **{k: v for k, v in SlackSender(client).payload(outgoing).items() if k != "text"})
    ask.channel_id, ask.message_ts = posted["channel"], posted["ts"]


def register(app: App, services: Services) -> None:
    app.action(ANSWER)(answer)
    app.action(SURE)(sure)
