"""The coaching DM's controls: which cause, Coached (a modal for the note), Snooze a week, Send a refresher.

Every click is checked in bot.core.coaching (the rep's manager or a leader only); the DM is re-rendered in
place from the database, and a click that changes nothing (a second click, a stale copy) gets a private word.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import coaching
from bot.core.errors import BadInput, DrumbeatError
from bot.core.roles import identify
from bot.services import Services
from bot.slack.people import acting_user
from bot.slack import replies
from bot.slack.listeners.actions import tell_privately, update_clicked_message
from bot.slack.render import plain_text, render_blocks
from bot.slack.sender import SlackSender
from schedules.compose import compose_delivery
from schedules.compose_coaching import CAUSES
from schedules.outbox import Outgoing, SentRef
from storage.models import CoachingNudge, Expectation, NudgeStatus, Person

CAUSE = re.compile(r"^coaching_cause_\d+$")
COACHED = re.compile(r"^coaching_coached_\d+$")
SNOOZE = re.compile(r"^coaching_snooze_\d+$")
REFRESHER = re.compile(r"^coaching_refresher_\d+$")
MODAL = "coaching_modal"


def _nudge_id(action: dict[str, Any]) -> int:
    try:
        return int(str(action.get("action_id", "")).rsplit("_", 1)[1])
    except (IndexError, ValueError):
        raise BadInput("That button does not point at a coaching nudge I know.") from None


def _digest_outgoing(session: Session, nudge: CoachingNudge, services: Services) -> tuple[Outgoing, SentRef | None]:
    delivery = coaching.digest_delivery(session, nudge)
    if delivery is None:
        raise BadInput("That coaching DM is no longer in Drumbeat.")
    ref = (SentRef(delivery.platform, delivery.conversation_id, delivery.platform_message_id)
           if delivery.platform and delivery.conversation_id and delivery.platform_message_id else None)
    return compose_delivery(session, delivery, services.clock()), ref


def _act(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, services: Services,
         use: str) -> None:
    try:
        with services.unit_of_work() as session:
            caller, nudge_id, now = identify(session, acting_user(body)), _nudge_id(action), services.clock()
            if use == "cause":
                chosen = (action.get("selected_option") or {}).get("value")
                outcome = coaching.choose_cause(session, nudge_id=nudge_id, caller=caller, cause=chosen, now=now)
            elif use == "snooze":
                outcome = coaching.snooze(session, nudge_id=nudge_id, caller=caller, now=now,
                                          policy=services.coaching_policy)
            else:
                outcome = coaching.send_refresher(session, nudge_id=nudge_id, caller=caller, now=now,
                                                  rules=services.rules)
            session.flush()
            outgoing, _ = _digest_outgoing(session, outcome.nudge, services)
    except DrumbeatError as problem:
        tell_privately(body, respond, client, replies.notice(problem.text, ":warning:"))
        return
    update_clicked_message(body, client, outgoing)
    if outcome.note:
        tell_privately(body, respond, client, replies.notice(outcome.note, ":information_source:"))
    elif use == "refresher":
        tell_privately(body, respond, client, replies.notice(
            "Refresher on its way: the message again and a new question, at the rep's next working hour.",
            ":repeat:"))


def choose_cause(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
                 services: Services) -> None:
    ack()
    _act(body, action, client, respond, services, "cause")


def snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
           services: Services) -> None:
    ack()
    _act(body, action, client, respond, services, "snooze")


def refresher(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
              services: Services) -> None:
    ack()
    _act(body, action, client, respond, services, "refresher")


def open_coached(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
                 services: Services) -> None:
    """Coached: a modal for the cause and an optional note. Refusals come before the modal opens."""
    ack()
    try:
        with services.unit_of_work() as session:
            caller, nudge_id = identify(session, acting_user(body)), _nudge_id(action)
            nudge, rep = coaching.nudge_for(session, nudge_id, caller)
            if nudge.status != NudgeStatus.OPEN:
                tell_privately(body, respond, client, replies.notice(coaching.settled_note(nudge, session),
                                                                     ":information_source:"))
                return
            expectation = session.get(Expectation, nudge.expectation_id) if nudge.expectation_id else None
            causes = [{"value": cause.value, "label": label} for cause, label in CAUSES.items()]
            view = render_blocks(MODAL, {
                "nudge_id": nudge.id, "rep": rep.name, "causes": causes,
                "topic": expectation.statement if expectation else f"key message {nudge.message_key}",
                "cause": next((c for c in causes if c["value"] == nudge.cause), None),
            }, surface="modal")
    except DrumbeatError as problem:
        tell_privately(body, respond, client, replies.notice(problem.text, ":warning:"))
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)


def save_coached(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    values = (view.get("state") or {}).get("values") or {}
    cause = (((values.get("cause") or {}).get("cause_input") or {}).get("selected_option") or {}).get("value")
    note = ((values.get("note") or {}).get("note_input") or {}).get("value")
    try:
        with services.unit_of_work() as session:
            caller = identify(session, acting_user(body))
            outcome = coaching.mark_coached(session, nudge_id=int(view.get("private_metadata") or 0), caller=caller,
                                            cause=cause, note=note, now=services.clock())
            session.flush()
            outgoing, ref = _digest_outgoing(session, outcome.nudge, services)
            rep = session.get(Person, outcome.nudge.rep_id)
    except BadInput as problem:
        ack(response_action="errors", errors={"note": plain_text(problem.text)})
        return
    except DrumbeatError as problem:
        ack(response_action="errors", errors={"cause": plain_text(problem.text)})
        return
    ack()
    if ref is not None:
        SlackSender(client).update(ref, outgoing)
    word = outcome.note or f"Noted: you coached {rep.name if rep else 'the rep'}. I'll show whether their answers improve."
    client.chat_postMessage(channel=body["user"]["id"], **replies.notice(word, ":white_check_mark:"))


def register(app: App, services: Services) -> None:
    app.action(CAUSE)(choose_cause)
    app.action(COACHED)(open_coached)
    app.action(SNOOZE)(snooze)
    app.action(REFRESHER)(refresher)
    app.view(MODAL)(save_coached)
