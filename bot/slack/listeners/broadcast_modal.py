"""`/drumbeat broadcast`: the modal a leader schedules a broadcast with, its preview, its submission."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlmodel import Session

from bot.core import broadcasts
from bot.core.errors import DrumbeatError
from bot.core.roles import identify, require_role
from bot.services import Services
from bot.slack.people import acting_user, slack_address
from bot.slack import replies
from bot.slack.ids import ActionId, CallbackId
from bot.slack.modal_state import draft_from_state, errors_for_modal
from bot.slack.render import plain_text, render_blocks
from messages.render import TemplateProblem
from messages.rich import Icon, Rich, Strong
from schedules.reader import local_time_label
from schedules.materialise import zone
from storage.models import Person, Question, Team

log = logging.getLogger(__name__)


def modal_view(session: Session, caller: Person, *, selected_key: str | None = None) -> dict[str, Any]:
    library = broadcasts.library(session)
    selected = next((message for message in library if message.key == selected_key), None)
    preview = None
    if selected is not None:
        try:
            preview = broadcasts.preview(session, body=selected.body, reader=caller)
        except TemplateProblem as problem:
            preview = f":warning: This message's template has a problem: {problem}"
    context = {
        "library": [{"key": m.key, "title": m.title} for m in library],
        "selected": {"key": selected.key, "title": selected.title} if selected else None,
        "preview": preview,
        "teams": list(session.execute(select(Team.name).order_by(Team.name)).scalars()),
        "questions": [{"key": q.key, "prompt": q.prompt} for q in session.execute(
            select(Question).where(Question.active.is_(True)).order_by(Question.key)).scalars()],
        "private_metadata": "",
    }
    view = render_blocks("broadcast_modal", context, surface="modal")
    assert isinstance(view, dict)
    return view


def open_broadcast_modal(session: Session, services: Services, user_id: str, trigger_id: str, client: WebClient) -> None:
    caller = identify(session, slack_address(user_id))
    require_role(caller, broadcasts.BROADCASTERS, "schedule broadcasts")
    client.views_open(trigger_id=trigger_id, view=modal_view(session, caller))


def show_preview(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    view = body.get("view") or {}
    key = (action.get("selected_option") or {}).get("value")
    with services.unit_of_work() as session:
        caller = identify(session, acting_user(body))
        updated = modal_view(session, caller, selected_key=key)
    client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)


def usergroup_members(client: WebClient, usergroup_id: str) -> list[str]:
    try:
        return list(client.usergroups_users_list(usergroup=usergroup_id).get("users") or [])
    except SlackApiError as error:
        if (error.response.data or {}).get("error") == "no_such_subteam":
            raise LookupError(f"There is no Slack user group {usergroup_id}.") from None
        raise


def describe_queued(queued: broadcasts.BroadcastQueued, tz: str) -> Rich:
    when = "now" if queued.schedule == "now" else queued.schedule
    lines = [Rich("Scheduled ", Strong(queued.message_title), f" (v{queued.message_version}) for {queued.recipients}"
                  f" people in {queued.audience_label}: {when}.")]
    if queued.next_run:
        lines.append(Rich(f"Next: {local_time_label(queued.next_run, tz)} your time; each rep gets it at their own "
                          "local time."))
    if queued.later_count:
        lines.append(Rich(f"{queued.now_count} now, {queued.later_count} after their quiet hours, daily cap or time "
                          "away."))
    lines.extend(Rich(Icon("warning"), f" {warning}") for warning in queued.warnings)
    return Rich.join("\n", lines)


def submit_broadcast(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                     services: Services) -> None:
    user_id = body["user"]["id"]
    present = {block.get("block_id") for block in view.get("blocks", []) if block.get("type") == "input"}
    values = (view.get("state") or {}).get("values") or {}
    try:
        with services.unit_of_work() as session:
            caller = identify(session, slack_address(user_id))
            today = services.clock().astimezone(zone(caller.tz)).date()
            draft, errors = draft_from_state(values, today=today, usergroup_members=partial(usergroup_members, client))
            if draft is None:
                ack(response_action="errors", errors={k: v for k, v in errors.items() if k in present} or
                    {"when": " ".join(errors.values())})
                return
            queued = broadcasts.schedule(session, sender=caller, draft=draft, now=services.clock(), rules=services.rules)
            tz = caller.tz
    except broadcasts.DraftProblems as problems:
        ack(response_action="errors", errors=errors_for_modal(problems.problems, present))
        return
    except DrumbeatError as problem:
        ack(response_action="errors", errors={"when": plain_text(problem.text)})
        return
    ack()
    client.chat_postMessage(channel=user_id, **replies.notice(describe_queued(queued, tz), ":mega:"))


def register(app: App, services: Services) -> None:
    app.action(ActionId.MESSAGE_PICK.value)(show_preview)
    app.view(CallbackId.BROADCAST_MODAL.value)(submit_broadcast)
