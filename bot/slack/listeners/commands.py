"""`/drumbeat <subcommand>`: ack with the answer (ephemeral), after one short unit of work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import broadcasts
from bot.core.away import set_away
from bot.core.errors import BadInput, DrumbeatError, PermissionDenied
from bot.core.roles import identify, require_role
from bot.services import Services
from bot.slack.people import slack_address
from bot.slack import replies
from bot.slack.listeners import broadcast_modal, schedules_list
from bot.slack.listeners import feedback as feedback_listener
from bot.slack.listeners import quiz as quiz_listener
from bot.slack.listeners import summary as summary_listener
from bot.slack.listeners import team as team_listener
from bot.slack.parse import CommandLine, parse_send, split_command
from messages.rich import Code, Rich, Strong

log = logging.getLogger(__name__)

Reply = dict[str, Any]
Subcommand = Callable[[Session, Services, str, CommandLine], Reply]


def send(session: Session, services: Services, user_id: str, line: CommandLine) -> Reply:
    caller = identify(session, slack_address(user_id))
    require_role(caller, broadcasts.BROADCASTERS, "send broadcasts")
    key, audience = parse_send(line.rest)
    queued = broadcasts.send_now(session, sender=caller, message_key=key, audience=audience, now=services.clock(),
                                 rules=services.rules)
    skipped = f" (note: {'; '.join(queued.skipped)})" if queued.skipped else ""
    people = "person" if queued.recipients == 1 else "people"
    timing = (f" {queued.now_count} now, {queued.later_count} at their next working hours (quiet hours, daily cap"
              " or time away)." if queued.later_count else "")
    return replies.notice(Rich(
        "On its way: ", Strong(queued.message_title), f" (v{queued.message_version}) to {queued.recipients} {people}"
        f" in {queued.audience_label}{skipped}.{timing} I'll show reach and acknowledgements in ",
        Code(f"{services.settings.command} summary"), ".",
    ), ":mega:")


def away(session: Session, services: Services, user_id: str, line: CommandLine) -> Reply:
    caller = identify(session, slack_address(user_id))
    return replies.notice(set_away(session, person=caller, text=line.rest, now=services.clock()), ":palm_tree:")


def summary(session: Session, services: Services, user_id: str, line: CommandLine) -> Reply:
    return summary_listener.answer(session, services, user_id, line)


def help_(session: Session, services: Services, user_id: str, line: CommandLine) -> Reply:
    return replies.usage(services.settings.command)


def broadcast(session: Session, services: Services, command: dict[str, Any], client: WebClient) -> Reply | None:
    broadcast_modal.open_broadcast_modal(session, services, command["user_id"], command["trigger_id"], client)
    return None


def schedules(session: Session, services: Services, command: dict[str, Any], client: WebClient) -> Reply | None:
    schedules_list.post_schedules(session, services, command["user_id"], client)
    return replies.notice("Your broadcasts are in our DM, with buttons to pause, resume, edit, send now or cancel.")


def quiz(session: Session, services: Services, command: dict[str, Any], client: WebClient) -> Reply | None:
    words = [word.lower() for word in split_command(command.get("text", "")).words]
    if words == ["new"]:
        quiz_listener.open_question_editor(session, services, command["user_id"], command["trigger_id"], client)
        return None
    if words != ["me"]:
        raise BadInput("Say `quiz me` to practise a question now, or (leaders) `quiz new` to add one.")
    quiz_listener.send_practice_question(session, services, command["user_id"], client)
    return replies.notice("A pulse-check question is waiting in our DM. One tap to answer.", ":bar_chart:")


# Subcommands that need the Slack client (a modal, a DM) rather than only an answer.
SLACK_SUBCOMMANDS: dict[str, Callable[[Session, Services, dict[str, Any], WebClient], Reply | None]] = {
    "broadcast": broadcast,
    "schedules": schedules,
    "quiz": quiz,
    "feedback": feedback_listener.command,
    "team": team_listener.command,
}

SUBCOMMANDS: dict[str, Subcommand] = {"send": send, "summary": summary, "away": away, "help": help_}


def answer_for(problem: DrumbeatError, command: str) -> Reply:
    """A refusal, usage help for what could not be understood, or the problem said plainly."""
    if isinstance(problem, PermissionDenied):
        return replies.refusal(problem.text)
    if isinstance(problem, BadInput):
        return replies.usage(command, problem.text)
    return replies.notice(problem.text, ":warning:")


def handle_command(ack: Ack, command: dict[str, Any], client: WebClient, services: Services) -> None:
    line = split_command(command.get("text", ""))
    if line.name not in SLACK_SUBCOMMANDS and line.name not in SUBCOMMANDS:
        problem = Rich("I don't know ", Code(line.name), ".") if line.name else None
        ack(response_type="ephemeral", **replies.usage(services.settings.command, problem))
        return
    reply: Reply | None
    try:
        with services.unit_of_work() as session:
            if line.name in SLACK_SUBCOMMANDS:
                reply = SLACK_SUBCOMMANDS[line.name](session, services, command, client)
            else:
                reply = SUBCOMMANDS[line.name](session, services, command["user_id"], line)
    except DrumbeatError as problem:
        reply = answer_for(problem, services.settings.command)
    if reply:
        ack(response_type="ephemeral", **reply)
    else:
        ack()


def register(app: App, services: Services) -> None:
    app.command(services.settings.command)(ack=handle_command, lazy=[summary_listener.follow_up])
