"""Counting the SQL a piece of work sends: a test checks cost by what it asks of the database (which follows the
output, or not), never by a stopwatch; the time itself is a benchmark's figure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def statements_on(engine: Engine) -> Iterator[list[str]]:
    """Inside: every statement the engine executes is appended to the list yielded (an executemany counts once)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
