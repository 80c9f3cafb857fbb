"""Claim benchmark: how long one outbox claim of 200 rows takes among 100,000 pending deliveries.

The claim runs on every dispatcher tick of every instance, so it must cost what it claims, not what waits.
The peers, in the same run on the same rows: the claim before it became one statement per kind (a SELECT ...
FOR UPDATE SKIP LOCKED, then an UPDATE re-checking the predicate), and the single statement the claim was first
(one predicate `pending ... OR sending ...`, which no index can serve). `--explain` prints PostgreSQL's plan of
the claim's statement for due pending rows (EXPLAIN ANALYZE, BUFFERS; rolled back).

    .venv/bin/python bench/claim.py [--pending 100000] [--database-url postgresql://...] [--explain]

After each timed claim its rows are given back (untimed), so every repeat sees the same rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import and_, insert, or_, select, text, update  # noqa: E402

from bench.fanout import throwaway_database  # noqa: E402
from schedules.claims import ClaimPolicy, Claims  # noqa: E402
from storage.db import is_postgresql, make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Broadcast, Delivery, DeliveryStatus, Message, Person  # noqa: E402

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
GOAL_MS = 5.0


def seed(engine, pending: int) -> None:  # noqa: ANN001
    with session_scope(engine) as session:
        person = Person(email="lena@example.com", name="Lena", role="leader")
        message = Message(key="m", title="T", body="B")
        session.add_all([person, message])
        session.flush()
        broadcast = Broadcast(message_id=message.id, created_by_id=person.id)
        session.add(broadcast)
        session.flush()
        ids = (person.id, broadcast.id)
    rows = [{"broadcast_id": ids[1], "occurrence": f"o{n}", "person_id": ids[0], "kind": "broadcast",
             "due_at": NOW - timedelta(seconds=n % 3600), "status": DeliveryStatus.PENDING, "attempts": 0}
            for n in range(pending)]
    with engine.begin() as connection:
        for start in range(0, pending, 5000):
            connection.execute(insert(Delivery), rows[start:start + 5000])
    if is_postgresql(engine):
        with engine.begin() as connection:
            connection.execute(text("ANALYZE delivery"))


def old_claim(engine, limit: int) -> list[int]:  # noqa: ANN001
    """The claim as it used to be: both kinds of due rows in one OR predicate, then the same UPDATE."""
    due = or_(
        and_(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= NOW,
             or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= NOW)),
        and_(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at <= NOW - timedelta(minutes=2)),
    )
    with session_scope(engine) as session:
        query = select(Delivery.id).where(due).order_by(Delivery.due_at, Delivery.id).limit(limit)
        if is_postgresql(engine):
            query = query.with_for_update(skip_locked=True)
        ids = list(session.execute(query).scalars())
        return list(session.execute(update(Delivery).where(Delivery.id.in_(ids), due).values(
            status=DeliveryStatus.SENDING, claimed_at=NOW, claimed_by="old").returning(Delivery.id)).scalars())


def select_then_update(engine, claims: Claims, limit: int) -> list[int]:  # noqa: ANN001
    """The claim as it was before this one: per kind, a locking SELECT, then an UPDATE re-checking the predicate."""
    claimed: list[int] = []
    with session_scope(engine) as session:
        for due in (claims._due_pending(NOW), claims._stale_sending(NOW)):
            if len(claimed) >= limit:
                break
            query = select(Delivery.id).where(due).order_by(Delivery.due_at, Delivery.id).limit(limit - len(claimed))
            if is_postgresql(engine):
                query = query.with_for_update(skip_locked=True)
            ids = list(session.execute(query).scalars())
            if ids:
                claimed += session.execute(update(Delivery).where(Delivery.id.in_(ids), due).values(
                    status=DeliveryStatus.SENDING, claimed_at=NOW, claimed_by="before").returning(Delivery.id)).scalars()
    return claimed


def write_floor(engine, ids: list[int]) -> list[int]:  # noqa: ANN001
    """What any claim must write: the same 200 rows set to sending by primary key (no search), and the commit."""
    with session_scope(engine) as session:
        return list(session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(
            status=DeliveryStatus.SENDING, claimed_at=NOW, claimed_by="floor").returning(Delivery.id)).scalars())


def explain(engine, claims: Claims) -> list[str]:  # noqa: ANN001
    """PostgreSQL's plan for the claim of due pending rows, run for real inside a transaction rolled back."""
    statement = claims.claim_statement(claims._due_pending(NOW), "explain", NOW, 200)
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        plan = [row[0] for row in connection.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql))]
        connection.rollback()
    return plan


def select_due(engine, claims: Claims) -> list[int]:  # noqa: ANN001
    """The claim's read alone (which rows), without the UPDATE and commit that take them."""
    with session_scope(engine) as session:
        return list(session.execute(select(Delivery.id).where(claims._due_pending(NOW))
                                    .order_by(Delivery.due_at, Delivery.id).limit(200)).scalars())


def give_back(engine, ids: list[int]) -> None:  # noqa: ANN001
    with session_scope(engine) as session:
        session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(
            status=DeliveryStatus.PENDING, claimed_at=None, claimed_by=None))


def vacuum(engine) -> None:  # noqa: ANN001
    """Clear the dead row versions earlier repeats left (PostgreSQL), so no method pays for another's."""
    if is_postgresql(engine):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE delivery"))


def timed(claim, engine, repeats: int) -> float:  # noqa: ANN001
    vacuum(engine)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        ids = claim()
        samples.append((time.perf_counter() - started) * 1000)
        assert len(ids) == 200
        give_back(engine, ids)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--explain", action="store_true", help="print the claim's plan (PostgreSQL)")
    args = parser.parse_args()
    url, drop = throwaway_database(args.database_url)
    engine = make_engine(url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'claim.db'}")
    try:
        upgrade(engine)
        seed(engine, args.pending)
        claims = Claims(engine, lambda: NOW, ClaimPolicy())
        new_ms = timed(lambda: claims.claim("bench", 200), engine, args.repeats)
        before_ms = timed(lambda: select_then_update(engine, claims, 200), engine, args.repeats)
        old_ms = timed(lambda: old_claim(engine, 200), engine, args.repeats)
        select_ms = timed(lambda: select_due(engine, claims), engine, args.repeats)
        first_ids = select_due(engine, claims)
        floor_ms = timed(lambda: write_floor(engine, first_ids), engine, args.repeats)
        plan = explain(engine, claims) if args.explain and is_postgresql(engine) else []
    finally:
        engine.dispose()
        drop()
    kind = "postgresql" if url else "sqlite"
    print(f"pending rows        {args.pending} ({kind})")
    print(f"claim 200 (now)     {new_ms:.1f} ms median of {args.repeats}  (goal < {GOAL_MS:.0f} ms)")
    print(f"  the read alone    {select_ms:.1f} ms (an index range on ix_delivery_due; the rest is the UPDATE of 200"
          " rows and the commit)")
    print(f"  write floor       {floor_ms:.1f} ms (UPDATE of the same 200 rows by primary key, and the commit)")
    print(f"peer: SELECT, then UPDATE  {before_ms:.1f} ms median of {args.repeats}  (the claim before this one)")
    print(f"peer: one OR query  {old_ms:.1f} ms median of {args.repeats}")
    for line in plan:
        print(f"  plan: {line}")
    print(f"claim: {int(new_ms < GOAL_MS)}/1 goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
