"""Slack's groups as audiences: user groups and channels, read with their paginated methods and rate tiers, and
kept current by the events Slack sends (the cache itself is storage.queries.audience_groups).

- `usergroups.users.list` (Tier 2) lists a user group's members in one answer;
- `conversations.members` (Tier 4) pages through a channel's members (up to 1,000 a page), public or private,
  as long as the bot is in it;
- `usergroups.list` (Tier 2) names the groups for the broadcast modal, by handle.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core.audiences import CHANNEL, AudienceSpec, with_labels
from bot.slack.directory import pages
from bot.slack.failures import slack_error_code
from bot.slack.identity import PLATFORM
from storage.queries.audience_groups import GroupRef, apply_member_changes

USERGROUP = "usergroup"
CHANNEL_PAGE = 1000  # conversations.members' largest page
GONE = {"no_such_subteam", "channel_not_found", "not_in_channel", "method_not_supported_for_channel_type"}


def usergroup_ref(usergroup_id: str, handle: str = "") -> GroupRef:
    return GroupRef(PLATFORM, USERGROUP, usergroup_id, handle)


def channel_ref(channel_id: str, name: str = "") -> GroupRef:
    return GroupRef(PLATFORM, CHANNEL, channel_id, name)


class SlackGroupReader:
    """The `schedules.audience_refresh.GroupReader` of Slack."""

    def __init__(self, client: WebClient, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.sleep = sleep

    def members(self, kind: str, group_id: str) -> list[str]:
        try:
            if kind == USERGROUP:
                return list(self.client.usergroups_users_list(usergroup=group_id).get("users") or [])
            if kind == CHANNEL:
                return self._channel_members(group_id)
        except SlackApiError as error:
            code = slack_error_code(error)
            if code in GONE:
                raise LookupError(f"Slack says {code}") from None
            raise
        raise LookupError(f"Slack has no group of kind {kind!r}")

    def _channel_members(self, channel_id: str) -> list[str]:
        def fetch(cursor: str | None) -> Any:
            extra = {"cursor": cursor} if cursor else {}
            return self.client.conversations_members(channel=channel_id, limit=CHANNEL_PAGE, **extra)

        members: list[str] = []
        for page in pages(fetch, sleep=self.sleep):
            members.extend(page.get("members") or [])
        return list(dict.fromkeys(members))


def with_channel_names(client: WebClient, audience: AudienceSpec) -> AudienceSpec:
    """Channels picked in a modal arrive as ids: their names, for the broadcast's label (conversations.info,
    Tier 3, one call per channel after the acknowledgement); the id stays when Slack will not say."""
    def named(ref: GroupRef) -> GroupRef:
        if ref.kind != CHANNEL or ref.label:
            return ref
        try:
            return replace(ref, label=str(client.conversations_info(channel=ref.group_id)["channel"].get("name") or ""))
        except SlackApiError:
            return ref

    return with_labels(audience, named)


def usergroup_choices(client: WebClient) -> list[tuple[str, str]]:
    """(id, handle) of the workspace's enabled user groups, by handle, for the modal (one Tier 2 call)."""
    groups = client.usergroups_list().get("usergroups") or []
    return sorted(((group["id"], group.get("handle") or group["id"]) for group in groups
                   if not group.get("date_delete")), key=lambda pair: pair[1].lower())


def usergroup_changed(session: Session, event: dict[str, Any]) -> bool:
    """subteam_members_changed: who joined and left a cached user group."""
    return apply_member_changes(session, usergroup_ref(str(event["subteam_id"])),
                                added=list(event.get("added_users") or []),
                                removed=list(event.get("removed_users") or []))


def channel_membership_changed(session: Session, event: dict[str, Any]) -> bool:
    """member_joined_channel / member_left_channel: a member of a cached channel came or went."""
    user = [str(event["user"])]
    joined = event.get("type") == "member_joined_channel"
    return apply_member_changes(session, channel_ref(str(event["channel"])),
                                added=user if joined else [], removed=[] if joined else user)
