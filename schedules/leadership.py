"""One instance at a time: the jobs that must not overlap across instances run under a PostgreSQL advisory lock.

`alone(engine, name)` takes `pg_try_advisory_lock` on a dedicated connection, held for the job's whole duration
and released when it ends (the job itself works on other connections, in its own units of work). An instance
that finds the lock taken skips that run: another instance is doing the same work right now, and the next
interval comes soon. `wait=True` queues behind it instead (for a command an admin is waiting on).

Why a session-level lock on its own connection: it outlives the job's transactions (a job commits several
times), and if the process dies or its connection drops, PostgreSQL releases the lock with the session, so
leadership never sticks to a dead instance. A connection whose unlock failed is discarded rather than returned
to the pool still holding the lock. What the lock cannot rule out is the rare overlap after a dropped lock
connection while the old run goes on: every job under it still writes idempotently (unique keys, ON CONFLICT),
the lock only keeps their read-then-write parts and their cost from running N times at once.

SQLite: a no-op (every caller leads). A SQLite deployment is one instance by construction: one file, one
process serving it (its writers take turns through the file lock anyway).

Which job runs how is listed in docs/jobs.md.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

T = TypeVar("T")


def lock_key(name: str, schema: str) -> int:
    """A stable signed 64-bit advisory lock key for a job name (the same in every process and release).

    Advisory locks belong to the whole database, so the key includes the schema Drumbeat's tables are in: two
    installations sharing a database in different schemas (or two tests) never skip each other's jobs."""
    digest = hashlib.blake2b(f"drumbeat:{schema}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def alone(engine: Engine, name: str, *, wait: bool = False) -> Iterator[bool]:
    """Yield True while this instance holds `name`'s lock (False: another instance holds it; skip the work)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    connection = engine.connect()
    key, held = 0, False
    try:
        try:
            key = lock_key(name, connection.execute(text("SELECT current_schema()")).scalar_one())
            if wait:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                held = True
            else:
                held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one())
            connection.commit()  # the lock is the session's, not the transaction's: nothing stays open meanwhile
        except BaseException:  # a lock request cut short may still be granted: end the session, never pool it
            connection.invalidate()
            raise
        if not held:
            log.debug("job %s is running on another instance; skipped here", name)
        yield held
    finally:
        _release(connection, key, held)


def _release(connection: Connection, key: int, held: bool) -> None:
    """Unlock (whether the job finished or raised); a connection that may still hold the lock is discarded,
    never handed back to the pool."""
    try:
        if held:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()
    except SQLAlchemyError:
        connection.invalidate()
    finally:
        connection.close()


def run_alone(engine: Engine, name: str, job: Callable[[], T], *, skipped: T, wait: bool = False) -> T:
    """Run `job` under `name`'s lock; `skipped` when another instance holds it (never when `wait`)."""
    with alone(engine, name, wait=wait) as leading:
        return job() if leading else skipped
