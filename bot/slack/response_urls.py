"""`response_url` is a claim too: Drumbeat posts answers only to Slack's own webhook host.

A slash command or a click carries a `response_url` that Drumbeat POSTs its answer to. A forged payload (the
signing secret leaked, or a network position) could name any URL, and the bot would POST a person's summary
there. So a request whose `response_url` (or a view submission's `response_urls`) does not start with the
origin Slack's webhooks live on is refused with 400 before any listener runs, and logged.

Slack's webhooks are `https://hooks.slack.com/...`; against an emulator (`SLACK_API_URL` set to anything
other than Slack's), the emulator's own origin is the one allowed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import urlsplit

from bot.settings import SLACK_DEFAULT_API_URL

log = logging.getLogger(__name__)

SLACK_WEBHOOK_ORIGIN: Final = "https://hooks.slack.com"


def allowed_origin(api_url: str) -> str:
    """Where this installation's response URLs may point: Slack's webhook host, or the emulator's origin."""
    if api_url.rstrip("/") == SLACK_DEFAULT_API_URL.rstrip("/"):
        return SLACK_WEBHOOK_ORIGIN
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _response_urls(body: dict[str, Any]) -> Iterator[Any]:
    if "response_url" in body:
        yield body["response_url"]
    listed = body.get("response_urls")
    if isinstance(listed, list):
        for entry in listed:
            yield entry.get("response_url") if isinstance(entry, dict) else entry


def points_elsewhere(body: dict[str, Any], origin: str) -> bool:
    """True (and logged) when a response URL in `body` is not on `origin` (see `allowed_origin`)."""
    for url in _response_urls(body):
        if not isinstance(url, str) or _origin(url) != origin or not url.startswith(origin + "/"):
            log.warning("refused a request whose response_url points outside %s", origin)
            return True
    return False
