"""Acknowledgement benchmark: how fast Drumbeat answers Slack, 50 signed requests at a time, per kind of request.

Slack shows a person an error after 3 s without an answer, and a person who waits presses again. Goals
(issue 13): p99 under 20 ms for help, 50 ms for Got it, a quiz answer, a send at any audience size and the
broadcast modal, 100 ms for a summary. The peer, in the same run on the same machine, is a plain Bolt app that
only calls `ack()`, served by the same WSGI server with the same threads and signature check; the ratio of
our p99 to its p99 is what Drumbeat adds.

    .venv/bin/python bench/ack.py                       # SQLite, then PostgreSQL (127.0.0.1:5432/test)
    .venv/bin/python bench/ack.py --database sqlite --per-kind 100
    .venv/bin/python bench/ack.py --database-url postgresql://postgres@127.0.0.1:5432/test

Kinds: help, Got it (each of 500 reps presses it in their DM), quiz answer (each answers the question `quiz me`
sent them), summary (25 managers of 25 reps), send to 300, send to 10,000 (`--big-sends`, default 50: each
one writes 10,000 deliveries after its answer), broadcast modal submission (50 leaders, one open modal each
per round). Times are the emulator's, from sending the signed request to reading the answer. The work each
kind leaves after its answers is waited for before the next kind starts, and its duration printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ack_org import LEADER, Org, build_org, seed  # noqa: E402
from bench.ack_servers import Child, drumbeat_server, peer_server  # noqa: E402
from bench.fanout import throwaway_database  # noqa: E402
from bot.app import Drumbeat  # noqa: E402
from bot.emulators.slack import SlackEmulator  # noqa: E402
from bot.emulators.slack.actor import ActorResponse  # noqa: E402
from bot.emulators.slack.errors import EmulatorError  # noqa: E402
from bot.settings import settings_from_mapping  # noqa: E402
from bot.slack.ids import ActionId  # noqa: E402

SECRET = "ack-secret"
GOALS_MS = {"help": 20.0, "Got it": 50.0, "quiz answer": 50.0, "summary": 100.0, "broadcast modal": 50.0,
            "send to 300": 50.0, "send to 10,000": 50.0}
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Timed:
    ours: list[float]
    peer: list[float]
    drained_s: float
    failures: int
    cpu_ms: float = float("nan")  # answering-process CPU per request, ours (its work process not counted)
    peer_cpu_ms: float = float("nan")


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


class Bench:
    """`drumbeat` (in this process) seeds and dispatches; `server` is the Drumbeat that answers, `peer` the
    plain Bolt app, each in its own process (bench.ack_servers)."""

    def __init__(self, drumbeat: Drumbeat, emulator: SlackEmulator, org: Org, server: Child, peer: Child,
                 concurrency: int) -> None:
        self.drumbeat, self.emulator, self.org = drumbeat, emulator, org
        self.server, self.peer, self.concurrency = server, peer, concurrency
        self.bot_url = server.url

    def _fire(self, requests: Sequence[Callable[[], ActorResponse]]) -> tuple[list[float], int]:
        def one(request: Callable[[], ActorResponse]) -> tuple[float, bool]:
            started = time.perf_counter()
            try:
                response = request()
            except EmulatorError:  # no answer within the emulator's timeout: a failure, timed as such
                return (time.perf_counter() - started) * 1000, False
            return response.elapsed * 1000, response.status == 200

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            results = list(pool.map(one, requests))
        return [ms for ms, _ in results], sum(1 for _, ok in results if not ok)

    def drain(self) -> float:
        return self.server.drain()

    def time_kind(self, requests: Sequence[Callable[[], ActorResponse]],
                  peer_requests: Sequence[Callable[[], ActorResponse]] | None = None) -> Timed:
        """Our answers (not waiting for the work after them), the drain of that work, then the peer's."""
        self.emulator.after_each_answer(lambda: None)
        before = self.server.cpu_seconds()
        ours, failures = self._fire(requests)
        cpu = self.server.cpu_seconds() - before  # read before the drain: with threads, the work runs in it
        drained = self.drain()
        self.emulator.connect_bot(self.peer.url)
        before = self.peer.cpu_seconds()
        peer, _ = self._fire(peer_requests if peer_requests is not None else requests)
        peer_cpu = self.peer.cpu_seconds() - before
        self.emulator.connect_bot(self.bot_url)
        return Timed(ours, peer, drained, failures, cpu * 1000 / max(1, len(ours)), peer_cpu * 1000 / max(1, len(peer)))

    def prepare(self, requests: Sequence[Callable[[], ActorResponse]]) -> None:
        self.emulator.after_each_answer(lambda: None)
        self._fire(requests)
        self.drain()

    def command(self, user: str, text: str) -> Callable[[], ActorResponse]:
        return lambda: self.emulator.slash_command(user, text=text)

    def press(self, user: str, action_prefix: str) -> Callable[[], ActorResponse]:
        """Press the first button whose action id starts with `action_prefix` in the user's newest DM with one."""
        for dm in reversed(self.emulator.inbox(user)):
            for block in dm.get("blocks") or []:
                for element in block.get("elements") or [] if block.get("type") == "actions" else []:
                    if str(element.get("action_id", "")).startswith(action_prefix):
                        return lambda: self.emulator.click(user, channel=dm["channel"], ts=dm["ts"],
                                                           action_id=element["action_id"], value=element.get("value"))
        raise RuntimeError(f"{user} has no DM with a {action_prefix} button")


    def later_press(self, user: str) -> Callable[[], ActorResponse]:
        """For the peer: a click on whatever button the DM has once Drumbeat re-rendered it (the same kind of
        signed block_actions request; the peer only acknowledges it)."""
        return lambda: self.press(user, "")()


def clickers(org: Org, count: int) -> list[str]:
    return [*org.big_team, *org.reps][:count]


def run_got_it(bench: Bench, count: int) -> Timed:
    people = clickers(bench.org, count)
    bench.prepare([bench.command(LEADER, "send bench to Big")] +
                  [bench.command(LEADER, f"send bench to Team {n:02d}") for n in range(len(bench.org.managers))])
    while bench.drumbeat.dispatch_now().touched:
        pass
    presses = [bench.press(user, ActionId.ACKNOWLEDGE.value) for user in people]
    return bench.time_kind(presses, [bench.later_press(user) for user in people])


def run_quiz(bench: Bench, count: int) -> Timed:
    people = clickers(bench.org, count)
    bench.prepare([bench.command(user, "quiz me") for user in people])
    return bench.time_kind([bench.press(user, "quiz_answer_") for user in people],
                           [bench.later_press(user) for user in people])


def run_modal(bench: Bench, count: int) -> Timed:
    """Rounds of one open modal per leader, submitted 50 at a time; the peer gets the same kind of rounds."""
    values = {"message_pick": "bench", "teams_input": ["Team 00"], "when_input": "now"}
    leaders = bench.org.modal_leaders
    ours: list[float] = []
    peer: list[float] = []
    drained, failures, cpu, peer_cpu = 0.0, 0, 0.0, 0.0
    for start in range(0, count, len(leaders)):
        group = leaders[:min(len(leaders), count - start)]
        for target in ("ours", "peer"):
            bench.prepare([bench.command(user, "broadcast") for user in group])
            views = {user: bench.emulator.open_views(user)[-1]["id"] for user in group}
            submits = [lambda user=user: bench.emulator.submit_view(user, views[user], values) for user in group]
            if target == "ours":
                bench.emulator.after_each_answer(lambda: None)
                before = bench.server.cpu_seconds()
                times, failed = bench._fire(submits)
                cpu += bench.server.cpu_seconds() - before
                ours += times
                failures += failed
                drained += bench.drain()
            else:
                bench.emulator.connect_bot(bench.peer.url)
                before = bench.peer.cpu_seconds()
                peer += bench._fire(submits)[0]
                peer_cpu += bench.peer.cpu_seconds() - before
                bench.emulator.connect_bot(bench.bot_url)
    return Timed(ours, peer, drained, failures, cpu * 1000 / max(1, len(ours)), peer_cpu * 1000 / max(1, len(peer)))


def run_all(bench: Bench, per_kind: int, big_sends: int, kinds: Sequence[str]) -> dict[str, Timed]:
    org = bench.org
    users = [*org.managers, *org.reps]
    # Untimed: both servers' first requests import, compile and cache what every later one reuses.
    bench.time_kind([bench.command(users[n % len(users)], "help") for n in range(2 * bench.concurrency)])
    runs: dict[str, Callable[[], Timed]] = {
        "help": lambda: bench.time_kind([bench.command(users[n % len(users)], "help") for n in range(per_kind)]),
        "Got it": lambda: run_got_it(bench, per_kind),
        "quiz answer": lambda: run_quiz(bench, per_kind),
        "summary": lambda: bench.time_kind([bench.command(org.managers[n % len(org.managers)], "summary")
                                            for n in range(per_kind)]),
        "broadcast modal": lambda: run_modal(bench, per_kind),
        "send to 300": lambda: bench.time_kind([bench.command(LEADER, "send bench to Big") for _ in range(per_kind)]),
        "send to 10,000": lambda: bench.time_kind([bench.command(LEADER, "send bench to Field")
                                                   for _ in range(big_sends)]),
    }
    return {kind: run() for kind, run in runs.items() if kind in kinds}


def measure(database_url: str | None, args: argparse.Namespace, work: str) -> dict[str, Timed]:
    url, drop = throwaway_database(database_url)
    workdir = Path(tempfile.mkdtemp(prefix="drumbeat-ack-"))
    emulator = SlackEmulator(SECRET, rate_limits=False).start()
    mapping = {
        "SLACK_BOT_TOKEN": emulator.bot_token, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.api_url,
        "DATABASE_URL": url or f"sqlite:///{workdir / 'ack.db'}", "DRUMBEAT_QUIET_HOURS": "off",
        "LOG_LEVEL": "WARNING", "DRUMBEAT_SLACK_POSTS_PER_MINUTE": "0", "DRUMBEAT_DAILY_CAP": "0",
    }
    settings = settings_from_mapping(mapping)
    drumbeat = Drumbeat(settings)
    org = build_org(field_size=args.field)
    servers: list[Child] = []
    try:
        seed(drumbeat, emulator, org)
        servers.append(drumbeat_server(mapping, hold_work=args.hold_work, work_process=work == "process"))
        servers.append(peer_server(SECRET, settings.command, emulator.bot_token, emulator.api_url))
        emulator.connect_bot(servers[0].url)
        bench = Bench(drumbeat, emulator, org, servers[0], servers[1], args.concurrency)
        return run_all(bench, args.per_kind, args.big_sends, args.kinds)
    finally:
        for server in servers:
            server.stop()
        drumbeat.close()
        emulator.stop()
        drop()


def report(name: str, org: Org, results: dict[str, Timed]) -> int:
    print(f"\n{name}: {org.people:,} people (+ a {org.field_size:,}-rep team for the biggest send), "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'kind':<16}{'n':>5}{'p50':>9}{'p95':>9}{'p99':>9}{'peer p99':>10}{'ratio':>7}{'goal':>8}"
          f"{'fails':>6}{'after':>9}{'cpu/req':>9}{'peer cpu':>9}")
    met = 0
    for kind, timed in results.items():
        p99, peer99 = percentile(timed.ours, 0.99), percentile(timed.peer, 0.99)
        ok = p99 < GOALS_MS[kind] and timed.failures == 0
        met += ok
        print(f"{kind:<16}{len(timed.ours):>5}{statistics.median(timed.ours):>8.1f} {percentile(timed.ours, .95):>8.1f}"
              f"{p99:>9.1f}{peer99:>10.1f}{p99 / peer99:>6.1f}x{GOALS_MS[kind]:>6.0f}ms{'' if ok else '!':1}"
              f"{timed.failures:>5}{timed.drained_s:>8.1f}s{timed.cpu_ms:>9.2f}{timed.peer_cpu_ms:>9.2f}")
    print("(ms; 'after': seconds the work left after the answers took to finish; '!': goal missed; 'cpu/req':\n"
          " the answering process's CPU per request, ours and the peer's: with one GIL, a burst of N requests\n"
          " cannot all be answered sooner than about N x cpu/req, whatever else is done)")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--database-url", default=None, help=f"PostgreSQL to use (default {POSTGRES})")
    parser.add_argument("--per-kind", type=int, default=500)
    parser.add_argument("--big-sends", type=int, default=50)
    parser.add_argument("--field", type=int, default=10_000, help="size of the team the biggest send addresses")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--hold-work", action="store_true",
                        help="start the work after the answers only once a kind's answers are in (answers timed "
                             "without that work competing for the cores; the work still runs)")
    parser.add_argument("--work", choices=("process", "threads", "both"), default="process",
                        help="where the work after the answers runs: a work process of its own, as `drumbeat run` "
                             "does (default), the answering process's threads, or both, one after the other")
    parser.add_argument("--kinds", nargs="+", choices=tuple(GOALS_MS), default=tuple(GOALS_MS), metavar="KIND",
                        help=f"which kinds to time (default all: {', '.join(GOALS_MS)})")
    args = parser.parse_args()
    targets: list[tuple[str, str | None]] = []
    if args.database_url:
        targets.append(("PostgreSQL", args.database_url))
    else:
        if args.database in ("sqlite", "both"):
            targets.append(("SQLite", None))
        if args.database in ("postgresql", "both"):
            targets.append(("PostgreSQL", POSTGRES))
    met = total = 0
    org = build_org(field_size=args.field)
    works = ("threads", "process") if args.work == "both" else (args.work,)
    if args.hold_work and "process" in works:
        parser.error("--hold-work holds the answering process's own pool: use it with --work threads")
    for name, url in targets:
        for work in works:
            results = measure(url, args, work)
            met += report(f"{name}, work after the answers in {'a work process' if work == 'process' else 'threads'}",
                          org, results)
            total += len(results)
    print(f"ack: {met}/{total} goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
