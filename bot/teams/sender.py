"""The outbox's Sender for Teams: an Adaptive Card in the person's personal chat, through the Teams SDK, with
the connector's errors said in the outbox's words.

A send needs the conversation reference captured when the app was installed for the person
(`bot.teams.conversations`); without one the message cannot reach them, and retrying cannot help until someone
installs the app. The SDK neither throttles nor retries (docs/teams.md): this Sender paces itself under the
tenant's limit and hands every refusal to the outbox, which retries on its own schedule, honouring
Retry-After. `find_sent` cannot look: the connector cannot list a chat's messages (Graph's `Chat.Read.All` is a
protected permission), so a send that may have landed (a dropped connection) is sent again: the one case
where a Teams person can get a message twice, logged when it happens.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from microsoft_teams.api import Attachment, MessageActivityInput

from bot.services import Services
from bot.teams.audience_groups import split_channel
from bot.teams.conversations import TEAM_KEY, Reference, usable_reference
from bot.teams.identity import PLATFORM
from bot.teams.loop import LoopTimeout, SdkLoop
from bot.teams.render import ADAPTIVE_CARD_TYPE, TeamsLimitError, render_card
from bot.teams.tokens import TokenError
from messages.render import BlockTemplateError
from schedules.channel_posts import CHANNEL_POST_KIND
from schedules.sending import Outgoing, PermanentFailure, RateLimited, SentRef, TemporaryFailure

log = logging.getLogger(__name__)

#: Microsoft's per-app, per-tenant limit is about 50 requests a second; a fan-out paces itself under it, leaving
#: 5 a second for what is not paced (answers to people who write, Got it updates). At 40 a fan-out took 1.26x
#: the limit's lower bound with no 429 (the pacer alone set the time: bench/fanout.py --platform teams); at 45,
#: 1.12x.
SENDS_PER_SECOND = 45.0
RETRYABLE = frozenset({412, 500, 502, 503, 504})
NOT_REACHABLE = ("Teams refused the message (HTTP 403): the Drumbeat app is not installed for this person any "
                 "more, or they blocked it")


class Pacer:
    """Spaces sends evenly at a rate (the connector's 429 and Retry-After stay the backstop)."""

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        with self._lock:
            now = self.clock()
            turn = max(self._next, now)
            self._next = turn + self.interval
        if turn > now:
            self.sleep(turn - now)


def card_activity(card: dict[str, Any], activity_id: str | None = None) -> MessageActivityInput:
    """A message holding one Adaptive Card (as our template rendered it: the SDK's card models never touch it)."""
    activity = MessageActivityInput(attachments=[Attachment(content_type=ADAPTIVE_CARD_TYPE, content=card)])
    if activity_id is not None:
        activity.id = activity_id
    return activity


class TeamsSender:
    def __init__(self, app: Any, loop: SdkLoop, services: Services, *, pacer: Pacer | None = None,
                 timeout: float = 15.0) -> None:
        self.app = app
        self.loop = loop
        self.services = services
        self.pacer = pacer or Pacer(0)
        self.timeout = timeout

    def card(self, outgoing: Outgoing) -> dict[str, Any]:
        try:
            return render_card(outgoing.kind, outgoing.context)
        except TeamsLimitError as problem:
            raise PermanentFailure(f"Teams would refuse the message: {problem}") from problem
        except BlockTemplateError as problem:
            raise PermanentFailure(f"Teams cannot show a {outgoing.kind!r} message yet: {problem}") from problem

    def reference(self, user_id: str) -> Reference | None:
        with self.services.unit_of_work() as session:
            return usable_reference(session, user_id)

    def send(self, outgoing: Outgoing) -> SentRef:
        if outgoing.kind == CHANNEL_POST_KIND:
            return self._post_to_channel(outgoing)
        reference = self.reference(outgoing.recipient.user_id)
        if reference is None:
            raise PermanentFailure("the Drumbeat app is not installed in Teams for this person (no conversation "
                                   "with them is known): install it for them, or for everyone")
        activity = card_activity(self.card(outgoing))
        self.pacer.wait_turn()
        sent = self._call(self.app.send(reference.conversation_id, activity, service_url=reference.service_url))
        return SentRef(PLATFORM, conversation_id=reference.conversation_id, message_id=str(sent.id))

    def _post_to_channel(self, outgoing: Outgoing) -> SentRef:
        """A broadcast's post in a channel (`<team id>/<channel id>`): a new message in the channel's conversation,
        on the serviceUrl learnt when the app was added to its team (bot.teams.conversations.team_reference_of)."""
        team_id, channel_id = split_channel(outgoing.recipient.user_id)
        team = self.reference(TEAM_KEY + team_id)
        if team is None or not channel_id:
            raise PermanentFailure("the Drumbeat app is not in that channel's team (add it to the team in Teams): "
                                   "nothing was posted")
        activity = card_activity(self.card(outgoing))
        self.pacer.wait_turn()
        sent = self._call(self.app.send(channel_id, activity, service_url=team.service_url))
        return SentRef(PLATFORM, conversation_id=channel_id, message_id=str(sent.id))

    def update(self, ref: SentRef, outgoing: Outgoing) -> None:
        """Replace the card of a message already sent (`PUT .../activities/{id}`), on the chat's own service."""
        reference = self.reference(outgoing.recipient.user_id)
        service_url = reference.service_url if reference is not None else None
        activity = card_activity(self.card(outgoing), ref.message_id)
        self._call(self.app.send(ref.conversation_id, activity, service_url=service_url))

    def post(self, conversation_id: str, card: dict[str, Any], *, service_url: str | None) -> str:
        """An answer in a conversation a person just wrote in (not the outbox's: no pacing, same errors)."""
        return str(self._call(self.app.send(conversation_id, card_activity(card), service_url=service_url)).id)

    def find_sent(self, outgoing: Outgoing, *, since: datetime) -> SentRef | None:
        log.warning("Teams cannot be asked whether %s arrived: sending it again", outgoing.idempotency_key)
        return None

    def _call(self, coroutine: Any) -> Any:
        try:
            return self.loop.run(coroutine, self.timeout)
        except httpx.HTTPStatusError as error:
            raise translate_error(error.response) from error
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise TemporaryFailure(f"could not connect to Teams: {error}") from error
        except (httpx.TransportError, LoopTimeout) as error:
            raise TemporaryFailure(f"Teams did not answer: {error or type(error).__name__}", ambiguous=True) from error
        except TokenError as error:
            raise TemporaryFailure(str(error)) from error


def translate_error(response: httpx.Response) -> Exception:
    status = response.status_code
    code = _error_code(response)
    if status == 429:
        return RateLimited(_retry_after(response), f"Teams rate limit ({code or 'Throttled'})")
    if status in RETRYABLE:
        return TemporaryFailure(f"Teams answered HTTP {status}{f' ({code})' if code else ''}")
    if status == 403:
        return PermanentFailure(f"{NOT_REACHABLE}{f' ({code})' if code else ''}")
    return PermanentFailure(f"Teams refused the message (HTTP {status}{f', {code}' if code else ''})")


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(float(response.headers.get("Retry-After", "1")), 0.0)
    except ValueError:
        return 1.0


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code") or "")[:100] if isinstance(error, dict) else ""
