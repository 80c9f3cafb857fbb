"""Per occurrence of a broadcast: sent / waiting / away / failed, the latest few, from one grouped query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from storage.db import session_scope
from storage.models import Broadcast, Delivery, DeliveryKind, DeliveryStatus, Message, Role
from storage.queries.occurrence_progress import occurrence_progress
from tests.people import add_person
from tests.statements import statements_on

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
S = DeliveryStatus


def seed(engine: Engine, occurrences: dict[str, list[str]], *, other: bool = True) -> list[int]:
    """A broadcast per call with one delivery per status listed, per occurrence (key -> statuses), the occurrences
    a day apart in the order given; reminders and a second broadcast as noise."""
    with session_scope(engine) as session:
        leader = add_person(session, "U0LEAD", name="Lee", role=Role.LEADER)
        reps = [add_person(session, f"U0R{n:03d}", name=f"r{n}") for n in range(max(map(len, occurrences.values())))]
        message = Message(key="k", title="Key", body="b")
        session.add(message)
        session.flush()
        broadcasts = [Broadcast(message_id=message.id, created_by_id=leader.id) for _ in range(2 if other else 1)]
        session.add_all(broadcasts)
        session.flush()
        for day, (key, statuses) in enumerate(occurrences.items()):
            for rep, status in zip(reps, statuses):
                due = NOW + timedelta(days=day, minutes=rep.id or 0)
                session.add(Delivery(broadcast_id=broadcasts[0].id, occurrence=key, person_id=rep.id, due_at=due,
                                     scheduled_for=due, status=status))
                session.add(Delivery(broadcast_id=broadcasts[0].id, occurrence=key + ":reminder", person_id=rep.id,
                                     due_at=due, kind=DeliveryKind.REMINDER, status=S.PENDING))
        if other:
            session.add(Delivery(broadcast_id=broadcasts[1].id, occurrence="now-2", person_id=reps[0].id,
                                 due_at=NOW, status=S.FAILED))
        return [broadcast.id for broadcast in broadcasts if broadcast.id is not None]


def test_each_occurrence_counts_sent_waiting_away_and_failed_and_not_reminders(engine: Engine) -> None:
    ids = seed(engine, {"2026-12-03": [S.SENT, S.SENT, S.PENDING, S.SENDING, S.HELD, S.FAILED, S.CANCELLED]})
    with session_scope(engine) as session:
        progress = occurrence_progress(session, ids)
    (first,) = progress[ids[0]]
    assert (first.occurrence, first.sent, first.waiting, first.away, first.failed) == ("2026-12-03", 2, 2, 1, 1)
    assert first.first_due == NOW + timedelta(minutes=2)  # its earliest recipient (rep ids start after the leader)
    assert not first.finished
    (other,) = progress[ids[1]]
    assert (other.occurrence, other.sent, other.failed, other.finished) == ("now-2", 0, 1, True)


def test_only_the_latest_occurrences_newest_first(engine: Engine) -> None:
    days = {f"2026-12-{3 + n:02d}": [S.SENT] * (n + 1) for n in range(5)}
    ids = seed(engine, days, other=False)
    with session_scope(engine) as session:
        progress = occurrence_progress(session, ids, latest=3)
    assert [(row.occurrence, row.sent) for row in progress[ids[0]]] == [
        ("2026-12-07", 5), ("2026-12-06", 4), ("2026-12-05", 3)]
    assert all(row.finished for row in progress[ids[0]])


def test_every_listed_broadcast_costs_one_query(engine: Engine) -> None:
    ids = seed(engine, {f"2026-12-{3 + n:02d}": [S.SENT, S.PENDING] for n in range(4)})
    with session_scope(engine) as session:
        session.connection()  # the transaction's own statements (BEGIN, search_path) are not the query's
        with statements_on(engine) as statements:
            occurrence_progress(session, ids)
    assert len(statements) == 1 and "GROUP BY" in statements[0]
    with session_scope(engine) as session:
        assert occurrence_progress(session, []) == {}
