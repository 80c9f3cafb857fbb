"""Events: the App Home tab and directory changes."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import home, org
from bot.core.errors import NotInDirectory
from bot.services import Services
from bot.slack import replies
from bot.slack.directory import entry_from_slack_user
from bot.slack.people import slack_address

log = logging.getLogger(__name__)


def app_home_opened(event: dict[str, Any], client: WebClient, services: Services) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(client, services, event["user"])


def publish_home(client: WebClient, services: Services, user_id: str) -> None:
    """Render and publish someone's Home tab from the figures as they are now."""
    try:
        with services.unit_of_work() as session:
            view = home.home_for(session, caller=slack_address(user_id), command=services.settings.command,
                                 now=services.clock(), thresholds=services.feedback_thresholds)
    except NotInDirectory as unknown:
        view = home.unknown_person(unknown.text, services.settings.command)
    client.views_publish(user_id=user_id, view=replies.home(view))


def refresh_home(client: WebClient, services: Services, user_id: str) -> None:
    """Keep the Home tab live after someone acts (a Got it, an answer); a failure here never undoes the act."""
    try:
        publish_home(client, services, user_id)
    except SlackApiError as error:
        log.info("Home tab refresh for %s failed: %s", user_id, error.response.get("error"))


def user_change(event: dict[str, Any], services: Services) -> None:
    user = event.get("user") or {}
    if not user.get("id"):
        return
    with services.unit_of_work() as session:
        org.apply_directory(session, [entry_from_slack_user(user)])


def register(app: App, services: Services) -> None:
    app.event("app_home_opened")(app_home_opened)
    app.event("user_change")(user_change)
