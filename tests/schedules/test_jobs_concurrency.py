"""The fixed jobs with several instances on one database: the idempotent ones run everywhere at the same instant
and double nothing; the others run one at a time under an advisory lock (a no-op on SQLite: one instance)."""

from __future__ import annotations

from pathlib import Path

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from bot.app import Drumbeat
from bot.clock import SimulatedClock
from bot.core import coaching
from bot.core.broadcasts import AudienceSpec, BroadcastDraft, schedule
from bot.core.roles import identify
from bot.settings import settings_from_mapping
from bot.slack.people import slack_address
from schedules.leadership import alone, lock_key, run_alone
from schedules.recurrence import Recurrence
from storage.db import session_scope
from storage.models import CoachingDigest, CoachingNudge, Delivery, DeliveryKind, Message, Team
from storage.queries.receipts import first_time, receipt
from tests.conftest import ON_POSTGRESQL
from tests.core.test_coaching import MONDAY_9, POLICY, RULES
from tests.core.test_coaching import seed as seed_coaching
from tests.people import add_person

only_postgresql = pytest.mark.skipif(not ON_POSTGRESQL,
                                     reason="advisory locks are PostgreSQL's; SQLite is one instance")
only_sqlite = pytest.mark.skipif(ON_POSTGRESQL, reason="the SQLite no-op")
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday
MONDAYS_RUN_DUE = START + timedelta(hours=1, minutes=1)  # 09:01: the weekly broadcast's Monday run is due


def at_once(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs on their own threads (their own connections), released together; their results in order."""
    release = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            release.wait(timeout=10)
            results[index] = jobs[index]()
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def count(engine: Engine, table: type, *where: Any) -> int:
    with session_scope(engine) as session:
        return session.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


class CountingPlatform:
    """A platform whose directory sync only counts its runs (and can be made to wait inside one)."""

    name = "fake"
    sender: Any = None

    def __init__(self, _context: object) -> None:
        self.syncs = 0
        self.inside = threading.Event()
        self.finish = threading.Event()
        self.finish.set()

    def sync_directory(self, progress: object = None) -> int:
        self.syncs += 1
        self.inside.set()
        self.finish.wait(timeout=10)
        return 1

    def routes(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


@pytest.fixture
def drumbeat(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Drumbeat]:
    settings = settings_from_mapping({"DATABASE_URL": database_url,
                                      "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key")})
    running = Drumbeat(settings, engine=engine, clock=SimulatedClock(MONDAYS_RUN_DUE), platforms=[CountingPlatform])
    try:
        yield running
    finally:
        running.close()


def weekly_broadcast(engine: Engine) -> None:
    """Three reps, a broadcast every Monday at 09:00 UTC, created the Friday before (so Monday's run is due)."""
    with session_scope(engine) as session:
        team = Team(name="Global")
        session.add(team)
        session.flush()
        add_person(session, "U0LEADER", name="Lena Okafor", role="leader")
        for n in range(3):
            add_person(session, f"U0REP{n}", name=f"Rep {n}", role="rep", team_id=team.id)
        session.add(Message(key="weekly-focus", title="Weekly focus", body="Hi", key_message=False))
    with session_scope(engine) as session:
        schedule(session, sender=identify(session, slack_address("U0LEADER")), now=START - timedelta(days=3),
                 rules=RULES, draft=BroadcastDraft(audience=AudienceSpec(teams=("Global",)), message_key="weekly-focus",
                                                   recurrence=Recurrence(kind="weekly", start=date(2026, 11, 20),
                                                                         at=time(9, 0), weekdays=(0,))))


def test_two_coaching_runs_at_the_same_instant_write_each_dm_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_coaching(engine)
    both_chose = threading.Barrier(2)
    first_claim = threading.local()
    claim = coaching._claim_days

    def claim_together(*args: Any) -> dict[int, int]:
        if not getattr(first_claim, "done", False):  # both runs have read "not decided yet" for the same people
            first_claim.done = True
            both_chose.wait(timeout=10)
        return claim(*args)

    monkeypatch.setattr(coaching, "_claim_days", claim_together)

    def run() -> coaching.CoachingReport:
        with session_scope(engine) as session:
            return coaching.run_daily(session, now=MONDAY_9, policy=POLICY, rules=RULES)

    reports = at_once(run, run)
    assert sorted((r.managers, r.reps) for r in reports) == [(0, 0), (1, 1)]
    assert count(engine, Delivery, Delivery.kind == DeliveryKind.COACHING) == 1
    assert count(engine, Delivery, Delivery.kind == DeliveryKind.NUDGE) == 1
    assert count(engine, CoachingDigest) == 2 and count(engine, CoachingNudge) == 1


def test_materialising_on_two_instances_at_the_same_instant_adds_each_delivery_once(
    engine: Engine, drumbeat: Drumbeat
) -> None:
    weekly_broadcast(engine)
    reports = at_once(drumbeat.materialise_now, drumbeat.materialise_now)
    assert sum(report.created for report in reports) == 3
    assert count(engine, Delivery) == 3


@only_postgresql
def test_materialising_while_another_instance_holds_the_lock_is_skipped_then_runs(
    engine: Engine, drumbeat: Drumbeat
) -> None:
    weekly_broadcast(engine)
    with alone(engine, "materialise-broadcasts") as leading:  # "another instance": a connection of its own
        assert leading
        assert drumbeat.materialise_now().created == 0
        assert count(engine, Delivery) == 0
    assert drumbeat.materialise_now().created == 3


@only_postgresql
def test_a_directory_sync_runs_on_one_instance_at_a_time_and_an_import_waits_for_it(drumbeat: Drumbeat) -> None:
    platform = drumbeat.platforms[0]
    assert isinstance(platform, CountingPlatform)
    platform.finish.clear()
    running = threading.Thread(target=drumbeat.sync_directory)
    running.start()
    assert platform.inside.wait(timeout=10)
    assert drumbeat.sync_directory() == 0  # the daily job elsewhere finds it running: skipped
    waiting = threading.Thread(target=lambda: drumbeat.sync_directory(wait=True))
    waiting.start()
    waiting.join(timeout=0.3)
    assert waiting.is_alive() and platform.syncs == 1  # an import's sync queues behind it
    platform.finish.set()
    running.join(timeout=10)
    waiting.join(timeout=10)
    assert platform.syncs == 2


@only_postgresql
def test_a_job_that_fails_releases_its_lock(engine: Engine) -> None:
    def broken() -> None:
        raise RuntimeError("Slack is down")

    with pytest.raises(RuntimeError):
        run_alone(engine, "sync-directory", broken, skipped=None)
    with engine.connect() as other:  # any other session can take it now: no pooled connection kept it
        key = lock_key("sync-directory", other.execute(text("SELECT current_schema()")).scalar_one())
        assert other.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        other.commit()


@only_sqlite
def test_on_sqlite_every_caller_leads(engine: Engine) -> None:
    with alone(engine, "materialise-broadcasts") as first, alone(engine, "materialise-broadcasts") as second:
        assert first and second


def test_pruning_receipts_on_two_instances_at_once_keeps_the_recent_ones(engine: Engine, drumbeat: Drumbeat) -> None:
    with session_scope(engine) as session:
        first_time(session, "slack", "event:old", now=START - timedelta(days=8))
        first_time(session, "slack", "event:recent", now=START - timedelta(days=1))
    pruned = at_once(drumbeat.prune_receipts_now, drumbeat.prune_receipts_now)
    assert sum(pruned) == 1
    with session_scope(engine) as session:
        assert receipt(session, "slack", "event:old") is None
        assert receipt(session, "slack", "event:recent") is not None
