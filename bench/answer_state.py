"""Seeding a benchmark's quiz history without revision 0011's `answerstate` triggers, then doing what 0011 does.

Why: the PostgreSQL trigger takes a transaction-scoped advisory lock per (rep, expectation) it refreshes, so one
COPY of 1,000,000 answers by 5,000 reps holds tens of thousands of locks and runs out of PostgreSQL's lock table
("out of shared memory", max_locks_per_transaction); and a per-row trigger is not how a live system's history
came about anyway. The data is seeded in today's schema, which revision 0011 predates, so its own statements run
(the backfill over the whole history, then the triggers) rather than a migration across it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from sqlalchemy.engine import Engine

STATE_REVISION = "0011"


def state_migration() -> ModuleType:
    """Revision 0011's module (its file name starts with a digit, so it is loaded by path)."""
    path = next((Path(__file__).resolve().parents[1] / "storage" / "migrations" / "versions").glob(
        f"{STATE_REVISION}_*.py"))
    spec = importlib.util.spec_from_file_location("answer_state_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def triggers_off(engine: Engine) -> None:
    postgresql = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        drops = (["DROP TRIGGER IF EXISTS answerstate_sync ON quizask", "DROP FUNCTION IF EXISTS answerstate_sync()",
                  "DROP FUNCTION IF EXISTS answerstate_refresh(integer, integer)"] if postgresql else
                 [f"DROP TRIGGER IF EXISTS {name}" for name in
                  ("answerstate_after_insert", "answerstate_after_update", "answerstate_after_delete")])
        for statement in drops:
            connection.exec_driver_sql(statement)


def backfill_and_triggers_on(engine: Engine) -> None:
    """0011's backfill over the history as seeded, then its triggers, live for whatever the bench times."""
    migration = state_migration()
    with engine.begin() as connection:
        # Statistics first, as a live database has them: on a freshly loaded, never-analysed quizask PostgreSQL
        # estimated one row and joined the backfill's two CTE scans in a nested loop (over 10 minutes at 1,000,000).
        connection.exec_driver_sql("ANALYZE quizask")
        connection.exec_driver_sql("DELETE FROM answerstate")
        connection.exec_driver_sql(migration.RANKED + migration.BACKFILL)
        triggers = migration._postgresql_triggers() if engine.dialect.name == "postgresql" else migration._sqlite_triggers()
        for statement in triggers:
            connection.exec_driver_sql(statement)
