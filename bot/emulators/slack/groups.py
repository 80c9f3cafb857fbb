"""User groups and channel membership: `usergroups.list`, `conversations.members`, `conversations.info`, and the
events Slack sends when they change (`subteam_members_changed`, `member_joined_channel`, `member_left_channel`).

Shapes, limits and error codes follow docs.slack.dev's method reference (mirrored in slack-ruby/slack-api-ref):
conversations.members pages with a cursor (`limit` up to 1,000; fewer may be returned), Tier 4; usergroups.list
and usergroups.users.list are Tier 2 and unpaginated.
"""

from __future__ import annotations

from typing import Any

from .methods import Reply, _decode_cursor, _encode_cursor, fail, flag, handles, int_arg, ok
from .state import Channel, Workspace

MAX_MEMBERS_PAGE = 1000
DEFAULT_MEMBERS_PAGE = 100


def channel_members(ws: Workspace, channel: Channel) -> list[str]:
    """A channel's members: its list, or everyone for a channel open to all (members=None)."""
    if channel.members is not None:
        return list(channel.members)
    return [user.id for user in ws.users.values() if not user.deleted]


def _usergroup_object(ws: Workspace, group: dict[str, Any], *, include_users: bool, include_count: bool) -> dict:
    found = {"id": group["id"], "team_id": ws.team_id, "is_usergroup": True, "name": group["handle"],
             "handle": group["handle"], "description": "", "date_delete": 0, "user_count": len(group["users"])}
    if include_users:
        found["users"] = list(group["users"])
    if not include_count:
        found.pop("user_count")
    return found


@handles("usergroups.list")
def usergroups_list(ws: Workspace, args: dict[str, Any]) -> Reply:
    return ok(usergroups=[_usergroup_object(ws, group, include_users=flag(args, "include_users"),
                                            include_count=flag(args, "include_count"))
                          for group in ws.usergroups.values()])


def _member_channel(ws: Workspace, args: dict[str, Any]) -> Channel | Reply:
    channel = ws.channels.get(str(args.get("channel")))
    if channel is None:
        return fail("channel_not_found")
    if channel.kind == "im":
        return fail("method_not_supported_for_channel_type")
    return channel


@handles("conversations.members")
def conversations_members(ws: Workspace, args: dict[str, Any]) -> Reply:
    channel = _member_channel(ws, args)
    if isinstance(channel, Reply):
        return channel
    try:
        limit = int_arg(args, "limit", DEFAULT_MEMBERS_PAGE)
    except ValueError:
        return fail("invalid_limit")
    if limit < 1:
        return fail("invalid_limit")
    members = channel_members(ws, channel)
    start = 0
    if cursor := args.get("cursor"):
        after = _decode_cursor("member", str(cursor))
        if after is None or after not in members:
            return fail("invalid_cursor")
        start = members.index(after)
    size = min(limit, MAX_MEMBERS_PAGE)
    page, rest = members[start:start + size], members[start + size:]
    return ok(members=page, response_metadata={"next_cursor": _encode_cursor("member", rest[0]) if rest else ""})


@handles("conversations.info")
def conversations_info(ws: Workspace, args: dict[str, Any]) -> Reply:
    channel = _member_channel(ws, args)
    if isinstance(channel, Reply):
        return channel
    found: dict[str, Any] = {"id": channel.id, "name": channel.name, "is_channel": True, "is_member": True,
                             "is_private": channel.members is not None and channel.name.startswith("private-")}
    if flag(args, "include_num_members"):
        found["num_members"] = len(channel_members(ws, channel))
    return ok(channel=found)
