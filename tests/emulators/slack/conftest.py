"""Fixtures for the emulator's own tests: an emulator on a SimulatedClock, a real
slack_sdk WebClient pointed at it, and a tiny signature-checking receiver that
stands in for the bot where a full Bolt app is not needed."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.clock import SimulatedClock
from bot.emulators.slack import SlackEmulator

SIGNING_SECRET = "emulator-test-signing-secret"


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def emu(clock: SimulatedClock) -> Iterator[SlackEmulator]:
    with SlackEmulator(SIGNING_SECRET, clock=clock) as emulator:
        emulator.add_user("U001", name="alice", real_name="Alice Archer", email="alice@example.com")
        emulator.add_user("U002", name="bob", real_name="Bob Baker", tz="Europe/Paris")
        yield emulator


@pytest.fixture
def client(emu: SlackEmulator) -> WebClient:
    # No retry handlers: tests see exactly what the emulator answered.
    return WebClient(base_url=emu.api_url, token=emu.bot_token, retry_handlers=[])


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON of an interaction (form ``payload=``) or an event (JSON body)."""
        if self.headers.get("content-type", "").startswith("application/json"):
            return json.loads(self.body)
        return json.loads(self.form["payload"])


@dataclass
class Receiver:
    """Records signed requests; answers with ``reply(received) -> (status, body)``."""

    url: str
    requests: list[Received] = field(default_factory=list)
    reply: Callable[[Received], tuple[int, Any]] = lambda r: (200, None)


@pytest.fixture
def receiver(emu: SlackEmulator) -> Iterator[Receiver]:
    verifier = SignatureVerifier(SIGNING_SECRET)  # checks the timestamp against real time too
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            received = Received(headers, body, verifier.is_valid_request(body, headers))
            rec = state["r"]
            rec.requests.append(received)
            status, answer = (401, None) if not received.signature_valid else rec.reply(received)
            raw = b"" if answer is None else (json.dumps(answer) if isinstance(answer, dict) else str(answer)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if isinstance(answer, dict) else "text/plain")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/slack/events")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    emu.connect_bot(state["r"].url)
    yield state["r"]
    server.shutdown()
    server.server_close()
