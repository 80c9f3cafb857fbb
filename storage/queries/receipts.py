"""Request receipts: recognising a request from a chat platform that was already acted on.

Platforms repeat themselves: Slack redelivers an event it thinks we missed (same `event_id`, header
`X-Slack-Retry-Num`), a leader presses Submit again after a timeout, a proxy replays a request. Each such request
has a key that stays the same across repeats; a `RequestReceipt` row per (platform, key) says it was seen.

Keys name what they identify, with a prefix for the kind of id:
    "event:Ev0123ABCD"          a Slack event (its event_id)
    "view:V0123ABCD"            a modal submission (the view id)
    "trigger:123.456.abcdef"    a slash command (its trigger id)
    "sig:v0=ab12..."            a signed request (written by earlier versions; replays are now refused in memory)

How to use it: call `first_time` *in the same transaction as the action's effect* and act only when it returns
True. The unique key (platform, key) decides between concurrent repeats on both databases: on PostgreSQL a
second INSERT of the same key waits for the first transaction and then does nothing (or inserts, if the first
rolled back); on SQLite writers take turns. So exactly one transaction wins, and if it rolls back, its receipt
goes with it and the next repeat acts. `outcome` records what the action produced (a broadcast id, say), so a
repeat can be answered the same way (`receipt`), or filled in later in that transaction (`record_outcome`).

A receipt committed on its own, ahead of the work (as the Slack event middleware does, so that a retry arriving
while the first delivery is still running is recognised), must be `forget`-ed when the work fails.

Receipts are kept for `KEEP` (platforms stop repeating within minutes) and pruned by a daily job; signature
receipts only for `SIGNATURES_KEPT` (a signature older than its 5-minute window is refused anyway).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import RequestReceipt, utcnow

KEEP = timedelta(days=7)
SIGNATURES_KEPT = timedelta(minutes=10)  # twice the signature window
SIGNATURE_KEYS = "sig:"


def first_time(session: Session, platform: str, key: str, outcome: str | None = None, *,
               now: datetime | None = None) -> bool:
    """Record (platform, key) as received; True if this is the first time, False if it was seen before.

    Race-safe: INSERT ... ON CONFLICT DO NOTHING on the unique (platform, key), so of two concurrent callers
    exactly one gets True (the other, on PostgreSQL, waits until the first transaction ends)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = session.execute(
        insert(RequestReceipt)
        .values(platform=platform, key=key, received_at=now or utcnow(), outcome=outcome)
        .on_conflict_do_nothing(index_elements=["platform", "key"])
        .returning(RequestReceipt.id)  # exact on every driver (rowcount is -1 on some)
    ).scalar_one_or_none()
    return inserted is not None


def receipt(session: Session, platform: str, key: str) -> RequestReceipt | None:
    """The receipt for a request, if it was seen (its `outcome` says what acting on it produced)."""
    return session.execute(
        select(RequestReceipt).where(RequestReceipt.platform == platform, RequestReceipt.key == key)
    ).scalar_one_or_none()


def record_outcome(session: Session, platform: str, key: str, outcome: str) -> None:
    """Say what acting on a request produced (e.g. "broadcast:42"), once the effect exists."""
    session.execute(
        update(RequestReceipt).where(RequestReceipt.platform == platform, RequestReceipt.key == key)
        .values(outcome=outcome)
    )


def forget(session: Session, platform: str, key: str) -> bool:
    """Drop a receipt whose work failed, so the platform's next repeat is acted on; False if there was none."""
    result = session.execute(
        delete(RequestReceipt).where(RequestReceipt.platform == platform, RequestReceipt.key == key)
    )
    return bool(result.rowcount)


def prune_receipts(session: Session, older_than: datetime, *, signatures_older_than: datetime | None = None) -> int:
    """Delete receipts received before `older_than`, and signature receipts before `signatures_older_than`
    (through the received_at index); how many went."""
    stale = RequestReceipt.received_at < older_than
    if signatures_older_than is not None:
        stale = or_(stale, and_(RequestReceipt.received_at < signatures_older_than,
                                RequestReceipt.key.startswith(SIGNATURE_KEYS)))
    result = session.execute(delete(RequestReceipt).where(stale))
    return result.rowcount or 0
