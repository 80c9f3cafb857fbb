"""Chaos bench: does every rep get each message exactly once when things go wrong? (issue 12)

Each scenario sends one broadcast (or replays one request) against the Slack emulator while something
breaks: the dispatcher is SIGKILLed, Slack answers 429, 5xx, resets or answers too late, several
instances share one PostgreSQL with a slow Slack and short leases, the database connection drops for
8 s, a leader's submission or a Slack event arrives four times. What counts is what reps *received*
(their emulated inboxes), not what the outbox believes:

    lost        recipients with no DM carrying the broadcast (for events: no effect at all)
    duplicated  recipients with more than one

    .venv/bin/python bench/chaos.py                     # everything (about 8 minutes on 2 cores)
    .venv/bin/python bench/chaos.py --quick             # smaller sizes, fewer kills (about 4 minutes)
    .venv/bin/python bench/chaos.py --only sigkill --only 5
    .venv/bin/python bench/chaos.py --database sqlite   # scenarios 5 and 6 still need PostgreSQL

The last line is `chaos: N/M goals met` (a goal: 0 lost and 0 duplicated). The exit status is 0 whatever
the figures are: they are the result. PostgreSQL work happens in a database this run creates and drops.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chaos_kit import Bench, Databases, Result, Scratch  # noqa: E402

import chaos_dispatch  # noqa: E402
import chaos_requests  # noqa: E402
import chaos_scale  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Scenario:
    key: str  # what --only matches (also its number, e.g. "5" for 5a and 5b)
    number: str
    run: Callable[[Bench], Result]
    needs_postgresql: bool = False


SCENARIOS = (
    Scenario("sigkill", "1", chaos_dispatch.sigkill),
    Scenario("429", "2", chaos_dispatch.rate_limit_storms),
    Scenario("5xx", "3", chaos_dispatch.server_errors_and_resets),
    Scenario("timeout", "4", chaos_dispatch.late_answers),
    Scenario("instances-2", "5a", chaos_scale.two_instances, needs_postgresql=True),
    Scenario("instances-4", "5b", chaos_scale.four_instances, needs_postgresql=True),
    Scenario("db-outage", "6", chaos_scale.database_outage, needs_postgresql=True),
    Scenario("modal-x4", "7a", chaos_requests.modal_submitted_four_times),
    Scenario("send-x4", "7b", chaos_requests.send_command_four_times),
    Scenario("event-x4", "8", chaos_requests.event_delivered_four_times),
)


def selected(only: list[str]) -> list[Scenario]:
    if not only:
        return list(SCENARIOS)
    wanted = {name.strip().lower() for value in only for name in value.split(",") if name.strip()}
    chosen = [s for s in SCENARIOS if s.key in wanted or s.number in wanted or s.number.rstrip("ab") in wanted]
    unknown = wanted - {s.key for s in chosen} - {s.number for s in chosen} - {s.number.rstrip("ab") for s in chosen}
    if unknown:
        names = ", ".join(f"{s.number}/{s.key}" for s in SCENARIOS)
        raise SystemExit(f"chaos: unknown scenario {', '.join(sorted(unknown))}; choose from {names}")
    return chosen


def run_one(scenario: Scenario, bench: Bench) -> Result:
    """Run a scenario; a crash of the bench itself becomes a row saying so, never a lost run."""
    if scenario.needs_postgresql and not bench.databases.postgresql_available():
        return Result(f"{scenario.number} {scenario.key}", "postgresql", skipped=True,
                      notes=["skipped: PostgreSQL not reachable"])
    started = time.monotonic()
    try:
        result = scenario.run(bench)
    except Exception as error:
        traceback.print_exc()
        result = Result(f"{scenario.number} {scenario.key}", bench.database,
                        notes=[f"bench error: {type(error).__name__}: {error}"])
    result.wall = time.monotonic() - started
    return result


def print_table(results: list[Result]) -> None:
    header = f"{'scenario':<36} {'db':<10} {'recipients':>10} {'lost':>6} {'dup':>6} {'wall':>8}  {'goal':<5} notes"
    print(header)
    print("-" * len(header))
    for r in results:
        goal = "skip" if r.skipped else ("met" if r.goal_met else "MISS")
        print(f"{r.name:<36} {r.database:<10} {r.recipients:>10} {r.lost:>6} {r.duplicated:>6} "
              f"{r.wall:>7.1f}s  {goal:<5} {'; '.join(r.notes)}")
    counted = [r for r in results if not r.skipped]
    skipped = len(results) - len(counted)
    tail = f" ({skipped} skipped)" if skipped else ""
    print(f"chaos: {sum(r.goal_met for r in counted)}/{len(counted)} goals met{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller broadcasts, fewer kills and faults")
    parser.add_argument("--only", action="append", default=[], metavar="SCENARIO",
                        help="a scenario's number or name (repeatable, or comma-separated)")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql",
                        help="where scenarios 1-4, 7 and 8 run (5 and 6 always use PostgreSQL)")
    parser.add_argument("--postgresql-url", default=DEFAULT_ADMIN_URL,
                        help="a server to create the bench's own database on (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=12, help="random seed (kill points, fault order)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the scratch directory (dispatcher logs)")
    args = parser.parse_args(argv)
    scenarios = selected(args.only)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")

    scratch = Scratch()
    databases = Databases(args.postgresql_url, scratch.path)
    if args.database == "postgresql" and not databases.postgresql_available():
        print("chaos: falling back to SQLite for scenarios 1-4, 7 and 8", file=sys.stderr)
        args.database = "sqlite"
    bench = Bench(args.quick, args.database, databases, scratch.path, random.Random(args.seed))
    results: list[Result] = []
    try:
        for scenario in scenarios:
            print(f"chaos: running {scenario.number} {scenario.key} ...", file=sys.stderr, flush=True)
            results.append(run_one(scenario, bench))
    finally:
        databases.drop()
        if args.keep_logs:
            print(f"chaos: logs kept in {scratch.path}", file=sys.stderr)
        else:
            scratch.remove()
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
