"""Acknowledge first, work after: how a Slack listener is registered so Slack's spinner stops at once.

The app runs with `process_before_response=True`, so whatever the ack function does is what Slack waits for
(on HTTP and in Socket Mode alike). Every listener therefore acknowledges with nothing but what the answer
itself needs (a slash command's usage text, a modal's field errors from cheap reads) and does its unit of work
as a Bolt lazy listener on the runtime's background pool; its answers then reach the person through
`response_url`, `chat.update`, `views.open`/`views.update` or the outbox.

Fifty people clicking at the same moment each get their acknowledgement in the time it takes to verify the
signature and route the request, not after one another's database writes.

Events are the exception, on purpose: Slack retries an event whose acknowledgement failed, and Drumbeat relies
on that (bot.slack.retries) so a directory change or a Home render that failed runs again. Their handlers are
short (one directory write, one Home render), well inside Slack's 3 seconds.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

log = logging.getLogger(__name__)


def acknowledge(ack: Ack) -> None:
    """The whole acknowledgement of a click or an event: nothing to say yet, the work follows."""
    ack()


def logged(work: Callable[..., None]) -> Callable[..., None]:
    """Bolt logs a lazy listener's failure as one line without its traceback; keep the traceback (once)."""
    @functools.wraps(work)
    def run(**kwargs: Any) -> None:
        try:
            work(**kwargs)
        except Exception:
            log.exception("work after the acknowledgement failed in %s", work.__name__)

    return run


def after_ack(work: Callable[..., None]) -> dict[str, Any]:
    """Keyword arguments for a Bolt listener decorator: acknowledge at once, then run `work`."""
    return {"ack": acknowledge, "lazy": [logged(work)]}
