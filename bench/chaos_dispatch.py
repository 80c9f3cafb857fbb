"""Scenarios 1-4: one `drumbeat dispatch` process sending one broadcast while things go wrong around it.

1. SIGKILL at random points, some while a post is in flight (Slack still delivers it after the kill).
2. 429 storms: bursts of rate-limit answers with Retry-After.
3. Random 5xx answers and connection resets, on posts and on the history look-ups made before a resend.
4. Posts answered after the client's 15 s timeout (the emulator holds them 20 s, then delivers them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.emulators.slack import SlackEmulator
from chaos_kit import (
    SIGNING_SECRET,
    Bench,
    DispatcherProcess,
    PostCounter,
    Result,
    add_reps,
    count_inboxes,
    delivery_statuses,
    queue_broadcast,
    seed_org,
    settle,
    stop_all,
    wait_until,
)

#: The Slack client's timeout (bot/slack/sender.py `no_retry_client`; no setting changes it).
CLIENT_TIMEOUT_SECONDS = 15
#: 10 s after the client gave up: the dispatcher's history check before a retry runs 2-6 s after the
#: timeout (backoff, then the rest of its batch), so with 20 s some late posts land just before the check
#: and the count depends on luck; at 25 s every late post is a trial. A fix must resolve the ambiguity.
LATE_ANSWER_SECONDS = 25
RETRY_CHECK_SECONDS = 7  # after the timeout, by when the dispatcher has checked the history and resent
FINISH_TIMEOUT = 240.0


@dataclass
class Setup:
    """One broadcast queued for `ids`, the emulator that plays Slack, and the processes started on it."""

    bench: Bench
    slack: SlackEmulator
    engine: Engine
    url: str
    ids: list[str]
    posts: PostCounter
    processes: list[DispatcherProcess] = field(default_factory=list)

    def start(self, url: str | None = None, **settings: str) -> DispatcherProcess:
        process = DispatcherProcess(self.slack, url or self.url, self.bench.workdir, **settings)
        self.processes.append(process)
        return process

    def finish(self, result: Result, *, quiet: float = 1.0) -> None:
        """Let late answers land, then count what reps got and what the outbox believes."""
        settle(self.slack, quiet=quiet)
        count_inboxes(self.slack, self.ids, result)
        statuses = delivery_statuses(self.engine)
        if set(statuses) != {"sent"}:
            result.notes.append("rows: " + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())))


@contextmanager
def broadcast_setup(bench: Bench, label: str, recipients: int, *, kind: str | None = None) -> Iterator[Setup]:
    """A fresh database with the org and one queued broadcast; Slack without its own rate limits (the
    scenario injects the faults it is about), so nothing but the scenario's chaos is measured."""
    url, engine = bench.databases.fresh(kind or bench.database, label)
    try:
        with SlackEmulator(SIGNING_SECRET, post_message_per_minute=100_000) as slack:
            ids = add_reps(slack, recipients)
            seed_org(engine, recipients)
            queued = queue_broadcast(engine)
            assert queued == recipients, f"queued {queued} of {recipients}"
            setup = Setup(bench, slack, engine, url, ids, PostCounter(slack))
            try:
                yield setup
            finally:
                stop_all(setup.processes)
    finally:
        engine.dispose()


def wait_for_exit(process: DispatcherProcess, result: Result, timeout: float = FINISH_TIMEOUT) -> None:
    code = process.wait(timeout)
    if code is None:
        result.notes.append(f"dispatcher still running after {timeout:.0f} s: killed")
        process.kill()
    elif code != 0:
        result.notes.append(f"dispatcher exited rc={code}: {process.last_error()}")


def progress_points(bench: Bench, recipients: int, count: int) -> list[int]:
    """`count` distinct random post counts spread over the broadcast, in order."""
    low, high = max(1, recipients // 20), max(2, recipients * 9 // 10)
    return sorted(bench.rng.sample(range(low, high), min(count, high - low)))


# -- 1. SIGKILL -----------------------------------------------------------------------------------------


def sigkill(bench: Bench) -> Result:
    recipients, kills = bench.size(1000, 200), bench.size(20, 5)
    result = Result(f"1 SIGKILL x{kills} mid-broadcast", bench.database, recipients)
    lease = {"DRUMBEAT_CLAIM_LEASE": "1"}  # a restart reclaims the dead process's rows at once
    with broadcast_setup(bench, "sigkill", recipients) as setup:
        kill_marks: list[tuple[float, int]] = []
        for point in progress_points(bench, recipients, kills):
            process = setup.start(**lease)
            if not wait_until(lambda: setup.posts.value >= point or not process.running, timeout=60):
                result.notes.append(f"no progress to {point} posts")
            if not process.running:
                wait_for_exit(process, result, 1)
                break
            kill_marks.append(kill_at_a_random_moment(setup, process, bench))
        wait_for_exit(setup.start(**lease), result)
        setup.finish(result, quiet=1.5)
        in_flight = posts_in_flight(setup.slack, kill_marks)
        result.notes.insert(0, f"{len(kill_marks)} kills, {in_flight} with a post in flight")
    return result


def kill_at_a_random_moment(setup: Setup, process: DispatcherProcess, bench: Bench) -> tuple[float, int]:
    """Kill now-ish; most times first make the next post slow, so it is in flight when the process dies.
    Returns (when, posts recorded by then) to tell afterwards which posts were in flight."""
    if bench.rng.random() < 0.7:
        setup.slack.inject_fault("chat.postMessage", delay=bench.rng.uniform(0.3, 1.0))
        time.sleep(bench.rng.uniform(0.05, 0.2))
    else:
        time.sleep(bench.rng.uniform(0.0, 0.1))
    mark = (time.time(), len(setup.slack.calls_named("chat.postMessage")))
    process.kill()
    setup.slack.clear_faults()  # an unused slow answer must not carry over to the next process
    return mark


def posts_in_flight(slack: SlackEmulator, marks: list[tuple[float, int]]) -> int:
    """Kills that had a post in flight: one that had arrived at the emulator but was answered after."""
    arrivals = [call.at for call in slack.calls_named("chat.postMessage")]
    return sum(1 for at, recorded in marks if sum(1 for arrived in arrivals if arrived <= at) > recorded)


# -- 2. 429 storms ---------------------------------------------------------------------------------------


def rate_limit_storms(bench: Bench) -> Result:
    recipients, storms = bench.size(300, 100), bench.size(6, 3)
    result = Result(f"2 429 storms x{storms}", bench.database, recipients)
    with broadcast_setup(bench, "storms", recipients) as setup:
        process = setup.start()
        for point in progress_points(bench, recipients, storms):
            wait_until(lambda: setup.posts.value >= point or not process.running, timeout=120)
            if not process.running:
                break
            setup.slack.inject_fault("chat.postMessage", status=429, times=bench.rng.randint(3, 8))
        wait_for_exit(process, result)
        setup.finish(result)
        answered = sum(1 for call in setup.slack.calls if call.http_status == 429)
        result.notes.insert(0, f"{answered} answered 429 (Retry-After 1)")
    return result


# -- 3. 5xx and resets -----------------------------------------------------------------------------------

FAULTY_METHODS = ("chat.postMessage", "chat.postMessage", "chat.postMessage", "conversations.history",
                  "conversations.open")
FAULTS = (500, 502, 503, 504, "reset")


def server_errors_and_resets(bench: Bench) -> Result:
    recipients, faults = bench.size(300, 100), bench.size(40, 15)
    result = Result(f"3 5xx + resets x{faults}", bench.database, recipients)
    with broadcast_setup(bench, "errors", recipients) as setup:
        process = setup.start()
        for _ in range(faults):
            time.sleep(bench.rng.uniform(0.02, 0.25))
            if not process.running:
                break
            method, fault = bench.rng.choice(FAULTY_METHODS), bench.rng.choice(FAULTS)
            if fault == "reset":
                setup.slack.inject_fault(method, reset=True)
            else:
                setup.slack.inject_fault(method, status=int(fault))
        wait_for_exit(process, result)
        setup.slack.clear_faults()
        setup.finish(result)
        hit = sum(1 for call in setup.slack.calls if call.http_status == 0 or call.http_status >= 500)
        result.notes.insert(0, f"{hit} calls answered 5xx or reset")
    return result


# -- 4. answers after the client timeout -----------------------------------------------------------------


#: Default pacing, and batches of 20 rows (4 s at that pace): a timed-out row is retried as soon as its
#: batch ends, which in a real broadcast happens to any post late in a batch. With one 200-row batch here,
#: only a late post near the end of it would be retried before it lands, and the late posts would not be
#: independent trials.
LATE_SETTINGS = {"DRUMBEAT_SLACK_POSTS_PER_MINUTE": "300", "DRUMBEAT_DISPATCH_BATCH": "20"}


def late_answers(bench: Bench) -> Result:
    recipients, late = bench.size(150, 50), bench.size(3, 1)
    result = Result(f"4 posts answered after timeout x{late}", bench.database, recipients)
    with broadcast_setup(bench, "late", recipients) as setup:
        process = setup.start(**LATE_SETTINGS)
        wait_until(lambda: setup.posts.value >= recipients // 10 or not process.running, timeout=60)
        last_injected = time.monotonic()
        for n in range(late):
            # Each late post after the previous one has timed out and been retried: independent trials.
            if n:
                time.sleep(max(0.0, last_injected + CLIENT_TIMEOUT_SECONDS + RETRY_CHECK_SECONDS - time.monotonic()))
            if not process.running:
                result.notes.append(f"broadcast finished after {n} late posts")
                break
            setup.slack.inject_fault("chat.postMessage", delay=LATE_ANSWER_SECONDS)
            last_injected = time.monotonic()
        wait_for_exit(process, result)
        time.sleep(max(0.0, last_injected + LATE_ANSWER_SECONDS + 0.5 - time.monotonic()))  # let the last land
        setup.finish(result)
        result.notes.insert(0, f"answered after {LATE_ANSWER_SECONDS} s, client timeout {CLIENT_TIMEOUT_SECONDS} s, "
                               "300/min, batch 20")
    return result
