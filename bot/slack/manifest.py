"""The Slack app manifest an admin pastes into api.slack.com/apps to create Drumbeat's app."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

BOT_SCOPES = (
    "commands",  # the slash command
    "chat:write",  # DMs, updates to them, ephemeral answers
    "im:write",  # open DMs (only to recover after a crash; sends go to the user id directly)
    "im:history",  # find a message already sent, by metadata, after a crash; the message.im event
    "users:read",  # the people directory: names and time zones (users.list)
    "users:read.email",  # match the directory to the imported org by email
    "usergroups:read",  # teams mapped to Slack user groups
    "channels:read",  # a channel's members as a broadcast audience
    "groups:read",
    "channels:history",  # a broadcast's channel post: find it already sent, after a crash (as im:history for DMs)
    "groups:history",
    "files:write",  # summary charts
)
# message.im: someone wrote to the bot in its DM (the Messages tab is open): it answers with where help is.
# member_joined_channel / member_left_channel: channels named in audiences stay current between re-reads.
BOT_EVENTS = ("app_home_opened", "user_change", "subteam_members_changed", "member_joined_channel",
              "member_left_channel", "message.im")
EXAMPLE_REQUEST_URL = "https://drumbeat.example.com/slack/events"


def request_url_problem(url: str) -> str | None:
    """Why Slack would refuse this request URL (it must be a public https URL), or None when it is one."""
    parsed = urlparse(url.strip())
    if parsed.scheme == "http":
        return f"--request-url must use https (Slack sends requests to https URLs only), got {url!r}"
    if parsed.scheme != "https" or not parsed.hostname:
        return f"--request-url must be the public https URL of POST /slack/events, like {EXAMPLE_REQUEST_URL}, got {url!r}"
    return None


def build_manifest(*, command: str = "/drumbeat", request_url: str | None = None, name: str = "Drumbeat") -> dict[str, Any]:
    """Socket Mode by default (no public URL needed); HTTP mode when a request URL is given."""
    slash: dict[str, Any] = {
        "command": command,
        "description": "Strategy broadcasts, pulse checks and team summaries",
        "usage_hint": "help | summary [team | @person] [30d] | send <message> to @person or team",
        "should_escape": True,
    }
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": list(BOT_EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": request_url is None,
        "token_rotation_enabled": False,
    }
    if request_url is not None:
        slash["url"] = request_url
        settings["event_subscriptions"]["request_url"] = request_url
        settings["interactivity"]["request_url"] = request_url
    return {
        "display_information": {
            "name": name,
            "description": "Keeps a sales organisation marching to the beat of one drum.",
            "background_color": "#1d3557",
        },
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True, "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [slash],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": settings,
    }
