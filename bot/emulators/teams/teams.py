"""The tenant's Teams and Entra groups, as the emulator plays them: what Graph lists (bot/emulators/teams/graph.py),
where the bot may post a channel message, and the conversationUpdate events Teams sends a bot installed in a team
when its membership changes (`channelData.eventType` `teamMemberAdded` / `teamMemberRemoved`, the members in
`membersAdded` / `membersRemoved` with their `29:` id and Entra object id, `channelData.team` naming the team by
its General channel's id and its Entra group id, `aadGroupId`). A team the bot is not in sends it nothing, as in
Teams; Entra groups send no events at all (a bot learns of them only by reading Graph).

A mixin of TeamsEmulator (it uses the emulator's directory and actor).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from .actor import ActorResponse
from .errors import EmulatorError
from .state import Channel, TeamState, User


def thread_id(seed: str) -> str:
    """A channel's id as Teams makes them: `19:<opaque>@thread.tacv2`."""
    return "19:" + hashlib.sha256(seed.encode()).hexdigest()[:32] + "@thread.tacv2"


class TeamsOfTenant:
    _directory: Any
    _actor: Any
    tenant_id: str

    def set_group_members(self, group_id: str, member_ids: list[str]) -> None:
        """An Entra group's members now (users or nested groups, by Entra object id); no event tells the bot."""
        self.add_group(group_id, member_ids)  # type: ignore[attr-defined]

    def add_team(self, team_id: str, *, name: str, members: list[str], tenant_id: str | None = None) -> str:
        """A Team (named by its Entra group id) with its General channel; its General channel's id is returned."""
        with self._directory.lock:
            team = TeamState(team_id.lower(), name, tenant_id or self.tenant_id, [m.lower() for m in members])
            general = Channel(thread_id(f"general:{team.id}"), "General")
            team.channels[general.id] = general
            self._directory.teams[team.id] = team
            self._directory.channel_conversation(team, general)
            return general.id

    def add_channel(self, team_id: str, name: str, *, members: list[str] | None = None) -> str:
        """A channel of a team: standard (its members are the team's) or, with `members`, private. Its id. A team
        the app is in tells the bot (conversationUpdate, `channelCreated`)."""
        with self._directory.lock:
            team = self._team(team_id)
            channel = Channel(thread_id(f"channel:{team.id}:{name}"), name,
                              [m.lower() for m in members] if members is not None else None)
            team.channels[channel.id] = channel
            self._directory.channel_conversation(team, channel)
            event = (self._team_activity(team, "channelCreated") if team.bot_installed else None)
            if event is not None:
                event["channelData"]["channel"] = {"id": channel.id, "name": channel.name}
        if event is not None:
            self._actor.deliver(event)
        return channel.id

    def install_in_team(self, team_id: str) -> ActorResponse:
        """The app added to a team: conversationUpdate with the bot in `membersAdded`, in the General channel."""
        return self._bot_in_team(team_id, installed=True)

    def remove_from_team(self, team_id: str) -> ActorResponse:
        """The app removed from a team: conversationUpdate with the bot in `membersRemoved`; posts there get 403."""
        return self._bot_in_team(team_id, installed=False)

    def _bot_in_team(self, team_id: str, *, installed: bool) -> ActorResponse:
        with self._directory.lock:
            team = self._team(team_id)
            team.bot_installed = installed
            field, event = ("membersAdded", "teamMemberAdded") if installed else ("membersRemoved", "teamMemberRemoved")
            activity = self._team_activity(team, event, **{field: [self._directory.bot_account()]})
        return self._actor.deliver(activity)

    def team_activity(self, team_id: str, event: str, **fields: Any) -> dict[str, Any]:
        """A conversationUpdate from a team, not sent: for hand-made deliveries (`emu.deliver`)."""
        with self._directory.lock:
            return self._team_activity(self._team(team_id), event, **fields)

    def add_team_member(self, team_id: str, user_id: str) -> ActorResponse | None:
        """Someone joins a team (and so its standard channels); the bot hears it if it is installed there."""
        return self._team_change(team_id, user_id, joined=True)

    def remove_team_member(self, team_id: str, user_id: str) -> ActorResponse | None:
        return self._team_change(team_id, user_id, joined=False)

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        """What the bot posted in a channel, oldest first."""
        with self._directory.lock:
            conversation = self._directory.conversations.get(channel_id)
            return [] if conversation is None else [dict(m) for m in conversation.messages.values()]

    def _team_change(self, team_id: str, user_id: str, *, joined: bool) -> ActorResponse | None:
        with self._directory.lock:
            team = self._team(team_id)
            user = self._directory.users.get(user_id.lower())
            if user is None:
                raise EmulatorError(f"unknown user {user_id!r}")
            if joined and user.aad_object_id not in team.members:
                team.members.append(user.aad_object_id)
            elif not joined and user.aad_object_id in team.members:
                team.members.remove(user.aad_object_id)
            if not team.bot_installed:
                return None
            field, event = ("membersAdded", "teamMemberAdded") if joined else ("membersRemoved", "teamMemberRemoved")
            activity = self._team_activity(team, event, **{field: [_member(user)]})
        return self._actor.deliver(activity)

    def _team(self, team_id: str) -> TeamState:
        team = self._directory.teams.get(team_id.lower())
        if team is None:
            raise EmulatorError(f"unknown team {team_id!r}: add it with emu.add_team()")
        return team

    def _team_activity(self, team: TeamState, event: str, **fields: Any) -> dict[str, Any]:
        general = team.general
        now = datetime.fromtimestamp(self._directory.clock(), UTC)
        activity: dict[str, Any] = {
            "type": "conversationUpdate", "id": secrets.token_hex(8),
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "serviceUrl": self._directory.service_url, "channelId": "msteams",
            "from": {"id": "29:1" + hashlib.sha256(f"owner:{team.id}".encode()).hexdigest()[:40]},
            "conversation": {"isGroup": True, "conversationType": "channel", "tenantId": team.tenant_id,
                             "id": general.id},
            "recipient": self._directory.bot_account(),
            "channelData": {"team": {"id": general.id, "name": team.name, "aadGroupId": team.id},
                            "eventType": event, "tenant": {"id": team.tenant_id}},
        }
        activity.update(fields)
        return activity


def _member(user: User) -> dict[str, Any]:
    return {"id": user.bot_id, "aadObjectId": user.aad_object_id}
