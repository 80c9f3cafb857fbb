"""The scheduled pull of deals from a CRM's API: only what changed since the last pull, checked and upserted
exactly like a file (`bot.core.pipeline_import.import_records`: same checks, all or nothing).

Each source keeps a cursor (`CrmPull.through`: the newest modification time imported). A pull asks the source for
deals modified after it, imports them in the caller's transaction, and moves the cursor in that same transaction,
so a pull that fails (a bad deal, an owner nobody in the directory is, the API down) imports nothing and leaves
the cursor where it was: the next pull asks again for the same changes. An idle pull is one request that finds
nothing. What each pull did (or why it imported nothing) is kept as the source's `outcome` and logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from bot.core.pipeline_import import ImportOptions, PipelineReport, import_records
from storage.deals import CrmPull


@dataclass(frozen=True)
class Changed:
    records: list[dict[str, Any]]  # the import's fields by name, one per deal
    newest: datetime | None  # the newest modification time among them (or the cursor, when none)


class DealSource(Protocol):
    name: str

    def changed_since(self, through: datetime | None) -> Changed: ...


@dataclass(frozen=True)
class PullOutcome:
    source: str
    report: PipelineReport | None  # None: nothing changed since the last pull
    through: datetime | None


def cursor_of(session: Session, source: str) -> CrmPull:
    """The source's cursor, locked for this transaction (PostgreSQL: FOR UPDATE), or a new one."""
    found = session.get(CrmPull, source, with_for_update=True)
    if found is None:
        found = CrmPull(source=source)
        session.add(found)
    return found


def pull_deals(session: Session, source: DealSource, *, options: ImportOptions, now: datetime) -> PullOutcome:
    """Import what changed since the cursor and move it, in the caller's transaction; raise (nothing imported,
    the cursor unmoved) when the source or the import refuses."""
    cursor = cursor_of(session, source.name)
    changed = source.changed_since(cursor.through)
    report = import_records(session, changed.records, source=source.name, options=options) if changed.records else None
    cursor.through = changed.newest or cursor.through
    cursor.pulled_at = now
    cursor.outcome = report.summary() if report else "nothing changed"
    session.flush()
    return PullOutcome(source.name, report, cursor.through)


def record_failure(unit_of_work: Callable[[], Any], source: str, now: datetime, problem: Exception) -> None:
    """After a refused pull (its own transaction rolled back): say why, where the next reader looks."""
    with unit_of_work() as session:
        cursor = cursor_of(session, source)
        cursor.pulled_at = now
        cursor.outcome = f"nothing imported: {problem}"[:1000]
