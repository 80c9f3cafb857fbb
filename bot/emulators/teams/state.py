"""What the emulated Teams knows: tenants, the directory of users, the app's installations, the personal
chats and the messages in them. Plain data under one lock, read and written by the connector handlers and
the actor; nothing here speaks HTTP.

Ids look like Teams': a user's Bot Framework id is `29:` + an opaque string (stable per user and bot, and not
the Entra object id), a personal chat is `a:` + an opaque string, the bot is `28:<app id>`, and a message id
is the millisecond timestamp it was posted at (kept unique).
"""

from __future__ import annotations

import copy
import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Callable

Clock = Callable[[], float]


@dataclass
class User:
    aad_object_id: str
    name: str
    tenant_id: str
    local_timezone: str = "America/New_York"
    email: str | None = None
    given_name: str | None = None
    surname: str | None = None
    locale: str = "en-US"
    installed: bool = False
    blocked: bool = False  # the person blocked the bot's chat: sends answer 403
    # Entra, as Microsoft Graph shows it (bot/emulators/teams/graph.py)
    manager_id: str | None = None  # the Entra object id of their manager
    mailbox_time_zone: str | None = None  # mailboxSettings.timeZone (often a Windows name); None: no mailbox
    account_enabled: bool = True
    deleted: bool = False  # deleted in Entra: gone from Graph's users (GET /users/{id} is 404), chats kept

    @property
    def bot_id(self) -> str:
        """The person's id as this bot sees it (`29:...`): derived, stable, not the Entra object id."""
        return "29:1" + hashlib.sha256(f"user:{self.aad_object_id}".encode()).hexdigest()[:40]

    def account(self, *, role: bool = False) -> dict[str, Any]:
        """The person as a `TeamsChannelAccount` (the members calls) or as an activity's `from`."""
        base: dict[str, Any] = {"id": self.bot_id, "name": self.name, "aadObjectId": self.aad_object_id}
        if role:
            upn = self.email or f"{self.aad_object_id}@emulator.invalid"
            base.update(
                {
                    "givenName": self.given_name or self.name.split(" ")[0],
                    "surname": self.surname or (self.name.split(" ", 1)[1] if " " in self.name else None),
                    "email": self.email,
                    "userPrincipalName": upn,
                    "tenantId": self.tenant_id,
                    "userRole": "user",
                }
            )
        return base


@dataclass
class Channel:
    """A channel of a Team: its conversation id (`19:...@thread.tacv2`, Graph's channel id too), its name, and
    for a private or shared channel its own members (a standard channel's members are its team's)."""

    id: str
    name: str
    members: list[str] | None = None  # Entra object ids; None: a standard channel (the team's members)


@dataclass
class TeamState:
    """A Team (its id is its Microsoft 365 group's Entra object id, as Graph names it), its members, its
    channels (the first is General, whose id Bot Framework uses as the team's `channelData.team.id`), and
    whether the Drumbeat app is installed in it (the bot then hears its membership events and may post)."""

    id: str
    name: str
    tenant_id: str
    members: list[str]
    channels: dict[str, Channel] = field(default_factory=dict)
    bot_installed: bool = False

    @property
    def general(self) -> Channel:
        return next(iter(self.channels.values()))

    def channel_members(self, channel: Channel) -> list[str]:
        return list(self.members if channel.members is None else channel.members)


@dataclass
class Conversation:
    id: str
    tenant_id: str
    conversation_type: str  # "personal" for a 1:1 chat with the bot, "channel" for a Team's channel
    member_ids: list[str]  # Entra object ids (a channel's: none here, its team's are on TeamState)
    team_id: str | None = None  # a channel's team
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # message id -> stored activity
    deleted: set[str] = field(default_factory=set)

    def reference(self) -> dict[str, Any]:
        return {"id": self.id, "conversationType": self.conversation_type, "tenantId": self.tenant_id}


class Directory:
    """Tenants, users and conversations; every access is under `lock`."""

    def __init__(self, clock: Clock, *, app_id: str, bot_name: str) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.app_id = app_id
        self.bot_name = bot_name
        self.tenants: set[str] = set()
        self.users: dict[str, User] = {}  # by Entra object id
        self.conversations: dict[str, Conversation] = {}
        self.personal: dict[str, str] = {}  # Entra object id -> personal conversation id
        self.groups: dict[str, list[str]] = {}  # Entra group id -> member object ids, users or groups (Graph)
        self.group_names: dict[str, str] = {}  # Entra group id -> displayName
        self.teams: dict[str, TeamState] = {}  # by the Team's Entra group id
        self._last_message_ms = 0
        self.service_url = ""

    @property
    def bot_id(self) -> str:
        return f"28:{self.app_id}"

    def bot_account(self) -> dict[str, Any]:
        return {"id": self.bot_id, "name": self.bot_name}

    def user_by_any_id(self, member_id: str) -> User | None:
        """A member id as the connector accepts it: the `29:` id or the Entra object id."""
        found = self.users.get(member_id.lower())
        if found is not None:
            return found
        return next((u for u in self.users.values() if u.bot_id == member_id), None)

    def channel_conversation(self, team: TeamState, channel: Channel) -> Conversation:
        """The conversation a channel is to the connector (its id is the channel's)."""
        if channel.id not in self.conversations:
            self.conversations[channel.id] = Conversation(channel.id, team.tenant_id, "channel", [], team.id)
        return self.conversations[channel.id]

    def group_users(self, group_id: str, seen: set[str] | None = None) -> list[str]:
        """An Entra group's user members, nested groups' included, each once (Graph's transitiveMembers)."""
        seen = set() if seen is None else seen
        found: list[str] = []
        for member in self.groups.get(group_id, []):
            if member in self.groups:
                if member not in seen:
                    seen.add(member)
                    found.extend(self.group_users(member, seen))
            elif member in self.users:
                found.append(member)
        return list(dict.fromkeys(found))

    def personal_chat(self, user: User) -> Conversation:
        """The one personal chat between the bot and the person (Teams keeps a single one per pair)."""
        conversation_id = self.personal.get(user.aad_object_id)
        if conversation_id is None:
            digest = hashlib.sha256(f"chat:{self.app_id}:{user.aad_object_id}".encode()).hexdigest()
            conversation_id = "a:1" + digest[:48]
            self.conversations[conversation_id] = Conversation(
                conversation_id, user.tenant_id, "personal", [user.aad_object_id]
            )
            self.personal[user.aad_object_id] = conversation_id
        return self.conversations[conversation_id]

    def next_message_id(self) -> str:
        millis = max(int(self.clock() * 1000), self._last_message_ms + 1)
        self._last_message_ms = millis
        return str(millis)

    def timestamp(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def post(self, conversation: Conversation, activity: dict[str, Any]) -> dict[str, Any]:
        """Store an activity the bot posted; the stored copy is what the person sees."""
        stored = copy.deepcopy(activity)
        stored["id"] = self.next_message_id()
        stored["timestamp"] = self.timestamp()
        stored["from"] = self.bot_account()
        stored["conversation"] = conversation.reference()
        stored.setdefault("type", "message")
        conversation.messages[stored["id"]] = stored
        return stored

    def replace(self, conversation: Conversation, message_id: str, activity: dict[str, Any]) -> dict[str, Any]:
        old = conversation.messages[message_id]
        stored = copy.deepcopy(activity)
        stored.update({"id": message_id, "timestamp": old["timestamp"], "from": old["from"]})
        stored["conversation"] = conversation.reference()
        stored.setdefault("type", "message")
        stored["edits"] = old.get("edits", 0) + 1
        conversation.messages[message_id] = stored
        return stored
