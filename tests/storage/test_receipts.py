"""Request receipts: a repeated request is recognised once, on both databases, even when repeats race."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from storage.db import session_scope
from storage.models import RequestReceipt
from storage.queries.receipts import first_time, forget, prune_receipts, receipt, record_outcome

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_a_key_is_new_once_then_recognised(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert first_time(session, "slack", "event:Ev1", "app_home_opened", now=NOW) is True
    with session_scope(engine) as session:
        assert first_time(session, "slack", "event:Ev1", now=NOW) is False
        assert first_time(session, "slack", "event:Ev2", now=NOW) is True
        assert first_time(session, "teams", "event:Ev1", now=NOW) is True  # keys are per platform
        seen = receipt(session, "slack", "event:Ev1")
        assert seen is not None and seen.outcome == "app_home_opened" and seen.received_at == NOW


def test_a_receipt_rolled_back_with_its_work_lets_the_next_repeat_act(engine: Engine) -> None:
    try:
        with session_scope(engine) as session:
            assert first_time(session, "slack", "view:V1", now=NOW)
            raise RuntimeError("the broadcast could not be created")
    except RuntimeError:
        pass
    with session_scope(engine) as session:
        assert first_time(session, "slack", "view:V1", now=NOW) is True


def test_outcome_recorded_later_answers_a_repeat_the_same_way(engine: Engine) -> None:
    with session_scope(engine) as session:
        first_time(session, "slack", "trigger:1.2.abc", now=NOW)
        record_outcome(session, "slack", "trigger:1.2.abc", "broadcast:42")
    with session_scope(engine) as session:
        seen = receipt(session, "slack", "trigger:1.2.abc")
        assert seen is not None and seen.outcome == "broadcast:42"
        assert receipt(session, "slack", "trigger:never") is None


def test_a_forgotten_receipt_is_new_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        first_time(session, "slack", "event:Ev9", now=NOW)
    with session_scope(engine) as session:
        assert forget(session, "slack", "event:Ev9") is True
        assert forget(session, "slack", "event:Ev9") is False
    with session_scope(engine) as session:
        assert first_time(session, "slack", "event:Ev9", now=NOW) is True


def test_of_eight_concurrent_repeats_exactly_one_is_first(engine: Engine) -> None:
    start = threading.Barrier(8)
    answers: list[bool] = []
    lock = threading.Lock()

    def repeat() -> None:
        start.wait(timeout=10)
        with session_scope(engine) as session:
            answer = first_time(session, "slack", "event:EvRace", now=NOW)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=repeat) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers) == [False] * 7 + [True]
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(RequestReceipt)).scalar_one() == 1


def test_pruning_removes_only_receipts_older_than_the_cut_off(engine: Engine) -> None:
    with session_scope(engine) as session:
        first_time(session, "slack", "event:old", now=NOW - timedelta(days=8))
        first_time(session, "slack", "event:new", now=NOW - timedelta(days=6))
    with session_scope(engine) as session:
        assert prune_receipts(session, NOW - timedelta(days=7)) == 1
    with session_scope(engine) as session:
        assert receipt(session, "slack", "event:old") is None
        assert receipt(session, "slack", "event:new") is not None


def test_signature_receipts_are_pruned_once_past_their_window_and_other_receipts_are_kept(engine: Engine) -> None:
    with session_scope(engine) as session:
        first_time(session, "slack", "sig:v0=old", now=NOW - timedelta(minutes=11))
        first_time(session, "slack", "sig:v0=fresh", now=NOW - timedelta(minutes=2))
        first_time(session, "slack", "event:hour-old", now=NOW - timedelta(hours=1))
    with session_scope(engine) as session:
        assert prune_receipts(session, NOW - timedelta(days=7), signatures_older_than=NOW - timedelta(minutes=10)) == 1
    with session_scope(engine) as session:
        assert receipt(session, "slack", "sig:v0=old") is None
        assert receipt(session, "slack", "sig:v0=fresh") is not None
        assert receipt(session, "slack", "event:hour-old") is not None
