"""Pulse checks in Slack: `quiz me`, `quiz new` (a modal), and the answer and "how sure were you?" buttons,
which update the DM in place each time."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond
from slack_sdk import WebClient

from bot.core import commands, quizzes, showing
from bot.core.errors import BadInput, DrumbeatError
from bot.core.roles import identify
from bot.services import Services
from bot.slack import replies
from bot.slack.after_ack import after_ack, hand_over
from bot.slack.modal_work import first_submission, tell_refused
from bot.slack.people import acting_user
from bot.slack.render import render_blocks
from bot.slack.respond import (
    CommandCall,
    Reply,
    choice_of,
    field_errors,
    modal_values,
    refresh_home,
    tell_privately,
    tell_problem,
    text_of,
    update_clicked,
)
from bot.slack.sender import SlackSender
from bot.slack.payloads import id_of
from messages.rich import Code, Rich

ANSWER = re.compile(r"^quiz_answer_\d$")
SURE = re.compile(r"^quiz_sure_[1-5]$")
MODAL = "quiz_new_modal"
FIELDS = {"expectation": "expectation", "prompt": "prompt", "options": "option_1", "correct": "correct",
          "explanation": "explanation"}


def _parse(value: str) -> tuple[int, int]:
    ask_id, _, number = value.partition(":")
    if not (id_of(ask_id) and (number == "0" or id_of(number))):
        raise BadInput("That button does not match a question.")
    return id_of(ask_id), id_of(number)


def _handle(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
            services: Services, *, confidence: bool) -> None:
    note = None
    try:
        ask_id, number = _parse(str(action.get("value", "")))
        with services.unit_of_work() as session:
            person, now = identify(session, acting_user(body)), services.clock()
            if confidence:
                ask = quizzes.rate_confidence(session, ask_id=ask_id, person=person, level=number, now=now)
            else:
                outcome = quizzes.answer(session, ask_id=ask_id, person=person, choice=number, now=now)
                ask, note = outcome.ask, outcome.note
            shown = showing.ask_now(session, ask, now)
    except DrumbeatError as problem:
        tell_problem(body, respond, client, problem)
        return
    update_clicked(body, client, shown)
    if not confidence:
        refresh_home(body, client, services)
    if note:
        tell_privately(body, respond, client, replies.notice(note, "info"))


def answer(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
           services: Services) -> None:
    _handle(body, action, client, respond, services, confidence=False)


def sure(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
         services: Services) -> None:
    _handle(body, action, client, respond, services, confidence=True)


def quiz_me(call: CommandCall, command: commands.QuizMe) -> Reply:
    """A question now, in the rep's DM: one message, sent through the Sender the outbox uses."""
    ask = quizzes.quiz_me(call.session, person=call.caller, now=call.services.clock())
    SlackSender(call.client).send(showing.ask_now(call.session, ask, call.services.clock()).outgoing)
    return replies.notice("A pulse-check question is waiting in our DM. One tap to answer.", "questions")


def open_editor(call: CommandCall, command: commands.NewQuestion) -> None:
    expectations = quizzes.question_form(call.session, author=call.caller)
    view = render_blocks(MODAL, {"expectations": [{"key": key, "statement": statement}
                                                  for key, statement in expectations]}, surface="modal")
    call.client.views_open(trigger_id=call.body["trigger_id"], view=view)


def _question_fields(values: dict[str, Any]) -> dict[str, Any]:
    correct = choice_of(values, "correct")
    return {"expectation_key": choice_of(values, "expectation"), "prompt": text_of(values, "prompt"),
            "options": [text_of(values, f"option_{n}") for n in range(1, 6)],
            "correct": int(correct) if correct is not None and correct.isdigit() else None,
            "explanation": text_of(values, "explanation")}


def save_question(ack: Ack, body: dict[str, Any], view: dict[str, Any], services: Services,
                  context: BoltContext, request: BoltRequest) -> None:
    """Field errors from reads in the acknowledgement; the question is written after it (`write_question`)."""
    try:
        with services.unit_of_work() as session:
            quizzes.check_question(session, author=identify(session, acting_user(body)),
                                   **_question_fields(modal_values(view)))
    except DrumbeatError as problem:
        ack(response_action="errors", errors=field_errors(problem, FIELDS, "prompt"))
        return
    ack()
    hand_over(context, request, write_question)


def write_question(body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    """After the acknowledgement: one question per submitted view, checked again, and a DM saying so."""
    try:
        with services.unit_of_work() as session:
            if not first_submission(session, view, services):
                return  # an earlier delivery of this view wrote it, and said so
            question = quizzes.add_question(session, author=identify(session, acting_user(body)),
                                            now=services.clock(), **_question_fields(modal_values(view)))
            key, prompt = question.key, question.prompt
    except DrumbeatError as problem:
        tell_refused(client, body, "Your question", problem)
        return
    client.chat_postMessage(channel=body["user"]["id"], **replies.notice(Rich(
        "Added the question ", Code(key), f": {prompt}\nAttach it to a broadcast, or send it alone, with ",
        Code(f"{services.settings.command} broadcast"), "."), "questions"))


COMMANDS = {commands.QuizMe: quiz_me, commands.NewQuestion: open_editor}


def register(app: App, services: Services) -> None:
    app.action(ANSWER)(after_ack(answer))
    app.action(SURE)(after_ack(sure))
    app.view(MODAL)(save_question)
