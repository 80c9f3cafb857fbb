"""Teams' groups as audiences: Entra groups, Teams (their members) and channels (their members), read from
Microsoft Graph and kept current by the membership events Teams sends a bot installed in a team.

- an Entra group: `GET /groups/{id}/transitiveMembers` (nested groups' members too), 999 a page;
- a Team: `GET /teams/{id}/members` (conversationMembers, their `userId`), 999 a page;
- a channel: `GET /teams/{team-id}/channels/{channel-id}/members` (a standard channel's are its team's, a private
  one's its own), 999 a page; stored as `<team id>/<channel id>` (Graph needs both), and the one kind a broadcast
  may also be posted to (a proactive channel message, `bot.teams.sender`).

Paging follows `@odata.nextLink`; 429/503/504 wait Retry-After (bot.teams.graph). Graph's 404 (a group deleted,
a team archived away) and 403 (a permission not consented) raise LookupError: the last known members are kept.
Events: a conversationUpdate with `channelData.eventType` `teamMemberAdded` / `teamMemberRemoved` updates the
team's cache, and marks its cached channels stale (a standard channel follows its team, a private one does not,
and the event does not say which: the next due occurrence re-reads them); `channelMemberAdded` /
`channelMemberRemoved` (shared and private channels) update that channel. Entra groups send bots no events:
their freshness bound (DRUMBEAT_AUDIENCE_FRESH_MINUTES) is what keeps them true. When the bot is added to a team
its channels are listed (`GET /teams/{id}/channels`) and cached by name, and `channelCreated` / `channelRenamed`
keep the names current, so the broadcast form offers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from sqlmodel import Session

from bot.core.audiences import CHANNEL, AudienceSpec, with_labels
from bot.settings import SettingsError
from bot.teams.graph import GraphClient, GraphError
from bot.teams.identity import PLATFORM
from storage.queries.audience_groups import GroupRef, apply_member_changes, ensure_groups, mark_stale

ENTRA_GROUP = "entra_group"
TEAM = "team"
KINDS = (ENTRA_GROUP, TEAM, CHANNEL)
TEAM_EVENTS = {"teamMemberAdded": True, "teamMemberRemoved": False}
CHANNEL_EVENTS = {"channelMemberAdded": True, "channelMemberRemoved": False}
GONE = frozenset({403, 404})
CHANNEL_NAMED = frozenset({"channelCreated", "channelRenamed"})


def entra_group_ref(group_id: str, name: str = "") -> GroupRef:
    return GroupRef(PLATFORM, ENTRA_GROUP, group_id.lower(), name)


def team_ref(team_id: str, name: str = "") -> GroupRef:
    return GroupRef(PLATFORM, TEAM, team_id.lower(), name)


def channel_ref(team_id: str, channel_id: str, name: str = "") -> GroupRef:
    return GroupRef(PLATFORM, CHANNEL, f"{team_id.lower()}/{channel_id}", name)


def split_channel(group_id: str) -> tuple[str, str]:
    """(team id, channel id) of a channel's stored id."""
    team_id, _, channel_id = group_id.partition("/")
    return team_id, channel_id


class TeamsGroupReader:
    """The `schedules.audience_refresh.GroupReader` of Teams: one Graph client per read (closed after it)."""

    def __init__(self, graph: Callable[[], GraphClient]) -> None:
        self.graph = graph

    @contextmanager
    def client(self) -> Iterator[GraphClient]:
        """A Graph client for one read, closed after it; LookupError without a tenant to ask (no TEAMS_TENANT_ID:
        asking again will not help)."""
        try:
            client = self.graph()
        except SettingsError as missing:
            raise LookupError(str(missing)) from None
        try:
            yield client
        finally:
            client.close()

    def members(self, kind: str, group_id: str) -> list[str]:
        if kind not in KINDS:
            raise LookupError(f"Teams has no group of kind {kind!r}")
        with self.client() as client:
            try:
                if kind == ENTRA_GROUP:
                    found = client.group_members(group_id)
                elif kind == TEAM:
                    found = client.team_members(group_id)
                else:
                    found = client.channel_members(*split_channel(group_id))
                return list(dict.fromkeys(found))
            except GraphError as error:
                if error.status in GONE:
                    raise LookupError(str(error)) from None
                raise


def _name_path(kind: str, group_id: str) -> str:
    if kind == ENTRA_GROUP:
        return f"/groups/{quote(group_id)}"
    if kind == TEAM:
        return f"/teams/{quote(group_id)}"
    team_id, channel_id = split_channel(group_id)
    return f"/teams/{quote(team_id)}/channels/{quote(channel_id, safe='')}"


def with_group_names(reader: TeamsGroupReader, audience: AudienceSpec) -> AudienceSpec:
    """Teams' groups pasted as ids or links get their names from Graph for the broadcast's label (one call each,
    after the dialog's answer); a group Graph will not name (or a Graph outage) keeps its id."""
    def named(ref: GroupRef) -> GroupRef:
        if ref.platform != PLATFORM or ref.label or ref.kind not in KINDS:
            return ref
        try:
            with reader.client() as client:
                return replace(ref, label=client.display_name(_name_path(ref.kind, ref.group_id)) or "")
        except (LookupError, GraphError):
            return ref

    return with_labels(audience, named)


def cache_channels(session: Session, reader: TeamsGroupReader, team_id: str) -> int:
    """A team's channels cached by name (the bot was just added to it), so the broadcast form offers them; how
    many. Nothing when Graph cannot list them (a missing permission): their links can still be pasted."""
    try:
        with reader.client() as client:
            found = list(client.channels(team_id))
    except (LookupError, GraphError):
        return 0
    return len(ensure_groups(session, [channel_ref(team_id, channel_id, name) for channel_id, name in found]))


def channel_named(session: Session, activity: dict[str, Any]) -> bool:
    """channelCreated / channelRenamed in a team the bot is in: the channel cached (or renamed) by its name."""
    data = activity.get("channelData") or {}
    channel = data.get("channel") or {}
    team_id = str(_team_of(activity).get("aadGroupId") or "")
    if data.get("eventType") not in CHANNEL_NAMED or not team_id or not channel.get("id"):
        return False
    ensure_groups(session, [channel_ref(team_id, str(channel["id"]), str(channel.get("name") or "")[:200])])
    return True


def _team_of(activity: dict[str, Any]) -> dict[str, Any]:
    team = (activity.get("channelData") or {}).get("team")
    return team if isinstance(team, dict) else {}


def _object_ids(members: Any) -> list[str]:
    return [str(m["aadObjectId"]).lower() for m in members or [] if isinstance(m, dict) and m.get("aadObjectId")]


def bot_joined_team(session: Session, activity: dict[str, Any]) -> GroupRef | None:
    """The bot was added to a team: the team is cached by name (offered in the broadcast form from then on)."""
    team = _team_of(activity)
    group_id = str(team.get("aadGroupId") or "")
    if not group_id:
        return None
    ref = team_ref(group_id, str(team.get("name") or "")[:200])
    ensure_groups(session, [ref])
    return ref


def membership_changed(session: Session, activity: dict[str, Any]) -> bool:
    """A team's or channel's members came or went (the bot's own arrival excepted): the cache updated."""
    data = activity.get("channelData") or {}
    event = str(data.get("eventType") or "")
    team_id = str(_team_of(activity).get("aadGroupId") or "").lower()
    if not team_id or (event not in TEAM_EVENTS and event not in CHANNEL_EVENTS):
        return False
    bot_id = (activity.get("recipient") or {}).get("id")
    added = _object_ids(m for m in activity.get("membersAdded") or [] if m.get("id") != bot_id)
    removed = _object_ids(activity.get("membersRemoved"))
    if not added and not removed:
        return False
    if event in TEAM_EVENTS:
        mark_stale(session, PLATFORM, CHANNEL, prefix=f"{team_id}/")
        return apply_member_changes(session, team_ref(team_id), added=added, removed=removed)
    channel_id = str((data.get("channel") or {}).get("id") or "")
    return bool(channel_id) and apply_member_changes(session, channel_ref(team_id, channel_id), added=added,
                                                     removed=removed)
