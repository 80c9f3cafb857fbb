"""Reading a Slack user group's members (usergroups.users.list) to keep a linked team in step.

People Drumbeat has not met yet are looked up once with users.info (Tier 4) for their name and time zone.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core import teams
from bot.core.errors import BadInput
from bot.slack.identity import PLATFORM
from bot.slack.people import slack_address
from bot.slack.render import SlackMarkup
from storage.address import Address
from storage.models import Team


def usergroup(usergroup_id: str) -> teams.Group:
    return teams.Group(PLATFORM, usergroup_id)


def usergroup_mention(usergroup_id: str) -> SlackMarkup:
    """A user group as Slack shows it in text: its @handle (a mention in a private answer notifies nobody)."""
    return SlackMarkup(f"<!subteam^{usergroup_id}>")


def _member(client: WebClient, address: Address) -> teams.Member:
    user: dict[str, Any] = client.users_info(user=address.user_id)["user"]
    profile = user.get("profile") or {}
    name = user.get("real_name") or profile.get("real_name") or user.get("name") or address.user_id
    return teams.Member(address=address, name=name, tz=user.get("tz"), email=profile.get("email"))


def sync_team(session: Session, client: WebClient, team: Team) -> teams.SyncReport:
    group = teams.group_of(team)
    assert group is not None and group.platform == PLATFORM
    try:
        user_ids = list(client.usergroups_users_list(usergroup=group.group_id).get("users", []))
    except SlackApiError as error:
        if error.response.get("error") == "no_such_subteam":
            raise BadInput("Slack says that user group does not exist (or I can't see it): check it and link again."
                           ) from None
        raise
    addresses = [slack_address(user_id) for user_id in user_ids]
    new = {address: _member(client, address) for address in teams.unknown_members(session, addresses)}
    members = [new.get(address) or teams.Member(address=address, name="") for address in addresses]
    return teams.sync_members(session, team=team, members=members)
