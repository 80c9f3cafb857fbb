"""Claims that belong to one worker: taken-over rows are not sent, uncertain sends are proved before any resend,
database errors never fail a row, and a stop gives back what was claimed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from schedules.outbox import Dispatcher, Outgoing, SentRef, TemporaryFailure
from storage.db import session_scope
from storage.models import Delivery
from tests.schedules.test_outbox import NOW, Clock, ScriptedSender, compose, make_dispatcher, seed, statuses


class LateLandingSender(ScriptedSender):
    """Times out on the first post to each recipient, and the post lands on the platform `lag` seconds later,
    as Slack does when it answers after the client gave up."""

    def __init__(self, clock: Clock, lag: float) -> None:
        super().__init__()
        self.clock, self.lag = clock, timedelta(seconds=lag)
        self.landing: dict[str, datetime] = {}
        self.posts = 0

    def send(self, outgoing: Outgoing) -> SentRef:
        self.posts += 1
        if outgoing.idempotency_key not in self.landing:
            self.landing[outgoing.idempotency_key] = self.clock.now + self.lag
            raise TemporaryFailure("read timed out", ambiguous=True)
        return super().send(outgoing)

    def find_sent(self, outgoing: Outgoing, *, since: datetime) -> SentRef | None:
        self.find_calls += 1
        lands = self.landing.get(outgoing.idempotency_key)
        if lands is not None and lands <= self.clock.now:
            self.delivered.append(outgoing.idempotency_key)
            return SentRef("slack", f"D{outgoing.recipient.user_id}", "late.000001")
        return None


def test_a_post_answered_after_the_timeout_is_found_and_not_sent_again(engine: Engine) -> None:
    seed(engine, 1)
    clock = Clock()
    sender = LateLandingSender(clock, lag=20)
    dispatcher = make_dispatcher(engine, sender, clock, settle=timedelta(seconds=60))
    assert dispatcher.dispatch_due().retried == 1
    for _ in range(10):  # the ordinary back-off (2 s, 4 s ...) would have resent before the post landed
        clock.now += timedelta(seconds=5)
        dispatcher.dispatch_due()
    clock.now += timedelta(seconds=15)
    report = dispatcher.dispatch_due()
    assert report.recovered == 1
    assert sender.posts == 1
    assert statuses(engine) == {"sent": 1}


def test_an_uncertain_delivery_is_recorded_as_such_until_resolved(engine: Engine) -> None:
    (delivery_id,) = seed(engine, 1)
    clock = Clock()
    make_dispatcher(engine, LateLandingSender(clock, lag=20), clock).dispatch_due()
    with session_scope(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery.uncertain_since == NOW
        assert delivery.next_attempt_at >= NOW + timedelta(seconds=60)
        assert "timed out" in delivery.last_error


def test_when_the_history_cannot_be_read_nothing_is_resent(engine: Engine) -> None:
    seed(engine, 1)
    clock = Clock()
    sender = LateLandingSender(clock, lag=10_000)
    dispatcher = make_dispatcher(engine, sender, clock)
    dispatcher.dispatch_due()
    sender.find_sent = lambda outgoing, since: (_ for _ in ()).throw(TemporaryFailure("history: HTTP 503"))  # type: ignore[method-assign]
    for _ in range(3):
        clock.now += timedelta(minutes=2)
        dispatcher.dispatch_due()
    assert sender.posts == 1
    assert statuses(engine) == {"pending": 1}


def test_rows_whose_claim_passed_to_another_worker_are_not_sent_by_the_first(engine: Engine) -> None:
    """Worker A claims 12 rows and sends slowly, beginning two at a time; its lease runs out mid-batch and B takes
    the rows A has not begun. A must skip those: each rep gets one post."""
    seed(engine, 12)
    clock = Clock()
    sender = ScriptedSender()
    second = make_dispatcher(engine, sender, clock, worker_id="B", lease=timedelta(seconds=10))
    original_send = sender.send
    sends_by_first: list[str] = []

    def slow_send(outgoing: Outgoing) -> SentRef:
        clock.now += timedelta(seconds=3)
        ref = original_send(outgoing)
        if len(sender.delivered) == 4 and not sends_by_first:
            sends_by_first.append("B runs now")
            second.dispatch_due()  # B, in another process, while A is still in its batch
        return ref

    sender.send = slow_send  # type: ignore[method-assign]
    first = make_dispatcher(engine, sender, clock, worker_id="A", lease=timedelta(seconds=10), window=2)
    report = first.dispatch_due()
    assert report.taken_over > 0
    assert sorted(sender.delivered) == sorted(set(sender.delivered))
    assert len(sender.delivered) == 12
    assert statuses(engine) == {"sent": 12}


def test_an_outcome_from_a_claim_that_passed_on_changes_nothing(engine: Engine) -> None:
    (delivery_id,) = seed(engine, 1)
    dispatcher = make_dispatcher(engine, ScriptedSender(), Clock())
    claims = dispatcher.claims
    assert claims.claim("old", 10) == [delivery_id]
    with session_scope(engine) as session:
        session.get(Delivery, delivery_id).claimed_by = "new"  # another worker reclaimed it
    assert not claims.sent(delivery_id, "old", platform="slack", conversation_id="D1", message_id="1.0")
    assert not claims.fail(delivery_id, "old", error="boom")
    assert claims.release([delivery_id], "old") == 0
    assert statuses(engine) == {"sending": 1}


def test_a_database_error_while_composing_never_fails_the_delivery(engine: Engine) -> None:
    seed(engine, 1)
    calls: list[int] = []

    def flaky_compose(session: Session, delivery: Delivery, now: datetime) -> Outgoing:
        calls.append(delivery.id)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return compose(session, delivery, now)

    sender, clock = ScriptedSender(), Clock()
    dispatcher = Dispatcher(engine, sender, flaky_compose, clock=clock, sleep=clock.sleep)
    with pytest.raises(OperationalError):
        dispatcher.dispatch_due()
    assert statuses(engine) == {"sending": 1}  # left claimed, never begun: free again after the lease
    clock.now += timedelta(minutes=3)
    assert dispatcher.dispatch_due().sent == 1
    assert statuses(engine) == {"sent": 1}


def test_stop_gives_back_the_rows_claimed_and_not_yet_sent(engine: Engine) -> None:
    seed(engine, 10)
    sender, clock = ScriptedSender(), Clock()
    dispatcher = make_dispatcher(engine, sender, clock)
    original_send = sender.send

    def send_then_stop(outgoing: Outgoing) -> SentRef:
        ref = original_send(outgoing)
        if len(sender.delivered) == 3:
            dispatcher.stop()
        return ref

    sender.send = send_then_stop  # type: ignore[method-assign]
    report = dispatcher.dispatch_due()
    assert report.sent == 3
    assert statuses(engine) == {"sent": 3, "pending": 7}


def test_a_platform_outage_pauses_the_run_probes_once_a_run_and_is_logged_once(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    seed(engine, 20)
    failures = {f"U{n:05d}": [TemporaryFailure("connection refused")] * 5 for n in range(20)}
    sender, clock = ScriptedSender(failures=failures), Clock()
    dispatcher = make_dispatcher(engine, sender, clock, outage_after=3)
    with caplog.at_level(logging.WARNING, logger="schedules.outbox"):
        # Three failures in a row pause the run and give back the rest; while the outage lasts, each run probes
        # with one row.
        assert dispatcher.dispatch_due().retried == 3
        for _ in range(3):
            clock.now += timedelta(seconds=1)
            assert dispatcher.dispatch_due().retried == 1
    unreachable = [record for record in caplog.records if "unreachable" in record.getMessage()]
    assert len(unreachable) == 1
    assert statuses(engine) == {"pending": 20}
