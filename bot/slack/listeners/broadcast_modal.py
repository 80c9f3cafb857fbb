"""`/drumbeat broadcast`: the modal a leader schedules a broadcast with, its preview, its submission."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core import broadcasts, commands
from bot.core.library import broadcast_form
from bot.core.broadcasts import DraftProblems
from bot.core.errors import BadInput, DrumbeatError
from bot.core.once import RequestKey
from bot.core.roles import identify, require_role
from bot.core.words.queued import describe_queued
from bot.services import Services
from bot.slack.identity import PLATFORM
from bot.slack.people import acting_user
from bot.slack import replies
from bot.slack.after_ack import after_ack, hand_over
from bot.slack.modal_work import tell_refused
from bot.slack.ids import ActionId, CallbackId, ModalBlock
from bot.slack.modal_state import FIELD_BLOCKS, draft_from_state
from bot.slack.render import render_blocks
from bot.slack.respond import CommandCall, field_errors, modal_values
from messages.rich import Icon, Rich
from schedules.materialise import zone
from storage.models import Person

log = logging.getLogger(__name__)


def modal_view(session: Session, caller: Person, *, selected_key: str | None = None) -> dict[str, Any]:
    form = broadcast_form(session, reader=caller, selected_key=selected_key)
    problem = (Rich(Icon("warning"), f" This message's template has a problem: {form.preview_problem}")
               if form.preview_problem is not None else None)
    context = {
        "library": [{"key": key, "title": title} for key, title in form.library],
        "selected": {"key": form.selected[0], "title": form.selected[1]} if form.selected else None,
        "preview": form.preview,  # the leader's own mrkdwn, as the DM will show it
        "preview_problem": problem,
        "teams": form.teams,
        "questions": [{"key": key, "prompt": prompt} for key, prompt in form.questions],
        "private_metadata": "",
    }
    view = render_blocks("broadcast_modal", context, surface="modal")
    assert isinstance(view, dict)
    return view


def open_broadcast_modal(call: CommandCall, command: commands.OpenBroadcast) -> None:
    require_role(call.caller, broadcasts.BROADCASTERS, "schedule broadcasts")
    call.client.views_open(trigger_id=call.body["trigger_id"], view=modal_view(call.session, call.caller))


def show_preview(body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    """The picked message's preview, in the leader's open broadcast modal. The view must be a broadcast modal
    and the clicker someone who may broadcast: the form lists every question and previews unreleased
    messages, which a rep's forged pick must not see."""
    view = body.get("view") or {}
    if view.get("callback_id") != CallbackId.BROADCAST_MODAL.value or not isinstance(view.get("id"), str):
        raise BadInput("That choice does not belong to a broadcast form.")
    key = (action.get("selected_option") or {}).get("value")
    with services.unit_of_work() as session:
        caller = identify(session, acting_user(body))
        require_role(caller, broadcasts.BROADCASTERS, "schedule broadcasts")
        updated = modal_view(session, caller, selected_key=key)
    client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)


def usergroup_members(client: WebClient, usergroup_id: str) -> list[str]:
    try:
        return list(client.usergroups_users_list(usergroup=usergroup_id).get("users") or [])
    except SlackApiError as error:
        if (error.response.data or {}).get("error") == "no_such_subteam":
            raise LookupError(f"There is no Slack user group {usergroup_id}.") from None
        raise


def _draft(session: Session, body: dict[str, Any], view: dict[str, Any], client: WebClient,
           services: Services) -> tuple[Person, broadcasts.BroadcastDraft | None, dict[str, str]]:
    caller = identify(session, acting_user(body))
    today = services.clock().astimezone(zone(caller.tz)).date()
    draft, errors = draft_from_state(modal_values(view), today=today, usergroup_members=partial(usergroup_members, client))
    return caller, draft, errors


def submit_broadcast(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                     services: Services, context: BoltContext, request: BoltRequest) -> None:
    """Check the draft and close the modal at once; the broadcast is written after the acknowledgement."""
    present = {block.get("block_id") for block in view.get("blocks", []) if block.get("type") == "input"}
    try:
        with services.unit_of_work() as session:
            caller, draft, errors = _draft(session, body, view, client, services)
            if draft is None:
                ack(response_action="errors", errors={k: v for k, v in errors.items() if k in present} or
                    {"when": " ".join(errors.values())})
                return
            require_role(caller, broadcasts.BROADCASTERS, "send broadcasts")
            broadcasts.check_draft(session, sender=caller, draft=draft, now=services.clock(), load=False)
    except DrumbeatError as problem:
        ack(response_action="errors", errors=field_errors(problem, FIELD_BLOCKS, ModalBlock.WHEN.value, present))
        return
    ack()
    hand_over(context, request, queue_broadcast)


def queue_broadcast(body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    """After the acknowledgement: one broadcast per modal submission (its view id), however often Slack or the
    leader submits it, checked again as it is written, and a DM saying what was queued or why nothing was."""
    user_id = body["user"]["id"]
    request = RequestKey(PLATFORM, f"view:{view['id']}")
    try:
        with services.unit_of_work() as session:
            caller, draft, errors = _draft(session, body, view, client, services)
            if draft is None:  # the acknowledgement passed it: what changed since is told in the DM below
                raise DraftProblems(errors)
            queued = broadcasts.schedule(session, sender=caller, draft=draft, now=services.clock(),
                                         rules=services.rules, request=request)
            tz = caller.tz
        client.chat_postMessage(channel=user_id, **replies.notice(describe_queued(queued, tz), "message"))
    except DrumbeatError as problem:  # found only now (a user group emptied, the audience left): never dropped
        tell_refused(client, body, "Your broadcast", problem)


COMMANDS = {commands.OpenBroadcast: open_broadcast_modal}


def register(app: App, services: Services) -> None:
    app.action(ActionId.MESSAGE_PICK.value)(after_ack(show_preview))
    app.view(CallbackId.BROADCAST_MODAL.value)(submit_broadcast)
