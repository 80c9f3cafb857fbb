"""slack_sdk's debug lines without the bodies of requests and responses.

At DEBUG, slack_sdk logs every Web API call with its whole body: a DM's channel (the person's user id) and its
text, a modal's private_metadata (a feedback item's id). Lines like these, next to each other in a log, join a
person to what they wrote or are answered about, which no log line may do (issue 14, item 8). So the bodies
are cut from those lines before any handler sees them: the method called and the status stay, which is what a
debugging operator needs most; the content is in the database, behind its own access rules.
"""

from __future__ import annotations

import logging
import re

# The slack_sdk modules that log bodies at DEBUG (Web API calls, file uploads, response_url replies).
BODY_LOGGERS = ("slack_sdk.web.base_client", "slack_sdk.web.internal_utils", "slack_sdk.webhook.client")
REQUEST = re.compile(r"^Sending a request(?: - url: |: POST )(\S+?),?(?: |$)")
RESPONSE = re.compile(r"^Received the following response - status: (\d+)")


class WithoutBodies(logging.Filter):
    """Keeps the URL of a request and the status of a response; drops parameters, bodies and headers."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        request, response = REQUEST.match(message), RESPONSE.match(message)
        if request:
            record.msg, record.args = f"Sending a request - url: {request.group(1)} (body not logged)", ()
        elif response:
            record.msg, record.args = f"Received the following response - status: {response.group(1)} (body not logged)", ()
        return True


def keep_bodies_out_of_logs() -> None:
    """Install the filter once on each logger that logs bodies (idempotent: several apps may be built)."""
    for name in BODY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, WithoutBodies) for existing in logger.filters):
            logger.addFilter(WithoutBodies())
