"""The coaching DM's controls: which cause, Coached (a modal for the note), Snooze a week, Send a refresher.

Every click is checked in bot.core.coaching (the rep's manager or a leader only); the DM is re-rendered in
place from the database, and a click that changes nothing (a second click, a stale copy) gets a private word.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond
from slack_sdk import WebClient

from bot.core import coaching, showing
from bot.core.errors import BadInput, DrumbeatError
from bot.core.roles import identify
from bot.services import Services
from bot.slack.people import acting_user
from bot.slack import replies
from bot.slack.after_ack import after_ack, hand_over
from bot.slack.modal_work import first_submission, tell_refused
from bot.slack.render import render_blocks
from bot.slack.respond import (
    choice_of,
    field_errors,
    modal_values,
    tell_privately,
    tell_problem,
    text_of,
    update_clicked,
)
from bot.slack.sender import SlackSender
from bot.slack.payloads import id_of

CAUSE = re.compile(r"^coaching_cause_\d+$")
COACHED = re.compile(r"^coaching_coached_\d+$")
SNOOZE = re.compile(r"^coaching_snooze_\d+$")
REFRESHER = re.compile(r"^coaching_refresher_\d+$")
MODAL = "coaching_modal"


def _nudge_id(action: dict[str, Any]) -> int:
    nudge_id = id_of(str(action.get("action_id", "")).rsplit("_", 1)[-1])
    if not nudge_id:
        raise BadInput("That button does not point at a coaching nudge I know.")
    return nudge_id


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
            shown = showing.digest_now(session, outcome.nudge, now)
    except DrumbeatError as problem:
        tell_problem(body, respond, client, problem)
        return
    update_clicked(body, client, shown)
    if outcome.note:
        tell_privately(body, respond, client, replies.notice(outcome.note, "info"))
    elif use == "refresher":
        tell_privately(body, respond, client, replies.notice(
            "Refresher on its way: the message again and a new question, at the rep's next working hour.",
            "repeat"))


def choose_cause(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
                 services: Services) -> None:
    _act(body, action, client, respond, services, "cause")


def snooze(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
           services: Services) -> None:
    _act(body, action, client, respond, services, "snooze")


def refresher(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
              services: Services) -> None:
    _act(body, action, client, respond, services, "refresher")


def open_coached(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
                 services: Services) -> None:
    """Coached: a modal for the cause and an optional note. Refusals come before the modal opens."""
    try:
        with services.unit_of_work() as session:
            form = coaching.coached_form(session, nudge_id=_nudge_id(action), caller=identify(session, acting_user(body)))
    except DrumbeatError as problem:
        tell_problem(body, respond, client, problem)
        return
    if isinstance(form, str):
        tell_privately(body, respond, client, replies.notice(form, "info"))
        return
    causes = [{"value": value, "label": label} for value, label in form.causes]
    view = render_blocks(MODAL, {"nudge_id": form.nudge_id, "rep": form.rep, "causes": causes, "topic": form.topic,
                                 "cause": next((c for c in causes if c["value"] == form.cause), None)},
                         surface="modal")
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _coached_fields(view: dict[str, Any]) -> dict[str, Any]:
    values = modal_values(view)
    return {"nudge_id": id_of(str(view.get("private_metadata") or "")), "cause": choice_of(values, "cause"),
            "note": text_of(values, "note") or None}


def save_coached(ack: Ack, body: dict[str, Any], view: dict[str, Any], services: Services, context: BoltContext,
                 request: BoltRequest) -> None:
    """Field errors from reads in the acknowledgement; the nudge is marked after it (`write_coached`)."""
    try:
        with services.unit_of_work() as session:
            coaching.check_coached(session, caller=identify(session, acting_user(body)), **_coached_fields(view))
    except DrumbeatError as problem:
        ack(response_action="errors", errors=field_errors(problem, {}, "note" if isinstance(problem, BadInput)
                                                          else "cause"))
        return
    ack()
    hand_over(context, request, write_coached)


def write_coached(body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    """After the acknowledgement: marked once per submitted view, checked again; the coaching DM is re-rendered in
    place, and the manager told in a DM what was recorded, or why nothing was (settled by someone else since)."""
    try:
        with services.unit_of_work() as session:
            if not first_submission(session, view, services):
                return  # an earlier delivery of this view marked it, and said so
            outcome = coaching.mark_coached(session, caller=identify(session, acting_user(body)),
                                            now=services.clock(), **_coached_fields(view))
            session.flush()
            outgoing, ref = showing.digest_now(session, outcome.nudge, services.clock())
    except DrumbeatError as problem:
        tell_refused(client, body, "Your coaching note", problem)
        return
    if ref is not None:
        SlackSender(client).update(ref, outgoing)
    client.chat_postMessage(channel=body["user"]["id"],
                            **replies.notice(outcome.note or "", "ok" if outcome.changed else "info"))


def register(app: App, services: Services) -> None:
    app.action(CAUSE)(after_ack(choose_cause))
    app.action(COACHED)(after_ack(open_coached))
    app.action(SNOOZE)(after_ack(snooze))
    app.action(REFRESHER)(after_ack(refresher))
    app.view(MODAL)(save_coached)
