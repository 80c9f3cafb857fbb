"""Summary benchmark: how long one team's `/drumbeat summary` takes on a large organisation, per database.

Seeds an organisation with the bulk loader of SQLAlchemy Core (the real schema, migrations and indexes),
then times the whole summary use case (bot.core.summaries.team_summary: every section, 30 and 90 days) for
one manager's team. Two data sets are seeded: `full` (200 teams, 5,000 reps, 1,000,000 quiz answers,
100,000 deliveries, 50,000 feedback items) and `small` (a tenth of that). The measured team has exactly the
same history in both (25 reps, 200 answers and 20 deliveries each, 250 feedback items), so comparing the two
medians shows whether the summary's time grows with *other* teams' history. It should not: every query
starts from the team's members (indexed) and reads only their rows.

    .venv/bin/python bench/summary.py                       # both databases, small and full
    .venv/bin/python bench/summary.py --database sqlite --sets small --runs 9

PostgreSQL: `--database-url` (default postgresql://postgres@127.0.0.1:5432/test) gets a throw-away schema,
dropped at the end. SQLite: a temporary file. Also timed, for information: a leader's Home tab (the
organisation by team, every team at once), `summary export` (CSV) and the coaching job's selection
query (for one manager, and for all of them at once). Goals: one team's summary under
300 ms on PostgreSQL and under 1 s on SQLite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bot.core import home, summaries  # noqa: E402
from bot.core.content import sync_pack  # noqa: E402
from bot.core.summary_export import summary_csv  # noqa: E402
from messages.library import default_pack_path, load_pack  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.queries.coaching import SelectionRules, nudge_candidates  # noqa: E402
from storage.models import Broadcast, Delivery, Feedback, Message, Person, Question, QuizAsk, Team  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HISTORY_DAYS = 180
REPS_PER_TEAM = 25
ANSWERS_PER_REP = 200
DELIVERIES_PER_REP = 20
FEEDBACK_PER_TEAM = 250
BROADCASTS = 300
BATCH = 20_000
GOALS_MS = {"postgresql": 300.0, "sqlite": 1000.0}
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class DataSet:
    name: str
    teams: int

    @property
    def reps(self) -> int:
        return self.teams * REPS_PER_TEAM


DATA_SETS = {"small": DataSet("small", 20), "full": DataSet("full", 200)}


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def batched(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk(engine: Engine, model: Any, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    for batch in batched(rows):
        with engine.begin() as connection:
            connection.execute(insert(model.__table__), batch)
        count += len(batch)
    return count


def moment(rng: random.Random) -> datetime:
    return NOW - timedelta(seconds=rng.randrange(HISTORY_DAYS * 86400))


def seed(engine: Engine, data: DataSet) -> dict[str, int]:
    """The organisation; returns rows per table. Deterministic (seeded random), so runs compare."""
    rng = random.Random(42)
    with session_scope(engine) as session:
        sync_pack(session, load_pack(default_pack_path()))
    with session_scope(engine) as session:
        messages = list(session.execute(select(Message.id)).scalars())
        questions = [(q.id, q.expectation_id, q.correct, len(q.options))
                     for q in session.execute(select(Question)).scalars()]
    counts: dict[str, int] = {}
    counts["team"] = bulk(engine, Team, ({"name": f"Team {t:03d}", "created_at": NOW} for t in range(data.teams)))
    with engine.connect() as connection:
        team_ids = list(connection.execute(select(Team.id).order_by(Team.name)).scalars())

    def person(slack_id: str, name: str, role: str, team_id: int | None, manager_id: int | None) -> dict[str, Any]:
        return {"slack_id": slack_id, "name": name, "tz": "Europe/Berlin", "role": role, "team_id": team_id,
                "manager_id": manager_id, "active": True, "created_at": NOW, "updated_at": NOW}

    bulk(engine, Person, iter([person(f"U9LEAD{n}", f"Leader {n}", "leader", None, None) for n in range(3)]))
    bulk(engine, Person, (person(f"U9MGR{t:04d}", f"Manager {t}", "manager", team_id, None)
                          for t, team_id in enumerate(team_ids)))
    with engine.connect() as connection:
        managers = dict(connection.execute(select(Person.team_id, Person.id).where(Person.role == "manager")).all())
        leaders = list(connection.execute(select(Person.id).where(Person.role == "leader")).scalars())
    bulk(engine, Person, (person(f"U9REP{t:04d}{r:02d}", f"Rep {t}-{r}", "rep", team_id, managers[team_id])
                          for t, team_id in enumerate(team_ids) for r in range(REPS_PER_TEAM)))
    with engine.connect() as connection:
        reps = list(connection.execute(select(Person.id, Person.team_id).where(Person.role == "rep")
                                       .order_by(Person.id)).all())
    counts["person"] = len(reps) + len(managers) + len(leaders)
    progress(f"{data.name}: {counts['person']:,} people in {data.teams} teams")

    counts["broadcast"] = bulk(engine, Broadcast, (
        {"message_id": rng.choice(messages), "created_by_id": rng.choice(leaders), "audience": {},
         "audience_label": "", "starts_at": NOW - timedelta(days=HISTORY_DAYS), "local_time": True,
         "anchor_tz": "UTC", "quiz_mode": "missed", "quiz_only": False, "status": "active",
         "created_at": NOW, "updated_at": NOW} for _ in range(BROADCASTS)))
    with engine.connect() as connection:
        broadcasts = list(connection.execute(select(Broadcast.id, Broadcast.message_id)).all())

    def deliveries() -> Iterator[dict[str, Any]]:
        for rep_id, _team in reps:
            for k in range(DELIVERIES_PER_REP):
                broadcast_id, message_id = broadcasts[rng.randrange(len(broadcasts))]
                due = moment(rng)
                status = rng.choices(("sent", "pending", "failed"), (0.94, 0.04, 0.02))[0]
                acked = status == "sent" and rng.random() < 0.7
                yield {"broadcast_id": broadcast_id, "occurrence": f"o{k}", "person_id": rep_id,
                       "message_id": message_id, "kind": "broadcast", "due_at": due, "status": status,
                       "attempts": 1, "sent_at": due if status == "sent" else None,
                       "acknowledged_at": due + timedelta(hours=3) if acked else None}

    counts["delivery"] = bulk(engine, Delivery, deliveries())
    progress(f"{data.name}: {counts['delivery']:,} deliveries")

    def answers() -> Iterator[dict[str, Any]]:
        for rep_id, _team in reps:
            for _ in range(ANSWERS_PER_REP):
                question_id, expectation_id, right, options = questions[rng.randrange(len(questions))]
                at = moment(rng)
                correct = rng.random() < 0.7
                yield {"question_id": question_id, "expectation_id": expectation_id, "person_id": rep_id,
                       "mode": "missed", "asked_at": at - timedelta(hours=1), "answered_at": at,
                       "choice": right if correct else (right + 1) % options, "correct": correct,
                       "confidence": rng.randint(1, 5)}

    counts["quizask"] = bulk(engine, QuizAsk, answers())
    progress(f"{data.name}: {counts['quizask']:,} quiz answers")

    def feedback() -> Iterator[dict[str, Any]]:
        serial = 0
        team_reps: dict[int, list[int]] = {}
        for rep_id, team_id in reps:
            team_reps.setdefault(team_id, []).append(rep_id)
        for team_id in team_ids:
            for _ in range(FEEDBACK_PER_TEAM):
                serial += 1
                day: date = moment(rng).date()
                anonymous = rng.random() < 0.6
                author = rng.choice(team_reps[team_id])
                yield {"team_id": team_id, "about": rng.choice(("strategy", "team", "leaders")),
                       "stop": rng.choice(("", "Discounting to close")), "start": "More call reviews",
                       "keep": rng.choice(("", "Monday pipeline calls")), "anonymous": anonymous,
                       "author_id": None if anonymous else author, "month": day.strftime("%Y-%m"),
                       "submitted_on": day, "submitted_at": None if anonymous else NOW,
                       "respondent_tag": f"t{team_id}-{day:%Y%m}-{rng.randrange(REPS_PER_TEAM)}" if anonymous else None,
                       "submission_key": f"k{serial}", "withdrawn": False}

    counts["feedback"] = bulk(engine, Feedback, feedback())
    counts["expectation"] = len({q[1] for q in questions})
    progress(f"{data.name}: {counts['feedback']:,} feedback items")
    return counts


def analyse(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def timed(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and p90 in milliseconds, after one warm-up."""
    call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.9 * (len(samples) - 1)))]


def time_summary(engine: Engine, runs: int) -> dict[str, tuple[float, float]]:
    """The use cases a person waits for, each in a fresh session as a request would have."""
    with session_scope(engine) as session:
        manager = session.execute(select(Person).where(Person.slack_id == "U9MGR0000")).scalar_one()
        manager_id = manager.id

    def summary(days: int, export: bool = False) -> Callable[[], object]:
        def call() -> object:
            with session_scope(engine) as session:
                caller = session.get(Person, manager_id)
                assert caller is not None
                result = summaries.team_summary(session, caller=caller, now=NOW,
                                                request=summaries.SummaryRequest(days=days))
                assert result.reach.reps == REPS_PER_TEAM and result.understanding.answered > 0
                return summary_csv(result) if export else result
        return call

    def leader_home() -> object:
        with session_scope(engine) as session:
            return home.home_for(session, platform_user_id="U9LEAD0", command="/drumbeat", now=NOW)

    def coaching_selection(manager_ids: list[int] | None) -> Callable[[], object]:
        def call() -> object:
            with session_scope(engine) as session:
                return nudge_candidates(session, now=NOW, rules=SelectionRules(), manager_ids=manager_ids)
        return call

    return {
        "team summary, 30 days": timed(summary(30), runs),
        "team summary, 90 days": timed(summary(90), runs),
        "summary export (CSV), 30 days": timed(summary(30, export=True), runs),
        "leader Home: every team (info)": timed(leader_home, max(3, runs // 3)),
        "coaching: one manager (info)": timed(coaching_selection([manager_id]), max(3, runs // 3)),
        "coaching: every manager (info)": timed(coaching_selection(None), max(3, runs // 3)),
    }


def sqlite_engine() -> tuple[Engine, Callable[[], None]]:
    path = Path(tempfile.mkdtemp(prefix="drumbeat-bench-")) / "summary.db"
    engine = make_engine(f"sqlite:///{path}")

    def drop() -> None:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    return engine, drop


def postgres_engine(url: str) -> tuple[Engine, Callable[[], None]]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, schema=schema)

    def drop() -> None:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return engine, drop


def run_one(database: str, data: DataSet, args: argparse.Namespace) -> list[str]:
    engine, drop = sqlite_engine() if database == "sqlite" else postgres_engine(args.database_url)
    try:
        upgrade(engine)
        started = time.perf_counter()
        counts = seed(engine, data)
        analyse(engine)
        seeded = time.perf_counter() - started
        progress(f"{database} {data.name}: seeded in {seeded:.0f} s; timing {args.runs} runs")
        figures = time_summary(engine, args.runs)
    finally:
        drop()
    rows = (f"{counts['team']:,} teams, {counts['person']:,} people, {counts['quizask']:,} answers, "
            f"{counts['delivery']:,} deliveries, {counts['feedback']:,} feedback; seeded in {seeded:.0f} s")
    lines = [f"{database:<10} {data.name:<6} {rows}"]
    for name, (median, p90) in figures.items():
        goal = "" if "(info)" in name else ("  goal met" if median < GOALS_MS[database] else "  GOAL MISSED")
        lines.append(f"{'':<17} {name:<32} median {median:8.1f} ms   p90 {p90:8.1f} ms{goal}")
    for line in lines:
        print(line, flush=True)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sets", default="small,full", help="comma-separated: small, full")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", default=DEFAULT_PG, help="the PostgreSQL server to use")
    args = parser.parse_args()
    sets = [DATA_SETS[name.strip()] for name in args.sets.split(",") if name.strip()]
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"One team's summary (team of {REPS_PER_TEAM} reps, {ANSWERS_PER_REP * REPS_PER_TEAM:,} answers, "
          f"{DELIVERIES_PER_REP * REPS_PER_TEAM} deliveries, {FEEDBACK_PER_TEAM} feedback items in every data set); "
          f"goals: PostgreSQL < {GOALS_MS['postgresql']:.0f} ms, SQLite < {GOALS_MS['sqlite']:.0f} ms")
    for database in databases:
        for data in sets:
            run_one(database, data, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
