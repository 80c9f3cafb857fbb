"""Button clicks. The DM a rep clicked in is updated in place; problems answer privately."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.core import broadcasts
from bot.core.errors import DrumbeatError
from bot.core.roles import identify
from bot.services import Services
from bot.slack.people import acting_user
from bot.slack import replies
from bot.slack.listeners import events
from bot.slack.identity import PLATFORM
from bot.slack.ids import ActionId
from bot.slack.sender import SlackSender
from schedules.compose import compose_delivery
from schedules.outbox import Outgoing, SentRef
from storage.models import Delivery

log = logging.getLogger(__name__)


def tell_privately(body: dict[str, Any], respond: Respond | None, client: WebClient, reply: dict[str, Any]) -> None:
    """Answer only the clicker: through response_url when Slack gave one, else in a DM to them."""
    if respond is not None and body.get("response_url"):
        respond(replace_original=False, response_type="ephemeral", **reply)
        return
    client.chat_postMessage(channel=body["user"]["id"], **reply)


def acknowledge_delivery(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                         respond: Respond, services: Services) -> None:
    ack()
    try:
        delivery_id = int(action.get("value", ""))
    except ValueError:
        tell_privately(body, respond, client, replies.notice("That button doesn't point at a message I know.", ":warning:"))
        return
    try:
        with services.unit_of_work() as session:
            person = identify(session, acting_user(body))
            broadcasts.acknowledge(session, delivery_id=delivery_id, person=person, now=services.clock())
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            outgoing = compose_delivery(session, delivery)
    except DrumbeatError as problem:
        tell_privately(body, respond, client, replies.notice(problem.text, ":warning:"))
        return
    update_clicked_message(body, client, outgoing)
    events.refresh_home(client, services, body["user"]["id"])


def update_clicked_message(body: dict[str, Any], client: WebClient, outgoing: Outgoing) -> None:
    """Re-render the message whose button was clicked, in place."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    SlackSender(client).update(SentRef(PLATFORM, conversation_id=channel, message_id=ts), outgoing)


def register(app: App, services: Services) -> None:
    app.action(ActionId.ACKNOWLEDGE.value)(acknowledge_delivery)
