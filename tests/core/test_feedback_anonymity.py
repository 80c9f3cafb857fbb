"""Anonymity against insiders (issue 14, items 7 and 9 and the release; item 8's ordering), on the real database.

Each test plays the insider: it reads the tables as a database reader would (rowid / ctid included), rotates the
key as an admin could, or mixes named and anonymous feedback, and checks that the protection holds.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from bot.core import feedback
from bot.core.feedback_key import FeedbackKey
from bot.core.feedback_release import release_due
from bot.core.sealing import respondent_tag
from storage.db import session_scope
from storage.models import Feedback, FeedbackRespondent, Person, Role, Team
from storage.queries.feedback import anonymous_people
from tests.people import add_person

MONDAY_NOON = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
THRESHOLDS = feedback.Thresholds(people_for_comments=3, people_for_scores=3)


def new_key() -> FeedbackKey:
    return FeedbackKey(os.urandom(32), "test")


@pytest.fixture
def team(engine: Engine) -> dict[str, int]:
    """Team East: a manager and 20 reps (in zones far apart); returns the ids by name."""
    with session_scope(engine) as session:
        east = Team(name="East")
        session.add(east)
        session.flush()
        manager = add_person(session, "U0MGR", name="Marco", role=Role.MANAGER, team_id=east.id, tz="Europe/Rome")
        zones = ["Asia/Tokyo", "America/New_York", "Europe/Berlin", "UTC"]
        ids = {"manager": manager.id or 0, "team": east.id or 0}
        for index in range(20):
            rep = add_person(session, f"U0REP{index:02d}", name=f"Rep {index}", role=Role.REP, team_id=east.id,
                             manager_id=manager.id, tz=zones[index % 4])
            ids[f"rep{index}"] = rep.id or 0
        return ids


def give(engine: Engine, person_id: int, words: str, *, key: FeedbackKey, now: datetime, anonymous: bool = True,
         thresholds: feedback.Thresholds = THRESHOLDS) -> None:
    with session_scope(engine) as session:
        author = session.get(Person, person_id)
        assert author is not None
        draft = feedback.FeedbackDraft(stop=words, anonymous=anonymous, allow_replies=anonymous)
        _, new = feedback.submit(session, author=author, draft=draft, submission_id=os.urandom(8).hex(), key=key,
                                 thresholds=thresholds, now=now)
        assert new


def release(engine: Engine, key: FeedbackKey, now: datetime, tz: str = "UTC") -> int:
    with session_scope(engine) as session:
        return release_due(session, key=key, now=now, tz=tz)


def listing(engine: Engine, team: dict[str, int], now: datetime,
            thresholds: feedback.Thresholds = THRESHOLDS) -> feedback.TeamFeedback:
    with session_scope(engine) as session:
        manager = session.get(Person, team["manager"])
        assert manager is not None
        return feedback.team_feedback(session, caller=manager, team_name=None, month="2026-11",
                                      thresholds=thresholds, now=now)


def test_rotating_the_key_then_two_repeat_authors_still_counts_three(engine: Engine, team: dict[str, int]) -> None:
    first, second = new_key(), new_key()
    for rep in ("rep0", "rep1", "rep2"):
        give(engine, team[rep], f"before {rep}", key=first, now=MONDAY_NOON)
    release(engine, first, MONDAY_NOON + timedelta(days=1))
    for rep in ("rep0", "rep1"):  # the same two people again, after the key was replaced
        give(engine, team[rep], f"after {rep}", key=second, now=MONDAY_NOON + timedelta(days=1))
    release(engine, second, MONDAY_NOON + timedelta(days=2))
    rules = feedback.Thresholds(people_for_comments=4, people_for_scores=3)
    seen = listing(engine, team, MONDAY_NOON + timedelta(days=2), rules)
    assert seen.people == 3  # not 5: people are counted per key, and the largest count is taken
    assert seen.anonymous is None  # 3 people < 4: the comments stay hidden


def test_one_author_under_many_keys_is_one_person(engine: Engine, team: dict[str, int]) -> None:
    for day in range(5):
        key, now = new_key(), MONDAY_NOON + timedelta(days=day)
        give(engine, team["rep0"], f"again {day}", key=key, now=now)
        release(engine, key, now + timedelta(days=1))
    with session_scope(engine) as session:
        assert anonymous_people(session, team_id=team["team"], month="2026-11") == 1


def test_one_anonymous_and_five_named_keep_the_anonymous_comment_hidden(engine: Engine, team: dict[str, int]) -> None:
    key = new_key()
    give(engine, team["rep0"], "the lone anonymous one", key=key, now=MONDAY_NOON)
    for index in range(1, 6):
        give(engine, team[f"rep{index}"], f"named {index}", key=key, now=MONDAY_NOON, anonymous=False)
    release(engine, key, MONDAY_NOON + timedelta(days=1))
    seen = listing(engine, team, MONDAY_NOON + timedelta(days=1))
    assert seen.people == 1 and seen.counts is None and seen.anonymous is None  # named authors do not count
    assert len(seen.named) == 5


def test_the_stored_day_is_the_organisations_not_the_authors(engine: Engine, team: dict[str, int]) -> None:
    late_utc = datetime(2026, 11, 16, 23, 40, tzinfo=UTC)  # already the 17th in Tokyo, the 16th in New York
    key = new_key()
    give(engine, team["rep0"], "from Tokyo", key=key, now=late_utc)  # rep0 is in Asia/Tokyo
    give(engine, team["rep1"], "from New York", key=key, now=late_utc)  # rep1 is in America/New_York
    tokyo_org = feedback.Thresholds(people_for_comments=3, people_for_scores=3, timezone="Asia/Tokyo")
    give(engine, team["rep2"], "org in Tokyo", key=key, now=late_utc, thresholds=tokyo_org)
    release(engine, key, late_utc + timedelta(days=2))
    with session_scope(engine) as session:
        days = {row.stop: row.submitted_on for row in session.execute(select(Feedback)).scalars()}
    assert days == {"from Tokyo": date(2026, 11, 16), "from New York": date(2026, 11, 16),
                    "org in Tokyo": date(2026, 11, 17)}


def test_one_authors_items_share_nothing_that_sets_them_apart(engine: Engine, team: dict[str, int]) -> None:
    """Two authors, three items each, on one day: no column splits the six rows into the two authors' items."""
    key = new_key()
    for round_ in range(3):
        for rep in ("rep0", "rep1"):
            give(engine, team[rep], f"{rep} item {round_}", key=key, now=MONDAY_NOON + timedelta(minutes=round_))
    release(engine, key, MONDAY_NOON + timedelta(days=1))
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(text("SELECT * FROM feedback"))]
    assert len(rows) == 6
    for column in rows[0]:
        if column == "stop":
            continue
        values = [row[column] for row in rows]
        assert len(set(values)) in (1, 6), f"{column} groups the rows: {values}"


def physical_order(engine: Engine, table: str, column: str) -> list[str]:
    """The rows in the order the database keeps them: PostgreSQL's ctid, SQLite's rowid (or, in a table without
    one, the order a plain SELECT walks its b-tree in)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            query = f"SELECT {column} FROM {table} ORDER BY ctid"
        else:
            has_rowid = connection.execute(text(f"SELECT sql FROM sqlite_master WHERE name = '{table}'")).scalar_one()
            query = f"SELECT {column} FROM {table}" + ("" if "WITHOUT ROWID" in has_rowid else " ORDER BY rowid")
        return [row[0] for row in connection.execute(text(query))]


def test_no_order_of_the_rows_follows_the_order_of_submission(engine: Engine, team: dict[str, int]) -> None:
    """Twenty submissions a minute apart: neither the ids, nor the physical order (rowid / ctid), nor any ordering
    a reader may try follows them (a random order matches by chance with probability 1/20!, about 4e-19)."""
    key = new_key()
    submitted = [f"item {index:02d}" for index in range(20)]
    for index, words in enumerate(submitted):
        give(engine, team[f"rep{index}"], words, key=key, now=MONDAY_NOON + timedelta(minutes=index))
    release(engine, key, MONDAY_NOON + timedelta(days=1))
    with engine.connect() as connection:
        orders = {column: [row[0] for row in connection.execute(text(f"SELECT stop FROM feedback ORDER BY {column}"))]
                  for column in ("id", "submitted_on, id", "reply_link")}
        if engine.dialect.name == "sqlite":
            assert connection.execute(text("SELECT COUNT(*) FROM feedback WHERE rowid != id")).scalar_one() == 0
    orders["physical"] = physical_order(engine, "feedback", "stop")
    for name, order in orders.items():
        assert sorted(order) == submitted
        assert order not in (submitted, submitted[::-1]), name
    tags = {respondent_tag(key.secret, team[f"rep{index}"], team["team"], "2026-11"): index for index in range(20)}
    counted = [tags[tag] for tag in physical_order(engine, "feedbackrespondent", "tag")]
    assert sorted(counted) == list(range(20)) and counted not in (sorted(counted), sorted(counted)[::-1])


def test_readers_see_nothing_of_a_day_until_it_is_over_then_all_of_it(engine: Engine, team: dict[str, int]) -> None:
    key = new_key()
    for index in range(4):
        give(engine, team[f"rep{index}"], f"anonymous {index}", key=key, now=MONDAY_NOON + timedelta(hours=index))
    give(engine, team["rep9"], "named", key=key, now=MONDAY_NOON, anonymous=False)
    evening = MONDAY_NOON + timedelta(hours=11, minutes=59)  # 23:59 UTC, the same day
    assert release(engine, key, evening) == 0
    seen = listing(engine, team, evening)
    assert (seen.people, seen.counts, seen.named, seen.anonymous) == (0, None, [], None)  # polling learns nothing
    assert release(engine, key, evening + timedelta(minutes=2)) == 4
    seen = listing(engine, team, evening + timedelta(minutes=2))
    assert seen.people == 4 and seen.counts is not None and seen.counts.items == 5
    assert seen.anonymous is not None and len(seen.anonymous) == 4 and len(seen.named) == 1


def test_two_releases_at_once_release_each_item_once(engine: Engine, team: dict[str, int]) -> None:
    key = new_key()
    for index in range(12):
        give(engine, team[f"rep{index}"], f"item {index}", key=key, now=MONDAY_NOON)
    start, counts = threading.Barrier(2), []

    def run() -> None:
        start.wait()
        counts.append(release(engine, key, MONDAY_NOON + timedelta(days=1)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 12]
    with session_scope(engine) as session:
        assert len(session.execute(select(Feedback.id)).all()) == 12
        assert len(session.execute(select(FeedbackRespondent.tag)).all()) == 12


def test_items_sealed_under_a_replaced_key_wait_for_it_and_are_not_lost(engine: Engine, team: dict[str, int]) -> None:
    old, new = new_key(), new_key()
    give(engine, team["rep0"], "sealed under the old key", key=old, now=MONDAY_NOON)
    assert release(engine, new, MONDAY_NOON + timedelta(days=1)) == 0
    assert release(engine, old, MONDAY_NOON + timedelta(days=1)) == 1  # the old key restored from a backup
