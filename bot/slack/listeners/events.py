"""Events: the App Home tab, directory and channel membership changes, and what people write to the bot in its DM."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import org
from bot.core.words.usage import direct_message_hint
from bot.services import Services
from bot.slack import replies
from bot.slack.audience_groups import channel_membership_changed
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


def channel_membership(event: dict[str, Any], services: Services) -> None:
    """Someone joined or left a channel: its cached members follow, when an audience names it."""
    with services.unit_of_work() as session:
        channel_membership_changed(session, event)


def written_by_a_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A new message a person typed in a DM: not an edit or deletion (subtypes), not a bot's (ours or another's)."""
    return (event.get("channel_type") == "im" and not event.get("subtype") and not event.get("bot_id")
            and bool(event.get("user")) and event.get("user") != bot_user_id and bool(event.get("channel")))


def direct_message(event: dict[str, Any], client: WebClient, context: BoltContext, services: Services) -> None:
    """Someone wrote to the bot in its Messages tab: one short answer saying where help is (Slack's retries of
    the same event are skipped by bot.slack.retries, so it is one answer per message)."""
    if not written_by_a_person(event, context.bot_user_id):
        return
    client.chat_postMessage(channel=event["channel"], **replies.notice(direct_message_hint(services.settings.command)))


def register(app: App, services: Services) -> None:
    app.event("app_home_opened")(app_home_opened)
    app.event("user_change")(user_change)
    app.event("member_joined_channel")(channel_membership)
    app.event("member_left_channel")(channel_membership)
    app.event("message")(direct_message)  # every message event: edits, bots' posts are acknowledged and ignored
