"""Why a start failed, in one line that says what is wrong and what to do.

An admin's first mistakes are a database that is not there and a token that is wrong. A traceback of a hundred
lines hides the one line that matters, so `drumbeat run`, `dispatch`, `db upgrade` and `org import` recognise
these failures, print one line and exit 2 (as for a bad setting). What is not recognised keeps its traceback:
it is a bug, and the traceback is for whoever fixes it.

The lines never carry a password or a token: a database is named by host, port and database name only.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.core.feedback_key import FeedbackKeyError
from schedules.outages import is_database_outage

if TYPE_CHECKING:
    from bot.settings import Settings

MAX_DETAIL_CHARS = 160
# Why the HTTP server could not bind HOST:PORT, and what to do.
LISTEN_ERRORS = {
    errno.EADDRINUSE: "the port is in use: stop what listens there, or set PORT to a free one",
    errno.EADDRNOTAVAIL: "this machine has no such address: set HOST to one of its addresses, or 0.0.0.0",
    errno.EACCES: "ports below 1024 need privileges: set PORT to 1024 or above (and map it in your proxy)",
}


class StartupError(RuntimeError):
    """Something Drumbeat depends on refused it or could not be reached at start; the message is one line
    saying what is wrong and what to do (raised by the platform adapters, e.g. a wrong bot token)."""


def explain(error: BaseException, settings: Settings) -> str | None:
    """The one line for a start-up failure Drumbeat knows, or None for anything else (a bug)."""
    if isinstance(error, StartupError | FeedbackKeyError):
        return str(error)
    if is_database_outage(error):
        return database_problem(error, settings.database_url)
    return None


def listen_problem(error: OSError, host: str, port: int) -> StartupError | None:
    """Why the HTTP server could not listen on HOST:PORT, as a StartupError; None for another OSError."""
    if error.errno not in LISTEN_ERRORS:
        return None
    return StartupError(f"cannot listen on {host}:{port} ({LISTEN_ERRORS[error.errno]})")


def one_line(error: BaseException | None) -> str:
    """The first line of an error's text (drivers add hints on further lines), cut to a readable length."""
    text = str(error or "").strip().splitlines()
    first = text[0].strip() if text else type(error).__name__
    return first if len(first) <= MAX_DETAIL_CHARS else first[: MAX_DETAIL_CHARS - 3] + "..."


def database_problem(error: BaseException, database_url: str) -> str:
    """What is wrong with the database DATABASE_URL names, from the driver's own words."""
    detail = one_line(getattr(error, "orig", None) or error)
    try:
        url = make_url(database_url)
    except ArgumentError:
        return f"cannot use the database in DATABASE_URL ({detail}): check DATABASE_URL"
    if url.get_backend_name() == "sqlite":
        return _sqlite_problem(url.database or "", detail)
    return _postgresql_problem(f"{url.host or 'localhost'}:{url.port or 5432}", url.database or "", url.username,
                               detail)


def _sqlite_problem(path: str, detail: str) -> str:
    folder = Path(path).expanduser().parent
    if path and not folder.is_dir():
        return (f"cannot open the SQLite database {path}: the folder {folder} does not exist; create it, "
                "or point DATABASE_URL at a file in a folder that exists")
    return (f"cannot open the SQLite database {path} ({detail}): check that this user can write the file and "
            "its folder, or fix DATABASE_URL")


def _postgresql_problem(where: str, database: str, user: str | None, detail: str) -> str:
    low = detail.lower()
    if "database" in low and "does not exist" in low:
        return (f'PostgreSQL at {where} has no database "{database}": create it (createdb -h {where.split(":")[0]} '
                f"{database}), or fix the database name in DATABASE_URL")
    if "password authentication failed" in low or ("role" in low and "does not exist" in low):
        return f'PostgreSQL at {where} refused the user "{user}" ({detail}): fix the user or password in DATABASE_URL'
    if "connection refused" in low:
        return (f"cannot connect to PostgreSQL at {where} (connection refused): start PostgreSQL, or fix the host "
                "and port in DATABASE_URL")
    if "translate host name" in low or "name or service not known" in low or "nodename nor servname" in low:
        return f"cannot find the PostgreSQL host in DATABASE_URL ({where}): fix the host name"
    return (f"cannot use PostgreSQL at {where}, database \"{database}\" ({detail}): check that it is running and "
            "reachable, and DATABASE_URL")
