"""Pulse-check buttons: answer, then "how sure were you?"; the DM updates in place each time."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy import select
from sqlmodel import Session

from bot.core import quizzes
from bot.core.broadcasts import DraftProblems
from bot.core.errors import DrumbeatError
from bot.core.roles import identify, require_role
from bot.services import Services
from bot.slack.people import acting_user, slack_address
from bot.slack import replies
from bot.slack.listeners import events
from bot.slack.listeners.actions import tell_privately, update_clicked_message
from bot.slack.render import plain_text, render_blocks
from bot.slack.sender import SlackSender
from messages.rich import Code, Rich
from schedules.compose import QUIZ_KIND, compose_delivery, quiz_context, recipient_of
from schedules.outbox import Outgoing
from storage.models import Delivery, Expectation, Person, QuizAsk

ANSWER = re.compile(r"^quiz_answer_\d$")
SURE = re.compile(r"^quiz_sure_[1-5]$")


def ask_outgoing(session: Session, ask: QuizAsk, services: Services) -> Outgoing:
    """How the message carrying this ask looks now (a broadcast DM with a question, or a lone question)."""
    if ask.delivery_id is not None:
        delivery = session.get(Delivery, ask.delivery_id)
        assert delivery is not None
        return compose_delivery(session, delivery, services.clock())
    quiz = quiz_context(session, ask)
    person = session.get(Person, ask.person_id)
    assert person is not None
    return Outgoing(recipient=recipient_of(session, person), kind=QUIZ_KIND, context={"quiz": quiz, "delivery_id": None},
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
            person = identify(session, acting_user(body))
            if confidence:
                ask = quizzes.rate_confidence(session, ask_id=ask_id, person=person, level=number, now=services.clock())
            else:
                outcome = quizzes.answer(session, ask_id=ask_id, person=person, choice=number, now=services.clock())
                ask, note = outcome.ask, outcome.note
            outgoing = ask_outgoing(session, ask, services)
    except DrumbeatError as problem:
        tell_privately(body, respond, client, replies.notice(problem.text, ":warning:"))
        return
    update_clicked_message(body, client, outgoing)
    if not confidence:
        events.refresh_home(client, services, body["user"]["id"])
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
    person = identify(session, slack_address(user_id))
    ask = quizzes.quiz_me(session, person=person, now=services.clock())
    outgoing = ask_outgoing(session, ask, services)
    client.chat_postMessage(channel=user_id, text=outgoing.fallback_text,
                                     **{k: v for k, v in SlackSender(client).payload(outgoing).items() if k != "text"})




QUIZ_NEW_FIELDS = {"expectation": "expectation", "prompt": "prompt", "options": "option_1", "correct": "correct",
                   "explanation": "explanation"}


def open_question_editor(session: Session, services: Services, user_id: str, trigger_id: str, client: WebClient) -> None:
    author = identify(session, slack_address(user_id))
    require_role(author, quizzes.QUESTION_AUTHORS, "add quiz questions")
    expectations = session.execute(select(Expectation).order_by(Expectation.key)).scalars()
    view = render_blocks("quiz_new_modal", {"expectations": [{"key": e.key, "statement": e.statement}
                                                             for e in expectations]}, surface="modal")
    client.views_open(trigger_id=trigger_id, view=view)


def _input(values: dict[str, Any], block: str) -> dict[str, Any]:
    return (values.get(block) or {}).get(f"{block}_input") or {}


def save_question(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    values = (view.get("state") or {}).get("values") or {}
    correct = (_input(values, "correct").get("selected_option") or {}).get("value")
    try:
        with services.unit_of_work() as session:
            question = quizzes.add_question(
                session, author=identify(session, acting_user(body)),
                expectation_key=(_input(values, "expectation").get("selected_option") or {}).get("value"),
                prompt=_input(values, "prompt").get("value") or "",
                options=[_input(values, f"option_{n}").get("value") or "" for n in range(1, 6)],
                correct=int(correct) if correct is not None else None,
                explanation=_input(values, "explanation").get("value") or "",
                now=services.clock(),
            )
            key, prompt = question.key, question.prompt
    except DraftProblems as problems:
        ack(response_action="errors", errors={QUIZ_NEW_FIELDS.get(field, "prompt"): plain_text(message)
                                              for field, message in problems.problems.items()})
        return
    except DrumbeatError as problem:
        ack(response_action="errors", errors={"prompt": plain_text(problem.text)})
        return
    ack()
    client.chat_postMessage(channel=body["user"]["id"], **replies.notice(Rich(
        "Added the question ", Code(key), f": {prompt}\nAttach it to a broadcast, or send it alone, with ",
        Code(f"{services.settings.command} broadcast"), "."), ":bar_chart:"))


def register(app: App, services: Services) -> None:
    app.action(ANSWER)(answer)
    app.action(SURE)(sure)
    app.view("quiz_new_modal")(save_question)
