"""Events: the App Home tab and directory changes."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import org
from bot.services import Services
from bot.slack.directory import entry_from_slack_user
from bot.slack.failures import slack_error_code
from bot.slack.respond import publish_home

log = logging.getLogger(__name__)


#: Slack's answers to views.publish that a retry of the event cannot change (someone Slack does not know, a
#: view it refuses): logged and dropped, where anything else fails the event so that Slack retries it.
FINAL_REFUSALS = frozenset({"user_not_found", "invalid_arguments", "invalid_user", "not_allowed_token_type",
                            "user_is_bot", "invalid_blocks", "view_too_large"})


def app_home_opened(event: dict[str, Any], client: WebClient, services: Services) -> None:
    if event.get("tab", "home") != "home":
        return
    try:
        publish_home(client, services, event["user"])
    except SlackApiError as error:
        code = slack_error_code(error)
        if code not in FINAL_REFUSALS:
            raise
        log.info("Home tab for %s not published: Slack answered %s", event.get("user"), code)


def user_change(event: dict[str, Any], services: Services) -> None:
    user = event.get("user") or {}
    if not user.get("id"):
        return
    with services.unit_of_work() as session:
        org.apply_directory(session, [entry_from_slack_user(user)])


def register(app: App, services: Services) -> None:
    app.event("app_home_opened")(app_home_opened)
    app.event("user_change")(user_change)
