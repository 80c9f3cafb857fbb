"""SlackEmulator: the public face of the emulator.

It wires the pieces together: the loopback HTTP server, the workspace state, the
per-method handlers behind Slack's common checks (authentication, injected faults,
rate limits, required arguments), the actor that plays the users, and the
inspection helpers tests use to see what the bot did.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from bot.clock import SimulatedClock

from .actor import Actor, ActorResponse
from .contracts import CONTRACTS, INVALID_ARGUMENTS, SPECIAL_POST_MESSAGE, missing_required
from .errors import EmulatorError
from .faults import Fault, FaultBook, Hold
from .groups import channel_members  # registers usergroups.list, conversations.members / .info
from .methods import HANDLERS, Reply, fail, json_arg
from .ratelimit import RateLimiter
from .server import Answer, Incoming, LoopbackServer, decode_api_call
from .state import Channel, Clock, User, Workspace, public_message
from .webhooks import post_to_response_url, receive_upload

log = logging.getLogger(__name__)

_API_PATH = re.compile(r"^/api/([A-Za-z0-9_.]+)$")
_RESPONSE_PATH = re.compile(r"^/response/([A-Za-z0-9]+)$")
_UPLOAD_PATH = re.compile(r"^/upload/([A-Za-z0-9]+)$")
#: Arguments that may arrive as JSON strings; recorded decoded so tests can read them.
_JSON_ARGS = ("blocks", "attachments", "metadata", "view", "files")


@dataclass(frozen=True)
class Call:
    """One Web API call as the emulator received and answered it."""

    method: str
    args: dict[str, Any]
    http_status: int
    response: dict[str, Any]
    at: float

    @property
    def ok(self) -> bool:
        return self.http_status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return self.response.get("error")


class SlackEmulator:
    """A Slack Web API stand-in on loopback that also plays the workspace's users."""

    def __init__(
        self,
        signing_secret: str,
        *,
        clock: SimulatedClock | None = None,
        bot_token: str = "xoxb-emulator-token",
        team_id: str = "T0DRUMBEAT",
        bot_user_id: str = "U0DRUMBOT",
        post_message_per_minute: int = 300,
        users_list_page_size: int = 200,
        rate_limits: bool = True,
        team_domain: str = "drumbeat",
        bot_name: str = "drumbeat",
        bot_id: str = "B0DRUMBOT",
        app_id: str = "A0DRUMBEAT",
        verification_token: str = "emulator-verification-token",
    ) -> None:
        if users_list_page_size < 1:
            raise ValueError("users_list_page_size must be at least 1")
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        # Real time by default; a test that moves time hands in the simulated clock (read as epoch seconds).
        self.clock: Clock = clock.epoch if clock is not None else time.time
        self._ws = Workspace(
            clock=self.clock,
            team_id=team_id,
            team_domain=team_domain,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
        )
        self._ws.users_list_page_size = users_list_page_size
        # Every workspace has Slackbot, and the bot is a member too; users.list shows both.
        self._ws.add_user(User("USLACKBOT", "slackbot", "Slackbot", "America/Los_Angeles", None, False, False))
        self._ws.add_user(
            User(bot_user_id, bot_name, bot_name, "America/Los_Angeles", None, True, False, bot_id=bot_id, app_id=app_id)
        )
        self._limiter = RateLimiter(self.clock, post_message_per_minute=post_message_per_minute, enabled=rate_limits)
        self._faults = FaultBook()
        self._calls: list[Call] = []
        self._calls_lock = threading.Lock()
        self._callbacks: list[Callable[[dict[str, Any]], None]] = []
        self._actor = Actor(
            self._ws,
            signing_secret=signing_secret,
            verification_token=verification_token,
            announce=self._announce,
        )
        self._server: LoopbackServer | None = None
        self._connections_before = 0  # accepted by servers this emulator ran before a restart

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> "SlackEmulator":
        if self._server is None:
            self._server = LoopbackServer(self)
            self._ws.base_url = f"http://127.0.0.1:{self._server.port}"
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._connections_before += self._server.connections_accepted
            self._server = None

    def close_idle_connections(self) -> None:
        """Close the kept-alive connections, as Slack's servers do with idle ones; the next call must reconnect."""
        if self._server is not None:
            self._server.close_connections()

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far: N calls over few connections means the client keeps them alive."""
        return self._connections_before + (self._server.connections_accepted if self._server is not None else 0)

    def __enter__(self) -> "SlackEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if not self._ws.base_url:
            raise EmulatorError("the emulator is not started: call emu.start()")
        return self._ws.base_url

    @property
    def api_url(self) -> str:
        """Pass to ``slack_sdk.WebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    # -- workspace setup -----------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        tz: str = "America/New_York",
        email: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        self._ws.add_user(User(user_id, name, real_name or name, tz, email, is_bot, deleted))

    def set_user(self, user_id: str, **changes: Any) -> None:
        """Change a user's fields (e.g. ``deleted=True``, ``tz=...``); pair with
        ``send_event({"type": "user_change", ...})`` to tell the bot."""
        with self._ws.lock:
            user = self._require_user(user_id)
            for key, value in changes.items():
                if not hasattr(user, key) or key == "id":
                    raise EmulatorError(f"users have no field {key!r}")
                setattr(user, key, value)

    def user_object(self, user_id: str) -> dict[str, Any]:
        """The user as users.info returns it (handy for user_change events)."""
        with self._ws.lock:
            return self._require_user(user_id).to_slack(self.team_id)

    def add_usergroup(self, usergroup_id: str, *, handle: str, user_ids: list[str]) -> None:
        with self._ws.lock:
            self._ws.usergroups[usergroup_id] = {"id": usergroup_id, "handle": handle, "users": list(user_ids)}

    def add_channel(self, channel_id: str, *, name: str, members: list[str] | None = None) -> None:
        """A channel the bot is in; ``members=None`` means everyone."""
        with self._ws.lock:
            self._ws.channels[channel_id] = Channel(
                id=channel_id, kind="channel", name=name, created=self.clock(), members=members
            )

    def set_usergroup_members(self, usergroup_id: str, user_ids: list[str]) -> ActorResponse:
        """Someone edits a user group in Slack: its members become `user_ids`, and Slack tells the bot with a
        signed subteam_members_changed event (who was added, who was removed)."""
        with self._ws.lock:
            group = self._ws.usergroups[usergroup_id]
            before, group["users"] = list(group["users"]), list(user_ids)
        return self.send_event({
            "type": "subteam_members_changed", "subteam_id": usergroup_id, "team_id": self.team_id,
            "added_users": [user for user in user_ids if user not in before],
            "removed_users": [user for user in before if user not in user_ids]})

    def join_channel(self, channel_id: str, user_id: str) -> ActorResponse:
        """Someone joins a channel the bot is in; Slack sends member_joined_channel."""
        return self._channel_change(channel_id, user_id, joined=True)

    def leave_channel(self, channel_id: str, user_id: str) -> ActorResponse:
        """Someone leaves a channel the bot is in; Slack sends member_left_channel."""
        return self._channel_change(channel_id, user_id, joined=False)

    def _channel_change(self, channel_id: str, user_id: str, *, joined: bool) -> ActorResponse:
        with self._ws.lock:
            channel = self._ws.channels[channel_id]
            members = channel_members(self._ws, channel)
            channel.members = [*members, user_id] if joined and user_id not in members else (
                members if joined else [member for member in members if member != user_id])
        kind = "member_joined_channel" if joined else "member_left_channel"
        return self.send_event({"type": kind, "user": user_id, "channel": channel_id, "channel_type": "C",
                                "team": self.team_id})

    def _require_user(self, user_id: str) -> User:
        user = self._ws.users.get(user_id)
        if user is None:
            raise EmulatorError(f"unknown user {user_id!r}: add it with emu.add_user()")
        return user

    # -- inspection ------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._calls_lock:
            return list(self._calls)

    def calls_named(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def issue_trigger(self, user_id: str) -> str:
        """A fresh trigger id for `user_id`, as Slack puts in an interaction: for tests that build a request by
        hand (a forged payload is still signed, and its trigger still opens a modal)."""
        return self._ws.issue_trigger(user_id)

    def issue_response_url(self, user_id: str) -> str:
        """A fresh response URL in `user_id`'s DM, as Slack puts in a command: for requests built by hand (Socket
        Mode envelopes, forged payloads)."""
        return self._ws.issue_response_url(user_id=user_id, channel_id=self.dm_channel(user_id))

    def dm_channel(self, user_id: str) -> str:
        with self._ws.lock:
            self._require_user(user_id)
            return self._ws.dm_for(user_id).id

    def inbox(self, user_id: str) -> list[dict[str, Any]]:
        with self._ws.lock:
            channel_id = self._ws.dm_by_user.get(user_id)
            if channel_id is None:
                return []
            return [
                public_message(m)
                for m in self._ws.channels[channel_id].messages
                if m.get("user") == self.bot_user_id
            ]

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        with self._ws.lock:
            found = self._ws.channels.get(channel)
            if found is None and channel in self._ws.dm_by_user:
                found = self._ws.channels[self._ws.dm_by_user[channel]]
            return [public_message(m) for m in found.messages] if found else []

    def ephemerals(self, user_id: str) -> list[dict[str, Any]]:
        with self._ws.lock:
            return [copy.deepcopy(e) for e in self._ws.ephemerals if e["user_id"] == user_id]

    @property
    def response_url_posts(self) -> list[dict[str, Any]]:
        with self._ws.lock:
            return copy.deepcopy(self._ws.response_url_posts)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        with self._ws.lock:
            view_id = self._ws.home_by_user.get(user_id)
            return copy.deepcopy(self._ws.views[view_id]) if view_id else None

    def open_views(self, user_id: str) -> list[dict[str, Any]]:
        """The user's modal stack, bottom first."""
        with self._ws.lock:
            return [copy.deepcopy(self._ws.views[v]) for v in self._ws.modal_stacks.get(user_id, [])]

    @property
    def uploaded_files(self) -> list[dict[str, Any]]:
        with self._ws.lock:
            return copy.deepcopy(self._ws.uploaded_files)

    def wait_for(self, condition: Callable[[], Any], *, timeout: float = 5.0, interval: float = 0.01) -> Any:
        """Poll ``condition`` until it returns something truthy, and return that.

        Bolt acknowledges first and runs listeners afterwards (unless
        process_before_response), so what a bot does after ack lands a moment
        after the actor's call returns. Real seconds, not the emulator's clock.
        """
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise EmulatorError(f"condition still false after {timeout} s")
            time.sleep(interval)

    # -- faults and callbacks --------------------------------------------------------------
    def inject_fault(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        reset: bool = False,
        delay: float = 0.0,
        times: int = 1,
        delay_max: float | None = None,
        hold: Hold | None = None,
    ) -> Fault:
        """Make the next ``times`` calls to ``method`` fail (or only be slow, when
        just ``delay`` or ``hold`` is given: those calls then take effect normally). With
        ``delay_max``, each call waits a random time between ``delay`` and it; with ``hold``, until released."""
        if method not in CONTRACTS:
            raise EmulatorError(f"the emulator does not implement {method!r}")
        fault = Fault(status=status, error=error, reset=reset, delay=delay, times=times, delay_max=delay_max,
                      hold=hold)
        self._faults.add(method, fault)
        return fault

    def pending_faults(self, method: str) -> int:
        """How many calls to `method` injected faults still apply to."""
        return self._faults.pending(method)

    def clear_faults(self) -> None:
        self._faults.clear()

    def after_each_answer(self, callback: Callable[[], object]) -> None:
        """Run `callback` after every answer the bot gives to a request the emulator sent (tests pass the bot's
        "wait for background work", so what a person sees a moment later is there when the call returns)."""
        self._actor.after_answer = callback

    def on_post(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call ``callback(notice)`` after every stored post. A notice has kind
        (chat.postMessage, chat.update, chat.postEphemeral, response_url,
        command_ack, files.completeUploadExternal), channel, ts, user_id, text,
        blocks, metadata, edited."""
        self._callbacks.append(callback)

    def _announce(self, notices: list[dict[str, Any]]) -> None:
        for item in notices:
            for callback in list(self._callbacks):
                try:
                    callback(copy.deepcopy(item))
                except Exception:
                    log.exception("on_post callback failed")

    # -- actor ------------------------------------------------------------------------
    def connect_bot(self, url: str) -> None:
        self._actor.bot_url = url

    @property
    def bot_url(self) -> str | None:
        """Where the emulator delivers requests (for a test that sends a hand-made one)."""
        return self._actor.bot_url

    def slash_command(
        self, user_id: str, text: str = "", command: str = "/drumbeat", *, channel: str | None = None
    ) -> ActorResponse:
        return self._actor.slash_command(user_id, text, command, channel)

    def click(
        self, user_id: str, *, channel: str, ts: str, action_id: str, value: Any | None = None
    ) -> ActorResponse:
        return self._actor.click(user_id, channel, ts, action_id, value)

    def click_in_view(self, user_id: str, *, view_id: str, action_id: str, value: Any | None = None) -> ActorResponse:
        return self._actor.click_in_view(user_id, view_id, action_id, value)

    def fill_in_view(self, user_id: str, view_id: str, values: dict[str, Any]) -> None:
        self._actor.fill_in_view(user_id, view_id, values)

    def submit_view(self, user_id: str, view_id: str, values: dict[str, Any]) -> ActorResponse:
        return self._actor.submit_view(user_id, view_id, values)

    def open_home(self, user_id: str) -> ActorResponse:
        return self._actor.open_home(user_id)

    def send_event(self, event: dict[str, Any]) -> ActorResponse:
        return self._actor.send_event(event)

    def write_dm(self, user_id: str, text: str) -> ActorResponse:
        """The person writes to the bot in its DM (a `message.im` event)."""
        return self._actor.write_dm(user_id, text)

    def retry_event(self, event_id: str, *, retry_num: int, reason: str = "http_timeout") -> ActorResponse:
        """The same event again, as Slack retries it (same event_id, X-Slack-Retry-Num / -Reason headers)."""
        return self._actor.retry_event(event_id, retry_num=retry_num, reason=reason)

    def send_signed(
        self, body: bytes, content_type: str, *, timestamp: int | None = None, signature: str | None = None
    ) -> ActorResponse:
        return self._actor.send_signed(body, content_type, timestamp=timestamp, signature=signature)

    def redeliver(
        self, response: ActorResponse, *, retry_num: int | None = None, retry_reason: str = "http_timeout"
    ) -> ActorResponse:
        """Deliver the request that produced ``response`` (an event, a command, a submission) again,
        unchanged: same event_id, view id, trigger_id. ``retry_num`` adds ``X-Slack-Retry-Num`` and
        ``X-Slack-Retry-Reason``, as Slack does when it retries an event the app did not ack in 3 s.
        Only the transport is repeated: the emulator's own state (open modals) is left as it is."""
        return self._actor.redeliver(response, retry_num=retry_num, retry_reason=retry_reason)

    # -- HTTP routing (called by the server's threads) -----------------------------------
    def route(self, request: Incoming) -> Answer:
        match = _API_PATH.match(request.path)
        if match:
            return self._api(match.group(1), request)
        match = _RESPONSE_PATH.match(request.path)
        if match and request.method == "POST":
            return self._webhook(post_to_response_url, match.group(1), request)
        match = _UPLOAD_PATH.match(request.path)
        if match and request.method == "POST":
            return self._webhook(receive_upload, match.group(1), request)
        return Answer.text(404, "not_found")

    def _webhook(self, fn: Callable[[Workspace, str, bytes, str], Reply], key: str, request: Incoming) -> Answer:
        with self._ws.lock:
            reply = fn(self._ws, key, request.body, request.content_type)
        self._announce(reply.posted)
        return Answer.text(reply.status, reply.text or "")

    def _record(self, method: str, args: dict[str, Any], status: int, body: dict[str, Any], at: float) -> None:
        with self._calls_lock:
            self._calls.append(Call(method, args, status, body, at))

    def _api(self, method: str, request: Incoming) -> Answer:
        at = self.clock()
        contract = CONTRACTS.get(method)
        if contract is None:
            body = {"ok": False, "error": "unknown_method", "req_method": method}
            self._record(method, {}, 404, body, at)
            return Answer.json(404, body)
        decoded = decode_api_call(request, json_body_supported=contract.json_body)
        args = _recorded_args(decoded.args)

        fault = self._faults.take(method)
        if fault is not None:
            if fault.hold is not None:
                fault.hold.block()
            wait = fault.wait_seconds()
            if wait > 0:
                time.sleep(wait)
        if fault is not None and not fault.only_delays:
            if fault.reset:
                self._record(method, args, 0, {}, at)
                return Answer(reset=True)
            status, body, headers = fault.answer()
            self._record(method, args, status, body, at)
            return Answer.json(status, body, headers)

        reply = self._checked_call(method, decoded.args, decoded.token, decoded.error)
        self._record(method, args, reply.status, reply.body, at)
        self._announce(reply.posted)
        return Answer.json(reply.status, reply.body, reply.headers)

    def _checked_call(self, method: str, args: dict[str, Any], token: str | None, body_error: str | None) -> Reply:
        """Slack's common checks in order, then the method's handler."""
        if body_error is not None:
            return fail(body_error)
        if token is None:
            return fail("not_authed")
        if token != self.bot_token:
            return fail("invalid_auth")
        contract = CONTRACTS[method]
        channel_key = None
        if contract.tier == SPECIAL_POST_MESSAGE:
            with self._ws.lock:
                channel = self._ws.resolve_channel(args.get("channel"), allow_user=True)
                channel_key = channel.id if channel else None
        retry_after = self._limiter.admit(method, channel_key)
        if retry_after is not None:
            return Reply({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)})
        missing = missing_required(contract, args)
        if missing is not None:
            name, code = missing
            if code == INVALID_ARGUMENTS:
                return fail(code, f"missing required field: {name}")
            return fail(code)
        with self._ws.lock:
            return HANDLERS[method](self._ws, args)


def _recorded_args(args: dict[str, Any]) -> dict[str, Any]:
    recorded = dict(args)
    for name in _JSON_ARGS:
        if isinstance(recorded.get(name), str):
            try:
                recorded[name] = json_arg(recorded, name)
            except Exception:
                pass  # keep the malformed string as received
    return recorded


__all__ = ["ActorResponse", "Call", "SlackEmulator"]
