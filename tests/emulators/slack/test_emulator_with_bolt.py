"""A real Bolt app, served over HTTP, talking to the emulator both ways: proof that
the actor's requests are what Bolt expects from Slack and that Bolt's calls are
what the emulator expects from a bot."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.emulators.slack import SlackEmulator

from .conftest import SIGNING_SECRET
from .emulator_kit import button, modal, section


def serve(app: App) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            response = app.dispatch(BoltRequest(body=body, headers={k: [v] for k, v in self.headers.items()}))
            raw = (response.body or "").encode()
            self.send_response(response.status)
            for name, values in response.headers.items():
                for value in values:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/slack/events"


@pytest.fixture
def bolt(emu: SlackEmulator) -> Iterator[App]:
    app = App(signing_secret=SIGNING_SECRET, client=WebClient(base_url=emu.api_url, token=emu.bot_token))

    @app.command("/drumbeat")
    def command(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        text_input = {"type": "input", "block_id": "calls", "label": {"type": "plain_text", "text": "Calls"}, "element": {"type": "plain_text_input", "action_id": "count"}}
        client.views_open(trigger_id=body["trigger_id"], view=modal(text_input, callback_id="log", submit={"type": "plain_text", "text": "Log"}))

    @app.view("log")
    def logged(ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        ack()
        count = view["state"]["values"]["calls"]["count"]["value"]
        client.chat_postMessage(
            channel=body["user"]["id"],
            text=f"Logged {count} calls",
            blocks=[section(f"Logged {count} calls"), {"type": "actions", "elements": [button("undo", value=count)]}],
            metadata={"event_type": "calls_logged", "event_payload": {"count": count}},
        )

    @app.action("undo")
    def undo(ack: Any, respond: Any, action: dict[str, Any]) -> None:
        ack()
        respond(replace_original=True, text=f"Undid {action['value']} calls")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [section("Welcome")]})

    server, url = serve(app)
    emu.connect_bot(url)
    yield app
    server.shutdown()
    server.server_close()


def test_bolt_app_round_trip_command_modal_message_click(emu: SlackEmulator, bolt: App) -> None:
    assert emu.slash_command("U001").status == 200
    # Bolt acks first and runs the listener after, so its API calls land a moment later.
    (opened,) = emu.wait_for(lambda: emu.open_views("U001"))
    assert emu.submit_view("U001", opened["id"], {"count": "12"}).status == 200
    assert emu.open_views("U001") == []
    (message,) = emu.wait_for(lambda: emu.inbox("U001"))
    assert message["text"] == "Logged 12 calls"
    assert message["metadata"] == {"event_type": "calls_logged", "event_payload": {"count": "12"}}
    assert emu.click("U001", channel=message["channel"], ts=message["ts"], action_id="undo").status == 200
    emu.wait_for(lambda: emu.inbox("U001")[0]["text"] == "Undid 12 calls")
    assert emu.open_home("U001").status == 200
    home = emu.wait_for(lambda: emu.home_view("U001"))
    assert home["blocks"][0]["text"]["text"] == "Welcome"


def test_bolt_rejects_a_bad_signature(emu: SlackEmulator, bolt: App) -> None:
    assert emu.send_signed(b'{"type":"event_callback"}', "application/json", signature="v0=bad").status == 401
