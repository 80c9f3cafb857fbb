"""`/drumbeat schedules`: a leader's broadcasts in their DM, with buttons that steer each one."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import manage
from bot.core.broadcasts import DraftProblems
from bot.core.errors import DrumbeatError
from bot.core.roles import identify
from bot.core.words.figures import percent
from bot.services import Services
from bot.slack.people import acting_user, slack_address
from bot.slack import replies
from bot.slack.ids import ActionId, CallbackId
from bot.slack.render import plain_text, render_blocks
from messages.rich import Icon, Rich
from schedules.reader import local_time_label
from storage.models import Person, Role

ROW_ACTIONS = (ActionId.SCHEDULE_PAUSE, ActionId.SCHEDULE_RESUME, ActionId.SCHEDULE_SEND_NOW, ActionId.SCHEDULE_CANCEL)


def schedules_message(session: Session, services: Services, caller: Person,
                      notice: str | Rich | None = None) -> dict[str, Any]:
    rows = manage.list_broadcasts(session, caller=caller, now=services.clock())
    rendered = render_blocks("schedules", {
        "notice": notice,
        "command": services.settings.command,
        "tz": caller.tz,
        "rows": [{
            "id": row.id, "title": row.title, "version": row.version, "audience_label": row.audience_label,
            "schedule": row.schedule, "status": row.status,
            "next_run": local_time_label(row.next_run, caller.tz) if row.next_run else None,
            "reach": row.reach, "delivered": row.delivered, "acknowledged": row.acknowledged,
            "rate": percent(row.acknowledged, row.delivered), "author": row.author,
            "show_author": caller.role == Role.ADMIN,
        } for row in rows],
    }, surface="message")
    assert isinstance(rendered, dict)
    return rendered


def post_schedules(session: Session, services: Services, user_id: str, client: WebClient) -> None:
    caller = identify(session, slack_address(user_id))
    client.chat_postMessage(channel=user_id, **schedules_message(session, services, caller))


def steer(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    user_id = body["user"]["id"]
    action_id = action["action_id"]
    with services.unit_of_work() as session:
        caller = identify(session, slack_address(user_id))
        notice: str | Rich
        try:
            broadcast_id = int(action.get("value", ""))
            now = services.clock()
            if action_id == ActionId.SCHEDULE_PAUSE:
                notice = manage.pause(session, caller=caller, broadcast_id=broadcast_id, now=now)
            elif action_id == ActionId.SCHEDULE_RESUME:
                notice = manage.resume(session, caller=caller, broadcast_id=broadcast_id, now=now)
            elif action_id == ActionId.SCHEDULE_CANCEL:
                notice = manage.cancel(session, caller=caller, broadcast_id=broadcast_id, now=now)
            else:
                notice = manage.send_again_now(session, caller=caller, broadcast_id=broadcast_id, now=now,
                                               rules=services.rules)
        except ValueError:
            notice = "That button does not point at a broadcast."
        except DrumbeatError as problem:
            notice = problem.text
        session.flush()
        updated = schedules_message(session, services, caller, notice)
    client.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"], **updated)


def open_editor(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    with services.unit_of_work() as session:
        caller = identify(session, acting_user(body))
        broadcast_id = int(action["value"])
        try:
            message = manage.current_message(session, caller=caller, broadcast_id=broadcast_id)
        except DrumbeatError:
            return
        view = render_blocks("edit_modal", {"broadcast_id": broadcast_id, "version": message.version,
                                            "title": message.title, "body": message.body}, surface="modal")
    client.views_open(trigger_id=body["trigger_id"], view=view)


def save_edit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    values = (view.get("state") or {}).get("values") or {}
    title = ((values.get("title") or {}).get("title_input") or {}).get("value") or ""
    text = ((values.get("body") or {}).get("body_input") or {}).get("value") or ""
    try:
        with services.unit_of_work() as session:
            caller = identify(session, acting_user(body))
            result = manage.edit_message(session, caller=caller, broadcast_id=int(view["private_metadata"]),
                                         title=title, body=text, now=services.clock())
    except DraftProblems as problems:
        ack(response_action="errors", errors={("body" if field == "body" else "title"): plain_text(message)
                                              for field, message in problems.problems.items()})
        return
    except DrumbeatError as problem:
        ack(response_action="errors", errors={"title": plain_text(problem.text)})
        return
    ack()
    lines = [Rich(f"Saved v{result.version}. Messages already sent keep their version; queued ones carry "
                  f"v{result.version}.")]
    lines += [Rich(Icon("warning"), f" {warning}") for warning in result.warnings]
    client.chat_postMessage(channel=body["user"]["id"], **replies.notice(Rich.join("\n", lines), ":pencil2:"))


def register(app: App, services: Services) -> None:
    for action_id in ROW_ACTIONS:
        app.action(action_id.value)(steer)
    app.action(ActionId.SCHEDULE_EDIT.value)(open_editor)
    app.view(CallbackId.EDIT_MESSAGE_MODAL.value)(save_edit)
