"""Schedule benchmark: what one materialise tick costs as broadcasts and recipients grow.

The tick runs every 30 s; it must cost what is due, not what exists. For each size it times an idle tick
(nothing due; median of --repeats) and a due tick (10 team broadcasts due among all the others, or one
broadcast due to every rep; median of 3, its rows removed after each), and, during one more due tick, another
process's one-row write (its own connection, every 5 ms). Sizes: 1k / 10k / 100k broadcasts to teams of 25 in
an organisation of 1,000 reps, and 100 broadcasts to every rep of 1,000 / 10,000 reps (four zones each).

The peer, in the same run on the same rows, is the materialiser as it was before next due instants
(bench/schedule_old.py: every member of every broadcast loaded per tick, in one transaction), one run each,
at the sizes where it finishes in seconds (one of its idle ticks at 10,000 broadcasts took 170 s).

Goals (issue 13): idle tick < 50 ms at 1,000 broadcasts, < 100 ms at 10,000, < 50 ms for 100 broadcasts to
~10,000 reps; and a one-row write from another connection during a due tick, p99 < 100 ms ("never waits
long": the figure is ours). 100,000 broadcasts are copied by INSERT ... SELECT from planned ones.

    .venv/bin/python bench/schedule.py [--quick] [--postgres] [--database-url postgresql://...]

SQLite always; PostgreSQL too when DATABASE_URL is set, --postgres is given (DATABASE_URL or the local test
server) or --database-url names one (a throw-away schema, as bench/claim.py). --quick: up to 10,000
broadcasts, the peer at 100 only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, func, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bench.fanout import throwaway_database  # noqa: E402
from bench.schedule_old import old_materialise_due  # noqa: E402
from schedules.materialise import DeliveryRules, materialise_due  # noqa: E402
from schedules.recurrence import Recurrence  # noqa: E402
from storage.db import is_postgresql, make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Broadcast, Delivery, Message, Person, Role, Team  # noqa: E402

LOCAL_TEST_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
RULES = DeliveryRules()  # 19:00-08:00 and weekends quiet, 3 a day: the defaults
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London")
CREATED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday
IDLE = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # Saturday: nothing is due anywhere
DUE = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # Sunday 10:00 has passed in every zone, Monday 09:00 in none
MONDAY, SUNDAY = 0, 6
DUE_SOON = 10  # broadcasts due at the due tick, among all the others
GOALS_MS = {"1,000 broadcasts": 50.0, "10,000 broadcasts": 100.0, "100 x 10,000 reps": 50.0}
TEAM_SIZE = 25
WRITE_GOAL_MS = 100.0


def recurrence(weekday: int, hour: int) -> Recurrence:
    return Recurrence(kind="weekly", start=date(2026, 11, 27), at=time_of_day(hour, 0), weekdays=(weekday,))


@dataclass
class Row:
    label: str
    idle_ms: float
    due_ms: float
    due_rows: int
    old_idle_ms: float | None = None
    old_due_ms: float | None = None
    writes: list[float] = field(default_factory=list)  # another connection's one-row writes while ticks ran
    old_writes: list[float] = field(default_factory=list)


# --- seeding ------------------------------------------------------------------------------------------


def seed_people(engine: Engine, reps: int) -> tuple[int, int, list[int]]:
    """`reps` reps in teams of 25 across four zones, a leader and a message; (leader, message, team ids)."""
    teams = max(1, reps // TEAM_SIZE)
    with session_scope(engine) as session:
        session.add_all(Team(name=f"Team {n}") for n in range(teams))
        leader = Person(name="Lena", role=Role.LEADER, tz="Europe/Berlin")
        message = Message(key="focus", title="Focus", body="Hi")
        session.add_all([leader, message])
        session.flush()
        team_ids = list(session.execute(select(Team.id).order_by(Team.id)).scalars())
        ids = (leader.id or 0, message.id or 0)
    rows = [{"name": f"Rep {n}", "tz": ZONES[n % len(ZONES)], "role": Role.REP, "team_id": team_ids[n % teams],
             "active": True, "created_at": CREATED, "updated_at": CREATED} for n in range(reps)]
    with engine.begin() as connection:
        for start in range(0, reps, 5000):
            connection.execute(insert(Person), rows[start:start + 5000])
    return ids[0], ids[1], team_ids


def add_broadcast(engine: Engine, leader: int, message: int, audience: dict[str, object], when: Recurrence) -> int:
    with session_scope(engine) as session:
        broadcast = Broadcast(message_id=message, created_by_id=leader, audience=audience, audience_label="bench",
                              recurrence=when.to_json(), starts_at=CREATED, created_at=CREATED,
                              updated_at=CREATED, anchor_tz="Europe/Berlin")
        session.add(broadcast)
        session.flush()
        return broadcast.id or 0


def multiply(engine: Engine, keep_apart: list[int], total: int) -> None:
    """Copies of the other broadcasts (planned state included) up to `total`, by INSERT ... SELECT doubling."""
    listed = ", ".join(column.name for column in Broadcast.__table__.columns if column.name != "id")
    apart = ", ".join(str(n) for n in keep_apart)
    with engine.begin() as connection:
        while (count := connection.execute(select(func.count()).select_from(Broadcast)).scalar_one()) < total:
            connection.execute(text(f"INSERT INTO broadcast ({listed}) SELECT {listed} FROM broadcast "
                                    f"WHERE id NOT IN ({apart}) ORDER BY id LIMIT {total - count}"))


def seed_broadcasts(engine: Engine, *, broadcasts: int, reps: int, all_reps: bool) -> list[int]:
    """`broadcasts` broadcasts every Monday at 09:00 local (each to a team, or to every rep), planned; of them
    DUE_SOON (or one, to every rep) every Sunday at 10:00 instead (returned): what the due tick materialises."""
    leader, message, team_ids = seed_people(engine, reps)

    def audience(n: int) -> dict[str, object]:
        return {"all_reps": True} if all_reps else {"team_ids": [team_ids[n % len(team_ids)]]}

    due = [add_broadcast(engine, leader, message, audience(n), recurrence(SUNDAY, 10))
           for n in range(1 if all_reps else DUE_SOON)]
    for n in range(min(40, broadcasts) - len(due)):
        add_broadcast(engine, leader, message, audience(n), recurrence(MONDAY, 9))
    with session_scope(engine) as session:  # plan the templates and the due ones (the copies inherit the plan)
        materialise_due(session, now=CREATED, rules=RULES)
    multiply(engine, due, broadcasts)
    if is_postgresql(engine):
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return due


# --- timing -------------------------------------------------------------------------------------------


def tick(engine: Engine, now: datetime, old: bool = False) -> float:
    started = time.perf_counter()
    with session_scope(engine) as session:
        (old_materialise_due if old else materialise_due)(session, now=now, rules=RULES)
    return (time.perf_counter() - started) * 1000


class Writer:
    """Another process (its own connection) writing one row, again and again, while ticks run: its waits. A
    process, not a thread, so neither the tick nor the writer waits for the other's turn at the GIL."""

    def __init__(self, engine: Engine, person_id: int) -> None:
        context = multiprocessing.get_context("fork")
        self._stop = context.Event()
        self._ready = context.Event()
        self._receive, send = context.Pipe(duplex=False)
        url = engine.url.render_as_string(hide_password=False)
        self._process = context.Process(target=_write_until, args=(url, person_id, self._stop, self._ready, send),
                                        daemon=True)
        self.samples: list[float] = []

    def __enter__(self) -> Writer:
        self._process.start()
        self._ready.wait(30)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self.samples = self._receive.recv()
        self._process.join()


def _write_until(url: str, person_id: int, stop: Any, ready: Any, send: Any) -> None:
    engine = make_engine(url)
    samples: list[float] = []
    with engine.begin() as connection:  # connected before the tick starts
        connection.execute(select(1))
    ready.set()
    while not stop.is_set():
        started = time.perf_counter()
        try:
            with engine.begin() as connection:
                connection.execute(update(Person).where(Person.id == person_id).values(updated_at=datetime.now(UTC)))
        except OperationalError:  # SQLite's busy timeout (30 s) ran out: it waited at least that long
            pass
        samples.append((time.perf_counter() - started) * 1000)
        time.sleep(0.005)
    send.send(samples)
    engine.dispose()


def snapshot(engine: Engine, ids: list[int]) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(select(Broadcast.__table__).where(Broadcast.id.in_(ids))).mappings().all()
    return [dict(row) for row in rows]


def restore(engine: Engine, saved: list[dict[str, object]]) -> None:
    """Untimed: the due broadcasts as they were before the due tick, and their rows gone."""
    table = Broadcast.__table__
    with engine.begin() as connection:
        ids = [row["id"] for row in saved]
        connection.execute(delete(Delivery).where(Delivery.broadcast_id.in_(ids)))
        for row in saved:
            connection.execute(update(table).where(table.c.id == row["id"]).values(
                {key: value for key, value in row.items() if key != "id"}))


def tick_writing(engine: Engine, now: datetime, writes: list[float], old: bool = False) -> float:
    """A tick, with another connection writing one row meanwhile (its waits added to `writes`)."""
    writer_person = int(select_one(engine, select(func.min(Person.id))))
    with Writer(engine, writer_person) as writer:
        elapsed = tick(engine, now, old)
    writes.extend(writer.samples)
    return elapsed


def measure(engine: Engine, label: str, due: list[int], *, repeats: int, peer: tuple[str, ...]) -> Row:
    """Ticks are timed alone (on two cores a writer beside them would slow them); one more due tick runs with
    another process writing one row meanwhile, for its waits, and the peer's due tick likewise."""
    tick(engine, IDLE)  # the first tick after seeding records the zones people are in
    idle = statistics.median(tick(engine, IDLE) for _ in range(repeats))
    saved = snapshot(engine, due)
    due_samples: list[float] = []
    rows = 0
    for _ in range(3):
        due_samples.append(tick(engine, DUE))
        rows = int(select_one(engine, select(func.count()).select_from(Delivery)))
        restore(engine, saved)
    row = Row(label, idle, statistics.median(due_samples), rows)
    tick_writing(engine, DUE, row.writes)
    restore(engine, saved)
    if "idle" in peer:
        row.old_idle_ms = tick(engine, IDLE, old=True)
    if "due" in peer:
        row.old_due_ms = tick_writing(engine, DUE, row.old_writes, old=True)
    return row


def select_one(engine: Engine, query: object) -> object:
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()  # type: ignore[call-overload]


@dataclass(frozen=True)
class Size:
    label: str
    broadcasts: int
    reps: int
    all_reps: bool
    peer: tuple[str, ...] = ()  # which ticks the pre-change materialiser also runs: "idle", "due"


def sizes(quick: bool) -> list[Size]:
    """The growth table's rows. The peer runs where it finishes in seconds (one of its ticks at 10,000
    broadcasts took 170 s on this machine, at 100 x 9,600 reps 119-199 s)."""
    chosen = [Size("100 broadcasts", 100, 1000, False, ("idle", "due")),
              Size("1,000 broadcasts", 1000, 1000, False, () if quick else ("idle",)),
              Size("10,000 broadcasts", 10_000, 1000, False),
              Size("100,000 broadcasts", 100_000, 1000, False),
              Size("100 x 1,000 reps", 100, 1000, True, () if quick else ("idle",)),
              Size("100 x 10,000 reps", 100, 10_000, True)]
    return [size for size in chosen if not quick or size.broadcasts < 100_000]


def run_size(url: str | None, size: Size, repeats: int) -> Row:
    database_url, drop = throwaway_database(url)
    engine = make_engine(database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='schedule-')) / 'bench.db'}")
    try:
        upgrade(engine)
        due = seed_broadcasts(engine, broadcasts=size.broadcasts, reps=size.reps, all_reps=size.all_reps)
        return measure(engine, size.label, due, repeats=repeats, peer=size.peer)
    finally:
        engine.dispose()
        drop()


def shown(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.1f} ms"


def percentile(samples: list[float], share: float) -> float | None:
    return sorted(samples)[min(len(samples) - 1, int(len(samples) * share))] if samples else None


def write_figures(samples: list[float]) -> str:
    if not samples:
        return "-"
    return (f"{shown(percentile(samples, 0.5))} / {shown(percentile(samples, 0.99))} / {shown(max(samples))}"
            f" ({len(samples)})")


def report(kind: str, rows: list[Row]) -> tuple[int, int]:
    """The growth table for one database, then its goals; (met, goals)."""
    print(f"\nschedule ({kind})")
    print(f"  {'':<22}{'idle tick':>10}   {'due tick (rows)':<20}{'peer idle':>10}{'peer due':>10}   "
          "another process's one-row write during a due tick, p50 / p99 / max (writes): ours | peer's")
    for row in rows:
        due = f"{shown(row.due_ms)} ({row.due_rows:,})"
        print(f"  {row.label:<22}{shown(row.idle_ms):>10}   {due:<20}{shown(row.old_idle_ms):>10}"
              f"{shown(row.old_due_ms):>10}   {write_figures(row.writes)} | {write_figures(row.old_writes)}")
    met = goals = 0
    for row in rows:
        if row.label in GOALS_MS:
            goals += 1
            ok = row.idle_ms < GOALS_MS[row.label]
            met += ok
            print(f"  goal: idle tick, {row.label} < {GOALS_MS[row.label]:.0f} ms: {shown(row.idle_ms)}"
                  f" {'met' if ok else 'NOT met'}")
    writes = [sample for row in rows for sample in row.writes]
    p99 = percentile(writes, 0.99) or 0.0
    goals += 1
    met += p99 < WRITE_GOAL_MS
    print(f"  goal: another connection's one-row write during our due ticks, p99 < {WRITE_GOAL_MS:.0f} ms: "
          f"{shown(p99)} (max {shown(max(writes, default=0.0))}) {'met' if p99 < WRITE_GOAL_MS else 'NOT met'}")
    return met, goals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="up to 10,000 broadcasts; the peer at 100 only")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL too (DATABASE_URL, or the local one)")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL to run on besides SQLite")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    postgres = args.database_url or os.environ.get("DATABASE_URL") or (LOCAL_TEST_SERVER if args.postgres else None)
    if postgres and not postgres.startswith("postgres"):
        postgres = None
    started = time.perf_counter()
    print(f"one materialise tick: idle (nothing due) and due ({DUE_SOON} broadcasts due among the others, or one "
          "to every rep); peer: the pre-change materialiser, one run each, at the sizes marked")
    met = goals = 0
    for kind, url in [("sqlite", None), *([("postgresql", postgres)] if postgres else [])]:
        rows = [run_size(url, size, args.repeats) for size in sizes(args.quick)]
        size_met, size_goals = report(kind, rows)
        met, goals = met + size_met, goals + size_goals
    load = os.getloadavg()
    print(f"\n{time.perf_counter() - started:.0f} s in all; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
          f" on {os.cpu_count()} cores")
    print(f"schedule: {met}/{goals} goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
