"""Fixtures for the Teams emulator's own tests: an emulator on a SimulatedClock with a tenant of people, a
stand-in bot that records what it receives, and a real Teams SDK `App` served over HTTP (uvicorn on a
loopback socket), pointed at the emulator through the SDK's own `CloudEnvironment`, so the SDK's token
validator and API client are what the emulator is checked against."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import urllib.request
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.clock import SimulatedClock
from bot.emulators.teams import TeamsEmulator, User
from .teams_emulator_kit import StubBot, serve_stub_bot

SDK_ENV = ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "SERVICE_URL", "CLOUD", "PORT",
           "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "MANAGED_IDENTITY_CLIENT_ID")


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def emu(clock: SimulatedClock) -> Iterator[TeamsEmulator]:
    with TeamsEmulator(clock=clock) as emulator:
        yield emulator


@pytest.fixture
def stub(emu: TeamsEmulator) -> Iterator[StubBot]:
    bot, stop = serve_stub_bot()
    emu.connect_bot(bot.url)
    yield bot
    stop()


@pytest.fixture
def alice(emu: TeamsEmulator, stub: StubBot) -> User:
    """A person with the app installed (the stand-in bot received the installation)."""
    user = emu.add_user(name="Alice Archer", local_timezone="Europe/Berlin", email="alice@example.com")
    emu.install_app(user.aad_object_id)
    return user


def token_provider(emu: TeamsEmulator):  # noqa: ANN201 - the SDK's TokenCredentials callable
    """The client-credentials grant against the emulator's token endpoint, cached until near expiry: what the
    Teams SDK's `token=` option takes (its msal path accepts only https authorities, see docs/teams.md)."""
    cache: dict[str, tuple[str, float]] = {}

    def provide(scope: str | list[str], tenant_id: str | None = None) -> str:
        scope_text = scope if isinstance(scope, str) else " ".join(scope)
        tenant = tenant_id or "botframework.com"
        cached = cache.get(f"{tenant} {scope_text}")
        if cached and cached[1] > time.time() + 300:
            return cached[0]
        form = f"grant_type=client_credentials&client_id={emu.app_id}&client_secret={emu.app_password}&scope={scope_text}"
        request = urllib.request.Request(emu.token_url(tenant), data=form.encode(), method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        cache[f"{tenant} {scope_text}"] = (answer["access_token"], time.time() + answer["expires_in"])
        return answer["access_token"]

    return provide


@dataclass
class SdkBot:
    """A Teams SDK App on loopback; `received` is every activity its handlers saw."""

    app: Any
    url: str
    loop: asyncio.AbstractEventLoop
    received: list[Any] = field(default_factory=list)

    def run(self, coroutine: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the App's event loop (where its HTTP client lives) and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


@pytest.fixture
def sdk_bot(emu: TeamsEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[SdkBot]:
    pytest.importorskip("microsoft_teams.apps")
    import uvicorn
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
    from microsoft_teams.apps import App

    for name in SDK_ENV:  # the SDK reads these from the environment when an option is not given
        monkeypatch.delenv(name, raising=False)
    app = App(client_id=emu.app_id, token=token_provider(emu), service_url=emu.service_url,
              cloud=with_overrides(PUBLIC, **emu.cloud_overrides()))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="teams-sdk-bot", daemon=True)
    thread.start()
    bot = SdkBot(app, f"http://127.0.0.1:{listener.getsockname()[1]}/api/messages", loop)

    @app.on_message
    async def on_message(ctx: Any) -> None:
        bot.received.append(ctx.activity)
        if ctx.activity.text == "ping":
            await ctx.send("pong")

    @app.on_install_add
    async def on_install(ctx: Any) -> None:
        bot.received.append(ctx.activity)

    _card_and_dialog_handlers(app, bot)
    bot.run(app.initialize())
    server = uvicorn.Server(uvicorn.Config(app.server.adapter.app, log_level="warning", lifespan="off"))
    serving = asyncio.run_coroutine_threadsafe(server.serve(sockets=[listener]), loop)
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    emu.connect_bot(bot.url)
    try:
        yield bot
    finally:
        server.should_exit = True
        serving.result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        listener.close()


THANKS = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Thanks, noted."}]}
FEEDBACK_FORM = {"type": "AdaptiveCard", "version": "1.5",
                 "body": [{"type": "Input.Text", "id": "start", "label": "Start doing"}],
                 "actions": [{"type": "Action.Submit", "title": "Send", "data": {"action": "send_feedback"}}]}


def _card_and_dialog_handlers(app: Any, bot: SdkBot) -> None:
    """Handlers answering with the SDK's own response models: Action.Execute `got_it` replaces the card,
    dialog `feedback` opens a form, its `send_feedback` submit closes it with a message."""
    from microsoft_teams.api import (AdaptiveCardActionCardResponse, AdaptiveCardAttachment,
                                     CardTaskModuleTaskInfo, InvokeResponse, TaskModuleContinueResponse,
                                     TaskModuleMessageResponse, TaskModuleResponse, card_attachment)
    from microsoft_teams.cards import AdaptiveCard

    @app.on_card_action_execute("got_it")
    async def got_it(ctx: Any) -> Any:
        bot.received.append(ctx.activity)
        return AdaptiveCardActionCardResponse(value=AdaptiveCard.model_validate(THANKS))

    @app.on_dialog_open("feedback")
    async def open_feedback(ctx: Any) -> Any:
        bot.received.append(ctx.activity)
        form = card_attachment(AdaptiveCardAttachment(content=AdaptiveCard.model_validate(FEEDBACK_FORM)))
        info = CardTaskModuleTaskInfo(title="Feedback", card=form)
        return InvokeResponse(status=200, body=TaskModuleResponse(task=TaskModuleContinueResponse(value=info)))

    @app.on_dialog_submit("send_feedback")
    async def submit_feedback(ctx: Any) -> Any:
        bot.received.append(ctx.activity)
        return InvokeResponse(status=200, body=TaskModuleResponse(task=TaskModuleMessageResponse(value="Thanks")))
