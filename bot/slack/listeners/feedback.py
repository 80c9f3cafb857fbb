"""Feedback in Slack: the modal (from Home, a broadcast DM or the command), lists, replies, withdrawals."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import feedback
from bot.core.broadcasts import DraftProblems
from bot.core.errors import BadInput, DrumbeatError
from bot.core.roles import identify
from bot.services import Services
from bot.slack.people import acting_user, slack_address, slack_user_id
from bot.slack import replies
from bot.slack.render import plain_text, render_blocks
from messages.rich import Rich, Strong
from storage.models import Broadcast, Delivery, Feedback, Message

FIELD_BLOCKS = {"stop": "stop", "start": "start", "keep": "keep", "about": "about", "anonymous": "anonymous"}


def feedback_view(session: Session, services: Services, context: str) -> dict[str, Any]:
    question = None
    if context.startswith("delivery:"):
        delivery = session.get(Delivery, int(context.split(":", 1)[1] or 0))
        broadcast = session.get(Broadcast, delivery.broadcast_id) if delivery and delivery.broadcast_id else None
        message = session.get(Message, broadcast.message_id) if broadcast else None
        if message is not None and message.key == feedback.REQUEST_KEY:
            question = message.body
    view = render_blocks("feedback_modal", {"context": context[:200], "question": question,
                                            "min_people": services.feedback_thresholds.people_for_comments},
                         surface="modal")
    assert isinstance(view, dict)
    return view


def open_modal(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    with services.unit_of_work() as session:
        identify(session, acting_user(body))
        view = feedback_view(session, services, str(action.get("value") or ""))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _checked(values: dict[str, Any], block: str) -> bool:
    return bool(((values.get(block) or {}).get(f"{block}_input") or {}).get("selected_options"))


def _text(values: dict[str, Any], block: str) -> str:
    return ((values.get(block) or {}).get(f"{block}_input") or {}).get("value") or ""


def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    values = (view.get("state") or {}).get("values") or {}
    about = (((values.get("about") or {}).get("about_input") or {}).get("selected_option") or {}).get("value")
    draft = feedback.FeedbackDraft(
        stop=_text(values, "stop"), start=_text(values, "start"), keep=_text(values, "keep"),
        about=about or "strategy", anonymous=_checked(values, "anonymous"), allow_replies=_checked(values, "replies"),
    )
    try:
        with services.unit_of_work() as session:
            receipt, _new = feedback.submit(
                session, author=identify(session, acting_user(body)), draft=draft, submission_id=view["id"],
                key=services.feedback_key, thresholds=services.feedback_thresholds, now=services.clock())
    except DraftProblems as problems:
        ack(response_action="errors", errors={FIELD_BLOCKS.get(field, "stop"): plain_text(message)
                                              for field, message in problems.problems.items()})
        return
    except DrumbeatError as problem:
        ack(response_action="errors", errors={"stop": plain_text(problem.text)})
        return
    ack()
    client.chat_postMessage(channel=body["user"]["id"], **replies.notice(Rich("Thank you for your feedback. ", receipt),
                                                                          ":speech_balloon:"))


def _entry(item: Feedback, who: str, *, can_reply: bool) -> dict[str, Any]:
    return {"id": item.id, "who": who, "about": item.about, "day": item.submitted_on.isoformat(),
            "stop": item.stop, "start": item.start, "keep": item.keep, "can_reply": can_reply}


def list_message(view: feedback.TeamFeedback) -> dict[str, Any]:
    about_line = ", ".join(f"{count} about {about}" for about, count in sorted(view.counts.by_about.items())) \
        if view.counts else ""
    rendered = render_blocks("feedback_list", {
        "team": view.team, "month": view.month, "people": view.people, "counts": view.counts,
        "about_line": about_line,
        "min_scores": view.thresholds.people_for_scores, "min_comments": view.thresholds.people_for_comments,
        "named": [_entry(item, f"*{view.authors.get(item.author_id or 0, 'someone')}*", can_reply=True)
                  for item in view.named],
        "anonymous": None if view.anonymous is None else [
            _entry(item, "_anonymous_", can_reply=item.reply_link is not None) for item in view.anonymous],
    }, surface="message")
    assert isinstance(rendered, dict)
    return rendered


def mine_message(items: list[Feedback], notice: str | Rich | None = None) -> dict[str, Any]:
    rendered = render_blocks("feedback_mine", {"notice": notice, "items": [
        _entry(item, "you", can_reply=False) for item in items]}, surface="message")
    assert isinstance(rendered, dict)
    return rendered


def command(session: Session, services: Services, slash: dict[str, Any], client: WebClient) -> dict[str, Any] | None:
    """`feedback`, `feedback list [team] [YYYY-MM]`, `feedback mine`, `feedback request <team> | <question>`,
    `feedback yousaid <team> | <note>`."""
    user_id = slash["user_id"]
    rest = slash.get("text", "").strip()[len("feedback"):].strip()
    verb, _, args = rest.partition(" ")
    verb = verb.lower()
    caller = identify(session, slack_address(user_id))
    if not verb:
        client.views_open(trigger_id=slash["trigger_id"], view=feedback_view(session, services, "command"))
        return None
    if verb == "list":
        words = args.split()
        month = words.pop() if words and feedback.MONTH.match(words[-1]) else None
        if words and words[-1][:1].isdigit():
            raise BadInput(f"'{words[-1]}' is not a month: write it as YYYY-MM.")
        view = feedback.team_feedback(session, caller=caller, team_name=" ".join(words) or None, month=month,
                                      thresholds=services.feedback_thresholds, now=services.clock())
        client.chat_postMessage(channel=user_id, **list_message(view))
        return replies.notice("The feedback is in our DM.")
    if verb == "mine":
        client.chat_postMessage(channel=user_id, **mine_message(feedback.mine(session, person=caller)))
        return replies.notice("Your named feedback is in our DM, with a button to withdraw each.")
    if verb in ("request", "yousaid"):
        team, _, text = args.partition("|")
        title = "Your feedback, please" if verb == "request" else "You said, we did"
        queued = feedback.post_to_team(session, caller=caller, team_name=team.strip(), title=title, body=text.strip(),
                                       now=services.clock(), rules=services.rules,
                                       key=feedback.REQUEST_KEY if verb == "request" else feedback.NOTE_KEY)
        return replies.notice(Rich("Sent ", Strong(title), f" to {queued.recipients} people in "
                                   f"{queued.audience_label}."), ":mega:")
    raise BadInput("Say `feedback`, `feedback list [team] [YYYY-MM]`, `feedback mine`, "
                   "`feedback request <team> | <question>` or `feedback yousaid <team> | <what changed>`.")


def open_reply(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    with services.unit_of_work() as session:
        identify(session, acting_user(body))
        item = session.get(Feedback, int(action["value"]))
        anonymous = bool(item and item.anonymous)
    view = render_blocks("feedback_reply_modal", {"feedback_id": int(action["value"]), "anonymous": anonymous},
                         surface="modal")
    client.views_open(trigger_id=body["trigger_id"], view=view)


def send_reply(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services) -> None:
    values = (view.get("state") or {}).get("values") or {}
    try:
        with services.unit_of_work() as session:
            reply_to = feedback.reply(session, caller=identify(session, acting_user(body)),
                                      feedback_id=int(view["private_metadata"]), text=_text(values, "text"),
                                      key=services.feedback_key, now=services.clock())
    except DraftProblems as problems:
        ack(response_action="errors", errors={"text": plain_text(problems.text)})
        return
    except DrumbeatError as problem:
        ack(response_action="errors", errors={"text": plain_text(problem.text)})
        return
    ack()
    client.chat_postMessage(channel=slack_user_id(reply_to.recipient), **replies.notice(
        f"{reply_to.replier} replied to your feedback:\n{reply_to.text}", ":speech_balloon:"))
    client.chat_postMessage(channel=body["user"]["id"], **replies.notice("Your reply was delivered.", ":outbox_tray:"))


def withdraw(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    with services.unit_of_work() as session:
        person = identify(session, acting_user(body))
        notice: str | Rich
        try:
            notice = feedback.withdraw(session, person=person, feedback_id=int(action["value"]))
        except DrumbeatError as problem:
            notice = problem.text
        session.flush()
        updated = mine_message(feedback.mine(session, person=person), notice)
    client.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"], **updated)


def register(app: App, services: Services) -> None:
    app.action("feedback_open")(open_modal)
    app.view("feedback_modal")(submit)
    app.action("feedback_reply")(open_reply)
    app.view("feedback_reply_modal")(send_reply)
    app.action("feedback_withdraw")(withdraw)

