"""HTTP plumbing: a loopback server that reads requests, decodes Web API bodies the
way Slack does, and writes answers (or drops the connection, for injected faults).

Kept free of Slack semantics beyond body decoding; routing decisions go to a
``Router`` (the emulator).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import logging
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


@dataclass
class Incoming:
    """One HTTP request as received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class Answer:
    """What to send back. ``reset`` drops the connection without an answer."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False

    @classmethod
    def json(cls, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> "Answer":
        return cls(status=status, body=json.dumps(payload).encode("utf-8"), headers=dict(headers or {}))

    @classmethod
    def text(cls, status: int, text: str) -> "Answer":
        return cls(status=status, body=text.encode("utf-8"), content_type="text/plain; charset=utf-8")


class Router(Protocol):
    def route(self, request: Incoming) -> Answer: ...


@dataclass
class DecodedCall:
    """A Web API call's arguments and token, or the Slack error for a bad body."""

    args: dict[str, Any]
    token: str | None
    error: str | None = None


def _first_values(pairs: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[0] for k, v in pairs.items() if v}


def _multipart_fields(body: bytes, content_type: str) -> dict[str, str]:
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    fields: dict[str, str] = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and not part.get_filename():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                fields[name] = payload.decode("utf-8", "replace")
    return fields


def decode_api_call(request: Incoming, *, json_body_supported: bool) -> DecodedCall:
    """Arguments from the query string and the body, and the token.

    Slack's rules: the token comes from ``Authorization: Bearer`` or a ``token``
    form/query field, never from inside a JSON body; methods whose reference says
    JSON is not supported do not read arguments from a JSON body.
    """
    args: dict[str, Any] = _first_values(parse_qs(request.query, keep_blank_values=True))
    kind = request.content_type.split(";")[0].strip().lower()
    error: str | None = None
    if request.body:
        if kind == "application/json":
            try:
                parsed = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                parsed, error = None, "invalid_json"
            if error is None and not isinstance(parsed, dict):
                error = "json_not_object"
            if error is None and json_body_supported and isinstance(parsed, dict):
                args.update({k: v for k, v in parsed.items() if k != "token"})
        elif kind == "application/x-www-form-urlencoded":
            try:
                args.update(_first_values(parse_qs(request.body.decode("utf-8"), keep_blank_values=True)))
            except UnicodeDecodeError:
                error = "invalid_form_data"
        elif kind == "multipart/form-data":
            args.update(_multipart_fields(request.body, request.content_type))
        elif kind == "":
            error = "missing_post_type"
        else:
            error = "invalid_post_type"
    token: str | None = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip() or None
    form_token = args.pop("token", None)
    if token is None and isinstance(form_token, str) and form_token:
        token = form_token
    return DecodedCall(args=args, token=token, error=error)


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, as Slack's API serves: a client that pools connections sends many calls over one
    (urllib's one-shot requests say `Connection: close` and get it)."""

    server: "LoopbackServer"
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; without TCP_NODELAY the body waits for the client's delayed ACK
    # (~40 ms per answer on a kept-alive connection).
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.closed(self.connection)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        request = Incoming(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            answer = self.server.router.route(request)
        except Exception:  # keep the server alive and make the failure visible
            log.exception("emulator failed to handle %s %s", self.command, self.path)
            answer = Answer.json(500, {"ok": False, "error": "fatal_error"})
        if answer.reset:
            self._reset()
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    def _reset(self) -> None:
        """Close with RST and no answer, like a connection dropped mid-request."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    do_POST = _serve
    do_GET = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("emulator http: " + format, *args)


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server on 127.0.0.1 with a random free port."""

    daemon_threads = True

    def __init__(self, router: Router) -> None:
        self.router = router
        super().__init__(("127.0.0.1", 0), _Handler)
        self._thread: threading.Thread | None = None
        self._live: set[socket.socket] = set()
        self._live_lock = threading.Lock()
        self.connections_accepted = 0  # TCP connections ever accepted: tells whether a client reuses them

    def opened(self, connection: socket.socket) -> None:
        with self._live_lock:
            self._live.add(connection)
            self.connections_accepted += 1

    def closed(self, connection: socket.socket) -> None:
        with self._live_lock:
            self._live.discard(connection)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away before its answer (it timed out, or was killed) is what fault injection
        is for, not a server error: log it quietly instead of printing a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            log.debug("emulator http: client %s went away before its answer (%s)", client_address, error)
            return
        super().handle_error(request, client_address)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.02}, name="slack-emulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, and end the kept-alive connections too: a stopped Slack answers no one."""
        self.shutdown()
        self.server_close()
        self.close_connections()

    def close_connections(self) -> None:
        """End every kept-alive connection (as a server closes idle ones); new connections are still accepted."""
        with self._live_lock:
            live, self._live = list(self._live), set()
        for connection in live:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
