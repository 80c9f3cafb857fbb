"""The Slack side of the conversation: users typing slash commands, clicking buttons,
submitting modals and opening the Home tab, delivered to the bot as real signed
HTTP requests in Slack's formats.

The actor only lets a user do what Slack's UI would let them do: click a button
that is in a message the bot posted (as it is now, after updates), interact with a
view that is open for them, submit the topmost modal. Anything else raises
EmulatorError, because a test that asks for it is testing something that cannot
happen.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from .blockkit import STATEFUL_ELEMENTS, check_view, iter_elements
from .errors import EmulatorError
from .methods import MAX_MODAL_STACK, close_modals, notice, push_modal, replace_view
from .state import Channel, User, Workspace, public_message, slack_message

#: Slack gives an app 3 seconds to acknowledge an interaction or event.
ACK_DEADLINE_SECONDS = 3.0


@dataclass
class ActorResponse:
    """The bot's HTTP answer to a request the actor delivered."""

    status: int
    body: dict[str, Any] | str | None
    headers: dict[str, str]
    #: Real seconds the bot took to answer (Slack gives up after 3).
    elapsed: float = 0.0
    #: For actions that create one: the trigger_id / response_url sent to the bot.
    trigger_id: str | None = field(default=None, repr=False)
    response_url: str | None = field(default=None, repr=False)
    #: For events: the envelope's event_id (what a retry of it carries again).
    event_id: str | None = field(default=None, repr=False)
    #: The body delivered and its content type, so the same request can be delivered again.
    request_body: bytes = field(default=b"", repr=False)
    request_content_type: str = field(default="", repr=False)
    #: What the bot posted to this request's response_url by the time the answer was returned (after the
    #: emulator's after-answer wait), oldest first.
    followups: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def acked_in_time(self) -> bool:
        return 200 <= self.status < 300 and self.elapsed <= ACK_DEADLINE_SECONDS

    @property
    def answer(self) -> dict[str, Any]:
        """What the person sees as the answer: the acknowledgement's message if it carried one, else the last
        message posted to the response_url (bots that acknowledge first answer there)."""
        if isinstance(self.body, dict) and (self.body.get("text") or self.body.get("blocks")):
            return self.body
        return self.followups[-1] if self.followups else {}


def sign(signing_secret: str, timestamp: int, body: bytes) -> str:
    """Slack's v0 request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any] | str | None:
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        return parsed if isinstance(parsed, dict) else text
    return text


class Actor:
    """Delivers signed requests to the bot on behalf of workspace users."""

    def __init__(
        self,
        ws: Workspace,
        *,
        signing_secret: str,
        verification_token: str,
        announce: Callable[[list[dict[str, Any]]], None],
        timeout: float = 10.0,
    ) -> None:
        self.ws = ws
        self.signing_secret = signing_secret
        self.verification_token = verification_token
        self.announce = announce
        self.timeout = timeout
        self.bot_url: str | None = None
        self._event_serial = 0
        # Called after each answer from the bot, e.g. to wait for its work after the acknowledgement.
        self.after_answer: Callable[[], object] | None = None
        self._event_bodies: dict[str, bytes] = {}
        self._signed: set[tuple[int, bytes]] = set()

    # -- transport -----------------------------------------------------------
    def send_signed(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> ActorResponse:
        if self.bot_url is None:
            raise EmulatorError("no bot connected: call emu.connect_bot(url) first")
        ts = self._fresh_timestamp(body) if timestamp is None else int(timestamp)
        sent_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature if signature is not None else sign(self.signing_secret, ts, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(headers or {}),
        }
        request = urllib.request.Request(self.bot_url, data=body, method="POST", headers=sent_headers)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw, answer_headers = response.status, response.read(), dict(response.headers.items())
        except urllib.error.HTTPError as exc:
            status, raw, answer_headers = exc.code, exc.read(), dict(exc.headers.items())
        except (urllib.error.URLError, OSError) as exc:
            raise EmulatorError(f"could not deliver to the bot at {self.bot_url}: {exc}") from exc
        elapsed = time.monotonic() - started
        if self.after_answer is not None:
            self.after_answer()
        content = answer_headers.get("Content-Type") or answer_headers.get("content-type") or ""
        return ActorResponse(status=status, body=_parse_body(raw, content), headers=answer_headers, elapsed=elapsed,
                             request_body=body, request_content_type=content_type)

    def _fresh_timestamp(self, body: bytes) -> int:
        """Now, or a later second if these bytes were already signed at that second: Slack signs each delivery
        afresh, so two deliveries never share a signature (a bot refuses a repeated signature as a replay)."""
        ts = int(self.ws.clock())
        digest = hashlib.sha256(body).digest()
        while (ts, digest) in self._signed:
            ts += 1
        self._signed.add((ts, digest))
        if len(self._signed) > 10_000:
            self._signed.clear()
        return ts

    def redeliver(self, response: ActorResponse, *, retry_num: int | None, retry_reason: str) -> ActorResponse:
        """Deliver the request behind ``response`` again, byte for byte (signed afresh).

        With ``retry_num`` it carries Slack's retry headers, as Slack's own retry of an event does (same
        event_id); without, it is the same request arriving twice (a proxy or a client that resends)."""
        if not response.request_body:
            raise EmulatorError("that response has no request to deliver again")
        extra = {} if retry_num is None else {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        again = self.send_signed(response.request_body, response.request_content_type, headers=extra)
        again.trigger_id, again.response_url = response.trigger_id, response.response_url
        return again

    def _send_form(self, fields: dict[str, str]) -> ActorResponse:
        return self.send_signed(urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def _send_interaction(self, payload: dict[str, Any]) -> ActorResponse:
        return self._send_form({"payload": json.dumps(payload)})

    # -- helpers -------------------------------------------------------------
    def _user(self, user_id: str) -> User:
        user = self.ws.users.get(user_id)
        if user is None:
            raise EmulatorError(f"unknown user {user_id!r}: add it with emu.add_user()")
        if user.deleted:
            raise EmulatorError(f"user {user_id!r} is deactivated and cannot act")
        return user

    def _user_ref(self, user: User) -> dict[str, Any]:
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": self.ws.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.ws.team_id, "domain": self.ws.team_domain}

    def _channel_ref(self, channel: Channel) -> dict[str, Any]:
        return {"id": channel.id, "name": "directmessage" if channel.kind == "im" else channel.name}

    def _action(self, block: dict[str, Any], element: dict[str, Any], value: Any) -> dict[str, Any]:
        kind = element.get("type")
        action: dict[str, Any] = {
            "type": kind,
            "action_id": element.get("action_id"),
            "block_id": block.get("block_id"),
            "action_ts": f"{self.ws.clock():.6f}",
        }
        if kind == "button":
            action["text"] = copy.deepcopy(element.get("text"))
            chosen = element.get("value") if value is None else value
            if chosen is not None:
                action["value"] = chosen
            if element.get("style"):
                action["style"] = element["style"]
            return action
        if kind in ("static_select", "overflow", "radio_buttons"):
            if value is None:
                raise EmulatorError(f"{kind} {element.get('action_id')!r}: pass value= to choose an option")
            action["selected_option"] = _find_option(element, value)
            return action
        if kind in ("users_select", "conversations_select", "channels_select"):
            if value is None:
                raise EmulatorError(f"{kind} {element.get('action_id')!r}: pass value= to choose")
            action[{"users_select": "selected_user", "conversations_select": "selected_conversation",
                    "channels_select": "selected_channel"}[kind]] = value
            return action
        if kind in ("multi_static_select", "multi_external_select", "checkboxes"):
            action["selected_options"] = [_find_option(element, v) for v in (value or [])]
            return action
        if kind in ("multi_users_select", "datepicker", "timepicker"):
            if kind != "multi_users_select" and value is None:
                raise EmulatorError(f"{kind} {element.get('action_id')!r}: pass value= to pick")
            key = {"multi_users_select": "selected_users", "datepicker": "selected_date", "timepicker": "selected_time"}
            action[key[kind]] = list(value or []) if kind == "multi_users_select" else value
            return action
        raise EmulatorError(f"cannot click a {kind} element ({element.get('action_id')!r})")

    # -- slash commands ----------------------------------------------------------
    def slash_command(self, user_id: str, text: str, command: str, channel: str | None) -> ActorResponse:
        with self.ws.lock:
            user = self._user(user_id)
            where = self.ws.dm_for(user_id) if channel is None else self.ws.resolve_channel(channel, allow_user=True)
            if where is None or not where.has_member(user_id):
                raise EmulatorError(f"user {user_id} cannot type a command in {channel!r}")
            trigger_id = self.ws.issue_trigger(user_id)
            response_url = self.ws.issue_response_url(user_id=user_id, channel_id=where.id)
            fields = {
                "token": self.verification_token,
                "team_id": self.ws.team_id,
                "team_domain": self.ws.team_domain,
                "channel_id": where.id,
                "channel_name": self._channel_ref(where)["name"],
                "user_id": user.id,
                "user_name": user.name,
                "command": command,
                "text": text,
                "api_app_id": self.ws.app_id,
                "is_enterprise_install": "false",
                "response_url": response_url,
                "trigger_id": trigger_id,
            }
        response = self._send_form(fields)
        response.trigger_id, response.response_url = trigger_id, response_url
        response.followups = self._posts_to(response_url)
        self._show_command_ack(user_id, where, response)
        return response

    def _posts_to(self, response_url: str) -> list[dict[str, Any]]:
        rid = response_url.rstrip("/").rsplit("/", 1)[-1]
        with self.ws.lock:
            return [copy.deepcopy(post["body"]) for post in self.ws.response_url_posts
                    if post.get("response_url_id") == rid and isinstance(post["body"], dict)]

    def _show_command_ack(self, user_id: str, where: Channel, response: ActorResponse) -> None:
        """A slash command's HTTP answer is shown to the user like a response_url post."""
        if response.status != 200 or not response.body:
            return
        body = response.body if isinstance(response.body, dict) else {"text": response.body}
        if not (body.get("text") or body.get("blocks") or body.get("attachments")):
            return
        with self.ws.lock:
            if body.get("response_type") == "in_channel":
                message = self.ws.bot_message(
                    where,
                    text=str(body.get("text") or ""),
                    blocks=body.get("blocks"),
                    attachments=body.get("attachments"),
                    metadata=None,
                )
                posted = public_message(message)
            else:
                posted = {
                    "user_id": user_id,
                    "channel": where.id,
                    "ts": self.ws.next_ts(),
                    "text": str(body.get("text") or ""),
                    "blocks": copy.deepcopy(body.get("blocks") or []),
                    "attachments": copy.deepcopy(body.get("attachments") or []),
                    "thread_ts": None,
                    "source": "command_ack",
                    "response_type": "ephemeral",
                }
                self.ws.ephemerals.append(posted)
        self.announce([notice("command_ack", posted, user_id=user_id, response_type=body.get("response_type", "ephemeral"))])

    # -- message interactions -------------------------------------------------------
    def click(self, user_id: str, channel: str, ts: str, action_id: str, value: Any) -> ActorResponse:
        with self.ws.lock:
            user = self._user(user_id)
            where = self.ws.resolve_channel(channel, allow_user=True)
            if where is None:
                raise EmulatorError(f"no conversation {channel!r}")
            if not where.has_member(user_id):
                raise EmulatorError(f"user {user_id} cannot see conversation {where.id}")
            message = self.ws.find_message(where.id, ts)
            ephemeral = None
            if message is None:
                ephemeral = next(
                    (
                        e
                        for e in self.ws.ephemerals
                        if e["user_id"] == user_id and e["channel"] == where.id and e["ts"] == ts
                    ),
                    None,
                )
            if message is None and ephemeral is None:
                raise EmulatorError(f"no message with ts {ts} in {where.id} that {user_id} can see")
            shown = message if message is not None else ephemeral
            assert shown is not None
            block, element = _find_element(shown.get("blocks") or [], action_id, f"message {ts} in {where.id}")
            action = self._action(block, element, value)
            trigger_id = self.ws.issue_trigger(user_id)
            response_url = self.ws.issue_response_url(
                user_id=user_id, channel_id=where.id, message_ts=ts, ephemeral=ephemeral is not None
            )
            payload: dict[str, Any] = {
                "type": "block_actions",
                "user": self._user_ref(user),
                "api_app_id": self.ws.app_id,
                "token": self.verification_token,
                "container": {
                    "type": "message",
                    "message_ts": ts,
                    "channel_id": where.id,
                    "is_ephemeral": ephemeral is not None,
                },
                "trigger_id": trigger_id,
                "team": self._team(),
                "enterprise": None,
                "is_enterprise_install": False,
                "channel": self._channel_ref(where),
                "state": {"values": {}},
                "response_url": response_url,
                "actions": [action],
            }
            if message is not None:
                payload["message"] = slack_message(message)
        response = self._send_interaction(payload)
        response.trigger_id, response.response_url = trigger_id, response_url
        response.followups = self._posts_to(response_url)
        return response

    # -- views ------------------------------------------------------------------------
    def _visible_view(self, user_id: str, view_id: str) -> dict[str, Any]:
        view = self.ws.views.get(view_id)
        if view is None or self.ws.view_owner.get(view_id) != user_id:
            raise EmulatorError(f"view {view_id!r} is not open for user {user_id}")
        if view["type"] == "modal":
            stack = self.ws.modal_stacks.get(user_id) or []
            if not stack or stack[-1] != view_id:
                raise EmulatorError(f"view {view_id!r} is not the topmost modal for {user_id}")
        return view

    def click_in_view(self, user_id: str, view_id: str, action_id: str, value: Any) -> ActorResponse:
        with self.ws.lock:
            user = self._user(user_id)
            view = self._visible_view(user_id, view_id)
            block, element = _find_element(view.get("blocks") or [], action_id, f"view {view_id}")
            action = self._action(block, element, value)
            trigger_id = self.ws.issue_trigger(user_id)
            payload = {
                "type": "block_actions",
                "user": self._user_ref(user),
                "api_app_id": self.ws.app_id,
                "token": self.verification_token,
                "container": {"type": "view", "view_id": view_id},
                "trigger_id": trigger_id,
                "team": self._team(),
                "enterprise": None,
                "is_enterprise_install": False,
                "view": copy.deepcopy(view),
                "actions": [action],
            }
        response = self._send_interaction(payload)
        response.trigger_id = trigger_id
        return response

    def fill_in_view(self, user_id: str, view_id: str, values: dict[str, Any]) -> None:
        """The person types and picks in an open modal without submitting it (values by action_id, as for
        submit_view): what Slack then sends as the view's state with a click inside it."""
        with self.ws.lock:
            view = self._visible_view(user_id, view_id)
            view["state"] = {"values": build_state(view.get("blocks") or [], values)}

    def submit_view(self, user_id: str, view_id: str, values: dict[str, Any]) -> ActorResponse:
        with self.ws.lock:
            user = self._user(user_id)
            view = self._visible_view(user_id, view_id)
            if view["type"] != "modal" or not view.get("submit"):
                raise EmulatorError(f"view {view_id!r} has no submit button")
            state = build_state(view.get("blocks") or [], values)
            submitted = copy.deepcopy(view)
            submitted["state"] = {"values": state}
            trigger_id = self.ws.issue_trigger(user_id)
            payload = {
                "type": "view_submission",
                "team": self._team(),
                "user": self._user_ref(user),
                "api_app_id": self.ws.app_id,
                "token": self.verification_token,
                "trigger_id": trigger_id,
                "view": submitted,
                "response_urls": [],
                "is_enterprise_install": False,
                "enterprise": None,
            }
        response = self._send_interaction(payload)
        response.trigger_id = trigger_id
        self._apply_submission_answer(user_id, view_id, state, response)
        return response

    def _apply_submission_answer(
        self, user_id: str, view_id: str, state: dict[str, Any], response: ActorResponse
    ) -> None:
        """What Slack does with the bot's answer to a view_submission."""
        with self.ws.lock:
            stack = self.ws.modal_stacks.get(user_id) or []
            if view_id not in stack:
                return  # the bot closed or replaced it meanwhile
            current = self.ws.views[view_id]
            if response.status != 200:
                current["state"] = {"values": state}  # Slack shows an error; inputs stay
                return
            body = response.body if isinstance(response.body, dict) else {}
            action = body.get("response_action")
            if action == "errors":
                current["state"] = {"values": state}
            elif action in ("update", "push"):
                new_view = body.get("view")
                problems = check_view(new_view)
                if not problems and new_view.get("type") != "modal":
                    problems = ["response_action view must be a modal"]
                if problems:
                    raise EmulatorError(f"bot answered response_action={action} with an invalid view: {problems}")
                if action == "update":
                    replace_view(self.ws, current, new_view)
                else:
                    if len(stack) >= MAX_MODAL_STACK:
                        raise EmulatorError("bot pushed a fourth modal: Slack allows a stack of 3")
                    push_modal(self.ws, user_id, new_view)
            elif action == "clear":
                close_modals(self.ws, user_id)
            else:
                close_modals(self.ws, user_id, keep=stack.index(view_id))

    # -- events ------------------------------------------------------------------------
    def send_event(self, event: dict[str, Any]) -> ActorResponse:
        with self.ws.lock:
            self._event_serial += 1
            now = self.ws.clock()
            event = copy.deepcopy(event)
            event.setdefault("event_ts", f"{now:.6f}")
            event_id = f"Ev{self._event_serial:010d}"
            envelope = {
                "token": self.verification_token,
                "team_id": self.ws.team_id,
                "context_team_id": self.ws.team_id,
                "api_app_id": self.ws.app_id,
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(now),
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": self.ws.team_id,
                        "user_id": self.ws.bot_user_id,
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
                "is_ext_shared_channel": False,
            }
            body = json.dumps(envelope).encode()
            self._event_bodies[event_id] = body
        response = self.send_signed(body, "application/json")
        response.event_id = event_id
        return response

    def retry_event(self, event_id: str, *, retry_num: int, reason: str = "http_timeout") -> ActorResponse:
        """Deliver an event again as Slack retries one it thinks was missed: the same envelope (same event_id),
        freshly signed, with ``X-Slack-Retry-Num`` (1-3) and ``X-Slack-Retry-Reason`` (``http_timeout``,
        ``http_error``, ...)."""
        body = self._event_bodies.get(event_id)
        if body is None:
            raise EmulatorError(f"no event {event_id!r} was sent, so there is nothing to retry")
        if not 1 <= retry_num <= 3:
            raise EmulatorError(f"Slack retries an event at most 3 times, not {retry_num}")
        retry = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason}
        response = self.send_signed(body, "application/json", headers=retry)
        response.event_id = event_id
        return response

    def write_dm(self, user_id: str, text: str) -> ActorResponse:
        """The person types a message in the bot's Messages tab: it is stored in their DM and Slack sends the bot a
        `message` event with `channel_type: im` (the manifest's `message.im` subscription)."""
        with self.ws.lock:
            self._user(user_id)
            channel = self.ws.dm_for(user_id)
            message = {"type": "message", "ts": self.ws.next_ts(), "channel": channel.id, "user": user_id,
                       "team": self.ws.team_id, "text": text}
            channel.messages.append(message)
            event = {**message, "channel_type": "im"}
        return self.send_event(event)

    def open_home(self, user_id: str) -> ActorResponse:
        with self.ws.lock:
            self._user(user_id)
            event: dict[str, Any] = {
                "type": "app_home_opened",
                "user": user_id,
                "channel": self.ws.dm_for(user_id).id,
                "tab": "home",
            }
            home_id = self.ws.home_by_user.get(user_id)
            if home_id is not None:
                event["view"] = copy.deepcopy(self.ws.views[home_id])
        return self.send_event(event)


# -- element lookup and state ----------------------------------------------------------


def _find_element(blocks: list[dict[str, Any]], action_id: str, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    found = [(b, e) for b, e in iter_elements(blocks) if e.get("action_id") == action_id]
    if not found:
        available = sorted({str(e.get("action_id")) for _, e in iter_elements(blocks) if e.get("action_id")})
        raise EmulatorError(f"no element with action_id {action_id!r} in {where}; it has: {available}")
    return found[0]


def _all_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _find_option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return copy.deepcopy(value)
    options = _all_options(element)
    for option in options:
        if option.get("value") == value:
            return copy.deepcopy(option)
    if element.get("type") in ("external_select", "multi_external_select"):
        return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
    raise EmulatorError(
        f"{element.get('action_id')!r} has no option {value!r}; options: {[o.get('value') for o in options]}"
    )


def _element_state(element: dict[str, Any], given: bool, value: Any) -> dict[str, Any]:
    """One element's entry in ``view.state.values``, shaped per element type."""
    kind = element["type"]
    state: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        state["value"] = (None if value is None else str(value)) if given else element.get("initial_value")
    elif kind == "rich_text_input":
        state["rich_text_value"] = value if given else element.get("initial_value")
    elif kind in ("static_select", "external_select", "radio_buttons"):
        if given:
            state["selected_option"] = None if value is None else _find_option(element, value)
        else:
            state["selected_option"] = copy.deepcopy(element.get("initial_option"))
    elif kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        if given:
            state["selected_options"] = [_find_option(element, v) for v in (value or [])]
        else:
            state["selected_options"] = copy.deepcopy(element.get("initial_options") or [])
    elif kind == "users_select":
        state["selected_user"] = value if given else element.get("initial_user")
    elif kind == "multi_users_select":
        state["selected_users"] = list(value or []) if given else list(element.get("initial_users") or [])
    elif kind == "conversations_select":
        state["selected_conversation"] = value if given else element.get("initial_conversation")
    elif kind == "multi_conversations_select":
        state["selected_conversations"] = (
            list(value or []) if given else list(element.get("initial_conversations") or [])
        )
    elif kind == "channels_select":
        state["selected_channel"] = value if given else element.get("initial_channel")
    elif kind == "multi_channels_select":
        state["selected_channels"] = list(value or []) if given else list(element.get("initial_channels") or [])
    elif kind == "datepicker":
        if isinstance(value, datetime.date):
            value = value.isoformat()
        state["selected_date"] = value if given else element.get("initial_date")
    elif kind == "timepicker":
        if isinstance(value, datetime.time):
            value = value.strftime("%H:%M")
        state["selected_time"] = value if given else element.get("initial_time")
    elif kind == "datetimepicker":
        if isinstance(value, datetime.datetime):
            value = int(value.timestamp())
        state["selected_date_time"] = value if given else element.get("initial_date_time")
    elif kind == "file_input":
        state["files"] = list(value or []) if given else []
    return state


def build_state(blocks: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``view.state.values`` for a submission: every stateful element, with the
    user's input where ``values`` gives one and the element's initial value (or
    empty) otherwise. Keys of ``values`` are action_ids, or ``block_id.action_id``
    where an action_id is not unique in the view."""
    elements = [(b, e) for b, e in iter_elements(blocks) if e.get("type") in STATEFUL_ELEMENTS]
    by_action: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for block, element in elements:
        by_action.setdefault(str(element.get("action_id")), []).append((block, element))
    chosen: dict[tuple[str, str], Any] = {}
    for key, value in values.items():
        if key in by_action:
            matches = by_action[key]
            if len(matches) > 1:
                raise EmulatorError(f"action_id {key!r} is used in several blocks; key it as 'block_id.action_id'")
            block, element = matches[0]
        else:
            block_id, _, action_id = key.rpartition(".")
            match = [(b, e) for b, e in by_action.get(action_id, []) if b.get("block_id") == block_id]
            if not block_id or not match:
                available = sorted(
                    {str(e.get("action_id")) for _, e in elements}
                    | {f"{b.get('block_id')}.{e.get('action_id')}" for b, e in elements}
                )
                raise EmulatorError(f"no input {key!r} in the view; it has: {available}")
            block, element = match[0]
        chosen[(str(block.get("block_id")), str(element.get("action_id")))] = value
    state: dict[str, dict[str, Any]] = {}
    for block, element in elements:
        ids = (str(block.get("block_id")), str(element.get("action_id")))
        state.setdefault(ids[0], {})[ids[1]] = _element_state(element, ids in chosen, chosen.get(ids))
    return state
