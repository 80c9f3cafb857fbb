"""Slack's event retries: every event handler runs at most once per `event_id`.

Slack redelivers an event it thinks we missed (no answer within 3 s, or an HTTP error) up to three times, with
the same `event_id` and the headers `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`; Bolt does not de-duplicate.
A global middleware records `event:<event_id>` as a request receipt (storage.queries.receipts) before any
listener runs, committed at once, so a retry that arrives while the first delivery is still being handled (the
`http_timeout` case) is recognised too. A repeat is answered 200 straight away, without running a listener: the
acknowledgement costs one INSERT, whatever the handler would cost.

When a handler fails, its work rolled back with its own unit of work; the error handler then `forget`s the
receipt, so Slack's retry (`http_error`) runs it again. A process killed mid-handler keeps the receipt and its
retries are skipped: acceptable because every event Drumbeat handles re-reads current state that a daily job
reads again anyway (user_change: the directory sync; subteam_members_changed: the user group sync;
app_home_opened: the next time the tab is opened).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltRequest
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from bot.slack.identity import PLATFORM
from storage.queries.receipts import first_time, forget

log = logging.getLogger(__name__)


def event_key(body: dict[str, Any]) -> str | None:
    """The receipt key of an event callback ("event:Ev0123"), None for anything else (commands, actions...)."""
    if body.get("type") != "event_callback" or not body.get("event_id"):
        return None
    return f"event:{body['event_id']}"[:200]


def _header(request: BoltRequest, name: str) -> str | None:
    values = request.headers.get(name) or []
    return values[0] if values else None


def already_handled(services: Services, body: dict[str, Any], request: BoltRequest) -> bool:
    """Record an event the first time it arrives; True (and logged) when this is Slack delivering it again.
    Anything but an event costs one dict lookup."""
    key = event_key(body)
    if key is None:
        return False
    kind = str((body.get("event") or {}).get("type") or "")[:200] or None
    with services.unit_of_work() as session:
        first = first_time(session, PLATFORM, key, kind, now=services.clock())
    if not first:
        log.info("Slack event %s (%s) delivered again (retry %s, %s): already handled, not run again",
                 body["event_id"], kind, _header(request, "x-slack-retry-num") or "-",
                 _header(request, "x-slack-retry-reason") or "no reason given")
    return not first


def forget_failed_event(services: Services, body: dict[str, Any]) -> None:
    """After a handler failed (its work rolled back), let Slack's retry of the event run it again."""
    key = event_key(body)
    if key is None:
        return
    try:
        with services.unit_of_work() as session:
            forget(session, PLATFORM, key)
    except SQLAlchemyError as problem:  # the database may be why the handler failed; the retry then is skipped
        log.warning("could not release Slack event %s for its retry: %s", body.get("event_id"), problem)
