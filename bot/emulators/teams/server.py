"""HTTP plumbing: a threaded loopback server speaking HTTP/1.1 with keep-alive, GET/POST/PUT/DELETE.

Free of Teams semantics: it hands each request to a router (the emulator) as an `Incoming` and writes the
`Answer` back, or drops the connection with a TCP reset when the answer says so (an injected fault).
"""

from __future__ import annotations

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
    """One HTTP request as received (header names lower-cased)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.query, keep_blank_values=True).items() if v}

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items() if v}


@dataclass
class Answer:
    """What to send back; `reset` drops the connection without an answer."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> "Answer":
        return cls(status=status, body=json.dumps(payload).encode("utf-8"), headers=dict(headers or {}))

    @classmethod
    def empty(cls, status: int) -> "Answer":
        return cls(status=status, body=b"", content_type="")


class Router(Protocol):
    def route(self, request: Incoming) -> Answer: ...


class _Handler(BaseHTTPRequestHandler):
    server: "LoopbackServer"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: do not wait for a delayed ACK

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
        request = Incoming(self.command, parts.path, parts.query, {k.lower(): v for k, v in self.headers.items()}, body)
        try:
            answer = self.server.router.route(request)
        except Exception:  # keep serving, and make the failure visible
            log.exception("teams emulator failed on %s %s", self.command, self.path)
            answer = Answer.json(500, {"error": {"code": "ServiceError", "message": "emulator failure"}})
        if answer.reset:
            self._reset()
            return
        self.send_response(answer.status)
        if answer.content_type:
            self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    def _reset(self) -> None:
        """Close with RST and no answer: a connection dropped mid-request."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("teams emulator http: " + format, *args)


class LoopbackServer(ThreadingHTTPServer):
    """127.0.0.1 on a free port, served from a daemon thread."""

    daemon_threads = True

    def __init__(self, router: Router) -> None:
        self.router = router
        super().__init__(("127.0.0.1", 0), _Handler)
        self._thread: threading.Thread | None = None
        self._live: set[socket.socket] = set()
        self._live_lock = threading.Lock()
        self.connections_accepted = 0

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def opened(self, connection: socket.socket) -> None:
        with self._live_lock:
            self._live.add(connection)
            self.connections_accepted += 1

    def closed(self, connection: socket.socket) -> None:
        with self._live_lock:
            self._live.discard(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that left before its answer (timed out, or a test killed it) is expected here."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            log.debug("teams emulator http: client %s went away", client_address)
            return
        super().handle_error(request, client_address)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.02}, name="teams-emulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        with self._live_lock:
            live, self._live = list(self._live), set()
        for connection in live:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
