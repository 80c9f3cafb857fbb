"""Summary benchmark: how long one manager waits for `/drumbeat summary`, and whether that grows with others.

Why: Drumbeat's goal for summaries is that every figure is an SQL aggregate and that one team's summary
takes under 300 ms on PostgreSQL and under 1 s on SQLite on a 200-team organisation, *whatever the size of
the other teams' history*. This script seeds such an organisation on the real schema (storage.migrate.upgrade:
every migration and index), then times the whole use case for one team.

    .venv/bin/python bench/summary.py                                   # both databases, small and full
    .venv/bin/python bench/summary.py --database sqlite --sets small --runs 9
    .venv/bin/python bench/summary.py --database postgresql --sets full --explain   # + slowest queries' plans
    .venv/bin/python bench/summary.py --scale 2 --sets full            # 400 teams, 2,000,000 answers, ...
    .venv/bin/python bench/summary.py --after-seed "CREATE INDEX ix_try ON quizask (person_id, answered_at)"

Data sets. `full`: 200 teams (a manager and 25 reps each, 5,000 reps), 5 leaders, the default content pack
plus newer versions of some messages, 300 leaders' broadcasts, 100,000 broadcast deliveries (mostly sent,
~70% of those acknowledged, some pending / failed / superseded; due over ~6 months), 1,000,000 answered
quiz asks (+ a few open ones), 50,000 feedback items (60% anonymous with a respondent tag, 40% named) and a
few coaching nudges per team, a strategy (bench/summary_deals.py) and 200,000 deals (40 per rep). `small`: a
tenth (20 teams). `--scale` multiplies both. Rows of all teams are
interleaved in time (as a live system writes them), not stored team by team, so one team's rows are spread
over the whole table. Every team's rows are drawn from its own random stream, so the measured team (Team
000) has the *same* history in every data set: only the other teams grow, and comparing the small and the
full medians shows whether one team's summary grows with everybody else's history.

Timed (time_summary): what the manager of Team 000 waits for, each call in a fresh session as a request
would be (identify the caller, then the use case): team_summary for 30 and 90 days (every section:
reach, key messages, versions, understanding, coaching, feedback, pipeline, momentum, coaching activity),
team_feedback for the current month, and `summary pipeline` (the Pipeline section alone, every rep named). Median and p90 of `--runs` (default 15) after one warm-up. For
information only (no goal): the CSV export, a leader's Home tab (every team at once) and the coaching job's
selection for one manager and for all of them (`--no-info` skips these).

Databases: SQLite in a temporary file (removed at the end); PostgreSQL (`--database-url`, default
postgresql://postgres@127.0.0.1:5432/test) in a throw-away schema, dropped at the end. PostgreSQL is loaded
with COPY (psycopg 3), SQLite with SQLAlchemy Core executemany, each table in one transaction; then
VACUUM ANALYZE (PostgreSQL) / ANALYZE (SQLite), as a live database's autovacuum would have done. Progress
goes to stderr, figures to stdout. `--explain` also prints, for the 90-day summary, the time of every SQL
statement it runs and the plan (EXPLAIN ANALYZE / EXPLAIN QUERY PLAN) of the slowest ones.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Table, event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.core import home, summaries  # noqa: E402
from bot.core.content import sync_pack  # noqa: E402
from bot.core.feedback import Thresholds, team_feedback  # noqa: E402
from bot.core.roles import identify  # noqa: E402
from bot.slack.people import slack_address  # noqa: E402
from bot.core.summary_export import summary_csv  # noqa: E402
from messages.library import default_pack_path, load_pack  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    Account,
    Broadcast,
    CoachingDigest,
    CoachingNudge,
    Delivery,
    Feedback,
    FeedbackRespondent,
    Message,
    Person,
    Question,
    QuizAsk,
    Team,
)
from storage.queries.coaching import SelectionRules, nudge_candidates  # noqa: E402
from storage.queries.pipeline_coaching import off_strategy_candidates  # noqa: E402
from bench import answer_state  # noqa: E402
from bench.summary_deals import DEALS_PER_REP, seed_deals  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HISTORY = timedelta(days=182)
FULL_TEAMS = 200
REPS_PER_TEAM = 25
LEADERS = 5
BROADCASTS = 300
ANSWERS_PER_REP = 200  # 1,000,000 answers on 200 teams
OPEN_ASKS_PER_REP = 2
DELIVERIES_PER_REP = 20  # 100,000 deliveries
FEEDBACK_PER_TEAM = 250  # 50,000 feedback items
DIGESTS_PER_TEAM = 13  # one coaching DM a fortnight, two nudges each
NUDGES_PER_DIGEST = 2
MEASURED_MANAGER = "U9MGR0000"  # the manager of Team 000, the team timed in every data set
MEASURED_LEADER = "U9LEAD0"
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London", "America/Los_Angeles")
GOALS_MS = {"postgresql": 300.0, "sqlite": 1000.0}
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 20_000


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- data sets


@dataclass(frozen=True)
class DataSet:
    name: str
    teams: int

    @property
    def reps(self) -> int:
        return self.teams * REPS_PER_TEAM


def data_set(name: str, scale: float) -> DataSet:
    """`full` is the 200-team organisation times `scale`; `small` is a tenth of it."""
    teams = FULL_TEAMS * scale / (10 if name == "small" else 1)
    if name not in ("small", "full") or teams < 1:
        raise SystemExit(f"unknown data set '{name}' (small, full) or scale too small")
    return DataSet(name, round(teams))


# --------------------------------------------------------------------------------------------- loading


class Loader:
    """Bulk loads with explicit ids: COPY on PostgreSQL (psycopg 3), Core executemany on SQLite.

    Ids are given, not returned, so no row needs a round trip; PostgreSQL sequences are moved past them at
    the end. Each table's rows go in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.counts: dict[str, int] = defaultdict(int)

    def load(self, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        defaults = [(column.name, column.default.arg) for column in table.columns  # type: ignore[union-attr]
                    if column.name not in columns and column.default is not None and column.default.is_scalar]
        if defaults:  # COPY knows nothing of the models' Python-side defaults
            columns = (*columns, *(name for name, _ in defaults))
            rows = ((*row, *(value for _, value in defaults)) for row in rows)
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                count = self._copy(connection, table, columns, rows)
            else:
                count = self._insert(connection, table, columns, rows)
        self.counts[table.name] += count
        return count

    @staticmethod
    def _copy(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        names = ", ".join(f'"{name}"' for name in columns)
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    @staticmethod
    def _insert(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        statement = insert(table)
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(dict(zip(columns, row, strict=True)))
            if len(batch) == BATCH:
                connection.execute(statement, batch)
                count, batch = count + len(batch), []
        if batch:
            connection.execute(statement, batch)
            count += len(batch)
        return count

    def fix_sequences(self, tables: Iterable[Table]) -> None:
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as connection:
            for table in tables:
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table.name}\"), false)"))


# --------------------------------------------------------------------------------------------- seeding


@dataclass
class Org:
    """The ids the generators need, and the measured team's manager."""

    team_ids: list[int] = field(default_factory=list)
    managers: dict[int, int] = field(default_factory=dict)  # team id -> manager id
    reps: dict[int, list[int]] = field(default_factory=dict)  # team id -> rep ids
    leaders: list[int] = field(default_factory=list)
    messages: list[tuple[int, str, int]] = field(default_factory=list)  # id, key, version
    questions: list[tuple[int, int, int, int]] = field(default_factory=list)  # id, expectation, correct, options
    broadcasts: list[tuple[int, int]] = field(default_factory=list)  # id, message id


def team_rng(kind: str, team_index: int) -> random.Random:
    """One random stream per team and table: a team's rows do not depend on how many teams there are."""
    return random.Random(f"{kind}-{team_index}")


def moment(rng: random.Random) -> datetime:
    return NOW - timedelta(seconds=rng.randrange(int(HISTORY.total_seconds())))


def seed_content(engine: Engine, org: Org) -> None:
    """The default pack through the project's own sync, plus newer versions of half its messages."""
    with session_scope(engine) as session:
        sync_pack(session, load_pack(default_pack_path()))
    with session_scope(engine) as session:
        for message in list(session.execute(select(Message)).scalars())[::2]:
            for version in (2, 3):
                session.add(Message(key=message.key, version=version, title=f"{message.title} (v{version})",
                                    body=message.body, key_message=message.key_message,
                                    expectation_keys=list(message.expectation_keys), author_id=None,
                                    source="chat", created_at=NOW - HISTORY / version))
    with session_scope(engine) as session:
        org.messages = [tuple(row) for row in session.execute(select(Message.id, Message.key, Message.version))]
        org.questions = [(q.id, q.expectation_id, q.correct, len(q.options))
                         for q in session.execute(select(Question)).scalars()]


def seed_people(loader: Loader, data: DataSet, org: Org) -> None:
    org.team_ids = list(range(1, data.teams + 1))
    loader.load(Team.__table__, ("id", "name", "created_at"),
                ((team_id, f"Team {team_id - 1:03d}", NOW - HISTORY) for team_id in org.team_ids))
    columns = ("id", "name", "tz", "role", "team_id", "manager_id", "active", "created_at", "updated_at")
    people: list[tuple[Any, ...]] = []
    next_id = 1
    for n in range(LEADERS):
        people.append((next_id, f"U9LEAD{n}", f"Leader {n}", "Europe/London", "leader", None, None, True,
                       NOW - HISTORY, NOW))
        org.leaders.append(next_id)
        next_id += 1
    for index, team_id in enumerate(org.team_ids):
        tz = ZONES[index % len(ZONES)]
        manager_id = next_id
        people.append((manager_id, f"U9MGR{index:04d}", f"Manager {index}", tz, "manager", team_id, None, True,
                       NOW - HISTORY, NOW))
        org.managers[team_id] = manager_id
        org.reps[team_id] = list(range(manager_id + 1, manager_id + 1 + REPS_PER_TEAM))
        for r, rep_id in enumerate(org.reps[team_id]):
            people.append((rep_id, f"U9REP{index:04d}{r:02d}", f"Rep {index}-{r}", tz, "rep", team_id, manager_id,
                           True, NOW - HISTORY, NOW))
        next_id = manager_id + 1 + REPS_PER_TEAM
    loader.load(Person.__table__, columns, (person[:1] + person[2:] for person in people))
    loader.load(Account.__table__, ("id", "person_id", "platform", "workspace_id", "user_id", "created_at"),
                ((person[0], person[0], "slack", "", person[1], NOW - HISTORY) for person in people))


def seed_broadcasts(loader: Loader, org: Org) -> None:
    rng = random.Random("broadcasts")
    rows = []
    for broadcast_id in range(1, BROADCASTS + 1):
        message_id = rng.choice(org.messages)[0]
        org.broadcasts.append((broadcast_id, message_id))
        rows.append({"id": broadcast_id, "message_id": message_id, "created_by_id": rng.choice(org.leaders),
                     "audience": {"teams": []}, "audience_label": "everyone", "starts_at": moment(rng),
                     "local_time": True, "anchor_tz": "UTC", "quiz_mode": "missed", "quiz_only": False,
                     "status": rng.choice(("active", "active", "done")), "created_at": NOW - HISTORY,
                     "updated_at": NOW})
    with loader.engine.begin() as connection:  # JSON column: a few hundred rows, plain Core insert
        connection.execute(insert(Broadcast.__table__), rows)
    loader.counts["broadcast"] += len(rows)


DELIVERY_COLUMNS = ("id", "broadcast_id", "occurrence", "person_id", "message_id", "kind", "scheduled_for",
                    "due_at", "status", "attempts", "platform", "conversation_id", "platform_message_id", "sent_at",
                    "acknowledged_at")


def delivery_rows(org: Org) -> list[tuple[Any, ...]]:
    """Broadcast deliveries, interleaved in time across teams (ids are given afterwards, in due order)."""
    rows: list[tuple[Any, ...]] = []
    for index, team_id in enumerate(org.team_ids):
        rng = team_rng("deliveries", index)
        for rep_id in org.reps[team_id]:
            for k in range(DELIVERIES_PER_REP):
                broadcast_id, message_id = org.broadcasts[rng.randrange(len(org.broadcasts))]
                due = moment(rng)
                if NOW - due < timedelta(days=1) and rng.random() < 0.5:
                    status = "pending"
                else:
                    status = rng.choices(("sent", "failed", "superseded"), (0.95, 0.02, 0.03))[0]
                sent = status == "sent"
                acked = due + timedelta(minutes=rng.randrange(10, 4000)) if sent and rng.random() < 0.7 else None
                rows.append((broadcast_id, f"{due:%Y-%m-%d}#{k}", rep_id, message_id, "broadcast", due, due, status,
                             1 if status != "pending" else 0, "slack" if sent else None, f"D{rep_id}" if sent else None,
                             f"{due.timestamp():.6f}" if sent else None, due if sent else None, acked))
    rows.sort(key=lambda row: (row[7], row[2]))
    return rows


def seed_deliveries(loader: Loader, org: Org) -> None:
    rows = delivery_rows(org)
    loader.load(Delivery.__table__, DELIVERY_COLUMNS, ((i, *row) for i, row in enumerate(rows, start=1)))


def answer_rows(org: Org) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for index, team_id in enumerate(org.team_ids):
        rng = team_rng("answers", index)
        for rep_id in org.reps[team_id]:
            skill = rng.uniform(0.45, 0.9)
            for _ in range(ANSWERS_PER_REP):
                question_id, expectation_id, right, options = org.questions[rng.randrange(len(org.questions))]
                answered = moment(rng)
                correct = rng.random() < skill
                rows.append((question_id, expectation_id, rep_id, "missed",
                             answered - timedelta(minutes=rng.randrange(1, 600)), answered,
                             right if correct else (right + 1) % options, correct, rng.randint(1, 5)))
            for _ in range(OPEN_ASKS_PER_REP):
                question_id, expectation_id, _right, _options = org.questions[rng.randrange(len(org.questions))]
                asked = NOW - timedelta(minutes=rng.randrange(1, 4 * 1440))
                rows.append((question_id, expectation_id, rep_id, "missed", asked, None, None, None, None))
    rows.sort(key=lambda row: (row[4], row[2]))
    return rows


def seed_answers(loader: Loader, org: Org) -> None:
    columns = ("id", "question_id", "expectation_id", "person_id", "mode", "asked_at", "answered_at", "choice",
               "correct", "confidence")
    rows = answer_rows(org)
    loader.load(QuizAsk.__table__, columns, ((i, *row) for i, row in enumerate(rows, start=1)))


STOPS = ("", "", "Discounting to close the quarter", "Ad-hoc pipeline reviews", "Chasing deals outside the ICP")
STARTS = ("", "More call reviews", "Sharing wins in the channel", "Earlier legal involvement")
KEEPS = ("", "Monday pipeline calls", "The 1:1 coaching", "Short strategy notes")


def feedback_rows(org: Org) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for index, team_id in enumerate(org.team_ids):
        rng = team_rng("feedback", index)
        for serial in range(FEEDBACK_PER_TEAM):
            day: date = moment(rng).date()
            month = day.strftime("%Y-%m")
            author = rng.choice(org.reps[team_id])
            anonymous = rng.random() < 0.6
            stop, start, keep = rng.choice(STOPS), rng.choice(STARTS), rng.choice(KEEPS)
            if not (stop or start or keep):
                start = STARTS[1]
            tag = hashlib.sha256(f"{author}-{month}".encode()).hexdigest()[:43] if anonymous else None
            rows.append((team_id, rng.choice(("strategy", "strategy", "team", "leaders")), stop, start, keep,
                         anonymous, None if anonymous else author, month, day,
                         None if anonymous else datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10),
                         tag, None if anonymous else hashlib.sha256(f"submission-{index}-{serial}".encode()).hexdigest()[:43],
                         (not anonymous) and rng.random() < 0.02))
    rows.sort(key=lambda row: (row[8], row[0]))
    return rows


def seed_feedback(loader: Loader, org: Org) -> None:
    """Released feedback: the items, and apart from them one respondent row per anonymous author and month."""
    columns = ("id", "team_id", "about", "stop", "start", "keep", "anonymous", "author_id", "month", "submitted_on",
               "submitted_at", "submission_key", "withdrawn")
    rows = feedback_rows(org)
    loader.load(Feedback.__table__, columns, ((i, *row[:10], *row[11:]) for i, row in enumerate(rows, start=1)))
    respondents = sorted({(row[0], row[7], "bench", row[10]) for row in rows if row[10]})
    loader.load(FeedbackRespondent.__table__, ("team_id", "month", "key_id", "tag"), respondents)


def seed_coaching(loader: Loader, org: Org, first_delivery_id: int) -> None:
    """A manager's coaching DM a fortnight with two nudges: coaching activity reads these."""
    deliveries, digests, nudges = [], [], []
    delivery_id, digest_id, nudge_id = first_delivery_id, 1, 1
    expectations = sorted({q[1] for q in org.questions})
    for index, team_id in enumerate(org.team_ids):
        rng = team_rng("coaching", index)
        manager = org.managers[team_id]
        for d in range(DIGESTS_PER_TEAM):
            at = NOW - HISTORY + timedelta(days=14 * d, hours=8)
            deliveries.append((delivery_id, None, f"coaching-{at:%Y-%m-%d}", manager, None, "coaching", at, at,
                               "sent", 1, "slack", f"D{manager}", f"{at.timestamp():.6f}", at, None))
            digests.append((digest_id, manager, "manager", at.date(), at, delivery_id, NUDGES_PER_DIGEST))
            for _ in range(NUDGES_PER_DIGEST):
                status = rng.choice(("open", "coached", "coached", "snoozed"))
                coached = at + timedelta(days=1) if status == "coached" else None
                nudges.append((nudge_id, digest_id, manager, rng.choice(org.reps[team_id]), rng.choice(expectations),
                               "missed_twice", at - timedelta(hours=2), at, 0, {"questions": []}, status, coached,
                               manager if coached else None))
                nudge_id += 1
            delivery_id, digest_id = delivery_id + 1, digest_id + 1
    loader.load(Delivery.__table__, DELIVERY_COLUMNS, deliveries)
    loader.load(CoachingDigest.__table__, ("id", "person_id", "kind", "local_date", "decided_at", "delivery_id",
                                           "nudges"), digests)
    nudge_columns = ("id", "digest_id", "manager_id", "rep_id", "expectation_id", "reason", "evidence_at",
                     "created_at", "understanding_at_nudge", "detail", "status", "coached_at", "coached_by_id")
    if loader.engine.dialect.name == "postgresql":  # COPY wants JSON as text
        nudges = [(*row[:9], '{"questions": []}', *row[10:]) for row in nudges]
    loader.load(CoachingNudge.__table__, nudge_columns, nudges)


def seed(engine: Engine, data: DataSet) -> dict[str, int]:
    """The whole organisation; returns rows per table."""
    org, loader = Org(), Loader(engine)
    seed_people(loader, data, org)
    seed_content(engine, org)
    seed_broadcasts(loader, org)
    loader.counts["message"] = len(org.messages)
    loader.counts["question"] = len(org.questions)
    progress(f"{data.name}: {loader.counts['person']:,} people in {data.teams} teams, {len(org.messages)} message "
             f"versions, {BROADCASTS} broadcasts")
    seed_deliveries(loader, org)
    progress(f"{data.name}: {loader.counts['delivery']:,} deliveries")
    seed_answers(loader, org)
    progress(f"{data.name}: {loader.counts['quizask']:,} quiz asks")
    seed_feedback(loader, org)
    progress(f"{data.name}: {loader.counts['feedback']:,} feedback items")
    seed_coaching(loader, org, first_delivery_id=loader.counts["delivery"] + 1)
    deals = seed_deals(loader, org.reps, org.team_ids, NOW, HISTORY, team_rng)
    progress(f"{data.name}: {loader.counts['deal']:,} deals")
    loader.fix_sequences([deals, Team.__table__, Person.__table__, Broadcast.__table__, Delivery.__table__,
                          QuizAsk.__table__, Feedback.__table__, CoachingDigest.__table__, CoachingNudge.__table__])
    return dict(loader.counts)


def run_statements(engine: Engine, statements: Sequence[str]) -> None:
    """`--after-seed` statements, e.g. a candidate index, measured before it goes into a migration."""
    with engine.begin() as connection:
        for statement in statements:
            progress(f"after seeding: {statement}")
            connection.execute(text(statement))


def analyse(engine: Engine) -> None:
    """What autovacuum would have done on a live database: statistics, and (PostgreSQL) the visibility map."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def measured_history(engine: Engine) -> str:
    """Team 000's own history, to show it is the same in every data set."""
    team = select(Team.id).where(Team.name == "Team 000").scalar_subquery()
    members = select(Person.id).where(Person.team_id == team)
    with engine.connect() as connection:
        answered, right = connection.execute(
            select(func.count(QuizAsk.answered_at), func.count(QuizAsk.id).filter(QuizAsk.correct.is_(True)))
            .where(QuizAsk.person_id.in_(members))).one()
        deliveries, acknowledged = connection.execute(
            select(func.count(), func.count(Delivery.acknowledged_at)).where(Delivery.person_id.in_(members))).one()
        feedback = connection.execute(select(func.count()).where(Feedback.team_id == team)).scalar_one()
    return (f"Team 000's history: {answered:,} answers ({right:,} right), {deliveries:,} deliveries "
            f"({acknowledged:,} acknowledged), {feedback:,} feedback items")


def answered_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(QuizAsk).where(
            QuizAsk.answered_at.is_not(None))).scalar_one()


# --------------------------------------------------------------------------------------------- timing

SessionFactory = Callable[[], AbstractContextManager[Session]]
UseCase = Callable[[Session], object]  # one request: identify the caller, run the use case


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p90_ms: float
    has_goal: bool


def summary_use_cases(now: datetime) -> dict[str, UseCase]:
    """What a manager waits for. New summary sections live inside team_summary, so they are timed here."""

    def team_summary(days: int) -> UseCase:
        def call(session: Session) -> object:
            caller = identify(session, slack_address(MEASURED_MANAGER))
            result = summaries.team_summary(session, caller=caller, request=summaries.SummaryRequest(days=days),
                                            now=now)
            assert result.reach.reps == REPS_PER_TEAM and result.understanding.answered > 0, result
            assert result.pipeline is not None and result.pipeline.figures.open.deals > 0, result.pipeline
            return result
        return call

    def team_pipeline(session: Session) -> object:
        caller = identify(session, slack_address(MEASURED_MANAGER))
        result = summaries.summarise(session, caller=caller, now=now,
                                     request=summaries.SummaryRequest(days=30, pipeline=True))
        assert isinstance(result, summaries.TeamPipelineSummary) and len(result.pipeline.reps) == REPS_PER_TEAM
        return result

    def feedback_this_month(session: Session) -> object:
        caller = identify(session, slack_address(MEASURED_MANAGER))
        result = team_feedback(session, caller=caller, team_name=None, month=None, thresholds=Thresholds(), now=now)
        assert result.people > 0, result
        return result

    return {"team_summary 30d": team_summary(30), "team_summary 90d": team_summary(90),
            "team_feedback this month": feedback_this_month, "summary pipeline 30d": team_pipeline}


def info_use_cases(now: datetime) -> dict[str, UseCase]:
    """Timed for information (no goal): neighbours of the summary that read many teams at once."""

    def export(session: Session) -> object:
        caller = identify(session, slack_address(MEASURED_MANAGER))
        return summary_csv(summaries.team_summary(session, caller=caller, now=now,
                                                  request=summaries.SummaryRequest(days=30, export=True)))

    def leader_home(session: Session) -> object:
        return home.home_for(session, caller=slack_address(MEASURED_LEADER), command="/drumbeat", now=now)

    def coaching(every_manager: bool) -> UseCase:
        def call(session: Session) -> object:
            manager_ids = None if every_manager else [identify(session, slack_address(MEASURED_MANAGER)).id]
            return nudge_candidates(session, now=now, rules=SelectionRules(), manager_ids=manager_ids)
        return call

    def organisation_pipeline(session: Session) -> object:
        caller = identify(session, slack_address(MEASURED_LEADER))
        return summaries.summarise(session, caller=caller, now=now,
                                   request=summaries.SummaryRequest(days=30, pipeline=True))

    def pipeline_coaching(session: Session) -> object:
        managers = list(session.execute(select(Person.id).where(Person.role == "manager")).scalars())
        return off_strategy_candidates(session, now=now, manager_ids=managers, flag=30, currency="USD",
                                       rules=SelectionRules())

    return {"(info) export CSV 30d": export, "(info) leader Home, all teams": leader_home,
            "(info) coaching, one manager": coaching(False), "(info) coaching, all managers": coaching(True),
            "(info) pipeline, organisation": organisation_pipeline,
            "(info) pipeline coaching, all": pipeline_coaching}


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_summary(session_factory: SessionFactory, *, use_cases: dict[str, UseCase], runs: int,
                 has_goal: bool = True) -> dict[str, Timing]:
    """Median and p90 (ms) of each use case, each run in a fresh session, after one warm-up run."""
    timings: dict[str, Timing] = {}
    for name, use_case in use_cases.items():
        samples = []
        for run in range(runs + 1):
            started = time.perf_counter()
            with session_factory() as session:
                use_case(session)
            if run:
                samples.append((time.perf_counter() - started) * 1000)
        timings[name] = Timing(statistics.median(samples), percentile(samples, 0.9), has_goal)
    return timings


# --------------------------------------------------------------------------------------------- explain


@dataclass
class Statement:
    where: str  # the query function that ran it
    sql: str
    parameters: Any
    ms: float


@contextmanager
def recorded(engine: Engine) -> Iterator[list[Statement]]:
    """Every statement run on the engine, with its time and the storage/bot function that issued it."""
    statements: list[Statement] = []

    def before(conn: Any, _cursor: Any, _sql: str, _parameters: Any, context: Any, _many: bool) -> None:
        context._bench_started = time.perf_counter()

    def after(conn: Any, _cursor: Any, sql: str, parameters: Any, context: Any, _many: bool) -> None:
        ms = (time.perf_counter() - context._bench_started) * 1000
        frames = [f for f in traceback.extract_stack() if "/storage/queries/" in f.filename or "/bot/core/" in f.filename]
        where = f"{Path(frames[-1].filename).stem}.{frames[-1].name}" if frames else "?"
        statements.append(Statement(where, sql, parameters, ms))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def explain(engine: Engine, statement: Statement) -> str:
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement.sql, statement.parameters).all()
    if engine.dialect.name == "postgresql":
        return "\n".join(row[0] for row in rows)
    return "\n".join(f"{row[1]:>4} {row[2]:>4}  {row[-1]}" for row in rows)


def explain_summary(engine: Engine, session_factory: SessionFactory, *, top: int = 4) -> list[str]:
    """The 90-day summary's statements, slowest first (median of 5 calls), and the plans of the slowest."""
    use_case = summary_use_cases(NOW)["team_summary 90d"]
    per_call: list[list[Statement]] = []
    for _ in range(6):
        with recorded(engine) as statements, session_factory() as session:
            use_case(session)
        per_call.append(statements)
    per_call = per_call[1:]
    merged = [Statement(s.where, s.sql, s.parameters, statistics.median(call[i].ms for call in per_call))
              for i, s in enumerate(per_call[0])]
    lines = [f"  {len(merged)} statements, {sum(s.ms for s in merged):.1f} ms in the database "
             "(median per statement of 5 calls), slowest first:"]
    ordered = sorted(merged, key=lambda s: -s.ms)
    lines += [f"  {s.ms:8.2f} ms  {s.where}" for s in ordered]
    for s in ordered[:top]:
        lines += ["", f"  --- {s.where} ({s.ms:.1f} ms): plan", *("    " + line for line in explain(engine, s).splitlines())]
    return lines


# --------------------------------------------------------------------------------------------- databases


@contextmanager
def sqlite_database() -> Iterator[Engine]:
    folder = Path(tempfile.mkdtemp(prefix="drumbeat-bench-"))
    engine = make_engine(f"sqlite:///{folder / 'summary.db'}")
    try:
        yield engine
    finally:
        engine.dispose()
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


@contextmanager
def postgresql_database(url: str) -> Iterator[Engine]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, schema=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --------------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Result:
    database: str
    data: DataSet
    counts: dict[str, int]
    answered: int
    history: str
    seed_s: float
    timings: dict[str, Timing]


def run_one(database: str, data: DataSet, args: argparse.Namespace) -> Result:
    opened = sqlite_database() if database == "sqlite" else postgresql_database(args.database_url)
    with opened as engine:
        upgrade(engine)
        answer_state.triggers_off(engine)  # seeded as history, then 0011's backfill (bench/answer_state.py)
        started = time.perf_counter()
        counts = seed(engine, data)
        answer_state.backfill_and_triggers_on(engine)
        run_statements(engine, args.after_seed)
        analyse(engine)
        seed_s = time.perf_counter() - started
        progress(f"{database} {data.name}: seeded and analysed in {seed_s:.1f} s; timing {args.runs} runs")
        gc.collect()  # the seed's millions of tuples are garbage now: do not let their collection land in a run

        def session_factory() -> AbstractContextManager[Session]:
            return session_scope(engine)

        timings = time_summary(session_factory, use_cases=summary_use_cases(NOW), runs=args.runs)
        if args.info:
            timings |= time_summary(session_factory, use_cases=info_use_cases(NOW), runs=max(3, args.runs // 3),
                                    has_goal=False)
        result = Result(database, data, counts, answered_count(engine), measured_history(engine), seed_s, timings)
        print_result(result)
        if args.explain:
            print("\n".join(explain_summary(engine, session_factory)), flush=True)
    return result


def print_result(result: Result) -> None:
    c = result.counts
    print(f"\n{result.database} / {result.data.name}: {c['team']:,} teams, {c['person']:,} people, "
          f"{c['message']:,} message versions, {c['broadcast']:,} broadcasts, {c['delivery']:,} deliveries, "
          f"{c['quizask']:,} quiz asks ({result.answered:,} answered), {c['feedback']:,} feedback, "
          f"{c['coachingnudge']:,} coaching nudges, {c['deal']:,} deals; seeded + analysed in {result.seed_s:.1f} s", flush=True)
    print(f"  {result.history}", flush=True)
    goal = GOALS_MS[result.database]
    print(f"  {'call':<32} {'median ms':>10} {'p90 ms':>9}  goal", flush=True)
    for name, timing in result.timings.items():
        verdict = ("met" if timing.median_ms < goal else "MISSED") + f" (< {goal:.0f} ms)" if timing.has_goal else ""
        print(f"  {name:<32} {timing.median_ms:10.1f} {timing.p90_ms:9.1f}  {verdict}", flush=True)


def print_table(results: list[Result]) -> None:
    """All runs side by side, and full / small per call: about 1.0 means no growth with others' history."""
    print("\nSummary of one team (Team 000, same history in every data set)")
    print(f"{'database':<11}{'set':<6}{'teams':>6}{'answers':>11}{'deliveries':>11}{'feedback':>9}{'seed s':>8}  "
          f"{'call':<27}{'median':>8}{'p90':>8}  goal")
    for r in results:
        goal = GOALS_MS[r.database]
        for i, (name, t) in enumerate((n, t) for n, t in r.timings.items() if t.has_goal):
            head = (f"{r.database:<11}{r.data.name:<6}{r.counts['team']:>6,}{r.answered:>11,}"
                    f"{r.counts['delivery']:>11,}{r.counts['feedback']:>9,}{r.seed_s:>8.1f}" if i == 0 else " " * 62)
            print(f"{head}  {name:<27}{t.median_ms:>8.1f}{t.p90_ms:>8.1f}  "
                  f"{'met' if t.median_ms < goal else 'MISSED'}")
    by_key = {(r.database, r.data.name): r for r in results}
    for database in dict.fromkeys(r.database for r in results):
        small, full = by_key.get((database, "small")), by_key.get((database, "full"))
        if small and full:
            ratios = ", ".join(f"{name} x{full.timings[name].median_ms / small.timings[name].median_ms:.2f}"
                               for name, t in small.timings.items() if t.has_goal)
            print(f"{database}: full / small median ({full.counts['team']} vs {small.counts['team']} teams): {ratios}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sets", default="small,full", help="comma-separated: small, full (default both)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every data set (default 1: 200 teams)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per call, after one warm-up (default 15)")
    parser.add_argument("--database-url", default=DEFAULT_PG, help="PostgreSQL server (a throw-away schema is used)")
    parser.add_argument("--no-info", dest="info", action="store_false", help="skip the calls timed for information")
    parser.add_argument("--explain", action="store_true", help="per-statement times and plans of the slowest")
    parser.add_argument("--after-seed", action="append", default=[], metavar="SQL",
                        help="run this statement after seeding, before ANALYZE (repeatable): try an index")
    args = parser.parse_args()
    sets = [data_set(name.strip(), args.scale) for name in args.sets.split(",") if name.strip()]
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"One team's summary: Team 000 ({REPS_PER_TEAM} reps, {ANSWERS_PER_REP * REPS_PER_TEAM:,} answers, "
          f"{DELIVERIES_PER_REP * REPS_PER_TEAM} deliveries, {FEEDBACK_PER_TEAM} feedback items, "
          f"{DEALS_PER_REP * REPS_PER_TEAM:,} deals in every data set); "
          f"median and p90 of {args.runs} runs; goals: PostgreSQL < {GOALS_MS['postgresql']:.0f} ms, "
          f"SQLite < {GOALS_MS['sqlite']:.0f} ms", flush=True)
    for statement in args.after_seed:
        print(f"After seeding (not in the migrations): {statement}", flush=True)
    results = [run_one(database, data, args) for database in databases for data in sets]
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
