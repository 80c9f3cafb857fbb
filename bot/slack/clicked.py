"""Which message a click may change: the payload's `channel` and `message` are claims, not facts.

Slack names the clicked message in the interaction payload, and a forged payload (someone holding the signing
secret, or a network position) can name any message the bot ever posted: Aiko's *Got it* aimed at Sam's DM
would rewrite Sam's message with Aiko's. So a click updates, in this order of preference:

1. the message Drumbeat itself recorded sending (a delivery's stored conversation and message id), or
2. the message the payload names, only when it lies in the clicker's own DM with the bot, or
3. nothing in place: the answer goes to the clicker's DM as a new message.

The clicker's DM is what `conversations.open` answers for their user id (the same id every time for one bot
and one person); it is cached in the process, so a person costs one Web API call per process lifetime.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any, Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.identity import PLATFORM
from schedules.sending import SentRef

log = logging.getLogger(__name__)

#: People whose DM id the process remembers (an id is ~11 bytes; 10,000 people is well under a megabyte).
REMEMBERED: Final = 10_000


class OwnConversations:
    """Each person's DM with the bot, by Slack user id, remembered (bounded, least recently used first out)."""

    def __init__(self, limit: int = REMEMBERED) -> None:
        self._known: OrderedDict[str, str] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def of(self, client: WebClient, user_id: str) -> str | None:
        """The id of `user_id`'s DM with the bot, or None when Slack will not say (an unknown user)."""
        key = f"{client.base_url}|{user_id}"  # one workspace per installation; emulators in tests differ by URL
        with self._lock:
            if key in self._known:
                self._known.move_to_end(key)
                return self._known[key]
        try:
            channel = client.conversations_open(users=user_id)["channel"]["id"]
        except (SlackApiError, KeyError, TypeError) as problem:
            log.info("could not learn the DM of %s: %s", user_id, problem)
            return None
        with self._lock:
            self._known[key] = str(channel)
            if len(self._known) > self._limit:
                self._known.popitem(last=False)
        return str(channel)


OWN_DMS: Final = OwnConversations()


def named_in_payload(body: dict[str, Any]) -> SentRef | None:
    """The message the payload says was clicked (`channel`/`message`, or `container`), if it names one."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    if isinstance(channel, str) and isinstance(ts, str) and channel and ts:
        return SentRef(PLATFORM, conversation_id=channel, message_id=ts)
    return None


def clicked_in_own_dm(body: dict[str, Any], client: WebClient) -> SentRef | None:
    """The clicked message when it lies in the clicker's own DM with the bot; None for anywhere else."""
    named = named_in_payload(body)
    user_id = str((body.get("user") or {}).get("id") or "")
    if named is None or not user_id:
        return None
    if named.conversation_id != OWN_DMS.of(client, user_id):
        log.warning("a click by %s named a message outside their DM (%s); not updating it in place",
                    user_id, named.conversation_id)
        return None
    return named


def target_of_click(body: dict[str, Any], client: WebClient, recorded: SentRef | None) -> SentRef | None:
    """Where to show what the click changed: what Drumbeat recorded sending, else the clicker's own DM's
    message the payload names, else None (post anew to the clicker)."""
    if recorded is not None and recorded.platform == PLATFORM:
        return recorded
    return clicked_in_own_dm(body, client)
