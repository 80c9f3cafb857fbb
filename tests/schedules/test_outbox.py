"""The dispatcher against a scripted Sender: every row sent once, retries paced, crashes recovered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from schedules.outbox import (
    Dispatcher,
    Outgoing,
    PermanentFailure,
    RateLimited,
    SentRef,
    TemporaryFailure,
)
from schedules.compose import recipient_of
from schedules.compose_batch import BATCH_COMPOSER
from tests.people import add_person
from storage.db import session_scope
from storage.models import Broadcast, Delivery, DeliveryStatus, Message, Person

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class ScriptedSender:
    """Succeeds unless told otherwise; remembers what reached each recipient."""

    failures: dict[str, list[Exception]] = field(default_factory=dict)
    delivered: list[str] = field(default_factory=list)  # idempotency keys that "arrived"
    lost_answers: set[str] = field(default_factory=set)  # arrive, but the answer is lost
    find_calls: int = 0

    def send(self, outgoing: Outgoing) -> SentRef:
        queue = self.failures.get(outgoing.recipient.user_id)
        if queue:
            raise queue.pop(0)
        self.delivered.append(outgoing.idempotency_key)
        if outgoing.idempotency_key in self.lost_answers:
            self.lost_answers.discard(outgoing.idempotency_key)
            raise TemporaryFailure("connection reset", ambiguous=True)
        return SentRef("slack", f"D{outgoing.recipient.user_id}", f"{len(self.delivered)}.000100")

    def find_sent(self, outgoing: Outgoing, *, since: datetime) -> SentRef | None:
        self.find_calls += 1
        if outgoing.idempotency_key in self.delivered:
            return SentRef("slack", f"D{outgoing.recipient.user_id}", "found.000001")
        return None

    def update(self, ref: SentRef, outgoing: Outgoing) -> None:  # pragma: no cover - not used here
        raise AssertionError("not expected")


def compose(session: Session, delivery: Delivery, now: datetime) -> Outgoing:
    person = session.get(Person, delivery.person_id)
    return Outgoing(recipient_of(session, person), "broadcast", {"delivery_id": delivery.id}, "hello", delivery.idempotency_key)


def seed(engine: Engine, recipients: int, *, due: datetime = NOW) -> list[int]:
    with session_scope(engine) as session:
        leader = add_person(session, "U0LEADER", name="Lena", role="leader")
        session.add(leader)
        message = Message(key="m", title="T", body="B")
        session.add(message)
        session.flush()
        broadcast = Broadcast(message_id=message.id, created_by_id=leader.id)
        session.add(broadcast)
        session.flush()
        ids = []
        for number in range(recipients):
            rep = add_person(session, f"U{number:05d}", name=f"Rep {number}")
            session.add(rep)
            session.flush()
            delivery = Delivery(broadcast_id=broadcast.id, occurrence="now", person_id=rep.id,
                                message_id=message.id, due_at=due)
            session.add(delivery)
            session.flush()
            ids.append(delivery.id)
        return ids


class Clock:
    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def statuses(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        rows = session.execute(select(Delivery.status)).scalars()
        result: dict[str, int] = {}
        for status in rows:
            result[status] = result.get(status, 0) + 1
        return result


def make_dispatcher(engine: Engine, sender: ScriptedSender, clock: Clock, **options: object) -> Dispatcher:
    """The dispatcher as it runs: windows composed by the batch composer (a test may pass its own `compose`)."""
    composer = options.pop("compose", BATCH_COMPOSER)
    return Dispatcher(engine, sender, composer, clock=clock, sleep=clock.sleep, **options)  # type: ignore[arg-type]


def test_every_due_delivery_is_sent_exactly_once(engine: Engine) -> None:
    seed(engine, 25)
    sender, clock = ScriptedSender(), Clock()
    report = make_dispatcher(engine, sender, clock, batch_size=7).dispatch_due()
    assert report.sent == 25
    assert len(sender.delivered) == len(set(sender.delivered)) == 25
    assert statuses(engine) == {"sent": 25}
    assert make_dispatcher(engine, sender, clock).dispatch_due().touched == 0


def test_channel_and_ts_are_recorded_for_later_updates(engine: Engine) -> None:
    (delivery_id,) = seed(engine, 1)
    make_dispatcher(engine, ScriptedSender(), Clock()).dispatch_due()
    with session_scope(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        assert (delivery.conversation_id, delivery.platform_message_id) == ("DU00000", "1.000100")
        assert delivery.sent_at == NOW


def test_deliveries_not_yet_due_wait(engine: Engine) -> None:
    seed(engine, 3, due=NOW + timedelta(hours=1))
    clock = Clock()
    assert make_dispatcher(engine, ScriptedSender(), clock).dispatch_due().touched == 0
    clock.now += timedelta(hours=1)
    assert make_dispatcher(engine, ScriptedSender(), clock).dispatch_due().sent == 3


def test_rate_limit_waits_retry_after_then_sends(engine: Engine) -> None:
    seed(engine, 2)
    sender, clock = ScriptedSender(failures={"U00000": [RateLimited(7)]}), Clock()
    report = make_dispatcher(engine, sender, clock).dispatch_due()
    assert report.rate_limited == 1
    assert report.sent == 2
    assert clock.now >= NOW + timedelta(seconds=7)
    assert statuses(engine) == {"sent": 2}


def test_long_rate_limit_pauses_the_run_and_releases_the_rest(engine: Engine) -> None:
    seed(engine, 3)
    sender, clock = ScriptedSender(failures={"U00000": [RateLimited(120)]}), Clock()
    report = make_dispatcher(engine, sender, clock, max_wait_seconds=30).dispatch_due()
    assert report.sent == 0
    assert statuses(engine) == {"pending": 3}
    clock.now += timedelta(seconds=121)
    assert make_dispatcher(engine, sender, clock).dispatch_due().sent == 3


def test_server_errors_are_retried_with_backoff_until_they_succeed(engine: Engine) -> None:
    seed(engine, 1)
    sender = ScriptedSender(failures={"U00000": [TemporaryFailure("HTTP 503"), TemporaryFailure("HTTP 503")]})
    clock = Clock()
    dispatcher = make_dispatcher(engine, sender, clock)
    for _ in range(5):
        dispatcher.dispatch_due()
        clock.now += timedelta(minutes=1)
    assert statuses(engine) == {"sent": 1}
    assert sender.delivered.count("d1:b1:now:p2") == 1


def test_permanent_failure_marks_the_row_failed_without_retrying(engine: Engine) -> None:
    (delivery_id,) = seed(engine, 1)
    sender = ScriptedSender(failures={"U00000": [PermanentFailure("Slack refused: user_not_found")]})
    report = make_dispatcher(engine, sender, Clock()).dispatch_due()
    assert report.failed == 1
    with session_scope(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery.status == DeliveryStatus.FAILED
        assert "user_not_found" in delivery.last_error


def test_gives_up_after_max_attempts(engine: Engine) -> None:
    seed(engine, 1)
    sender = ScriptedSender(failures={"U00000": [TemporaryFailure("boom") for _ in range(10)]})
    clock = Clock()
    dispatcher = make_dispatcher(engine, sender, clock, max_attempts=3)
    for _ in range(10):
        dispatcher.dispatch_due()
        clock.now += timedelta(hours=1)
    assert statuses(engine) == {"failed": 1}


def test_lost_answer_is_not_sent_twice(engine: Engine) -> None:
    seed(engine, 1)
    sender = ScriptedSender(lost_answers={"d1:b1:now:p2"})
    clock = Clock()
    dispatcher = make_dispatcher(engine, sender, clock)
    dispatcher.dispatch_due()
    clock.now += timedelta(minutes=5)
    report = dispatcher.dispatch_due()
    assert report.recovered == 1
    assert sender.delivered == ["d1:b1:now:p2"]
    assert statuses(engine) == {"sent": 1}


def test_rows_left_sending_by_a_dead_dispatcher_are_recovered_once(engine: Engine) -> None:
    ids = seed(engine, 2)
    sender, clock = ScriptedSender(), Clock()
    # A dispatcher claimed both rows, delivered the first and died before recording anything.
    with session_scope(engine) as session:
        for delivery_id in ids:
            delivery = session.get(Delivery, delivery_id)
            delivery.status, delivery.claimed_at, delivery.claimed_by, delivery.attempts = "sending", NOW, "dead", 1
    sender.delivered.append("d1:b1:now:p2")
    assert make_dispatcher(engine, sender, clock).dispatch_due().touched == 0  # lease not yet expired
    clock.now += timedelta(minutes=3)
    report = make_dispatcher(engine, sender, clock).dispatch_due()
    assert (report.recovered, report.sent) == (1, 1)
    assert sorted(sender.delivered) == ["d1:b1:now:p2", "d2:b1:now:p3"]
    assert statuses(engine) == {"sent": 2}


def test_a_broken_row_does_not_block_the_queue(engine: Engine) -> None:
    seed(engine, 3)

    def fussy_compose(session: Session, delivery: Delivery, now: datetime) -> Outgoing:
        if delivery.id == 2:
            raise ValueError("template exploded")
        return compose(session, delivery, now)

    sender, clock = ScriptedSender(), Clock()
    report = Dispatcher(engine, sender, fussy_compose, clock=clock, sleep=clock.sleep).dispatch_due()
    assert (report.sent, report.failed) == (2, 1)
    assert statuses(engine) == {"sent": 2, "failed": 1}


def test_two_dispatchers_never_send_the_same_row(engine: Engine) -> None:
    import threading

    seed(engine, 60)
    sender, clock = ScriptedSender(), Clock()
    lock = threading.Lock()
    original_send = sender.send

    def locked_send(outgoing: Outgoing) -> SentRef:
        with lock:
            return original_send(outgoing)

    sender.send = locked_send  # type: ignore[method-assign]
    workers = [make_dispatcher(engine, sender, clock, worker_id=f"w{n}", batch_size=5) for n in range(2)]
    threads = [threading.Thread(target=worker.dispatch_due) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sender.delivered) == 60
    assert len(set(sender.delivered)) == 60
