"""Events: the App Home tab and directory changes."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.core import org
from bot.services import Services
from bot.slack.directory import entry_from_slack_user
from bot.slack.respond import publish_home


def app_home_opened(event: dict[str, Any], client: WebClient, services: Services) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(client, services, event["user"])


def user_change(event: dict[str, Any], services: Services) -> None:
    user = event.get("user") or {}
    if not user.get("id"):
        return
    with services.unit_of_work() as session:
        org.apply_directory(session, [entry_from_slack_user(user)])


def register(app: App, services: Services) -> None:
    app.event("app_home_opened")(app_home_opened)
    app.event("user_change")(user_change)
