"""Deliberate off-strategy deals on Slack: `/drumbeat deal deliberate <CRM id> [reason]`, `deal clear <CRM id>`,
and the **Mark deliberate** button beside each deal in a rep's pipeline summary, with a modal for the reason.

Every check is bot.core.deal_marks': the deal's owner or their manager only, and the deal id a button or a
modal carries is a claim looked up and checked again. A command with its reason writes at once (after the
acknowledgement, like every command); without one, or from the button, the modal asks for it. The modal's
field errors (too short, too long, no longer allowed) come from reads in its acknowledgement; the write runs
after it, once per submitted view, and its outcome is told in a DM (the modal is gone by then).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond
from slack_sdk import WebClient

from bot.core import commands, deal_marks
from bot.core.errors import DrumbeatError
from bot.core.roles import identify
from bot.services import Services
from bot.slack import replies
from bot.slack.after_ack import after_ack, hand_over
from bot.slack.modal_work import first_submission, tell_refused
from bot.slack.payloads import id_of
from bot.slack.people import acting_user
from bot.slack.render import render_blocks
from bot.slack.respond import CommandCall, Reply, field_errors, modal_values, tell_privately, tell_problem, text_of

BUTTON = re.compile(r"^deal_deliberate$")
MODAL = "deal_modal"


def _modal(form: deal_marks.MarkedDeal) -> dict[str, Any]:
    return render_blocks(MODAL, {"deal": form, "max_reason": deal_marks.MAX_REASON}, surface="modal")


def answer(call: CommandCall, command: commands.MarkDeal) -> Reply | None:
    """Typed with a reason (or `clear`): written now. Without a reason: the modal, opened with the command's
    trigger (usable for 3 s, and this runs right after the acknowledgement)."""
    session, caller, now = call.session, call.caller, call.services.clock()
    if command.clear or command.reason is not None:
        outcome = deal_marks.mark_deliberate(session, caller=caller, now=now, record=command.record_id,
                                             reason=command.reason)
        return replies.notice(outcome.note, "ok" if outcome.changed else "info")
    form = deal_marks.deal_form(session, caller=caller, record=command.record_id)
    call.client.views_open(trigger_id=call.body["trigger_id"], view=_modal(form))
    return None


def open_form(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
              services: Services) -> None:
    """The button: its value names the deal (a claim); refusals come instead of the modal."""
    try:
        with services.unit_of_work() as session:
            form = deal_marks.deal_form(session, caller=identify(session, acting_user(body)),
                                        deal_id=id_of(str(action.get("value") or "")) or -1)
    except DrumbeatError as problem:
        tell_problem(body, respond, client, problem)
        return
    client.views_open(trigger_id=body["trigger_id"], view=_modal(form))


def _fields(view: dict[str, Any]) -> dict[str, Any]:
    return {"deal_id": id_of(str(view.get("private_metadata") or "")) or -1,
            "reason": text_of(modal_values(view), "reason")}


def save_form(ack: Ack, body: dict[str, Any], view: dict[str, Any], services: Services, context: BoltContext,
              request: BoltRequest) -> None:
    """Field errors from reads in the acknowledgement; the mark is written after it (`write_form`)."""
    fields = _fields(view)
    try:
        with services.unit_of_work() as session:
            caller = identify(session, acting_user(body))
            deal_marks.check_reason(fields["reason"])
            deal_marks.deal_form(session, caller=caller, deal_id=fields["deal_id"])
    except DrumbeatError as problem:
        ack(response_action="errors", errors=field_errors(problem, {}, "reason"))
        return
    ack()
    hand_over(context, request, write_form)


def write_form(body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    """After the acknowledgement: written once per submitted view, checked again, and told in a DM."""
    try:
        with services.unit_of_work() as session:
            if not first_submission(session, view, services):
                return  # an earlier delivery of this view wrote it, and said so
            outcome = deal_marks.mark_deliberate(session, caller=identify(session, acting_user(body)),
                                                 now=services.clock(), **_fields(view))
    except DrumbeatError as problem:
        tell_refused(client, body, "Your reason", problem)
        return
    tell_privately(body, None, client, replies.notice(outcome.note, "ok" if outcome.changed else "info"))


COMMANDS = {commands.MarkDeal: answer}


def register(app: App, services: Services) -> None:
    app.action(BUTTON)(after_ack(open_form))
    app.view(MODAL)(save_form)
