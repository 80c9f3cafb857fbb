"""Real `drumbeat dispatch` processes against the Slack emulator: two instances sharing one outbox while their
leases run out mid-batch, a post Slack answers after the client's timeout, and SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.emulators.slack import SlackEmulator
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus
from tests.slack.test_crash_safety import seed, start_dispatcher, wait_until

RECIPIENTS = 500  # the crash test's organisation


def inbox_sizes(slack: SlackEmulator) -> Counter[int]:
    return Counter(len(slack.inbox(f"U1{n:06d}")) for n in range(RECIPIENTS))


def delivery_statuses(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())


@contextmanager
def seeded_slack(engine: Engine, *, post_delay: float, delayed_posts: int) -> Iterator[SlackEmulator]:
    """The crash test's organisation in the database and in an emulator whose next posts answer slowly."""
    seed(engine)
    with SlackEmulator("crash-secret", post_message_per_minute=100_000) as slack:
        for n in range(RECIPIENTS):
            slack.add_user(f"U1{n:06d}", name=f"rep{n}", tz="Europe/Berlin")
        slack.inject_fault("chat.postMessage", delay=post_delay, times=delayed_posts)
        yield slack


def dispatcher(slack: SlackEmulator, engine: Engine, workdir: Path, **env: str) -> subprocess.Popen[bytes]:
    return start_dispatcher(slack, engine.url_for_processes, workdir, **env)  # type: ignore[attr-defined]


def test_two_dispatchers_with_leases_expiring_mid_batch_send_each_dm_once(engine: Engine, tmp_path: Path) -> None:
    """Each claims 200 rows and Slack answers every post in 10 ms while the lease is 1 s: rows change hands
    while a batch is being sent, and the fenced begin keeps every rep to one DM."""
    with seeded_slack(engine, post_delay=0.01, delayed_posts=RECIPIENTS * 2) as slack:
        workers = [dispatcher(slack, engine, tmp_path) for _ in range(2)]
        outputs = [worker.communicate(timeout=120)[0].decode() for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0], outputs
        assert inbox_sizes(slack) == Counter({1: RECIPIENTS}), "duplicates or misses"
        # Each worker's closing count; together they account for every rep once.
        closing = [re.search(r"Dispatched in [\d.]+ s: sent (\d+), failed 0, waiting 0(?:, (\d+) found already "
                             r"delivered)?\.", output) for output in outputs]
        assert all(closing), outputs
        assert sum(int(found[1]) + int(found[2] or 0) for found in closing if found) == RECIPIENTS
    assert delivery_statuses(engine) == {DeliveryStatus.SENT: RECIPIENTS}


def test_a_post_answered_after_the_client_timeout_is_not_sent_again(engine: Engine, tmp_path: Path) -> None:
    # Three posts take 1.5 s to be answered, beyond the 1 s timeout: each lands, its sender does not know.
    with seeded_slack(engine, post_delay=1.5, delayed_posts=3) as slack:
        worker = dispatcher(slack, engine, tmp_path)
        output, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0, output.decode()
        assert inbox_sizes(slack) == Counter({1: RECIPIENTS}), "a late-answered post was sent twice"
        assert len(slack.calls_named("conversations.history")) >= 3, "each uncertain post was looked for"
    assert delivery_statuses(engine) == {DeliveryStatus.SENT: RECIPIENTS}


def test_sigterm_stops_the_dispatcher_cleanly_and_leaves_no_row_claimed(engine: Engine, tmp_path: Path) -> None:
    with seeded_slack(engine, post_delay=0.02, delayed_posts=RECIPIENTS) as slack:
        worker = dispatcher(slack, engine, tmp_path, LOG_LEVEL="INFO")
        wait_until(lambda: len(slack.calls_named("chat.postMessage")) >= 50, timeout=60)
        os.kill(worker.pid, signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
        assert worker.returncode == 0, output.decode()
        # It stopped by itself, not because its shutdown budget's watchdog ran out (that line would say so); that it
        # stopped mid-fan-out, not after it, is the sent count below.
        assert "SIGTERM received" in output.decode()
        assert "stopping took longer than" not in output.decode()
        statuses = delivery_statuses(engine)
        assert DeliveryStatus.SENDING not in statuses, f"claimed rows were not given back: {statuses}"
        sent = statuses[DeliveryStatus.SENT]
        assert 0 < sent < RECIPIENTS
        assert inbox_sizes(slack) == Counter({1: sent, 0: RECIPIENTS - sent}), "each sent row is one DM"
