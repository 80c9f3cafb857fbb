"""The emulated workspace: users, conversations and their messages, views, triggers,
response URLs and file uploads.

One ``Workspace`` is shared by the HTTP handlers (the bot's Web API calls) and the
actor (the emulated users). Everything that reads or changes it holds ``lock``; the
lock is never held while the emulator waits on the bot, so the bot may call the API
while it is handling an actor's request.
"""

from __future__ import annotations

import copy
import datetime
import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from collections.abc import Callable

Clock = Callable[[], float]  # epoch seconds: SimulatedClock.epoch, or time.time


#: Trigger ids are valid for 3 seconds and may be exchanged once (views.open docs).
TRIGGER_TTL_SECONDS = 3.0
#: A response_url accepts 5 posts within 30 minutes (interactivity docs).
RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60.0

_ALNUM = string.ascii_letters + string.digits


def short_id(length: int = 5) -> str:
    """A random id like the ones Slack fills in for missing block_id/action_id."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass
class User:
    id: str
    name: str
    real_name: str
    tz: str
    email: str | None
    is_bot: bool
    deleted: bool
    bot_id: str | None = None
    app_id: str | None = None

    def to_slack(self, team_id: str, *, include_locale: bool = False) -> dict[str, Any]:
        """The user object in the shape users.info / users.list return."""
        offset, label = _tz_details(self.tz)
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "team": team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        if self.bot_id:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = self.app_id
        user: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": label,
            "tz_offset": offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
        }
        if include_locale:
            user["locale"] = "en-US"
        return user


def _tz_details(tz: str) -> tuple[int, str]:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return 0, tz
    now = datetime.datetime.now(zone)
    delta = now.utcoffset() or datetime.timedelta(0)
    return int(delta.total_seconds()), now.tzname() or tz


@dataclass
class Channel:
    id: str
    kind: str  # "im", "mpim" or "channel"
    name: str
    created: float
    user: str | None = None  # the other party of an "im"
    members: list[str] | None = None  # None: everyone (a public channel)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def has_member(self, user_id: str) -> bool:
        if self.kind == "im":
            return self.user == user_id
        return self.members is None or user_id in self.members


@dataclass
class Trigger:
    id: str
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    id: str
    user_id: str
    channel_id: str
    created_at: float
    message_ts: str | None = None  # the message behind a block_actions response_url
    ephemeral: bool = False  # that message is an ephemeral one
    uses: int = 0


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    alt_txt: str | None = None
    data: bytes | None = None
    completed: bool = False


class Workspace:
    """All state of the emulated workspace."""

    def __init__(
        self,
        *,
        clock: Clock,
        team_id: str,
        team_domain: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.base_url = ""  # "http://127.0.0.1:<port>", set when the server starts
        self.users: dict[str, User] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.dm_by_user: dict[str, str] = {}
        self.mpim_by_members: dict[frozenset[str], str] = {}
        self.users_list_page_size = 200
        self.views: dict[str, dict[str, Any]] = {}  # open modals and published Home tabs
        self.view_owner: dict[str, str] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.home_by_user: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.response_url_posts: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.uploads: dict[str, Upload] = {}
        self.uploaded_files: list[dict[str, Any]] = []
        self._serial = 0
        self._last_ts_us = 0

    # -- ids and timestamps -------------------------------------------------
    def new_id(self, prefix: str) -> str:
        """A fresh Slack-looking id (``D0000000A``...), unique across kinds."""
        with self.lock:
            self._serial += 1
            return f"{prefix}{self._serial:08X}"

    def next_ts(self) -> str:
        """A message ts from the clock, strictly increasing workspace-wide."""
        with self.lock:
            now_us = int(round(self.clock() * 1_000_000))
            self._last_ts_us = max(now_us, self._last_ts_us + 1)
            seconds, micros = divmod(self._last_ts_us, 1_000_000)
            return f"{seconds}.{micros:06d}"

    def new_hash(self) -> str:
        return f"{int(self.clock())}.{secrets.token_hex(4)}"

    # -- users and conversations -------------------------------------------
    def add_user(self, user: User) -> None:
        with self.lock:
            self.users[user.id] = user

    def dm_for(self, user_id: str) -> Channel:
        """The bot's DM with a user, created on first use."""
        with self.lock:
            channel_id = self.dm_by_user.get(user_id)
            if channel_id is None:
                channel_id = self.new_id("D")
                self.channels[channel_id] = Channel(
                    id=channel_id, kind="im", name=user_id, created=self.clock(), user=user_id
                )
                self.dm_by_user[user_id] = channel_id
            return self.channels[channel_id]

    def resolve_channel(self, ref: Any, *, allow_user: bool) -> Channel | None:
        """A conversation by id; with ``allow_user``, also a user id (meaning the
        DM with that user) or ``#name``, as chat.postMessage accepts."""
        if not isinstance(ref, str) or not ref:
            return None
        with self.lock:
            channel = self.channels.get(ref)
            if channel is not None:
                return channel
            if not allow_user:
                return None
            if ref in self.users and ref != self.bot_user_id:
                return self.dm_for(ref)
            if ref.startswith("#"):  # chat.postMessage also accepts a channel name
                return next((c for c in self.channels.values() if c.kind == "channel" and c.name == ref[1:]), None)
            return None

    def find_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        channel = self.channels.get(channel_id)
        if channel is None:
            return None
        for message in channel.messages:
            if message["ts"] == ts:
                return message
        return None

    # -- triggers and response URLs ------------------------------------------
    def issue_trigger(self, user_id: str) -> str:
        with self.lock:
            now = self.clock()
            self._serial += 1
            trigger_id = f"{int(now)}.{self._serial}.{secrets.token_hex(16)}"
            self.triggers[trigger_id] = Trigger(id=trigger_id, user_id=user_id, issued_at=now)
            return trigger_id

    def exchange_trigger(self, trigger_id: Any) -> tuple[Trigger | None, str | None]:
        """Use a trigger once. Returns the trigger, or the error code Slack gives."""
        with self.lock:
            trigger = self.triggers.get(trigger_id) if isinstance(trigger_id, str) else None
            if trigger is None:
                return None, "invalid_trigger_id"
            if trigger.used:
                return None, "exchanged_trigger_id"
            if self.clock() - trigger.issued_at > TRIGGER_TTL_SECONDS:
                return None, "expired_trigger_id"
            trigger.used = True
            return trigger, None

    def issue_response_url(
        self, *, user_id: str, channel_id: str, message_ts: str | None = None, ephemeral: bool = False
    ) -> str:
        with self.lock:
            rid = secrets.token_hex(12)
            self.response_urls[rid] = ResponseUrl(
                id=rid,
                user_id=user_id,
                channel_id=channel_id,
                created_at=self.clock(),
                message_ts=message_ts,
                ephemeral=ephemeral,
            )
            return f"{self.base_url}/response/{rid}"

    # -- messages ------------------------------------------------------------
    def bot_message(
        self,
        channel: Channel,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None,
        attachments: list[Any] | None,
        metadata: dict[str, Any] | None,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Store a message from the bot in a conversation and return it."""
        with self.lock:
            message: dict[str, Any] = {
                "type": "message",
                "ts": self.next_ts(),
                "channel": channel.id,
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "app_id": self.app_id,
                "team": self.team_id,
                "text": text,
                "blocks": assign_ids(blocks) if blocks else None,
                "attachments": attachments or None,
                "metadata": metadata,
                "thread_ts": thread_ts,
                "files": files,
                "edited": None,
            }
            channel.messages.append(message)
            return message


def assign_ids(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A deep copy of ``blocks`` with Slack's auto-filled block_id and action_id
    where the sender left them out (Slack returns and reports them this way)."""
    result = copy.deepcopy(blocks or [])
    for block in result:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", short_id())
        elements: list[Any] = []
        if block.get("type") == "actions":
            elements = block.get("elements") or []
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            elements = [block["accessory"]]
        elif block.get("type") == "input" and isinstance(block.get("element"), dict):
            elements = [block["element"]]
        for element in elements:
            if isinstance(element, dict) and element.get("type") != "image":
                element.setdefault("action_id", short_id())
    return result


def slack_message(message: dict[str, Any], *, include_metadata: bool = False) -> dict[str, Any]:
    """A stored message in the shape the Web API returns it (None fields dropped)."""
    out = {k: copy.deepcopy(v) for k, v in message.items() if v is not None and k not in ("channel", "metadata")}
    if include_metadata and message.get("metadata") is not None:
        out["metadata"] = copy.deepcopy(message["metadata"])
    return out


def public_message(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message in the shape the emulator's inspection helpers return."""
    return {
        "ts": message["ts"],
        "channel": message["channel"],
        "text": message.get("text") or "",
        "blocks": copy.deepcopy(message.get("blocks") or []),
        "attachments": copy.deepcopy(message.get("attachments") or []),
        "metadata": copy.deepcopy(message.get("metadata")),
        "thread_ts": message.get("thread_ts"),
        "files": copy.deepcopy(message.get("files") or []),
        "edited": message.get("edited") is not None,
        "user": message.get("user"),
    }
