"""Injected failures: what the Bot Connector and the network do that a Teams sender must survive.

A fault is queued per operation (see `OPERATIONS`) and used by the next calls to it: an HTTP error with the
connector's error body (429 with Retry-After, 412, 500, 502, 503, 504...), a connection dropped without an
answer, or a delay in real seconds (alone, the delayed call then takes effect normally: the client may give
up although the message was posted, which is why a timeout is an ambiguous failure).
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

#: The connector operations (and the token endpoint, and Graph's reads) a fault can target.
OPERATIONS = (
    "create_conversation",
    "send_activity",
    "reply_activity",
    "update_activity",
    "delete_activity",
    "get_members",
    "get_member",
    "get_paged_members",
    "get_activity_members",
    "get_conversations",
    "token",
    # Microsoft Graph (bot/emulators/teams/graph.py)
    "graph_users",
    "graph_user",
    "graph_manager",
    "graph_mailbox_settings",
    "graph_group_members", "graph_group_transitive_members", "graph_team_members", "graph_channel_members",
    "graph_group", "graph_team", "graph_channel", "graph_channels",
)

#: The connector's error code for each status, as its ErrorResponse bodies carry them.
STATUS_CODES: dict[int, str] = {
    400: "BadArgument",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    412: "PreconditionFailed",
    413: "RequestEntityTooLarge",
    429: "Throttled",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def error_body(status: int, message: str, code: str | None = None, sub_code: str | None = None) -> dict[str, Any]:
    """The connector's ErrorResponse: `{"error": {"code", "message"}}` (plus Teams' `innerHttpError` / subCode)."""
    error: dict[str, Any] = {"code": code or STATUS_CODES.get(status, "ServiceError"), "message": message}
    if sub_code:
        error["innerHttpError"] = {"statusCode": status, "body": {"subCode": sub_code}}
    return {"error": error}


@dataclass
class Fault:
    status: int | None = None
    reset: bool = False
    delay: float = 0.0
    delay_max: float | None = None
    times: int = 1
    retry_after: int = 1
    code: str | None = None
    sub_code: str | None = None

    def wait_seconds(self) -> float:
        return self.delay if self.delay_max is None else random.uniform(self.delay, self.delay_max)

    @property
    def only_delays(self) -> bool:
        return not self.reset and self.status is None

    def answer(self) -> tuple[int, dict[str, Any], dict[str, str]]:
        status = self.status or 500
        headers = {"Retry-After": str(self.retry_after)} if status in (429, 503) else {}
        return status, error_body(status, "injected fault", self.code, self.sub_code), headers


class FaultBook:
    """Queued faults per operation; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = defaultdict(deque)

    def add(self, operation: str, fault: Fault) -> None:
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        if fault.delay < 0 or (fault.delay_max is not None and fault.delay_max < fault.delay):
            raise ValueError("delay must be >= 0 and delay_max >= delay")
        with self._lock:
            self._queues[operation].append(fault)

    def take(self, operation: str) -> Fault | None:
        with self._lock:
            queue = self._queues.get(operation)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.popleft()
            return fault

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
