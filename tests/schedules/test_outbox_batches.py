"""Batched begins and batched outcomes keep the outbox's promises: fenced by the claim, row by row."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from schedules.compose import compose_delivery
from schedules.compose_batch import BATCH_COMPOSER
from schedules.outbox import Outgoing, PermanentFailure, RateLimited, SentRef, TemporaryFailure
from storage.db import session_scope
from storage.models import Delivery, DeliveryKind, Message, Person, Team
from tests.schedules.test_outbox import NOW, Clock, ScriptedSender, make_dispatcher, seed, statuses
from tests.statements import statements_on


def rows(engine: Engine) -> dict[int, Delivery]:
    with session_scope(engine) as session:
        return {delivery.id: delivery for delivery in session.execute(select(Delivery)).scalars()}


def steal(engine: Engine, thief: str, *, except_id: int | None = None) -> None:
    """Another worker reclaims the rows (as it may once their lease and settle have passed)."""
    with session_scope(engine) as session:
        for delivery in session.execute(select(Delivery)).scalars():
            if delivery.id != except_id:
                delivery.claimed_by = thief


def test_a_worker_that_lost_its_claim_mid_batch_records_no_outcome_for_any_row(engine: Engine) -> None:
    seed(engine, 6)
    sender, clock = ScriptedSender(), Clock()
    original_send = sender.send

    def send_then_lose_the_claim(outgoing: Outgoing) -> SentRef:
        ref = original_send(outgoing)
        if len(sender.delivered) == 1:
            steal(engine, "thief")
        return ref

    sender.send = send_then_lose_the_claim  # type: ignore[method-assign]
    make_dispatcher(engine, sender, clock).dispatch_due()
    after = rows(engine)
    assert {delivery.claimed_by for delivery in after.values()} == {"thief"}
    assert statuses(engine) == {"sending": 6}
    assert all(delivery.sent_at is None and delivery.platform_message_id is None for delivery in after.values())


def test_rows_of_a_window_taken_over_while_it_waited_are_not_sent(engine: Engine) -> None:
    """The first send takes longer than settle; another worker reclaims the rest. The renewal before the next
    send finds them gone: they are not sent, and the first row's outcome is still recorded."""
    ids = seed(engine, 5)
    sender, clock = ScriptedSender(), Clock()
    original_send = sender.send

    def slow_first_send(outgoing: Outgoing) -> SentRef:
        ref = original_send(outgoing)
        if len(sender.delivered) == 1:
            clock.now += timedelta(seconds=90)
            steal(engine, "thief", except_id=ids[0])
        return ref

    sender.send = slow_first_send  # type: ignore[method-assign]
    report = make_dispatcher(engine, sender, clock).dispatch_due()
    assert (report.sent, report.taken_over) == (1, 4)
    assert len(sender.delivered) == 1
    assert statuses(engine) == {"sent": 1, "sending": 4}
    assert rows(engine)[ids[0]].status == "sent"


def test_one_failed_post_in_a_batch_marks_only_its_own_row(engine: Engine) -> None:
    ids = seed(engine, 5)
    sender = ScriptedSender(failures={"U00001": [PermanentFailure("Slack refused: user_not_found")],
                                      "U00003": [TemporaryFailure("HTTP 503")]})
    report = make_dispatcher(engine, sender, Clock()).dispatch_due()
    assert (report.sent, report.failed, report.retried) == (3, 1, 1)
    after = rows(engine)
    assert [after[delivery_id].status for delivery_id in ids] == ["sent", "failed", "sent", "pending", "sent"]
    assert "user_not_found" in (after[ids[1]].last_error or "")
    assert after[ids[3]].next_attempt_at is not None and after[ids[3]].next_attempt_at > NOW
    sent = [after[delivery_id] for delivery_id in (ids[0], ids[2], ids[4])]
    # Each sent row carries its own message, as the sender answered for that recipient.
    assert [(row.conversation_id, row.last_error) for row in sent] == [("DU00000", None), ("DU00002", None),
                                                                       ("DU00004", None)]
    assert len({row.platform_message_id for row in sent}) == 3


def test_outcomes_before_a_rate_limit_pause_are_recorded_before_the_pause(engine: Engine) -> None:
    ids = seed(engine, 4)
    sender, clock = ScriptedSender(failures={"U00002": [RateLimited(7)]}), Clock()
    seen_during_pause: list[dict[str, int]] = []

    def sleep(seconds: float) -> None:
        seen_during_pause.append(statuses(engine))
        clock.sleep(seconds)

    dispatcher = make_dispatcher(engine, sender, clock)
    dispatcher.sleep = sleep
    report = dispatcher.dispatch_due()
    assert seen_during_pause == [{"sent": 2, "pending": 1, "sending": 1}]
    assert (report.rate_limited, report.sent) == (1, 4)
    assert rows(engine)[ids[2]].attempts == 1  # the 429 did not count: one attempt, the one that worked


def test_a_long_pause_gives_back_begun_rows_as_they_were(engine: Engine) -> None:
    ids = seed(engine, 3)
    earlier = NOW - timedelta(minutes=10)
    with session_scope(engine) as session:  # the last row's earlier attempt may have landed
        last = session.get(Delivery, ids[2])
        last.attempts, last.uncertain_since, last.last_error = 1, earlier, "connection reset"
    sender, clock = ScriptedSender(failures={"U00000": [RateLimited(120)]}), Clock()
    make_dispatcher(engine, sender, clock, max_wait_seconds=30).dispatch_due()
    after = rows(engine)
    assert statuses(engine) == {"pending": 3}
    assert [(after[i].attempts, after[i].uncertain_since, after[i].claimed_by) for i in ids[1:]] == [
        (0, None, None), (1, earlier, None)]
    assert after[ids[2]].last_error == "connection reset"


def test_a_window_is_begun_with_a_few_statements_whatever_its_size(engine: Engine) -> None:
    seed(engine, 40)
    dispatcher = make_dispatcher(engine, ScriptedSender(), Clock(), window=40)
    token = "counting"
    claimed = dispatcher.claims.claim(token, 40)
    with statements_on(engine) as statements:
        begun = dispatcher.claims.begin_many(claimed, token, BATCH_COMPOSER)
    assert len(begun) == 40
    assert len(statements) <= 5  # the rows, their readers and accounts, the messages, the begin (and a pragma)


def test_a_batch_composes_what_one_at_a_time_composes(engine: Engine) -> None:
    ids = seed(engine, 2)
    with session_scope(engine) as session:
        team = Team(name="Field")
        session.add(team)
        session.flush()
        manager = session.execute(select(Person).where(Person.name == "Lena")).scalar_one()
        for delivery_id in ids:
            delivery = session.get(Delivery, delivery_id)
            person = session.get(Person, delivery.person_id)
            person.team_id, person.manager_id, person.tz = team.id, manager.id, "Asia/Tokyo"
            session.get(Message, delivery.message_id).body = "Hi {{ person.first_name }} of {{ person.team }}"
        reminder = session.get(Delivery, ids[1])
        reminder.kind, reminder.scheduled_for = DeliveryKind.REMINDER, NOW - timedelta(hours=2)
        reminder.due_at, reminder.acknowledged_at = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    with session_scope(engine) as session:
        deliveries = list(session.execute(select(Delivery).order_by(Delivery.id)).scalars())
        batch = BATCH_COMPOSER.compose_many(session, deliveries, NOW)
        alone = {delivery.id: compose_delivery(session, delivery, NOW) for delivery in deliveries}
    assert batch == alone
    assert batch[ids[1]].context["late_since"] and batch[ids[1]].context["acknowledged"]


class SlowBeginComposer:
    """The batch composer, on a database that makes the begin wait (SQLite's write lock held by another
    process): the clock moves on between the claimed_at the begin writes and the moment it returns."""

    def __init__(self, clock: Clock, wait: timedelta) -> None:
        self.clock, self.wait = clock, wait

    def compose_many(self, session, deliveries, now):  # noqa: ANN001, ANN201
        composed = BATCH_COMPOSER.compose_many(session, deliveries, now)
        self.clock.now += self.wait
        return composed

    def compose_one(self, session, delivery, now):  # noqa: ANN001, ANN201
        return BATCH_COMPOSER.compose_one(session, delivery, now)


def test_every_send_starts_within_renew_after_of_the_claim_the_database_holds(engine: Engine) -> None:
    """A begin that took longer than renew_after (lease 1 s, settle 2 s: renew_after 0.5 s) leaves a claimed_at
    that another worker counts its takeover from; the window is renewed before its first send, so no send starts
    on a claim older than renew_after (a second owner could otherwise post the same DM after its history check)."""
    seed(engine, 3)
    sender, clock = ScriptedSender(), Clock()
    claim_ages: list[timedelta] = []
    original_send = sender.send

    def send_and_note_the_claims_age(outgoing: Outgoing) -> SentRef:
        with session_scope(engine) as session:
            claimed_at = session.get(Delivery, outgoing.context["delivery_id"]).claimed_at
        claim_ages.append(clock.now - claimed_at.replace(tzinfo=clock.now.tzinfo))
        return original_send(outgoing)

    sender.send = send_and_note_the_claims_age  # type: ignore[method-assign]
    dispatcher = make_dispatcher(engine, sender, clock, compose=SlowBeginComposer(clock, timedelta(seconds=0.8)),
                                 lease=timedelta(seconds=1), settle=timedelta(seconds=2))
    assert dispatcher.dispatch_due().sent == 3
    assert len(claim_ages) == 3
    assert all(age < dispatcher.renew_after for age in claim_ages), claim_ages
