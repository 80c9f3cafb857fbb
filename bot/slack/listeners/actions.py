"""The *Got it* button: acknowledged at once; then the click is recorded, the DM the rep clicked in is updated in
place and their Home refreshed (problems answer privately). Fifty reps clicking at the same moment must each
see Slack's spinner stop at once, not wait for one another's database writes and Home renders."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.core import broadcasts, showing
from bot.core.errors import BadInput, DrumbeatError
from bot.core.roles import identify
from bot.services import Services
from bot.slack.after_ack import after_ack
from bot.slack.ids import ActionId
from bot.slack.people import acting_user
from bot.slack.respond import refresh_home, tell_problem, update_clicked
from bot.slack.payloads import id_of


def acknowledge_delivery(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
                         services: Services) -> None:
    """After the acknowledgement (idempotent: a second click records nothing new)."""
    try:
        value = str(action.get("value", ""))
        if not id_of(value):
            raise BadInput("That button doesn't point at a message I know.")
        with services.unit_of_work() as session:
            person = identify(session, acting_user(body))
            acknowledged = broadcasts.acknowledge(session, delivery_id=id_of(value), person=person, now=services.clock())
            shown = showing.delivery_now(session, acknowledged.delivery_id, services.clock())
    except DrumbeatError as problem:
        tell_problem(body, respond, client, problem)
        return
    update_clicked(body, client, shown)
    refresh_home(body, client, services)


def register(app: App, services: Services) -> None:
    app.action(ActionId.ACKNOWLEDGE.value)(after_ack(acknowledge_delivery))
