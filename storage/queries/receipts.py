"""Requests we have already acted on: a platform's retried event, a leader's repeated submission or command.

`first_time` inserts the receipt in the caller's transaction, so the receipt and the action's effect commit
or roll back together: a request is acted on once, whatever repeats it. The insert is race-safe on both
databases (INSERT ... ON CONFLICT DO NOTHING; on PostgreSQL a concurrent insert of the same key waits for
the first transaction and then sees it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import RequestReceipt, utcnow


def first_time(session: Session, platform: str, key: str, *, outcome: str | None = None,
               now: datetime | None = None) -> bool:
    """Record the request `key` (e.g. "event:Ev01", "view:V01", "trigger:1.2.abc"); False if it was seen."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(RequestReceipt).values(
        platform=platform, key=key[:200], received_at=now or utcnow(), outcome=outcome,
    ).on_conflict_do_nothing(index_elements=["platform", "key"]).returning(RequestReceipt.id)
    return session.execute(statement).first() is not None


def record_outcome(session: Session, platform: str, key: str, outcome: str) -> None:
    """What acting on the request produced (e.g. "broadcast:42"), so a repeat can be answered the same way."""
    session.execute(update(RequestReceipt).where(RequestReceipt.platform == platform,
                                                 RequestReceipt.key == key[:200]).values(outcome=outcome[:200]))


def outcome_of(session: Session, platform: str, key: str) -> str | None:
    return session.execute(select(RequestReceipt.outcome).where(
        RequestReceipt.platform == platform, RequestReceipt.key == key[:200])).scalar_one_or_none()


def prune_receipts(session: Session, *, older_than: datetime) -> int:
    """Forget receipts past any platform's retry window (Slack retries for minutes; we keep days)."""
    return session.execute(delete(RequestReceipt).where(RequestReceipt.received_at < older_than)).rowcount
