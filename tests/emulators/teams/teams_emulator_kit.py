"""Helpers for the Teams emulator's tests: plain HTTP calls to the emulator (urllib, so a test sees exactly
what the service answered), a bot stand-in that records the activities it receives, and card builders.
Named uniquely in the test tree so test modules can import it."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlencode

from bot.emulators.teams import TeamsEmulator

ADAPTIVE = "application/vnd.microsoft.card.adaptive"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


def http(method: str, url: str, body: Any = None, *, token: str | None = None, form: dict[str, str] | None = None,
         raw: bytes | None = None, timeout: float = 10.0) -> Reply:
    headers: dict[str, str] = {}
    data: bytes | None = raw
    if form is not None:
        data, headers["Content-Type"] = urlencode(form).encode(), "application/x-www-form-urlencoded"
    elif body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif raw is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text, answer_headers = response.status, response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        status, text, answer_headers = exc.code, exc.read(), dict(exc.headers.items())
    return Reply(status, answer_headers, json.loads(text) if text else None)


def bot_token(emu: TeamsEmulator, *, secret: str | None = None, scope: str = "https://api.botframework.com/.default",
              tenant: str = "botframework.com") -> Reply:
    """The client-credentials grant, as the bot asks for its connector token."""
    return http("POST", emu.token_url(tenant), form={
        "grant_type": "client_credentials", "client_id": emu.app_id,
        "client_secret": emu.app_password if secret is None else secret, "scope": scope,
    })


class Connector:
    """The bot's side of the connector over plain HTTP, with a token from the emulator's token service."""

    def __init__(self, emu: TeamsEmulator) -> None:
        self.emu = emu
        self.token = bot_token(emu).body["access_token"]

    def url(self, path: str) -> str:
        return self.emu.service_url.rstrip("/") + path

    def send(self, conversation_id: str, activity: dict[str, Any] | None = None, **fields: Any) -> Reply:
        body = activity if activity is not None else {"type": "message", "text": "hello", **fields}
        return http("POST", self.url(f"/v3/conversations/{conversation_id}/activities"), body, token=self.token)

    def update(self, conversation_id: str, activity_id: str, activity: dict[str, Any]) -> Reply:
        return http("PUT", self.url(f"/v3/conversations/{conversation_id}/activities/{activity_id}"), activity,
                    token=self.token)

    def delete(self, conversation_id: str, activity_id: str) -> Reply:
        return http("DELETE", self.url(f"/v3/conversations/{conversation_id}/activities/{activity_id}"),
                    token=self.token)

    def create_conversation(self, member_id: str, tenant_id: str, activity: dict[str, Any] | None = None) -> Reply:
        body: dict[str, Any] = {"bot": {"id": f"28:{self.emu.app_id}"}, "members": [{"id": member_id}],
                                "isGroup": False, "tenantId": tenant_id, "channelData": {"tenant": {"id": tenant_id}}}
        if activity is not None:
            body["activity"] = activity
        return http("POST", self.url("/v3/conversations"), body, token=self.token)


def card(*body: dict[str, Any], actions: list[dict[str, Any]] | None = None, version: str = "1.5") -> dict[str, Any]:
    content: dict[str, Any] = {"type": "AdaptiveCard", "version": version,
                               "body": list(body) or [{"type": "TextBlock", "text": "Hello"}]}
    if actions is not None:
        content["actions"] = actions
    return content


def card_message(content: dict[str, Any], text: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "message", "attachments": [{"contentType": ADAPTIVE, "content": content}]}
    if text:
        message["text"] = text
    return message


@dataclass
class StubBot:
    """Records activities (and their Authorization header); answers with `reply(activity) -> (status, body)`."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    reply: Callable[[dict[str, Any]], tuple[int, Any]] = lambda activity: (200, None)


def serve_stub_bot() -> tuple[StubBot, Callable[[], None]]:
    state: dict[str, StubBot] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            activity = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            stub = state["bot"]
            stub.received.append(activity)
            stub.authorizations.append(self.headers.get("Authorization", ""))
            status, answer = stub.reply(activity)
            raw = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["bot"] = StubBot(url=f"http://127.0.0.1:{server.server_address[1]}/api/messages")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return state["bot"], stop
