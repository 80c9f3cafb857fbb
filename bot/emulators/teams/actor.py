"""The Teams side of the conversation: people typing to the bot in its personal chat, pressing card buttons,
filling dialogs, and the app being installed for them, delivered as Bot Framework activities over HTTP with
an `Authorization: Bearer` JWT signed by the emulator's published key, as Teams signs them.

The actor only lets a person do what the Teams client would let them do: press an action that is on the card
as it is now (after any in-place replacement), fill inputs the card has, submit the dialog that is open for
them. Anything else raises EmulatorError. `deliver` sends any activity with any token, for the tests that
must hand-make a bad one (a tampered action value, an expired or foreign token).
"""

from __future__ import annotations

import copy
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from .cards import ADAPTIVE_CARD, check_card, input_ids, iter_actions
from .errors import EmulatorError
from .keys import KeyPair, Signer
from .state import Directory, User

#: Teams gives a bot about 5 seconds to answer an invoke (Action.Execute, dialogs) before showing an error.
INVOKE_DEADLINE_SECONDS = 5.0
INBOUND_TOKEN_LIFETIME = 3600


@dataclass
class ActorResponse:
    """The bot's HTTP answer to one activity."""

    status: int
    body: Any
    elapsed: float
    activity: dict[str, Any] = field(repr=False)
    token: str = field(repr=False, default="")
    #: Problems with a card the bot answered with (a replacement card, a dialog): [] when none.
    card_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def in_time(self) -> bool:
        return self.ok and self.elapsed <= INVOKE_DEADLINE_SECONDS


@dataclass
class Dialog:
    """A dialog (task module) open for a person: its title and Adaptive Card."""

    title: str | None
    card: dict[str, Any]


def _first_card(activity: dict[str, Any]) -> dict[str, Any] | None:
    for attachment in activity.get("attachments") or []:
        if isinstance(attachment, dict) and attachment.get("contentType") == ADAPTIVE_CARD:
            content = attachment.get("content")
            return json.loads(content) if isinstance(content, str) else content
    return None


class Actor:
    def __init__(self, directory: Directory, signer: Signer, *, issuer: str, token_clock: Callable[[], float],
                 timeout: float = 10.0) -> None:
        self.d = directory
        self.signer = signer
        self.issuer = issuer
        self.token_clock = token_clock
        self.timeout = timeout
        self.bot_url: str | None = None
        self.dialogs: dict[str, Dialog] = {}
        self.after_answer: Callable[[], object] | None = None

    # -- tokens and transport -------------------------------------------------------
    def inbound_token(self, *, key: KeyPair | None = None, **overrides: Any) -> str:
        """A token as Teams puts on an activity for this bot; `overrides` change claims (None removes one)."""
        now = int(self.token_clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.d.app_id,
            "serviceurl": self.d.service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + INBOUND_TOKEN_LIFETIME,
        }
        claims.update(overrides)
        return self.signer.sign({k: v for k, v in claims.items() if v is not None}, key=key)

    def deliver(self, activity: dict[str, Any], *, token: str | None = None) -> ActorResponse:
        if self.bot_url is None:
            raise EmulatorError("no bot connected: call emu.connect_bot(url) first")
        token = self.inbound_token() if token is None else token
        body = json.dumps(activity).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Microsoft-SkypeBotApi"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.bot_url, data=body, method="POST", headers=headers)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise EmulatorError(f"could not deliver to the bot at {self.bot_url}: {exc}") from exc
        elapsed = time.monotonic() - started
        if self.after_answer is not None:
            self.after_answer()
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return ActorResponse(status, parsed, elapsed, activity, token)

    # -- building activities -----------------------------------------------------------
    def _user(self, aad_object_id: str, *, installed: bool = True) -> User:
        user = self.d.users.get(aad_object_id.lower())
        if user is None:
            raise EmulatorError(f"unknown user {aad_object_id!r}: add it with emu.add_user()")
        if installed and not user.installed:
            raise EmulatorError(f"the app is not installed for {user.name}: call emu.install_app() first")
        return user

    def _activity(self, user: User, kind: str, **fields: Any) -> dict[str, Any]:
        conversation = self.d.personal_chat(user)
        now = datetime.fromtimestamp(self.d.clock(), UTC)
        local = now.astimezone(ZoneInfo(user.local_timezone))
        activity: dict[str, Any] = {
            "type": kind,
            "id": secrets.token_hex(8) if kind != "message" else self.d.next_message_id(),
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "localTimestamp": local.isoformat(timespec="milliseconds"),
            "localTimezone": user.local_timezone,
            "serviceUrl": self.d.service_url,
            "channelId": "msteams",
            "from": user.account(),
            "conversation": conversation.reference(),
            "recipient": self.d.bot_account(),
            "locale": user.locale,
            "entities": [{"type": "clientInfo", "locale": user.locale, "platform": "Web", "timezone": user.local_timezone}],
            "channelData": {"tenant": {"id": user.tenant_id}},
        }
        activity.update(fields)
        return activity

    # -- installation ---------------------------------------------------------------------
    def install(self, aad_object_id: str) -> list[ActorResponse]:
        """The app is installed for the person: Teams tells the bot with installationUpdate (add) and a
        conversationUpdate adding the bot to the new personal chat; both carry the conversation reference."""
        with self.d.lock:
            user = self._user(aad_object_id, installed=False)
            user.installed = True
            first = self._activity(user, "installationUpdate", action="add")
            second = self._activity(user, "conversationUpdate", membersAdded=[self.d.bot_account()])
            for activity in (first, second):
                activity["channelData"]["source"] = {"name": "message"}
        return [self.deliver(first), self.deliver(second)]

    def uninstall(self, aad_object_id: str) -> ActorResponse:
        with self.d.lock:
            user = self._user(aad_object_id)
            user.installed = False
            activity = self._activity(user, "installationUpdate", action="remove")
        return self.deliver(activity)

    # -- a person in the personal chat ---------------------------------------------------------
    def message(self, aad_object_id: str, text: str) -> ActorResponse:
        with self.d.lock:
            user = self._user(aad_object_id)
            activity = self._activity(user, "message", text=text, textFormat="plain")
            self.d.personal_chat(user).messages[activity["id"]] = copy.deepcopy(activity)  # a reply may point here
        return self.deliver(activity)

    def _card_of(self, user: User, message_id: str) -> dict[str, Any]:
        conversation = self.d.personal_chat(user)
        stored = conversation.messages.get(message_id)
        if stored is None or message_id in conversation.deleted:
            raise EmulatorError(f"no message {message_id!r} from the bot in {user.name}'s chat")
        card = _first_card(stored)
        if card is None:
            raise EmulatorError(f"message {message_id!r} has no Adaptive Card to press")
        return card

    @staticmethod
    def _pick(card: dict[str, Any], kinds: tuple[str, ...], *, title: str | None, verb: str | None,
              action_id: str | None) -> dict[str, Any]:
        for action in iter_actions(card):
            if action.get("type") not in kinds:
                continue
            if title is not None and action.get("title") != title:
                continue
            if verb is not None and action.get("verb") != verb:
                continue
            if action_id is not None and action.get("id") != action_id:
                continue
            return action
        raise EmulatorError(f"the card has no {'/'.join(kinds)} with title={title!r} verb={verb!r} id={action_id!r}")

    @staticmethod
    def _gather(card: dict[str, Any], action: dict[str, Any], inputs: dict[str, Any] | None) -> dict[str, Any]:
        unknown = set(inputs or {}) - input_ids(card)
        if unknown:
            raise EmulatorError(f"the card has no inputs {sorted(unknown)}")
        data = action.get("data")
        base = copy.deepcopy(data) if isinstance(data, dict) else ({} if data is None else {"data": data})
        return {**base, **(inputs or {})}

    def execute(self, aad_object_id: str, message_id: str, *, title: str | None = None, verb: str | None = None,
                action_id: str | None = None, inputs: dict[str, Any] | None = None) -> ActorResponse:
        """Press an Action.Execute on a message's card: an `adaptiveCard/action` invoke; a card in the answer
        replaces the message's card in place, as Teams does."""
        with self.d.lock:
            user = self._user(aad_object_id)
            card = self._card_of(user, message_id)
            action = self._pick(card, ("Action.Execute",), title=title, verb=verb, action_id=action_id)
            value = {"action": {"type": "Action.Execute", "id": action.get("id"), "verb": action.get("verb"),
                                "data": self._gather(card, action, inputs)}, "trigger": "manual"}
            activity = self._activity(user, "invoke", name="adaptiveCard/action", value=value, replyToId=message_id)
        response = self.deliver(activity)
        body = response.body if isinstance(response.body, dict) else {}
        if response.ok and body.get("type") == ADAPTIVE_CARD:
            response.card_problems = check_card(body.get("value"))
            if not response.card_problems:
                with self.d.lock:
                    conversation = self.d.personal_chat(user)
                    stored = copy.deepcopy(conversation.messages[message_id])
                    stored["attachments"] = [{"contentType": ADAPTIVE_CARD, "content": body["value"]}]
                    self.d.replace(conversation, message_id, stored)
        return response

    def submit(self, aad_object_id: str, message_id: str, *, title: str | None = None, action_id: str | None = None,
               inputs: dict[str, Any] | None = None) -> ActorResponse:
        """Press an Action.Submit on a message's card: a message activity carrying `value`, or, when the
        action's data asks for it (`msteams.type == "task/fetch"`), the `task/fetch` that opens a dialog."""
        with self.d.lock:
            user = self._user(aad_object_id)
            card = self._card_of(user, message_id)
            action = self._pick(card, ("Action.Submit",), title=title, verb=None, action_id=action_id)
            data = self._gather(card, action, inputs)
        if (data.get("msteams") or {}).get("type") == "task/fetch":
            return self.fetch_dialog(aad_object_id, data, message_id=message_id)
        with self.d.lock:
            activity = self._activity(user, "message", value=data, replyToId=message_id)
        return self.deliver(activity)

    # -- dialogs ---------------------------------------------------------------------------------
    def fetch_dialog(self, aad_object_id: str, data: dict[str, Any], *, message_id: str | None = None) -> ActorResponse:
        with self.d.lock:
            user = self._user(aad_object_id)
            extra = {"replyToId": message_id} if message_id else {}
            activity = self._activity(user, "invoke", name="task/fetch",
                                      value={"data": data, "context": {"theme": "default"}}, **extra)
        return self._dialog_answer(user, self.deliver(activity))

    def submit_dialog(self, aad_object_id: str, inputs: dict[str, Any] | None = None, *, title: str | None = None,
                      action_id: str | None = None) -> ActorResponse:
        with self.d.lock:
            user = self._user(aad_object_id)
            dialog = self.dialogs.get(user.aad_object_id)
            if dialog is None:
                raise EmulatorError(f"no dialog is open for {user.name}")
            action = self._pick(dialog.card, ("Action.Submit", "Action.Execute"), title=title, verb=None,
                                action_id=action_id)
            data = self._gather(dialog.card, action, inputs)
            activity = self._activity(user, "invoke", name="task/submit",
                                      value={"data": data, "context": {"theme": "default"}})
        return self._dialog_answer(user, self.deliver(activity))

    def _dialog_answer(self, user: User, response: ActorResponse) -> ActorResponse:
        """`{"task": {"type": "continue", "value": {"card": ...}}}` opens (or replaces) the dialog; a
        `message` task or an empty answer closes it."""
        task = response.body.get("task") if isinstance(response.body, dict) else None
        with self.d.lock:
            if response.ok and isinstance(task, dict) and task.get("type") == "continue":
                value = task.get("value") or {}
                attachment = value.get("card") or {}
                card = attachment.get("content") if attachment.get("contentType") == ADAPTIVE_CARD else None
                response.card_problems = check_card(card)
                if not response.card_problems:
                    self.dialogs[user.aad_object_id] = Dialog(value.get("title"), card)
            elif response.ok:
                self.dialogs.pop(user.aad_object_id, None)
        return response
