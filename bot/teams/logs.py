"""The Teams SDK's debug lines without the activities they would print.

At DEBUG, the SDK logs each activity it receives whole (`Received activity: ...`): a feedback dialog's texts
next to the sender's Entra id and the time, which no log line may join (the anonymity rules in the README).
The line is kept, without its activity: its type and id are what a debugging operator reads, and
`microsoft_teams.apps.http.http_server` logs those already.

The HTTP client's request line (httpx, at INFO) names the conversation each message is posted to, which is a
person's personal chat: after a reply to anonymous feedback, that line would say whose chat the reply reached,
and the stored reply says which item it answered. The conversation is left out of that line, for every send (the
outbox records where each delivery went, in the database, where it belongs).
"""

from __future__ import annotations

import logging
import re

#: The SDK module that logs whole activities at DEBUG.
ACTIVITY_LOGGER = "microsoft_teams.apps.app_process"
PREFIX = "Received activity:"
#: The HTTP client that the SDK sends with, and the conversation in the URLs it logs.
HTTP_LOGGER = "httpx"
_CONVERSATION = re.compile(r"(/conversations/)[^/?\s\"]+")


class WithoutActivities(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(PREFIX):
            record.msg, record.args = f"{PREFIX} (not logged)", ()
        return True


class WithoutConversations(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "/conversations/" in record.getMessage():
            record.msg, record.args = _CONVERSATION.sub(r"\1(not logged)", record.getMessage()), ()
        return True


def keep_activities_out_of_logs() -> None:
    """Install the filters once (idempotent: several apps may be built in one process)."""
    for name, kind in ((ACTIVITY_LOGGER, WithoutActivities), (HTTP_LOGGER, WithoutConversations)):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, kind) for existing in logger.filters):
            logger.addFilter(kind())
