"""Feedback in Slack: the modal (from Home, a broadcast DM or the command), lists, replies, withdrawals."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk import WebClient

from bot.core import commands, feedback
from bot.core.errors import DrumbeatError
from bot.core.roles import identify
from bot.core.words import feedback as feedback_words
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
    input_of,
    modal_values,
    replace_clicked,
    text_of,
)
from bot.slack.payloads import id_of
from messages.rich import Rich
from schedules.sending import Outgoing
from storage.models import Feedback, Person

log = logging.getLogger(__name__)

FIELDS = {"stop": "stop", "start": "start", "keep": "keep", "about": "about", "anonymous": "anonymous"}


def feedback_view(form: feedback.FeedbackForm) -> dict[str, Any]:
    view = render_blocks("feedback_modal", {"context": form.context, "question": form.question,
                                            "min_people": form.min_people}, surface="modal")
    assert isinstance(view, dict)
    return view


def _form(session: Any, services: Services, caller: Person, context: str) -> dict[str, Any]:
    return feedback_view(feedback.feedback_form(session, caller=caller, context=context,
                                                thresholds=services.feedback_thresholds))


def open_modal(body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    with services.unit_of_work() as session:
        view = _form(session, services, identify(session, acting_user(body)), str(action.get("value") or ""))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _checked(values: dict[str, Any], block: str) -> bool:
    return bool(input_of(values, block).get("selected_options"))


def _draft(view: dict[str, Any]) -> feedback.FeedbackDraft:
    values = modal_values(view)
    return feedback.FeedbackDraft(
        stop=text_of(values, "stop"), start=text_of(values, "start"), keep=text_of(values, "keep"),
        about=choice_of(values, "about") or "strategy", anonymous=_checked(values, "anonymous"),
        allow_replies=_checked(values, "replies"),
    )


def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], services: Services, context: BoltContext,
           request: BoltRequest) -> None:
    """Checked with reads, answered with the receipt in the modal, stored after (`store_feedback`).

    The receipt replaces the form, in the modal: a DM to the author would be a timed message (and, at DEBUG,
    a logged request with the author's id) right after each anonymous submission. Storing after the receipt
    keeps that: the receipt is decided from the same checks the write makes (the texts, the key, whether this
    view was stored already), the write is keyed by the view id's HMAC (unique, so a repeat stores once), and
    it writes exactly the rows it wrote inside the request. Only a write that fails after the receipt (the
    database unreachable) is told in a DM, and that DM is timed by a submission that left no row."""
    try:
        with services.unit_of_work() as session:
            identify(session, acting_user(body))
            receipt, new = feedback.check_feedback(session, draft=_draft(view), submission_id=view["id"],
                                                   key=services.feedback_key, thresholds=services.feedback_thresholds)
    except DrumbeatError as problem:
        ack(response_action="errors", errors=field_errors(problem, FIELDS, "stop"))
        return
    ack(response_action="update", view=render_blocks("feedback_thanks_modal", {"text": receipt}, surface="modal"))
    if new:
        hand_over(context, request, store_feedback)


def store_feedback(body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    """After the receipt: stored once per view, checked again. Nothing is logged of what or which item."""
    try:
        with services.unit_of_work() as session:
            feedback.submit(session, author=identify(session, acting_user(body)), draft=_draft(view),
                            submission_id=view["id"], key=services.feedback_key,
                            thresholds=services.feedback_thresholds, now=services.clock())
    except DrumbeatError as problem:
        tell_refused(client, body, "Your feedback", problem)
    except Exception:  # noqa: BLE001 - the receipt said it was sent: the author must learn it was not
        log.exception("storing a feedback submission failed")
        client.chat_postMessage(channel=body["user"]["id"], **replies.notice(
            "Your feedback could not be stored just now, so nothing of it was kept. Please send it again.", "warning"))


def list_message(view: feedback.TeamFeedback) -> dict[str, Any]:
    rendered = render_blocks("feedback_list", feedback_words.team_listing(view), surface="message")
    assert isinstance(rendered, dict)
    return rendered


def mine_message(items: list[Feedback], notice: str | Rich | None = None) -> dict[str, Any]:
    rendered = render_blocks("feedback_mine", feedback_words.own_listing(items, notice), surface="message")
    assert isinstance(rendered, dict)
    return rendered


def open_form(call: CommandCall, command: commands.OpenFeedback) -> None:
    call.client.views_open(trigger_id=call.body["trigger_id"],
                           view=_form(call.session, call.services, call.caller, "command"))


def list_team(call: CommandCall, command: commands.ListFeedback) -> Reply:
    view = feedback.team_feedback(call.session, caller=call.caller, team_name=command.team_name,
                                  month=command.month, thresholds=call.services.feedback_thresholds,
                                  now=call.services.clock())
    call.dm(list_message(view))
    return replies.notice("The feedback is in our DM.")


def list_mine(call: CommandCall, command: commands.MyFeedback) -> Reply:
    call.dm(mine_message(feedback.mine(call.session, person=call.caller)))
    return replies.notice("Your named feedback is in our DM, with a button to withdraw each.")


def post_to_team(call: CommandCall, command: commands.PostToTeam) -> Reply:
    title, key = feedback.POSTS[command.kind]
    queued = feedback.post_to_team(call.session, caller=call.caller, team_name=command.team_name, title=title,
                                   body=command.text, now=call.services.clock(), rules=call.services.rules, key=key)
    return replies.notice(feedback_words.posted(title, queued), "message")


def open_reply(body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    feedback_id = id_of(action.get("value"))
    try:
        with services.unit_of_work() as session:
            anonymous = feedback.reply_form(session, caller=identify(session, acting_user(body)),
                                            feedback_id=feedback_id)
    except DrumbeatError as problem:
        client.chat_postMessage(channel=body["user"]["id"], **replies.notice(problem.text, "warning"))
        return
    view = render_blocks("feedback_reply_modal", {"feedback_id": feedback_id, "anonymous": anonymous},
                         surface="modal")
    client.views_open(trigger_id=body["trigger_id"], view=view)


def send_reply(ack: Ack, body: dict[str, Any], view: dict[str, Any], services: Services, context: BoltContext,
               request: BoltRequest) -> None:
    """Field errors and refusals from reads in the acknowledgement; recorded and sent after it (`deliver_reply`)."""
    try:
        with services.unit_of_work() as session:
            feedback.check_reply(session, caller=identify(session, acting_user(body)),
                                 feedback_id=id_of(view.get("private_metadata")),
                                 text=text_of(modal_values(view), "text"), key=services.feedback_key)
    except DrumbeatError as problem:
        ack(response_action="errors", errors=field_errors(problem, {}, "text"))
        return
    ack()
    hand_over(context, request, deliver_reply)


def deliver_reply(body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    """After the acknowledgement: recorded once per view, checked again (the feedback may have been withdrawn),
    then sent straight to its author through the Sender of their platform: no outbox row, since a row would
    join an anonymous author to the feedback."""
    try:
        with services.unit_of_work() as session:
            if not first_submission(session, view, services):
                return  # an earlier delivery of this view sent it, and said so
            reply_to = feedback.reply(session, caller=identify(session, acting_user(body)),
                                      feedback_id=id_of(view.get("private_metadata")),
                                      text=text_of(modal_values(view), "text"), key=services.feedback_key,
                                      now=services.clock())
    except DrumbeatError as problem:
        tell_refused(client, body, "Your reply", problem)
        return
    words = Rich(f"{reply_to.replier} replied to your feedback:\n{reply_to.text}")
    services.send(Outgoing(recipient=reply_to.recipient, kind="notice", context={"text": words, "icon": "feedback"},
                           fallback_text=str(words), idempotency_key=f"feedback-reply-{view.get('id', '')}"))
    client.chat_postMessage(channel=body["user"]["id"], **replies.notice("Your reply was delivered.", "sent"))


def withdraw(body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    with services.unit_of_work() as session:
        person = identify(session, acting_user(body))
        notice: str | Rich
        try:
            notice = feedback.withdraw(session, person=person, feedback_id=id_of(action.get("value")))
        except (DrumbeatError, ValueError) as problem:
            notice = problem.text if isinstance(problem, DrumbeatError) else "That button does not point at feedback."
        session.flush()
        updated = mine_message(feedback.mine(session, person=person), notice)
    replace_clicked(body, client, updated)


COMMANDS = {commands.OpenFeedback: open_form, commands.ListFeedback: list_team, commands.MyFeedback: list_mine,
            commands.PostToTeam: post_to_team}


def register(app: App, services: Services) -> None:
    app.action("feedback_open")(after_ack(open_modal))
    app.view("feedback_modal")(submit)
    app.action("feedback_reply")(after_ack(open_reply))
    app.view("feedback_reply_modal")(send_reply)
    app.action("feedback_withdraw")(after_ack(withdraw))
