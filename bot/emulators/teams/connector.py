"""The Bot Connector service (the `serviceUrl` a bot calls), as Teams answers it.

Every call goes through the same gate, in this order: an injected fault, the bearer token (the emulator's own
access token for this app, else 401 with the connector's "Authorization has been denied" body), the body,
the conversation, the rate limits (429 + Retry-After), the message size (413 RequestEntityTooLarge), the
cards (400 BadArgument naming the JSON path of the first problem), then the operation itself. Answers use
the connector's shapes: 201 `{"id"}` for a posted activity, 200 `{"id"}` for an update, 201 `{"id",
"activityId"?}` for a created conversation, `{"error": {"code", "message"}}` for failures.
"""

from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import unquote

from .cards import ADAPTIVE_CARD, check_card
from .faults import FaultBook, error_body
from .ratelimit import RateLimiter, retry_after_seconds
from .server import Answer, Incoming
from .state import Conversation, Directory

#: The connector's body for a call without a valid token (it is not an ErrorResponse).
DENIED = {"message": "Authorization has been denied for this request."}
#: About 28 KB: the message size Teams' bot documentation gives (the body of the activity as sent).
DEFAULT_MAX_MESSAGE_BYTES = 28 * 1024

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), op)
    for m, p, op in (
        ("POST", r"^/v3/conversations$", "create_conversation"),
        ("GET", r"^/v3/conversations$", "get_conversations"),
        ("POST", r"^/v3/conversations/(?P<cid>[^/]+)/activities$", "send_activity"),
        ("POST", r"^/v3/conversations/(?P<cid>[^/]+)/activities/(?P<aid>[^/]+)$", "reply_activity"),
        ("PUT", r"^/v3/conversations/(?P<cid>[^/]+)/activities/(?P<aid>[^/]+)$", "update_activity"),
        ("DELETE", r"^/v3/conversations/(?P<cid>[^/]+)/activities/(?P<aid>[^/]+)$", "delete_activity"),
        ("GET", r"^/v3/conversations/(?P<cid>[^/]+)/activities/(?P<aid>[^/]+)/members$", "get_activity_members"),
        ("GET", r"^/v3/conversations/(?P<cid>[^/]+)/members$", "get_members"),
        ("GET", r"^/v3/conversations/(?P<cid>[^/]+)/members/(?P<mid>[^/]+)$", "get_member"),
        ("GET", r"^/v3/conversations/(?P<cid>[^/]+)/pagedMembers$", "get_paged_members"),
    )
]
_WITH_MESSAGE = {"send_activity", "reply_activity", "update_activity", "create_conversation"}


@dataclass(frozen=True)
class Call:
    """One connector call as the emulator received and answered it."""

    operation: str
    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None
    body: Any
    status: int
    response: Any
    at: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def match_route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    for route_method, pattern, operation in _ROUTES:
        found = pattern.match(path)
        if found and route_method == method:
            return operation, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def _fail(status: int, message: str, code: str | None = None, sub_code: str | None = None) -> tuple[int, Any, dict[str, str]]:
    return status, error_body(status, message, code, sub_code), {}


class Connector:
    def __init__(
        self,
        directory: Directory,
        *,
        check_bearer: Callable[[str], str | None],
        limiter: RateLimiter,
        faults: FaultBook,
        record: Callable[[Call], None],
        max_message_bytes: int,
        page_size: int = 200,
    ) -> None:
        self.d = directory
        self.check_bearer = check_bearer
        self.limiter = limiter
        self.faults = faults
        self.record = record
        self.max_message_bytes = max_message_bytes
        self.page_size = page_size

    def handle(self, request: Incoming, operation: str, ids: dict[str, str]) -> Answer:
        at = self.d.clock()
        body: Any = None
        if request.body:
            try:
                body = request.json()
            except ValueError:
                body = request.body.decode("utf-8", "replace")
        fault = self.faults.take(operation)
        wait = fault.wait_seconds() if fault is not None else 0.0
        if wait > 0:
            time.sleep(wait)
        if fault is not None and not fault.only_delays:
            if fault.reset:
                self._record(operation, request, ids, body, 0, None, at)
                return Answer(reset=True)
            status, payload, headers = fault.answer()
        else:
            status, payload, headers = self._gate(request, operation, ids, body)
        self._record(operation, request, ids, body, status, payload, at)
        if payload is None:
            return Answer.empty(status)
        return Answer.json(status, payload, headers)

    def _record(self, operation: str, request: Incoming, ids: dict[str, str], body: Any, status: int,
                payload: Any, at: float) -> None:
        self.record(Call(operation, request.method, request.path, ids.get("cid"), ids.get("aid"),
                         copy.deepcopy(body), status, copy.deepcopy(payload), at))

    def _gate(self, request: Incoming, operation: str, ids: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]]:
        if self.check_bearer(request.headers.get("authorization", "")) is not None:
            return 401, dict(DENIED), {}
        if request.method in ("POST", "PUT") and not isinstance(body, dict):
            return _fail(400, "The request body must be a JSON object.", "BadArgument")
        with self.d.lock:
            conversation = self.d.conversations.get(ids["cid"]) if "cid" in ids else None
            if "cid" in ids and conversation is None:
                return _fail(404, "Conversation not found.", "ConversationNotFound")
            tenant = conversation.tenant_id if conversation else _tenant_of(body)
        wait = self.limiter.admit(operation, tenant_id=tenant, conversation_id=ids.get("cid"))
        if wait is not None:
            return 429, error_body(429, "Too many requests."), {"Retry-After": str(retry_after_seconds(wait))}
        if operation in _WITH_MESSAGE and len(request.body) > self.max_message_bytes:
            return _fail(413, f"Message size too large ({len(request.body)} bytes; at most {self.max_message_bytes}).")
        message = body.get("activity") if operation == "create_conversation" else body
        if isinstance(message, dict):
            problem = _activity_problem(message)
            if problem:
                return _fail(400, problem, "BadArgument")
        with self.d.lock:
            return getattr(self, "_" + operation)(conversation, ids, body)

    # -- operations (under the directory lock) -------------------------------------------
    def _create_conversation(self, _: None, ids: dict[str, str], body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        members = body.get("members") or []
        if body.get("isGroup") or len(members) != 1 or not isinstance(members[0], dict):
            return _fail(400, "Only a personal (1:1) conversation with one member is emulated.", "BadArgument")
        user = self.d.user_by_any_id(str(members[0].get("id", "")))
        tenant = _tenant_of(body)
        if user is None:
            return _fail(404, "The member is not known in the tenant.", "NotFound")
        if tenant and tenant != user.tenant_id:
            return _fail(403, "The member belongs to another tenant.", "Forbidden")
        if not user.installed:
            return _fail(403, "The bot is not installed for the member (personal scope).", "BotNotInConversationRoster",
                         "MessageWritesBlocked")
        conversation = self.d.personal_chat(user)
        answer: dict[str, Any] = {"id": conversation.id}
        if isinstance(body.get("activity"), dict):
            answer["activityId"] = self.d.post(conversation, body["activity"])["id"]
        return 201, answer, {}

    def _get_conversations(self, *_: Any) -> tuple[int, Any, dict[str, str]]:
        found = [{"id": c.id, "isGroup": False, "conversationType": c.conversation_type, "tenantId": c.tenant_id}
                 for c in self.d.conversations.values()]
        return 200, {"conversations": found, "continuationToken": None}, {}

    def _writable(self, conversation: Conversation) -> tuple[int, Any, dict[str, str]] | None:
        if conversation.conversation_type == "channel":  # a channel: writable while the app is in its team
            team = self.d.teams.get(conversation.team_id or "")
            if team is None or not team.bot_installed:
                return _fail(403, "The bot is not part of the conversation roster.", "BotNotInConversationRoster",
                             "MessageWritesBlocked")
            return None
        for member in conversation.member_ids:
            user = self.d.users[member]
            if user.blocked:
                return _fail(403, "The user blocked the conversation with the bot.", "ConversationBlockedByUser",
                             "MessageWritesBlocked")
            if not user.installed:
                return _fail(403, "The bot is not part of the conversation roster.", "BotNotInConversationRoster",
                             "MessageWritesBlocked")
        return None

    def _send_activity(self, conversation: Conversation, ids: dict[str, str], body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        refused = self._writable(conversation)
        if refused:
            return refused
        if body.get("type") == "typing":
            return 201, {}, {}
        reply_to = body.get("replyToId")
        if reply_to is not None and reply_to not in conversation.messages:
            return _fail(404, "The activity replied to is not in the conversation.", "ActivityNotFoundInConversation")
        return 201, {"id": self.d.post(conversation, body)["id"]}, {}

    def _reply_activity(self, conversation: Conversation, ids: dict[str, str], body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        return self._send_activity(conversation, ids, {**body, "replyToId": ids["aid"]})

    def _update_activity(self, conversation: Conversation, ids: dict[str, str], body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if ids["aid"] not in conversation.messages or ids["aid"] in conversation.deleted:
            return _fail(404, "Activity not found in the conversation.", "ActivityNotFoundInConversation")
        refused = self._writable(conversation)
        if refused:
            return refused
        self.d.replace(conversation, ids["aid"], body)
        return 200, {"id": ids["aid"]}, {}

    def _delete_activity(self, conversation: Conversation, ids: dict[str, str], _: Any) -> tuple[int, Any, dict[str, str]]:
        if ids["aid"] not in conversation.messages or ids["aid"] in conversation.deleted:
            return _fail(404, "Activity not found in the conversation.", "ActivityNotFoundInConversation")
        conversation.deleted.add(ids["aid"])
        return 200, None, {}

    def _members(self, conversation: Conversation) -> list[dict[str, Any]]:
        return [self.d.users[m].account(role=True) for m in conversation.member_ids]

    def _get_members(self, conversation: Conversation, *_: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, self._members(conversation), {}

    def _get_activity_members(self, conversation: Conversation, ids: dict[str, str], _: Any) -> tuple[int, Any, dict[str, str]]:
        if ids["aid"] not in conversation.messages:
            return _fail(404, "Activity not found in the conversation.", "ActivityNotFoundInConversation")
        return 200, self._members(conversation), {}

    def _get_member(self, conversation: Conversation, ids: dict[str, str], _: Any) -> tuple[int, Any, dict[str, str]]:
        user = self.d.user_by_any_id(ids["mid"])
        if user is None or user.aad_object_id not in conversation.member_ids:
            return _fail(404, "The member was not found in the conversation.", "MemberNotFoundInConversation")
        return 200, user.account(role=True), {}

    def _get_paged_members(self, conversation: Conversation, *_: Any) -> tuple[int, Any, dict[str, str]]:
        members = self._members(conversation)
        return 200, {"members": members[: self.page_size], "continuationToken": None}, {}


def _tenant_of(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    tenant = body.get("tenantId") or ((body.get("channelData") or {}).get("tenant") or {}).get("id")
    return tenant if isinstance(tenant, str) else None


def _activity_problem(activity: dict[str, Any]) -> str | None:
    """Why Teams would refuse this activity, or None: a message needs text or attachments, cards must check."""
    kind = activity.get("type", "message")
    if kind not in ("message", "typing"):
        return f"Activities of type {kind!r} cannot be sent to a conversation."
    attachments = activity.get("attachments") or []
    if not isinstance(attachments, list):
        return "attachments must be a list"
    if kind == "message" and not activity.get("text") and not attachments:
        return "The message is empty: it needs text or an attachment."
    for index, attachment in enumerate(attachments):
        if not isinstance(attachment, dict) or not attachment.get("contentType"):
            return f"attachments[{index}] needs a contentType"
        if attachment["contentType"] == ADAPTIVE_CARD:
            content = attachment.get("content")
            if isinstance(content, str):
                try:
                    content = json.loads(content)
                except ValueError:
                    return f"attachments[{index}].content is not JSON"
            problems = check_card(content)
            if problems:
                return f"attachments[{index}].content{problems[0][1:]}"
    return None
