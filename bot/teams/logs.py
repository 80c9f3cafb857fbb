"""The Teams SDK's debug lines without the activities they would print.

At DEBUG, the SDK logs each activity it receives whole (`Received activity: ...`): a feedback dialog's texts
next to the sender's Entra id and the time, which no log line may join (the anonymity rules in the README).
The line is kept, without its activity: its type and id are what a debugging operator reads, and
`microsoft_teams.apps.http.http_server` logs those already.
"""

from __future__ import annotations

import logging

#: The SDK module that logs whole activities at DEBUG.
ACTIVITY_LOGGER = "microsoft_teams.apps.app_process"
PREFIX = "Received activity:"


class WithoutActivities(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(PREFIX):
            record.msg, record.args = f"{PREFIX} (not logged)", ()
        return True


def keep_activities_out_of_logs() -> None:
    """Install the filter once (idempotent: several apps may be built in one process)."""
    logger = logging.getLogger(ACTIVITY_LOGGER)
    if not any(isinstance(existing, WithoutActivities) for existing in logger.filters):
        logger.addFilter(WithoutActivities())
