"""Bolt behind the gate: the request `bot.slack.guard` has read, verified and parsed goes to Bolt as it is.

Why not Bolt's WSGI adapter: it reads the body again, Bolt parses it again and checks its signature again, on
every request. Behind the gate all three are done once, on raw bytes and within budgets, so the gate's parse is
handed over in the WSGI environ and Bolt's own verification is off for HTTP (`bot.slack.app`). What the gate
checked is then exactly what the listeners read (Bolt's parser differs at the edges: a form whose text merely
contains the word "payload" became an empty body). A request that did not come through the gate carries no
parse and is refused here, so turning Bolt's verification off opens no path around the signature check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request.internals import build_context

#: The environ key the gate sets: (the body's text, the body parsed), for a request it let through.
GATED_BODY: Final = "drumbeat.slack.gated_body"


class GatedBoltRequest(BoltRequest):
    """A Bolt request over a body already parsed: Bolt's constructor parses nothing (an empty body), then the
    gate's text and parse are put in (the text is what the work process forwards)."""

    def __init__(self, *, text: str, body: dict[str, Any], query: str, headers: dict[str, Any]) -> None:
        super().__init__(body="", query=query, headers=headers)
        self.raw_body = text
        self.body = body
        self.context = build_context(BoltContext({}), body)


class BoltEntry:
    """WSGI app: hands a gated request to Bolt's dispatch and writes Bolt's answer back."""

    def __init__(self, app: App) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        gated = environ.get(GATED_BODY)
        if environ.get("REQUEST_METHOD") != "POST" or gated is None:
            start_response("401 Unauthorized", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"only signed requests that passed the gate reach Slack's endpoint"]
        text, body = gated
        http = WsgiHttpRequest(environ)  # Bolt's own reading of the environ (headers, query), not its body
        request = GatedBoltRequest(text=text, body=body, query=http.query_string, headers=http.get_headers())
        response = self.app.dispatch(request)
        answer = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
        start_response(answer.status, answer.get_headers())
        return answer.get_body()
