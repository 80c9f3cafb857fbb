"""`/drumbeat schedules`: a leader's broadcasts in their DM, with buttons that steer each one."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import commands, manage
from bot.core.broadcasts import BROADCASTERS
from bot.core.errors import BadInput, DrumbeatError
from bot.core.roles import identify, require_role
from bot.core.words.schedules import edit_saved, schedule_rows
from bot.services import Services
from bot.slack.people import acting_user
from bot.slack import replies
from bot.slack.after_ack import after_ack, hand_over
from bot.slack.modal_work import first_submission, tell_refused
from bot.slack.ids import ActionId, CallbackId
from bot.slack.render import render_blocks
from bot.slack.respond import CommandCall, Reply, field_errors, modal_values, replace_clicked, tell_problem, text_of
from bot.slack.payloads import id_of
from messages.rich import Rich
from storage.models import Person

ROW_ACTIONS = (ActionId.SCHEDULE_PAUSE, ActionId.SCHEDULE_RESUME, ActionId.SCHEDULE_SEND_NOW, ActionId.SCHEDULE_CANCEL)


def schedules_message(session: Session, services: Services, caller: Person,
                      notice: str | Rich | None = None) -> dict[str, Any]:
    rows = manage.list_broadcasts(session, caller=caller, now=services.clock())
    rendered = render_blocks("schedules", {
        "notice": notice,
        "command": services.settings.command,
        "tz": caller.tz,
        "rows": schedule_rows(rows, caller),
    }, surface="message")
    assert isinstance(rendered, dict)
    return rendered


def post_schedules(call: CommandCall, command: commands.ListSchedules) -> Reply:
    call.dm(schedules_message(call.session, call.services, call.caller))
    return replies.notice("Your broadcasts are in our DM, with buttons to pause, resume, edit, send now or cancel.")


def steer(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
          services: Services) -> None:
    """A row's button. A refusal (not a leader, not their broadcast, a button pointing nowhere) is told
    privately and leaves the clicked list as it was; a change re-renders the leader's list in place."""
    try:
        broadcast_id = id_of(action.get("value"))
        if not broadcast_id:
            raise BadInput("That button does not point at a broadcast.")
        with services.unit_of_work() as session:
            caller = identify(session, acting_user(body))
            require_role(caller, BROADCASTERS, "manage broadcasts")
            notice: str | Rich
            try:
                notice = manage.steer(session, caller=caller, verb=str(action["action_id"]).removeprefix("schedule_"),
                                      broadcast_id=broadcast_id, now=services.clock(), rules=services.rules,
                                      groups=services.groups)
            except BadInput as problem:  # about the broadcast's state, which the list then shows as it is
                notice = problem.text
            session.flush()
            updated = schedules_message(session, services, caller, notice)
    except DrumbeatError as problem:
        tell_problem(body, respond, client, problem)
        return
    replace_clicked(body, client, updated)


def refresh(body: dict[str, Any], client: WebClient, respond: Respond, services: Services) -> None:
    """The list's Refresh button: the same list counted again (a large broadcast's progress), in place."""
    try:
        with services.unit_of_work() as session:
            caller = identify(session, acting_user(body))
            require_role(caller, BROADCASTERS, "manage broadcasts")
            updated = schedules_message(session, services, caller)
    except DrumbeatError as problem:
        tell_problem(body, respond, client, problem)
        return
    replace_clicked(body, client, updated)


def open_editor(body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    value = str(action.get("value", ""))
    try:
        with services.unit_of_work() as session:
            broadcast_id = id_of(value)
            message = manage.current_message(session, caller=identify(session, acting_user(body)),
                                             broadcast_id=broadcast_id)
            view = render_blocks("edit_modal", {"broadcast_id": broadcast_id, "version": message.version,
                                                "title": message.title, "body": message.body}, surface="modal")
    except DrumbeatError as problem:
        tell_problem(body, None, client, problem)
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _edit_fields(view: dict[str, Any]) -> dict[str, Any]:
    values = modal_values(view)
    return {"broadcast_id": id_of(str(view.get("private_metadata") or "")), "title": text_of(values, "title"),
            "body": text_of(values, "body")}


def save_edit(ack: Ack, body: dict[str, Any], view: dict[str, Any], services: Services, context: BoltContext,
              request: BoltRequest) -> None:
    """Field errors from reads in the acknowledgement; the new version is written after it (`write_edit`)."""
    try:
        with services.unit_of_work() as session:
            manage.check_edit(session, caller=identify(session, acting_user(body)), **_edit_fields(view))
    except DrumbeatError as problem:
        ack(response_action="errors", errors=field_errors(problem, {"body": "body"}, "title"))
        return
    ack()
    hand_over(context, request, write_edit)


def write_edit(body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    """After the acknowledgement: one new version per submitted view, checked again, and a DM saying so."""
    try:
        with services.unit_of_work() as session:
            if not first_submission(session, view, services):
                return  # an earlier delivery of this view saved it, and said so
            result = manage.edit_message(session, caller=identify(session, acting_user(body)), now=services.clock(),
                                         **_edit_fields(view))
    except DrumbeatError as problem:
        tell_refused(client, body, "Your edit", problem)
        return
    client.chat_postMessage(channel=body["user"]["id"], **replies.notice(edit_saved(result), "edit"))


COMMANDS = {commands.ListSchedules: post_schedules}


def register(app: App, services: Services) -> None:
    for action_id in ROW_ACTIONS:
        app.action(action_id.value)(after_ack(steer))
    app.action(ActionId.SCHEDULE_EDIT.value)(after_ack(open_editor))
    app.action(ActionId.SCHEDULES_REFRESH.value)(after_ack(refresh))
    app.view(CallbackId.EDIT_MESSAGE_MODAL.value)(save_edit)
