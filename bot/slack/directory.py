"""Reading Slack's people directory with paginated users.list (Tier 2), never one users.info per rep."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.org import DirectoryEntry
from bot.slack.people import slack_address

log = logging.getLogger(__name__)


def entry_from_slack_user(user: dict[str, Any]) -> DirectoryEntry:
    profile = user.get("profile") or {}
    return DirectoryEntry(
        address=slack_address(user["id"]),
        tz=user.get("tz"),
        email=profile.get("email"),
        deleted=bool(user.get("deleted")),
    )


def pages(fetch: Callable[[str | None], Any], *, sleep: Callable[[float], None] = time.sleep,
          max_waits: int = 20) -> Iterator[Any]:
    """Every page of a cursor-paginated Web API method (`fetch(cursor)`, None for the first page); waits out
    429s with the server's Retry-After, at most `max_waits` times in all."""
    cursor: str | None = None
    waits = 0
    while True:
        try:
            page = fetch(cursor)
        except SlackApiError as error:
            if error.response.status_code == 429 and waits < max_waits:
                waits += 1
                sleep(float(error.response.headers.get("Retry-After", "1")))
                continue
            raise
        yield page
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return


def iter_directory(
    client: WebClient, *, page_size: int = 200, sleep: Callable[[float], None] = time.sleep, max_waits: int = 20
) -> Iterator[DirectoryEntry]:
    """Every human user, page by page; waits out 429s with the server's Retry-After."""
    def fetch(cursor: str | None) -> Any:
        return client.users_list(limit=page_size, cursor=cursor) if cursor else client.users_list(limit=page_size)

    for page in pages(fetch, sleep=sleep, max_waits=max_waits):
        for user in page.get("members", []):
            if not user.get("is_bot") and user.get("id") != "USLACKBOT":
                yield entry_from_slack_user(user)
