"""`/drumbeat broadcast`: the modal a leader schedules a broadcast with, its preview, its submission."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core import broadcasts, commands
from bot.core.library import broadcast_form
from bot.core.broadcasts import DraftProblems
from bot.core.audiences import resolve_audience
from bot.core.errors import BadInput, DrumbeatError, NotFound
from bot.core.once import RequestKey
from bot.core.roles import identify, require_role
from bot.core.words.audience import count_lines
from bot.core.words.queued import describe_queued
from bot.services import Services
from bot.slack.identity import PLATFORM
from bot.slack.people import acting_user
from bot.slack import replies
from bot.slack.after_ack import after_ack, hand_over
from bot.slack.audience_groups import usergroup_choices, with_channel_names
from bot.slack.failures import slack_error_code
from bot.slack.modal_work import tell_refused
from bot.slack.ids import ActionId, CallbackId, ModalBlock
from bot.slack.modal_state import FIELD_BLOCKS, audience_from_state, draft_from_state
from bot.slack.render import render_blocks
from bot.slack.respond import CommandCall, field_errors, modal_values
from messages.rich import Icon, Rich
from schedules.materialise import zone
from storage.models import Person

log = logging.getLogger(__name__)


def offered_usergroups(client: WebClient) -> list[dict[str, str]]:
    """The workspace's user groups by handle, or none when Slack will not list them (no user groups on its plan,
    or a missing scope): the rest of the form still works."""
    try:
        return [{"id": group_id, "handle": handle} for group_id, handle in usergroup_choices(client)]
    except SlackApiError as problem:
        log.info("user groups not offered in the broadcast modal: %s", slack_error_code(problem))
        return []


def modal_view(session: Session, caller: Person, client: WebClient, *,
               selected_key: str | None = None, audience_note: Rich | None = None) -> dict[str, Any]:
    form = broadcast_form(session, reader=caller, selected_key=selected_key)
    problem = (Rich(Icon("warning"), f" This message's template has a problem: {form.preview_problem}")
               if form.preview_problem is not None else None)
    context = {
        "library": [{"key": key, "title": title} for key, title in form.library],
        "selected": {"key": form.selected[0], "title": form.selected[1]} if form.selected else None,
        "preview": form.preview,  # the leader's own mrkdwn, as the DM will show it
        "preview_problem": problem,
        "teams": form.teams,
        "usergroups": offered_usergroups(client),
        "audience_note": audience_note,
        "questions": [{"key": key, "prompt": prompt} for key, prompt in form.questions],
        "private_metadata": "",
    }
    view = render_blocks("broadcast_modal", context, surface="modal")
    assert isinstance(view, dict)
    return view


def open_broadcast_modal(call: CommandCall, command: commands.OpenBroadcast) -> None:
    require_role(call.caller, broadcasts.BROADCASTERS, "schedule broadcasts")
    call.client.views_open(trigger_id=call.body["trigger_id"], view=modal_view(call.session, call.caller, call.client))


def _broadcast_modal_of(body: dict[str, Any], what: str) -> dict[str, Any]:
    """The broadcast modal a click came from; a forged one (another view, no id) is refused."""
    view = body.get("view") or {}
    if view.get("callback_id") != CallbackId.BROADCAST_MODAL.value or not isinstance(view.get("id"), str):
        raise BadInput(f"That {what} does not belong to a broadcast form.")
    return view


def show_preview(body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    """The picked message's preview, in the leader's open broadcast modal. The view must be a broadcast modal
    and the clicker someone who may broadcast: the form lists every question and previews unreleased
    messages, which a rep's forged pick must not see."""
    view = _broadcast_modal_of(body, "choice")
    key = (action.get("selected_option") or {}).get("value")
    with services.unit_of_work() as session:
        caller = identify(session, acting_user(body))
        require_role(caller, broadcasts.BROADCASTERS, "schedule broadcasts")
        updated = modal_view(session, caller, client, selected_key=key)
    client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)


def count_audience(body: dict[str, Any], client: WebClient, services: Services) -> None:
    """After the acknowledgement: the audience picked so far, resolved now (its stale user groups and channels
    re-read), shown in the modal: how many it reaches, and who is left out and why."""
    view = _broadcast_modal_of(body, "button")
    values = modal_values(view)
    with services.unit_of_work() as session:
        caller = identify(session, acting_user(body))
        require_role(caller, broadcasts.BROADCASTERS, "schedule broadcasts")
        try:
            resolved = resolve_audience(session, audience_from_state(values), load=False, groups=services.groups,
                                        now=services.clock())
            note = Rich.join("\n", count_lines(resolved.reach, platform=PLATFORM))
        except (BadInput, NotFound) as problem:
            note = Rich(Icon("warning"), " ", problem.text)
        picked = ((values.get(ModalBlock.MESSAGE.value) or {}).get(ActionId.MESSAGE_PICK.value) or {})
        updated = modal_view(session, caller, client, selected_key=(picked.get("selected_option") or {}).get("value"),
                             audience_note=note)
    client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)


def _draft(session: Session, body: dict[str, Any], view: dict[str, Any],
           services: Services) -> tuple[Person, broadcasts.BroadcastDraft | None, dict[str, str]]:
    caller = identify(session, acting_user(body))
    today = services.clock().astimezone(zone(caller.tz)).date()
    draft, errors = draft_from_state(modal_values(view), today=today)
    return caller, draft, errors


def submit_broadcast(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                     services: Services, context: BoltContext, request: BoltRequest) -> None:
    """Check the draft and close the modal at once; the broadcast is written after the acknowledgement."""
    present = {block.get("block_id") for block in view.get("blocks", []) if block.get("type") == "input"}
    try:
        with services.unit_of_work() as session:
            caller, draft, errors = _draft(session, body, view, services)
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
            caller, draft, errors = _draft(session, body, view, services)
            if draft is None:  # the acknowledgement passed it: what changed since is told in the DM below
                raise DraftProblems(errors)
            draft = replace(draft, audience=with_channel_names(client, draft.audience))
            queued = broadcasts.schedule(session, sender=caller, draft=draft, now=services.clock(),
                                         rules=services.rules, request=request, groups=services.groups)
            tz = caller.tz
        client.chat_postMessage(channel=user_id, **replies.notice(describe_queued(queued, tz, platform=PLATFORM), "message"))
    except DrumbeatError as problem:  # found only now (a user group emptied, the audience left): never dropped
        tell_refused(client, body, "Your broadcast", problem)


COMMANDS = {commands.OpenBroadcast: open_broadcast_modal}


def register(app: App, services: Services) -> None:
    app.action(ActionId.MESSAGE_PICK.value)(after_ack(show_preview))
    app.action(ActionId.AUDIENCE_COUNT.value)(after_ack(count_audience))
    app.view(CallbackId.BROADCAST_MODAL.value)(submit_broadcast)
