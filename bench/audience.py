"""Audience benchmark: a 10,000-member Slack channel as a weekly broadcast's audience.

Prints, for SQLite (and PostgreSQL with --postgres or DATABASE_URL):
- read: the channel's members re-read through the emulator (conversations.members, 1,000 a page, Tier 4) and
  stored as a diff in the membership cache;
- count: the audience resolved in SQL (the leader's preview count);
- tick: the materialise tick at the occurrence, with the cache stale: re-read, then 10,000 delivery rows written by
  INSERT ... SELECT in chunks of 250.
The tables are ANALYZEd after the first read, as a live database's autovacuum would have.
Goal (issue 19): the huge channel resolves within the scheduling budget, a few seconds per due broadcast.

    .venv/bin/python bench/audience.py [--postgres] [--members 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bench.fanout import throwaway_database  # noqa: E402
from bot.core.audiences import AudienceSpec  # noqa: E402
from bot.core.broadcasts import BroadcastDraft, schedule  # noqa: E402
from bot.emulators.slack import SlackEmulator  # noqa: E402
from bot.slack.audience_groups import SlackGroupReader, channel_ref  # noqa: E402
from schedules.audience_refresh import GroupRefresher  # noqa: E402
from schedules.materialise import DeliveryRules, materialise_due  # noqa: E402
from schedules.recurrence import Recurrence  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Delivery, Message, Person  # noqa: E402
from storage.queries.audience import stored_audience_count  # noqa: E402
from storage.queries.audience_groups import ensure_groups  # noqa: E402
from tests.people import add_many_people, add_person  # noqa: E402

LOCAL_TEST_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
CREATED = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # a Tuesday
DUE = datetime(2026, 11, 25, 14, 5, tzinfo=UTC)  # Wednesday 09:00 in New York has passed


def run(url: str, members: int) -> str:
    engine = make_engine(url)
    upgrade(engine)
    user_ids = [f"U{n:08d}" for n in range(members)]
    with SlackEmulator("bench-secret") as slack:
        slack.add_channel("C0EVERYONE", name="everyone", members=user_ids)
        groups = GroupRefresher({"slack": SlackGroupReader(WebClient(token=slack.bot_token, base_url=slack.api_url))})
        with session_scope(engine) as session:
            add_many_people(session, user_ids)
            leader = add_person(session, "U0LEADER", name="Lena Okafor", role="leader", tz="America/New_York")
            session.add(Message(key="focus", title="Focus", body="Hi {{ person.first_name }}"))
        started = time.perf_counter()
        with session_scope(engine) as session:
            (group_id,) = ensure_groups(session, [channel_ref("C0EVERYONE", "everyone")])
            groups.refresh(session, [group_id], now=CREATED)
        read = time.perf_counter() - started
        with engine.begin() as connection:  # what a live database's autovacuum (or SQLite's optimize) has done
            connection.execute(text("ANALYZE"))
        with session_scope(engine) as session:
            started = time.perf_counter()
            reached = stored_audience_count(session, {"group_ids": [group_id]})
            count = time.perf_counter() - started
            schedule(session, sender=session.get(Person, leader.id), now=CREATED, rules=DeliveryRules(),
                     draft=BroadcastDraft(audience=AudienceSpec(groups=(channel_ref("C0EVERYONE", "everyone"),)),
                                          message_key="focus", local_time=False,
                                          recurrence=Recurrence(kind="weekly", start=date(2026, 11, 24),
                                                                at=time_of_day(9), weekdays=(2,))))
        with session_scope(engine) as session:
            materialise_due(session, now=CREATED + timedelta(minutes=1), rules=DeliveryRules())  # plans it
        started = time.perf_counter()
        with session_scope(engine) as session:
            report = materialise_due(session, now=DUE, rules=DeliveryRules(), groups=groups)
        tick = time.perf_counter() - started
        with session_scope(engine) as session:
            rows = session.execute(select(func.count()).select_from(Delivery)).scalar_one()
        pages = len(slack.calls_named("conversations.members"))
    engine.dispose()
    assert reached == members and rows == members == report.created, (reached, rows, report.created)
    return (f"{members:,} members: read {read:.2f} s ({pages // 2} pages), count {count * 1000:.0f} ms, "
            f"due tick (re-read + {rows:,} rows) {tick:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drumbeat-bench-") as workdir:
        print("SQLite:     " + run(f"sqlite:///{workdir}/audience.db", args.members))
    postgres = os.environ.get("DATABASE_URL") or (LOCAL_TEST_SERVER if args.postgres else None)
    if postgres:
        url, drop = throwaway_database(postgres)
        try:
            print("PostgreSQL: " + run(url or postgres, args.members))
        finally:
            drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
