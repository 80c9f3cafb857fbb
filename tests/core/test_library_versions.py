"""Two people writing a new version of the same message at the same moment each get their own version."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.core.library import NewMessage, new_version
from storage.db import session_scope
from storage.models import Message, Role
from tests.people import add_person

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
WRITERS = 8


def test_concurrent_new_versions_of_one_key_all_land_with_distinct_numbers(engine: Engine) -> None:
    with session_scope(engine) as session:
        leader = add_person(session, "U0VERSION", name="Vera Writer", role=Role.LEADER)
        session.add(leader)
        session.flush()
        leader_id = leader.id
    start, failures = threading.Barrier(WRITERS), []

    def write(n: int) -> None:
        try:
            with session_scope(engine) as session:
                author = session.get(type(leader), leader_id)
                start.wait()
                new_version(session, author, NewMessage(title="Your feedback, please", body=f"ask {n}",
                                                        key="feedback-request", literal=True), NOW)
        except Exception as problem:  # noqa: BLE001 - collected and asserted below
            failures.append(problem)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    with session_scope(engine) as session:
        rows = session.execute(select(Message.version, Message.body).where(Message.key == "feedback-request")).all()
    assert sorted(version for version, _ in rows) == list(range(1, WRITERS + 1))
    assert sorted(body for _, body in rows) == sorted(f"ask {n}" for n in range(WRITERS))
