"""TeamsEmulator: the public face of the Teams emulator.

One loopback HTTP server plays three Microsoft services for one bot (app id + password):

- the Bot Connector at `service_url` (`/teams/v3/...`), which the bot calls to create personal chats, post,
  update and delete messages and read members, with Teams' rate limits, size limit and card checks;
- the Entra token endpoint at `login_url` (`/{tenant}/oauth2/v2.0/token`), which hands the bot its connector
  token for the client-credentials grant;
- the Bot Framework issuer at `openid_metadata_url`, whose key signs the JWT on every activity the emulator
  delivers to the bot (`connect_bot(url)`), so the bot's own token validation runs, not a switched-off one;
- Microsoft Graph at `graph_url` (`/v1.0/users`, `/users/{id}/manager`, `/users/{id}/mailboxSettings`,
  `/groups/{id}/members` and `/transitiveMembers`, `/teams/{id}/members`, `/teams/{id}/channels/{id}/members`:
  bot/emulators/teams/graph.py), for the directory sync and audiences; the tenant's Teams, their channels and
  membership events are bot/emulators/teams/teams.py.

`cloud_overrides()` gives the fields of the Teams SDK's `CloudEnvironment` to change (with
`microsoft_teams.api.auth.cloud_environment.with_overrides(PUBLIC, **emu.cloud_overrides())`).

Time: rate-limit windows and message ids follow `clock` (a `SimulatedClock` in tests and benches, real time
otherwise); token lifetimes follow `token_clock`, real time by default, because the bot checks a token's
expiry against its own wall clock.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from bot.clock import SimulatedClock

from .actor import Actor, ActorResponse, Dialog
from .connector import DEFAULT_MAX_MESSAGE_BYTES, Call, Connector, match_route
from .errors import EmulatorError
from .faults import Fault, FaultBook
from .graph import GRAPH_PREFIX, Graph
from .keys import Signer
from .ratelimit import RateLimiter
from .server import Answer, Incoming, LoopbackServer
from .state import Directory, User
from .teams import TeamsOfTenant
from .tokens import GRAPH_RESOURCE, TokenService, bot_framework_openid_configuration

#: What Teams' inbound tokens say as their issuer (the SDK checks it against its cloud's `token_issuer`).
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
SERVICE_PREFIX = "/teams"

_TENANT_PATH = re.compile(r"^/(?P<tenant>[^/]+)/(?P<rest>oauth2/v2\.0/token|v2\.0/\.well-known/openid-configuration"
                          r"|discovery/v2\.0/keys)$")


class TeamsEmulator(TeamsOfTenant):
    """Bot Connector, token service and Bot Framework issuer on loopback, playing a tenant's people too."""

    def __init__(
        self,
        *,
        app_id: str = "00000000-0000-4000-8000-00000000d12b",
        app_password: str = "emulator-app-password",
        bot_name: str = "Drumbeat",
        tenant_id: str = "0000aaaa-1111-4222-8333-44445555eeee",
        clock: SimulatedClock | None = None,
        token_clock: Callable[[], float] = time.time,
        rate_limits: bool = True,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        issuer: str = BOT_FRAMEWORK_ISSUER,
    ) -> None:
        self.app_id = app_id
        self.app_password = app_password
        self.tenant_id = tenant_id
        self.issuer = issuer
        self.clock: Callable[[], float] = clock.epoch if clock is not None else time.time
        self._directory = Directory(self.clock, app_id=app_id, bot_name=bot_name)
        self._directory.tenants.add(tenant_id)
        self.signer = Signer()
        self.tokens = TokenService(self.signer, token_clock, app_id, app_password, lambda: set(self._directory.tenants))
        self.limiter = RateLimiter(self.clock, enabled=rate_limits)
        self.faults = FaultBook()
        self._calls: list[Call] = []
        self._calls_lock = threading.Lock()
        self._connector = Connector(
            self._directory, check_bearer=self.tokens.check_bearer, limiter=self.limiter, faults=self.faults,
            record=self._record, max_message_bytes=max_message_bytes,
        )
        self._actor = Actor(self._directory, self.signer, issuer=issuer, token_clock=token_clock)
        self.graph = Graph(self._directory, bearer=lambda header: self.tokens.bearer_claims(header, GRAPH_RESOURCE),
                           faults=self.faults, base_url=lambda: self.base_url)
        self._server: LoopbackServer | None = None

    # -- lifecycle and addresses --------------------------------------------------------
    def start(self) -> "TeamsEmulator":
        if self._server is None:
            self._server = LoopbackServer(self)
            self.tokens.base_url = self.base_url
            self._directory.service_url = f"{self.base_url}{SERVICE_PREFIX}/"
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "TeamsEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise EmulatorError("the emulator is not started: call emu.start()")
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def service_url(self) -> str:
        """The connector's root as Teams hands it out in `activity.serviceUrl` (with its trailing slash)."""
        return f"{self.base_url}{SERVICE_PREFIX}/"

    @property
    def login_url(self) -> str:
        """The Entra login root (`CloudEnvironment.login_endpoint`): `{login_url}/{tenant}/oauth2/v2.0/token`."""
        return self.base_url

    @property
    def graph_url(self) -> str:
        """Microsoft Graph's root (`TEAMS_GRAPH_URL`): calls go to `{graph_url}/v1.0/...`."""
        return self.base_url

    def token_url(self, tenant: str = "botframework.com") -> str:
        return f"{self.base_url}/{tenant}/oauth2/v2.0/token"

    @property
    def openid_metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/keys"

    def cloud_overrides(self) -> dict[str, str]:
        """The Teams SDK `CloudEnvironment` fields that point a bot at this emulator."""
        return {"login_endpoint": self.login_url, "openid_metadata_url": self.openid_metadata_url,
                "token_issuer": self.issuer}

    # -- directory ----------------------------------------------------------------------------
    def add_tenant(self, tenant_id: str) -> None:
        with self._directory.lock:
            self._directory.tenants.add(tenant_id)

    def add_user(self, aad_object_id: str | None = None, *, name: str, tenant_id: str | None = None,
                 local_timezone: str = "America/New_York", email: str | None = None, locale: str = "en-US",
                 manager_id: str | None = None, mailbox_time_zone: str | None = None) -> User:
        """A person in the directory (not yet with the app installed); their Entra object id is returned on
        the User (a random one when not given). `manager_id` and `mailbox_time_zone` (a Windows or IANA name;
        None: no mailbox) are what Graph tells of them."""
        object_id = (aad_object_id or str(uuid.uuid4())).lower()
        tenant = tenant_id or self.tenant_id
        with self._directory.lock:
            if tenant not in self._directory.tenants:
                raise EmulatorError(f"unknown tenant {tenant!r}: add it with emu.add_tenant()")
            user = User(object_id, name, tenant, local_timezone, email, locale=locale,
                        manager_id=manager_id.lower() if manager_id else None, mailbox_time_zone=mailbox_time_zone)
            self._directory.users[object_id] = user
            return user

    def user(self, aad_object_id: str) -> User:
        with self._directory.lock:
            found = self._directory.users.get(aad_object_id.lower())
            if found is None:
                raise EmulatorError(f"unknown user {aad_object_id!r}")
            return found

    def set_user(self, aad_object_id: str, **changes: Any) -> None:
        """Change a person (`local_timezone=...`, `blocked=True`, `name=...`)."""
        with self._directory.lock:
            user = self.user(aad_object_id)
            for key, value in changes.items():
                if key in ("aad_object_id", "tenant_id") or not hasattr(user, key):
                    raise EmulatorError(f"cannot change {key!r}")
                setattr(user, key, value)

    def add_group(self, group_id: str, member_ids: list[str], *, name: str | None = None) -> None:
        """An Entra group (Graph's `/groups/{id}/members`), its members named by Entra object id (a user's, or
        another group's: a nested group)."""
        with self._directory.lock:
            self._directory.groups[group_id.lower()] = [member.lower() for member in member_ids]
            if name is not None:
                self._directory.group_names[group_id.lower()] = name

    def conversation_reference(self, aad_object_id: str) -> dict[str, Any]:
        """What a bot must keep to reach the person proactively (conversation id, serviceUrl, tenant, ids)."""
        with self._directory.lock:
            user = self.user(aad_object_id)
            if not user.installed:
                raise EmulatorError(f"the app is not installed for {user.name}")
            chat = self._directory.personal_chat(user)
            return {"conversation_id": chat.id, "service_url": self.service_url, "tenant_id": user.tenant_id,
                    "user_id": user.bot_id, "aad_object_id": user.aad_object_id, "bot_id": self._directory.bot_id}

    # -- inspection ---------------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._calls_lock:
            return list(self._calls)

    def calls_to(self, operation: str) -> list[Call]:
        return [c for c in self.calls if c.operation == operation]

    def _record(self, call: Call) -> None:
        with self._calls_lock:
            self._calls.append(call)

    def inbox(self, aad_object_id: str) -> list[dict[str, Any]]:
        """The bot's messages in the person's personal chat as they look now (updated in place, deleted
        ones left out), oldest first."""
        with self._directory.lock:
            user = self.user(aad_object_id)
            chat_id = self._directory.personal.get(user.aad_object_id)
            if chat_id is None:
                return []
            chat = self._directory.conversations[chat_id]
            bot_id = self._directory.bot_id
            return [dict(m) for mid, m in chat.messages.items()
                    if mid not in chat.deleted and m.get("from", {}).get("id") == bot_id]

    def chat(self, aad_object_id: str) -> list[dict[str, Any]]:
        """The person's whole personal chat as the Teams client shows it, oldest first: what they typed and
        the bot's messages as they look now (deleted ones left out). `inbox` is the bot's side alone."""
        with self._directory.lock:
            chat_id = self._directory.personal.get(self.user(aad_object_id).aad_object_id)
            if chat_id is None:
                return []
            chat = self._directory.conversations[chat_id]
            return [dict(m) for mid, m in chat.messages.items() if mid not in chat.deleted]

    def close_dialog(self, aad_object_id: str) -> bool:
        """The person closes their open dialog (the X in Teams): nothing reaches the bot. False if none was open."""
        with self._directory.lock:
            return self._actor.dialogs.pop(self.user(aad_object_id).aad_object_id, None) is not None

    def dialog(self, aad_object_id: str) -> Dialog | None:
        with self._directory.lock:
            return self._actor.dialogs.get(self.user(aad_object_id).aad_object_id)

    def wait_for(self, condition: Callable[[], Any], *, timeout: float = 5.0, interval: float = 0.01) -> Any:
        """Poll `condition` (real seconds) until truthy: a bot answers after the HTTP acknowledgement."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise EmulatorError(f"condition still false after {timeout} s")
            time.sleep(interval)

    # -- faults ---------------------------------------------------------------------------------------
    def inject_fault(self, operation: str, *, status: int | None = None, reset: bool = False, delay: float = 0.0,
                     delay_max: float | None = None, times: int = 1, retry_after: int = 1,
                     code: str | None = None) -> None:
        """The next `times` calls to `operation` fail with `status` (or a dropped connection with `reset`), or
        are only late by `delay` real seconds (to `delay_max`, at random) and then take effect."""
        self.faults.add(operation, Fault(status=status, reset=reset, delay=delay, delay_max=delay_max, times=times,
                                         retry_after=retry_after, code=code))

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- the people's side ------------------------------------------------------------------------------
    def connect_bot(self, url: str) -> None:
        """Where activities go (the bot's messaging endpoint, e.g. http://127.0.0.1:3978/api/messages)."""
        self._actor.bot_url = url

    def after_each_answer(self, callback: Callable[[], object]) -> None:
        self._actor.after_answer = callback

    def install_app(self, aad_object_id: str) -> list[ActorResponse]:
        return self._actor.install(aad_object_id)

    def uninstall_app(self, aad_object_id: str) -> ActorResponse:
        return self._actor.uninstall(aad_object_id)

    def send_message(self, aad_object_id: str, text: str) -> ActorResponse:
        return self._actor.message(aad_object_id, text)

    def execute(self, aad_object_id: str, message_id: str, **how: Any) -> ActorResponse:
        """Press an Action.Execute (by `title`, `verb` or `action_id`), with `inputs` filled in."""
        return self._actor.execute(aad_object_id, message_id, **how)

    def submit(self, aad_object_id: str, message_id: str, **how: Any) -> ActorResponse:
        return self._actor.submit(aad_object_id, message_id, **how)

    def fetch_dialog(self, aad_object_id: str, data: dict[str, Any], **how: Any) -> ActorResponse:
        return self._actor.fetch_dialog(aad_object_id, data, **how)

    def submit_dialog(self, aad_object_id: str, inputs: dict[str, Any] | None = None, **how: Any) -> ActorResponse:
        return self._actor.submit_dialog(aad_object_id, inputs, **how)

    def deliver(self, activity: dict[str, Any], *, token: str | None = None) -> ActorResponse:
        """Any activity, with the emulator's valid token or the one given ("" for none)."""
        return self._actor.deliver(activity, token=token)

    def inbound_token(self, **overrides: Any) -> str:
        """A token like those on the emulator's activities, with claims changed (e.g. `exp=...`, `aud=...`)."""
        return self._actor.inbound_token(**overrides)

    def activity_for(self, aad_object_id: str, kind: str = "message", **fields: Any) -> dict[str, Any]:
        """An activity from the person, not sent: for hand-made deliveries (tampered values, replays)."""
        with self._directory.lock:
            return self._actor._activity(self._actor._user(aad_object_id), kind, **fields)

    # -- HTTP routing ---------------------------------------------------------------------------------------
    def route(self, request: Incoming) -> Answer:
        path = request.path
        if path.startswith(GRAPH_PREFIX + "/") and (graph := self.graph.handle(request)) is not None:
            return graph
        if path.startswith(SERVICE_PREFIX + "/"):
            found = match_route(request.method, path[len(SERVICE_PREFIX):])
            if found is not None:
                return self._connector.handle(request, *found)
        if request.method == "GET" and path == "/v1/.well-known/openidconfiguration":
            return Answer.json(200, bot_framework_openid_configuration(self.base_url, self.issuer))
        if request.method == "GET" and path in ("/v1/.well-known/keys",):
            return Answer.json(200, self.signer.jwks())
        tenant_path = _TENANT_PATH.match(path)
        if tenant_path:
            return self._identity(tenant_path.group("tenant"), tenant_path.group("rest"), request)
        return Answer.json(404, {"error": {"code": "NotFound", "message": f"no route for {request.method} {path}"}})

    def _identity(self, tenant: str, rest: str, request: Incoming) -> Answer:
        if rest.startswith("oauth2"):
            fault = self.faults.take("token")
            if fault is not None and not fault.only_delays:
                if fault.reset:
                    return Answer(reset=True)
                status, body, headers = fault.answer()
                return Answer.json(status, body, headers)
            if fault is not None:
                time.sleep(fault.wait_seconds())
            return self.tokens.token(tenant, request)
        if rest.startswith("discovery"):
            return Answer.json(200, self.signer.jwks())
        return self.tokens.openid_configuration(tenant)
