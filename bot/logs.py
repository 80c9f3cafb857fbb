"""How Drumbeat's log lines look (LOG_FORMAT=text or json) and which libraries may narrate at INFO.

`json` is for log shippers: one JSON object per line with `time` (UTC, ISO 8601), `level`, `logger` and
`message` (and `exception`, the traceback, when there is one). Either format goes through the same guards:
slack_sdk's request and response bodies are cut before any handler sees them (bot.slack.logs), SQL is logged
without its values (storage.db), and anything shaped like a Slack token is masked here, in the last place a
line passes, whatever logged it.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Slack bot, user, app-level and refresh tokens (xoxb-, xoxp-, xapp-, xoxe-...): never in a log line.
TOKEN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]{6,}")
# Libraries that say at INFO what only a debugging session wants (APScheduler: two lines per job run, every 2 s;
# Alembic: every migration step at every start). Their warnings and errors still show.
CHATTY_AT_INFO = ("alembic", "apscheduler")


def masked(text: str) -> str:
    return TOKEN.sub(lambda match: f"{match.group(1)}-(hidden)", text)


class TextFormatter(logging.Formatter):
    """The classic one-line format, tokens masked."""

    def format(self, record: logging.LogRecord) -> str:
        return masked(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and exception), tokens masked."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": masked(record.getMessage()),
        }
        if record.exc_info:
            line["exception"] = masked(self.formatException(record.exc_info))
        elif record.stack_info:
            line["stack"] = masked(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False)


def root_handler(log_format: str) -> logging.StreamHandler:
    """The handler on the root logger (stderr), formatted as LOG_FORMAT says."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    return handler


def quiet_library_loggers(log_level: str) -> None:
    """Libraries' INFO chatter only at LOG_LEVEL=DEBUG; SQL's result rows never (see below)."""
    for name in CHATTY_AT_INFO:
        logging.getLogger(name).setLevel(logging.DEBUG if log_level == "DEBUG" else logging.WARNING)
    # Never SQL's result rows, whatever the level: at DEBUG they would put a person's row next to the feedback
    # the same request reads (a reply to anonymous feedback), which no log line may do (issue 14, item 8).
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
