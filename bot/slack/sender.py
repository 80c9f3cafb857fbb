"""The outbox's Sender for Slack: Block Kit rendering plus the Web API, with Slack's errors translated.

The WebClient used here has no automatic retry handlers: the dispatcher decides when to retry, and a
lost answer (connection reset) is reported as *ambiguous* so the dispatcher first checks, by the
idempotency key carried in message metadata, whether the message arrived before sending it again.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.identity import PLATFORM
from bot.slack.pooled import KeepAliveWebClient
from bot.slack.ids import DELIVERY_METADATA_EVENT
from bot.slack.render import escape, render_blocks
from schedules.sending import Outgoing, PermanentFailure, RateLimited, SentRef, TemporaryFailure

# Errors that retrying cannot fix (from Slack's chat.postMessage / chat.update contracts).
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found", "user_not_found", "not_in_channel", "is_archived", "account_inactive",
        "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
        "invalid_arguments", "invalid_auth", "not_authed", "token_revoked", "token_expired", "missing_scope",
        "restricted_action", "user_disabled", "cannot_reply_to_message", "message_not_found", "cant_update_message",
        "edit_window_closed", "invalid_metadata_format", "invalid_metadata_schema", "team_access_not_granted",
        "ekm_access_denied", "no_permission", "org_login_required",
    }
)
CONNECTION_ERRORS = (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout, http.client.HTTPException)


def no_retry_client(token: str | None, base_url: str, timeout: float = 15.0) -> WebClient:
    """The outbox's client: no automatic retries, and its connection kept alive (one per thread)."""
    client = KeepAliveWebClient(token=token, base_url=base_url, timeout=timeout)  # type: ignore[arg-type]
    client.retry_handlers = []
    return client


class Pacer:
    """Spaces calls evenly at a rate, so a fan-out stays under Slack's limit instead of bouncing off it.

    Slack's 429 + Retry-After still works as the backstop (several instances, other apps' traffic).
    """

    def __init__(self, per_minute: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self.clock()
            turn = max(self._next, now)
            self._next = turn + self.interval
        if turn > now:
            self.sleep(turn - now)


def is_channel_id(conversation: str) -> bool:
    """A public (C...) or private (G..., or C... since 2017) channel, as opposed to a user (U.../W...)."""
    return conversation[:1] in ("C", "G")


class SlackSender:
    def __init__(self, client: WebClient, *, pacer: Pacer | None = None) -> None:
        self.client = client
        self.pacer = pacer or Pacer(0)

    def payload(self, outgoing: Outgoing) -> dict[str, Any]:
        """The Block Kit message for an Outgoing: {"text": ..., "blocks": [...]}."""
        rendered = render_blocks(outgoing.kind, outgoing.context, surface="message")
        if isinstance(rendered, list):
            rendered = {"text": escape(outgoing.fallback_text), "blocks": rendered}
        return rendered

    def send(self, outgoing: Outgoing) -> SentRef:
        payload = self.payload(outgoing)
        self.pacer.wait_turn()
        response = self._call(
            self.client.chat_postMessage,
            channel=outgoing.recipient.user_id,
            text=payload.get("text") or escape(outgoing.fallback_text),
            blocks=payload.get("blocks"),
            metadata={"event_type": DELIVERY_METADATA_EVENT, "event_payload": {"key": outgoing.idempotency_key}},
            unfurl_links=False,
            unfurl_media=False,
        )
        return SentRef(PLATFORM, conversation_id=response["channel"], message_id=response["ts"])

    def update(self, ref: SentRef, outgoing: Outgoing) -> None:
        payload = self.payload(outgoing)
        self._call(
            self.client.chat_update,
            channel=ref.conversation_id,
            ts=ref.message_id,
            text=payload.get("text") or escape(outgoing.fallback_text),
            blocks=payload.get("blocks"),
        )

    def find_sent(self, outgoing: Outgoing, *, since: datetime) -> SentRef | None:
        """Look in the recipient's DM (or the channel a post went to) for our message carrying this idempotency key."""
        channel = outgoing.recipient.user_id
        if not is_channel_id(channel):
            channel = self._call(self.client.conversations_open, users=channel)["channel"]["id"]
        cursor: str | None = None
        while True:
            history = self._call(
                self.client.conversations_history,
                channel=channel,
                oldest=f"{since.timestamp():.6f}",
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
            )
            for message in history.get("messages", []):
                metadata = message.get("metadata") or {}
                if (
                    metadata.get("event_type") == DELIVERY_METADATA_EVENT
                    and (metadata.get("event_payload") or {}).get("key") == outgoing.idempotency_key
                ):
                    return SentRef(PLATFORM, conversation_id=channel, message_id=message["ts"])
            cursor = (history.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None

    def _call(self, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**{key: value for key, value in kwargs.items() if value is not None})
        except SlackApiError as error:
            raise translate_error(error) from error
        except CONNECTION_ERRORS as error:
            raise TemporaryFailure(f"connection to Slack failed: {error}", ambiguous=True) from error


def translate_error(error: SlackApiError) -> Exception:
    response = error.response
    status = getattr(response, "status_code", 200)
    code = str((response.data or {}).get("error", "")) if isinstance(response.data, dict) else ""
    if status == 429 or code == "ratelimited":
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after") or "1"
        try:
            seconds = float(retry_after)
        except ValueError:
            seconds = 1.0
        return RateLimited(seconds, f"Slack rate limit on {response.api_url.rsplit('/', 1)[-1]}")
    if status >= 500:
        return TemporaryFailure(f"Slack answered HTTP {status}", ambiguous=True)
    if code in PERMANENT_ERRORS:
        return PermanentFailure(f"Slack refused: {code}")
    return TemporaryFailure(f"Slack error: {code or status}")
