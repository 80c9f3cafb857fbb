"""A slack_sdk WebClient that keeps its HTTP connection alive: one connection per thread, reused for every call.

slack_sdk's synchronous WebClient opens a new TCP (and, against Slack, TLS) connection per call through
urllib, which says `Connection: close`; a fan-out of thousands of DMs pays a handshake per post. The SDK has no
session or transport option for the sync client, so this subclass replaces only the one method that performs
the HTTP exchange, `_perform_urllib_http_request_internal`, with a kept-alive `http.client` connection (the
standard library's HTTP/1.1 client, which urllib itself drives), and answers exactly as urllib does: the same
response dict for 2xx/3xx with the same `HTTPMessage` headers, an `urllib.error.HTTPError` for 4xx/5xx (so
429 + Retry-After and every error keep going through the SDK's own code), and a `urllib.error.URLError` for a
connection that failed, so `SlackSender` and the SDK's retry handlers see what they saw before.

Nothing is retried here: a request on a connection that broke may have reached Slack, and only the outbox may
decide what happens next (it looks before resending). A connection the server closed while idle is noticed
before it is reused (it reads as readable at EOF) and replaced, so an idle close does not cost a send.
(urllib3 pools the same way, but costs more CPU per call than http.client, measured against the emulator.)
"""

from __future__ import annotations

import http.client
import io
import select
import threading
import urllib.error
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient

Origin = tuple[str, str, int | None]


def _stale(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket that is readable has been closed (or broken) by the server: do not reuse it."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class KeepAliveWebClient(WebClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._all_lock = threading.Lock()

    def _connection(self, origin: Origin) -> http.client.HTTPConnection:
        connections: dict[Origin, http.client.HTTPConnection] = self._local.__dict__.setdefault("connections", {})
        connection = connections.get(origin)
        if connection is not None and _stale(connection):
            connection.close()  # http.client reconnects on the next request
        if connection is None:
            scheme, host, port = origin
            if scheme == "https":
                connection = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self.ssl)
            else:
                connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
            connections[origin] = connection
            with self._all_lock:
                self._all.append(connection)
        return connection

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme.lower() not in ("http", "https"):
            return super()._perform_urllib_http_request_internal(url, req)  # the SDK's own path, unchanged
        connection = self._connection((parts.scheme.lower(), parts.hostname or "", parts.port))
        target = f"{parts.path or '/'}?{parts.query}" if parts.query else (parts.path or "/")
        try:
            connection.request("POST", target, body=req.data, headers=dict(req.header_items()))
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise urllib.error.URLError(error) from error
        if response.will_close:
            connection.close()
        headers = response.msg
        if response.status >= 400:
            raise urllib.error.HTTPError(url, response.status, response.reason, headers, io.BytesIO(body))
        if headers.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": headers, "body": body}
        return {"status": response.status, "headers": headers,
                "body": body.decode(headers.get_content_charset() or "utf-8")}

    def close(self) -> None:
        """Close every connection this client kept (a stopped dispatcher holds none open)."""
        with self._all_lock:
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()
