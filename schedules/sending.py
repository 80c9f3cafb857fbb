"""What the outbox hands a chat platform, and what a platform answers: the neutral sending vocabulary.

Each platform implements `Sender` in `bot/<platform>/sender.py`; the outbox (`schedules.outbox`) never knows
which platform it talks to. A Sender's failures say whether the message may have arrived anyway
(`TemporaryFailure(ambiguous=True)`): the outbox never resends such a message before proving it did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from storage.address import Address


@dataclass(frozen=True)
class Outgoing:
    """What to say to whom, without saying how any platform says it."""

    recipient: Address  # the account it goes to; its platform picks the Sender
    kind: str  # names the platform template, e.g. "broadcast"
    context: dict[str, Any]
    fallback_text: str  # for notifications and screen readers
    idempotency_key: str


@dataclass(frozen=True)
class SentRef:
    """Where a sent message lives on its platform, so it can be updated later (Slack: channel and ts)."""

    platform: str
    conversation_id: str
    message_id: str


class DeliveryFailure(Exception):
    """Base for what a Sender reports when a send did not succeed."""


class RateLimited(DeliveryFailure):
    def __init__(self, retry_after: float, detail: str = "rate limited") -> None:
        super().__init__(f"{detail} (retry after {retry_after:g} s)")
        self.retry_after = retry_after


class TemporaryFailure(DeliveryFailure):
    """Worth retrying. `ambiguous` means the message may have arrived even so (e.g. connection lost)."""

    def __init__(self, detail: str, *, ambiguous: bool = False) -> None:
        super().__init__(detail)
        self.ambiguous = ambiguous


class PermanentFailure(DeliveryFailure):
    """Retrying cannot help (the user is gone, the content is rejected)."""


class Sender(Protocol):
    """What the outbox needs from a chat platform."""

    def send(self, outgoing: Outgoing) -> SentRef: ...

    def find_sent(self, outgoing: Outgoing, *, since: datetime) -> SentRef | None:
        """Return the message already sent with this idempotency key since `since`, if any."""
        ...

    def update(self, ref: SentRef, outgoing: Outgoing) -> None: ...


class PlatformSenders:
    """The outbox's one Sender: hands each message to the Sender of its recipient's platform.

    A mixed organisation (some people on Slack, some on Teams) shares one outbox; a recipient on a platform
    this installation does not run is a permanent failure (retrying cannot help), said in the row's error."""

    def __init__(self, senders: dict[str, Sender]) -> None:
        self.senders = dict(senders)

    def _for(self, platform: str) -> Sender:
        sender = self.senders.get(platform)
        if sender is None:
            raise PermanentFailure(f"no {platform!r} platform is configured to reach this person")
        return sender

    def send(self, outgoing: Outgoing) -> SentRef:
        return self._for(outgoing.recipient.platform).send(outgoing)

    def find_sent(self, outgoing: Outgoing, *, since: datetime) -> SentRef | None:
        return self._for(outgoing.recipient.platform).find_sent(outgoing, since=since)

    def update(self, ref: SentRef, outgoing: Outgoing) -> None:
        self._for(ref.platform).update(ref, outgoing)
