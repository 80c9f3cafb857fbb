"""The Teams SDK's HTTP server adapter as a WSGI app, so `/api/messages` is one more route on Drumbeat's waitress
server (docs/teams.md, "One process, one web server").

The SDK registers its messaging handler with `register_route` when the App is initialised; that handler
validates the request's JWT (401 before any handler runs on a bad one) and processes the activity. The WSGI
side reads the JSON body and headers, runs the handler on the SDK's loop within a budget, and writes its status
and JSON body back. Teams waits about 5 s for an invoke (a card button), so the budget is a little over that:
an answer later than that is useless to the person anyway.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from bot.teams.loop import LoopTimeout, SdkLoop

log = logging.getLogger(__name__)

MESSAGING_PATH = "/api/messages"
ANSWER_BUDGET_SECONDS = 8.0
MAX_BODY_BYTES = 256 * 1024  # an activity is a few KB; Teams' own message limit is 28 KB

_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
            401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
            500: "Internal Server Error", 503: "Service Unavailable"}

Handler = Callable[[dict[str, Any]], Any]


class WsgiBridge:
    """Implements the SDK's `HttpServerAdapter` (`register_route`) and serves what was registered over WSGI."""

    def __init__(self, loop: SdkLoop, *, budget: float = ANSWER_BUDGET_SECONDS) -> None:
        self.loop = loop
        self.budget = budget
        self.handlers: dict[str, Handler] = {}

    # -- the SDK's side ------------------------------------------------------------------------
    def register_route(self, method: str, path: str, handler: Handler) -> None:
        if method != "POST":
            raise ValueError(f"the Teams bridge serves POST only, not {method}")
        self.handlers[path] = handler

    def serve_static(self, path: str, directory: str) -> None:
        raise NotImplementedError("Drumbeat serves no static files for Teams")

    async def start(self, port: int) -> None:
        raise NotImplementedError("Drumbeat's waitress server serves the Teams route: call app.initialize()")

    async def stop(self) -> None:
        return None

    # -- the WSGI side -------------------------------------------------------------------------
    def wsgi(self, path: str) -> Callable[..., Iterable[bytes]]:
        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            status, body = self._answer(path, environ)
            payload = b"" if body is None else json.dumps(body).encode("utf-8")
            headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(payload)))]
            start_response(f"{status} {_REASONS.get(status, 'Status')}", headers)
            return [payload]

        return application

    def _answer(self, path: str, environ: dict[str, Any]) -> tuple[int, Any]:
        if environ.get("REQUEST_METHOD") != "POST":
            return 405, {"error": "POST only"}
        handler = self.handlers.get(path)
        if handler is None:
            return 503, {"error": "the Teams app is not initialised"}
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, {"error": "bad Content-Length"}
        if length > MAX_BODY_BYTES:
            return 413, {"error": "activity too large"}
        try:
            body = json.loads(environ["wsgi.input"].read(length) or b"null")
        except (ValueError, UnicodeDecodeError):
            return 400, {"error": "the body is not JSON"}
        if not isinstance(body, dict):
            return 400, {"error": "an activity is a JSON object"}
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
        try:
            response = self.loop.run(handler({"body": body, "headers": headers}), self.budget)
        except LoopTimeout:
            log.warning("Teams activity %s (%s) not answered within %s s", body.get("id"), body.get("type"), self.budget)
            return 503, {"error": "not answered in time"}
        return int(response.get("status") or 200), response.get("body")
