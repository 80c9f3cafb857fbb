"""How every Slack listener answers, in one place: privately to the clicker, in place of the clicked message,
on the Home tab, or as a modal's field errors. Listeners import this module, never each other.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core import home
from bot.core.broadcasts import DraftProblems
from bot.core.errors import DrumbeatError, NotInDirectory
from bot.services import Services
from bot.slack import replies
from bot.slack.people import slack_address
from bot.slack.render import plain_text
from bot.slack.sender import SlackSender
from bot.core.showing import Shown
from bot.slack.clicked import clicked_in_own_dm, target_of_click
from storage.models import Person

log = logging.getLogger(__name__)

Reply = dict[str, Any]


@dataclass
class CommandCall:
    """One `/drumbeat ...` being answered: its unit of work, who asked, and the payload Slack sent."""

    session: Session
    services: Services
    caller: Person
    body: dict[str, Any]
    client: WebClient
    #: What the handler computed that a follow-up after the answer reuses (the summary a chart is drawn from).
    kept: dict[str, Any] = field(default_factory=dict)

    @property
    def user_id(self) -> str:
        return str(self.body["user_id"])

    def dm(self, reply: Reply) -> None:
        """Post to the caller's DM (lists with buttons, which an ephemeral answer cannot keep)."""
        self.client.chat_postMessage(channel=self.user_id, **reply)


def tell_privately(body: dict[str, Any], respond: Respond | None, client: WebClient, reply: Reply) -> None:
    """Answer only the clicker: through response_url when Slack gave one, else in a DM to them."""
    if respond is not None and body.get("response_url"):
        respond(replace_original=False, response_type="ephemeral", **reply)
        return
    client.chat_postMessage(channel=body["user"]["id"], **reply)


def tell_problem(body: dict[str, Any], respond: Respond | None, client: WebClient, problem: DrumbeatError) -> None:
    tell_privately(body, respond, client, replies.notice(problem.text, "warning"))


def replace_clicked(body: dict[str, Any], client: WebClient, reply: Reply) -> None:
    """Show `reply` in place of the clicked message when that message is in the clicker's own DM; otherwise
    (a forged payload naming someone else's message, or none) as a new message in the clicker's DM."""
    where = clicked_in_own_dm(body, client)
    if where is not None:
        client.chat_update(channel=where.conversation_id, ts=where.message_id, **reply)
    else:
        client.chat_postMessage(channel=body["user"]["id"], **reply)


def update_clicked(body: dict[str, Any], client: WebClient, shown: Shown) -> None:
    """Re-render the message a click changed, through the Sender the outbox uses: where Drumbeat recorded
    sending it, else where the click came from if that is the clicker's own DM, else anew to the clicker."""
    sender = SlackSender(client)
    where = target_of_click(body, client, shown.sent)
    if where is not None:
        sender.update(where, shown.outgoing)
    else:
        client.chat_postMessage(channel=body["user"]["id"], **sender.payload(shown.outgoing))


def publish_home(client: WebClient, services: Services, user_id: str) -> None:
    """Render and publish someone's Home tab from the figures as they are now."""
    try:
        with services.unit_of_work() as session:
            view = home.home_for(session, caller=slack_address(user_id), command=services.settings.command,
                                 now=services.clock(), thresholds=services.feedback_thresholds)
    except NotInDirectory as unknown:
        view = home.unknown_person(unknown.text, services.settings.command)
    client.views_publish(user_id=user_id, view=replies.home(view))


def clicked_on_home(body: dict[str, Any]) -> bool:
    """Whether the click was made on the App Home tab (its container is the Home view)."""
    container, view = body.get("container") or {}, body.get("view") or {}
    return container.get("type") == "view" and view.get("type") == "home"


def refresh_home(body: dict[str, Any], client: WebClient, services: Services) -> None:
    """Keep the Home tab live after someone acts on it; a failure here never undoes the act.

    Only a click made on the Home tab re-renders it: Slack sends `app_home_opened` each time someone opens the
    tab, and that renders it fresh, so re-rendering after a click in a DM would be work nobody sees (at 50
    clicks at once it was most of the work after the acknowledgements)."""
    if not clicked_on_home(body):
        return
    try:
        publish_home(client, services, body["user"]["id"])
    except SlackApiError as error:
        log.info("Home tab refresh for %s failed: %s", body["user"]["id"], error.response.get("error"))


def field_errors(problem: DrumbeatError, fields: Mapping[str, str], fallback: str,
                 present: set[str] | None = None) -> dict[str, str]:
    """A modal's `response_action: errors`: each of the core's field problems under its input block (fields
    maps core field -> block id), everything else under `fallback`; blocks the view lacks fall back too."""
    problems = problem.problems if isinstance(problem, DraftProblems) else {"": problem.text}
    errors: dict[str, str] = {}
    for field, text in problems.items():
        block = fields.get(field, fallback)
        if present is not None and block not in present:
            block = fallback
        message = plain_text(text)
        errors[block] = f"{errors[block]} {message}" if block in errors else message
    return errors


def modal_values(view: dict[str, Any]) -> dict[str, Any]:
    return (view.get("state") or {}).get("values") or {}


def input_of(values: dict[str, Any], block: str) -> dict[str, Any]:
    """The one element of an input block (its action_id is `<block>_input`)."""
    return (values.get(block) or {}).get(f"{block}_input") or {}


def text_of(values: dict[str, Any], block: str) -> str:
    return input_of(values, block).get("value") or ""


def choice_of(values: dict[str, Any], block: str) -> str | None:
    return (input_of(values, block).get("selected_option") or {}).get("value")
