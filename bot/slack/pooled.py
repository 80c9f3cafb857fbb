"""A slack_sdk WebClient that keeps its HTTP connections alive: one pool per client, reused for every call.

slack_sdk's synchronous WebClient opens a new TCP (and, against Slack, TLS) connection per call through
urllib, which says `Connection: close`; a fan-out of thousands of DMs pays a handshake per post. The SDK has no
session or transport option for the sync client, so this subclass replaces only the one method that performs
the HTTP exchange, `_perform_urllib_http_request_internal`, with urllib3 (the standard pooled HTTP client; requests
is built on it), and answers exactly as urllib does: the same response dict for 2xx/3xx, an
`urllib.error.HTTPError` for 4xx/5xx (so 429 + Retry-After and every error keep going through the SDK's own code),
and a `urllib.error.URLError` for a connection that failed, so `SlackSender` and the SDK's retry handlers see
what they saw before. urllib3 retries nothing here (`retries=False`): a request on a connection that broke may
have reached Slack, and only the outbox may decide what happens next (it looks before resending).
"""

from __future__ import annotations

import io
import http.client
import urllib.error
from typing import Any
from urllib.request import Request

import urllib3
from slack_sdk import WebClient

POOL_SIZE = 4  # connections kept per host: one dispatcher thread needs one; a few spare for lookups


def _message(headers: urllib3.HTTPHeaderDict) -> http.client.HTTPMessage:
    """The headers as urllib hands them to the SDK (it calls get_content_type / get_content_charset)."""
    message = http.client.HTTPMessage()
    for name, value in headers.items():
        message[name] = value
    return message


class PooledWebClient(WebClient):
    def __init__(self, *args: Any, pool_size: int = POOL_SIZE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool = urllib3.PoolManager(num_pools=4, maxsize=pool_size, retries=False, ssl_context=self.ssl,
                                        timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout))

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_urllib_http_request_internal(url, req)  # the SDK's own path, unchanged
        try:
            response = self.pool.request("POST", url, body=req.data, headers={name: str(value) for name, value in req.header_items()},
                                         redirect=False, preload_content=True)
        except urllib3.exceptions.HTTPError as error:
            raise urllib.error.URLError(error) from error
        headers = _message(response.headers)
        if response.status >= 400:
            raise urllib.error.HTTPError(url, response.status, response.reason or "", headers,
                                         io.BytesIO(response.data))
        if headers.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": headers, "body": response.data}
        charset = headers.get_content_charset() or "utf-8"
        return {"status": response.status, "headers": headers, "body": response.data.decode(charset)}

    def close(self) -> None:
        """Close the pooled connections (a stopped dispatcher holds none open)."""
        self.pool.clear()
