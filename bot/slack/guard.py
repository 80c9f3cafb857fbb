"""The gate in front of Bolt: size, signature and replay checked on raw bytes before anything is parsed.

Why a WSGI middleware and not Bolt's own verification: Bolt's adapter reads and decodes the body, and Bolt parses
it, before its verification middleware runs; a malformed body (not UTF-8, ``payload=not-json``, JSON nested
100,000 deep, ``X-Slack-Request-Timestamp: abc``) then became an HTTP 500 with a traceback, and an unsigned
100 MB body was read into memory. Here, in this order, each step costing at most what the one before allowed:

1. size: at most ``MAX_BODY_BYTES`` (Slack's payloads are a few KB), else 413, without reading the rest;
2. headers: a timestamp of digits and a signature, else 401;
3. signature: slack_sdk's ``SignatureVerifier`` (HMAC-SHA256, 5-minute window) on the raw bytes, else 401;
4. replay: a signature this instance already accepted is a replay and is refused 401 (bot.slack.replay: in
   memory, so that nothing before the acknowledgement waits for the database). A replay sent to another
   instance still acts once: every side effect is idempotent by its own key (trigger id, view id, delivery);
5. shape: the body decodes as UTF-8 and parses (a form, whose ``payload`` if any is a JSON object, or a JSON
   object) and its fields have the types Slack sends (``bot.slack.payloads``), else 400.

Only then does Bolt see the request, with the gate's parse handed over (`bot.slack.bolt_entry`: read, verified
and parsed once). No step answers with a traceback, and none logs the body.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, Final
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot.platforms import WsgiApp
from bot.slack.bolt_entry import GATED_BODY
from bot.services import Services
from bot.slack.payloads import carries_nul, payload_problem
from bot.slack.replay import SeenSignatures

log = logging.getLogger(__name__)

MAX_BODY_BYTES: Final = 1_000_000
MAX_HEADER = 200  # a timestamp is 10 digits, a signature 67 characters


class Refused(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SignedRequestGuard:
    """WSGI middleware: only a well-formed, signed, first-seen request of at most MAX_BODY_BYTES reaches Bolt."""

    def __init__(self, app: WsgiApp, services: Services, *, signing_secret: str,
                 max_body: int = MAX_BODY_BYTES, verifier: SignatureVerifier | None = None) -> None:
        self.app = app
        self.services = services
        self.max_body = max_body
        self.verifier = verifier or SignatureVerifier(signing_secret or "unset")
        self.seen = SeenSignatures()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            body = self._read(environ)
            signature = self._verify(environ, body)
            parsed = _check_shape(environ, body)
            self._first_time(signature)
        except Refused as refused:
            log.info("refused a request to %s: %s", environ.get("PATH_INFO"), refused.reason)
            start_response(refused.status, [("Content-Type", "text/plain; charset=utf-8")])
            return [refused.reason.encode()]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ[GATED_BODY] = (body.decode("utf-8"), parsed)
        return self.app(environ, start_response)

    def _read(self, environ: dict[str, Any]) -> bytes:
        declared = str(environ.get("CONTENT_LENGTH") or "0").strip()
        if not declared.isdigit():
            raise Refused("400 Bad Request", "bad Content-Length")
        if int(declared) > self.max_body:
            raise Refused("413 Request Entity Too Large", f"a request body is at most {self.max_body} bytes")
        body = environ["wsgi.input"].read(int(declared)) if int(declared) else b""
        if len(body) > self.max_body:
            raise Refused("413 Request Entity Too Large", f"a request body is at most {self.max_body} bytes")
        return bytes(body)

    def _verify(self, environ: dict[str, Any], body: bytes) -> str:
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
        if not timestamp or not signature:
            raise Refused("401 Unauthorized", "missing signature headers")
        if len(timestamp) > 12 or not timestamp.isascii() or not timestamp.isdigit() or len(signature) > MAX_HEADER:
            raise Refused("401 Unauthorized", "malformed signature headers")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused("400 Bad Request", "the body is not UTF-8") from None
        if not self.verifier.is_valid(text, timestamp, signature):
            raise Refused("401 Unauthorized", "invalid or expired signature")
        return signature

    def _first_time(self, signature: str) -> None:
        if not self.seen.first_time(signature, self.services.clock()):
            raise Refused("401 Unauthorized", "this signed request was already received (replay)")


def _check_shape(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """Parse (form, or JSON for application/json or a body starting with '{'), refusing what the listeners
    would choke on, and return the parse Bolt is given; bounded by the body's size, and deep nesting is a
    RecursionError caught here."""
    text = body.decode("utf-8")
    content_type = str(environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    is_json = content_type == "application/json" or text.lstrip().startswith("{")
    if carries_nul(text, form=not is_json):
        raise Refused("400 Bad Request", "malformed request: a NUL character")
    try:
        if is_json:
            body_ = json.loads(text)
        else:
            form = parse_qs(text, keep_blank_values=True)
            payloads = form.get("payload")
            body_ = json.loads(payloads[0]) if payloads is not None else {k: v[0] for k, v in form.items()}
    except (ValueError, RecursionError):
        raise Refused("400 Bad Request", "the body does not parse") from None
    problem = payload_problem(body_)
    if problem is not None:
        raise Refused("400 Bad Request", f"malformed request: {problem}")
    return body_
