"""Organisation-size bench: the leader's Home (every team at once) and the coaching job for every manager.

Why: issue 13 promises a leader's Home under 300 ms and the coaching job for all managers of one morning
under 5 s, with full bench data (bench/summary.py's `full` set: 200 teams, 5,000 reps, 1,000,000 answers,
100,000 deliveries). Both read each rep's latest answer per expectation; before revision 0011 they ranked
every answer ever given for it, now they read `answerstate` (one row per rep and expectation, kept by
triggers). This script measures the previous way (bench/org_before.py, kept for the bench only) and the
current way in the same run, on the same data, checks that both give the same result, and prints both.

    .venv/bin/python bench/organisation.py                          # SQLite and PostgreSQL, full set
    .venv/bin/python bench/organisation.py --database sqlite --runs 3
    .venv/bin/python bench/organisation.py --sets small --no-before  # quick look, current way only

Seeding: at head with revision 0011's answerstate triggers off, as bench/summary.py seeds; then 0011's own
statements run (the backfill over the full history, timed and printed, and the triggers, live for the job).
Timed, each call in a fresh session, median and p90 of `--runs` after one warm-up:
- leader Home: bot.core.home.home_for for a leader (every team's line, plus the leader's own figures);
- coaching selection: storage.queries.coaching.nudge_candidates for every manager at once;
- coaching job, one morning: bot.core.coaching.run_daily at 09:30 local time in each of the five zones the
  managers live in, one after the other in one transaction (a run whose window also covers a zone decided
  earlier skips its people, as the real job does), then rolled back, so every timed run decides the same
  day afresh (digests, nudges, outbox rows written and then discarded).
Last line: `organisation: N/M goals met`. Exit 0 even when goals are missed.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import answer_state  # noqa: E402
import org_before  # noqa: E402
import summary as org_data  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.core import coaching, home  # noqa: E402
from bot.slack.people import slack_address  # noqa: E402
from schedules.materialise import DeliveryRules  # noqa: E402
from storage.db import session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import AnswerState, Person  # noqa: E402
from storage.queries import coaching as selection  # noqa: E402
from storage.queries import overview  # noqa: E402

GOALS_MS = {"leader Home": 300.0, "coaching job, one morning": 5000.0}
MORNING = (9, 30)  # local time of each zone's run (inside DRUMBEAT_COACHING_HOUR's default window)
RUN_DAY = (org_data.NOW + timedelta(days=1)).date()  # the working day after the data's "now" (a Tuesday)


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p90_ms: float


def timed(call: Callable[[], object], runs: int) -> tuple[Timing, object]:
    samples, result = [], None
    for run in range(runs + 1):
        started = time.perf_counter()
        result = call()
        if run:
            samples.append((time.perf_counter() - started) * 1000)
    return Timing(statistics.median(samples), org_data.percentile(samples, 0.9)), result


@contextmanager
def patched(module: object, name: str, value: object) -> Iterator[None]:
    """The previous query in place of the current one, for one timed call (bench only)."""
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


def mornings(engine: Engine) -> list[datetime]:
    """09:30 local on RUN_DAY in every zone a manager lives in: one coaching run each covers the whole day."""
    with session_scope(engine) as session:
        zones = sorted(set(session.execute(select(Person.tz).where(Person.role == "manager")).scalars()))
    return [datetime(RUN_DAY.year, RUN_DAY.month, RUN_DAY.day, *MORNING, tzinfo=ZoneInfo(tz)) for tz in zones]


def coaching_morning(engine: Engine, moments: list[datetime]) -> Callable[[], object]:
    """Every manager's coaching run of one day, each zone's run in a transaction that is rolled back."""
    policy, rules = coaching.CoachingPolicy(), DeliveryRules()

    def call() -> object:
        with Session(engine) as session:
            reports = [coaching.run_daily(session, now=moment, policy=policy, rules=rules) for moment in moments]
            session.rollback()
        return [(r.managers, r.nudges, r.reps) for r in reports]
    return call


def leader_home(engine: Engine) -> Callable[[], object]:
    def call() -> object:
        with session_scope(engine) as session:
            return home.home_for(session, caller=slack_address(org_data.MEASURED_LEADER), command="/drumbeat",
                                 now=org_data.NOW).organisation
    return call


def candidates(engine: Engine, nudge_candidates: Callable[..., object]) -> Callable[[], object]:
    def call() -> object:
        with session_scope(engine) as session:
            return nudge_candidates(session, now=org_data.NOW, rules=selection.SelectionRules())
    return call


def measure(engine: Engine, runs: int, before: bool) -> dict[str, tuple[Timing | None, Timing, bool | None]]:
    """(before, now, same result) per call."""
    moments = mornings(engine)
    calls = {
        "leader Home": (leader_home(engine), (overview, "org_by_team", org_before.org_by_team)),
        "coaching selection": (candidates(engine, selection.nudge_candidates),
                               (selection, "nudge_candidates", org_before.nudge_candidates)),
        "coaching job, one morning": (coaching_morning(engine, moments),
                                      (coaching, "nudge_candidates", org_before.nudge_candidates)),
    }
    results: dict[str, tuple[Timing | None, Timing, bool | None]] = {}
    for name, (call, (module, attribute, previous)) in calls.items():
        org_data.progress(f"timing {name}")
        now_timing, now_result = timed(call, runs)
        old_timing = same = None
        if before:
            old_call = candidates(engine, previous) if name == "coaching selection" else call
            with patched(home if name == "leader Home" else module, attribute, previous):
                old_timing, old_result = timed(old_call, max(1, runs // 2))
            same = old_result == now_result
        results[name] = (old_timing, now_timing, same)
    return results


def seed(engine: Engine, data: org_data.DataSet) -> tuple[float, float]:
    """Seed at head with 0011's triggers off, then do what 0011 does (backfill, triggers on), timed
    (bench/answer_state.py says why). Returns (seed s, 0011 backfill s)."""
    upgrade(engine)
    answer_state.triggers_off(engine)
    started = time.perf_counter()
    org_data.seed(engine, data)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    answer_state.backfill_and_triggers_on(engine)
    backfill = time.perf_counter() - started
    org_data.analyse(engine)
    return seeded, backfill


def run_one(database: str, data: org_data.DataSet, args: argparse.Namespace) -> list[bool]:
    opened = org_data.sqlite_database() if database == "sqlite" else org_data.postgresql_database(args.database_url)
    with opened as engine:
        seeded, backfill = seed(engine, data)
        with engine.connect() as connection:
            states = connection.execute(select(func.count()).select_from(AnswerState)).scalar_one()
        print(f"\n{database} / {data.name}: {data.teams} teams, {data.reps:,} reps; seeded in {seeded:.1f} s; "
              f"0011 backfill of {states:,} answer states in {backfill:.1f} s", flush=True)
        gc.collect()
        results = measure(engine, args.runs, args.before)
    print(f"  {'call':<28} {'before ms':>10} {'now ms':>9} {'now p90':>8} {'x faster':>9}  same  goal", flush=True)
    met = []
    for name, (old, now, same) in results.items():
        goal = GOALS_MS.get(name)
        verdict = "" if goal is None else ("met" if now.median_ms < goal else "MISSED") + f" (< {goal:.0f} ms)"
        if goal is not None:
            met.append(now.median_ms < goal)
        before = f"{old.median_ms:10.1f}" if old else f"{'-':>10}"
        ratio = f"{old.median_ms / now.median_ms:9.1f}" if old else f"{'-':>9}"
        print(f"  {name:<28} {before} {now.median_ms:9.1f} {now.p90_ms:8.1f} {ratio}  "
              f"{'-' if same is None else 'yes' if same else 'NO'}{'':>3} {verdict}", flush=True)
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sets", default="full", help="comma-separated: small, full (default full)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per call after one warm-up (default 5; "
                                                            "the previous way gets half as many)")
    parser.add_argument("--database-url", default=org_data.DEFAULT_PG)
    parser.add_argument("--no-before", dest="before", action="store_false", help="skip the previous way")
    args = parser.parse_args()
    sets = [org_data.data_set(name.strip(), args.scale) for name in args.sets.split(",") if name.strip()]
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"Organisation at size: leader Home and coaching for every manager; median of {args.runs} runs; goals: "
          + ", ".join(f"{name} < {ms:.0f} ms" for name, ms in GOALS_MS.items()), flush=True)
    met = [ok for database in databases for data in sets for ok in run_one(database, data, args)]
    print(f"organisation: {sum(met)}/{len(met)} goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
