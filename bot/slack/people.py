"""Slack user ids as platform-neutral addresses: the adapter's one place that turns one into the other.

Drumbeat serves one workspace per installation today, so accounts carry no workspace id (`''` matches the one
workspace); an OAuth, multi-workspace install would put the payload's `team_id` here.
"""

from __future__ import annotations

from typing import Any

from bot.slack.identity import PLATFORM
from storage.address import Address


def slack_address(user_id: str) -> Address:
    return Address(PLATFORM, user_id)


def acting_user(body: dict[str, Any]) -> Address:
    """Who clicked or submitted (interactions carry `user.id`; slash commands `user_id`)."""
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
    return slack_address(str(user_id or ""))


def slack_user_id(address: Address | None) -> str | None:
    """The Slack user id of an address, or None for another platform's account."""
    return address.user_id if address is not None and address.platform == PLATFORM else None
