"""Socket Mode with the same shape check as HTTP: a malformed envelope is acknowledged and dropped, not crashed on.

Over HTTP the gate (bot/slack/guard.py) refuses a malformed body with a 400 before Bolt reads it; in Socket
Mode Slack's envelope arrives already parsed, and Bolt's request building would raise on a wrong-typed field
(an unhandled exception in the socket client's thread). Slack redelivers an envelope that is not acknowledged,
so a malformed one is acknowledged (with no payload) and logged, once.
"""

from __future__ import annotations

import json
import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack.payloads import carries_nul, payload_problem
from bot.slack.startup import explained_socket_start

log = logging.getLogger(__name__)


class CheckedSocketModeHandler(SocketModeHandler):
    """Bolt's built-in Socket Mode handler, refusing envelopes whose payload Slack would never send."""

    def connect(self) -> None:
        """A refused SLACK_APP_TOKEN (or no route to Slack) stops the start with one line (bot.slack.startup)."""
        with explained_socket_start():
            super().connect()

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        problem = payload_problem(req.payload)
        if problem is None and carries_nul(json.dumps(req.payload), form=False):
            problem = "a NUL character"
        if problem is not None:
            log.info("dropped a malformed Socket Mode %s envelope: %s", req.type, problem)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        super().handle(client, req)  # type: ignore[arg-type]
