"""The summary's SQL on a tiny hand-made team: medians with odd and even counts, coaching, weeks, the org view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from tests.people import add_person
from storage.db import session_scope
from storage.models import Broadcast, Delivery, DeliveryStatus, Expectation, Message, Question, QuizAsk, Role, Team
from storage.queries.momentum import team_weeks, week_starts
from storage.queries.overview import org_by_team
from storage.queries.reach import key_message_frequency, versions_sent
from storage.queries.understanding import reps_needing_coaching

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def seed(engine: Engine, times_heard: dict[str, int]) -> dict[str, int]:
    """Team A with one rep per entry of `times_heard`, each sent the key message that many times; team B noise."""
    with session_scope(engine) as session:
        a, b = Team(name="A"), Team(name="B")
        session.add_all([a, b])
        session.flush()
        leader = add_person(session, "U0L", name="Lee", role=Role.LEADER)
        session.add(leader)
        reps = {name: add_person(session, f"U0{name.upper()}", name=name, team_id=a.id) for name in times_heard}
        noise = add_person(session, "U0NOISE", name="noise", team_id=b.id)
        session.add_all([*reps.values(), noise])
        key = Message(key="k", title="Key", body="b", key_message=True)
        plain = Message(key="p", title="Plain", body="b")
        session.add_all([key, plain])
        session.flush()
        broadcast = Broadcast(message_id=key.id, created_by_id=leader.id)
        session.add(broadcast)
        session.flush()
        for name, times in times_heard.items():
            for index in range(times):
                session.add(Delivery(broadcast_id=broadcast.id, occurrence=f"{name}{index}", person_id=reps[name].id,
                                     message_id=key.id, due_at=NOW - timedelta(days=index + 1),
                                     status=DeliveryStatus.SENT, acknowledged_at=NOW if index == 0 else None))
        for index in range(9):  # team B hears the key message nine times: it must not move A's median
            session.add(Delivery(broadcast_id=broadcast.id, occurrence=f"noise{index}", person_id=noise.id,
                                 message_id=key.id, due_at=NOW - timedelta(days=1), status=DeliveryStatus.SENT))
        session.flush()
        return {"A": a.id, "B": b.id, **{name: person.id for name, person in reps.items()}}


def test_median_counts_reps_who_never_heard_it_as_zero(engine: Engine) -> None:
    ids = seed(engine, {"r1": 0, "r2": 1, "r3": 4})
    with session_scope(engine) as session:
        (row,) = key_message_frequency(session, team_id=ids["A"], since=NOW - timedelta(days=30))
    assert (row.key, row.reps, row.reps_heard, row.median_times) == ("k", 3, 2, 1.0)


def test_median_of_an_even_team_is_the_mean_of_the_middle_two(engine: Engine) -> None:
    ids = seed(engine, {"r1": 1, "r2": 2, "r3": 4, "r4": 5})
    with session_scope(engine) as session:
        (row,) = key_message_frequency(session, team_id=ids["A"], since=NOW - timedelta(days=30))
        window = key_message_frequency(session, team_id=ids["A"], since=NOW - timedelta(days=2, hours=12))
    assert row.median_times == 3.0
    assert window[0].median_times == 2.0  # only the last two days: 1, 2, 2, 2


def test_versions_sent_name_the_leader(engine: Engine) -> None:
    ids = seed(engine, {"r1": 2})
    with session_scope(engine) as session:
        sent = versions_sent(session, team_id=ids["A"], since=NOW - timedelta(days=30))
    assert [(s.key, s.version, s.leader, s.deliveries) for s in sent] == [("k", 1, "Lee", 2)]


def test_reps_needing_coaching_and_weekly_momentum(engine: Engine) -> None:
    ids = seed(engine, {"r1": 1, "r2": 1, "r3": 1})
    with session_scope(engine) as session:
        e1, e2 = Expectation(key="e1", statement="s", pillar="p"), Expectation(key="e2", statement="s", pillar="p")
        session.add_all([e1, e2])
        session.flush()
        question = {e.key: Question(key=f"q{e.key}", expectation_id=e.id, prompt="?", options=["a", "b"], correct=0,
                                    explanation=".") for e in (e1, e2)}
        session.add_all(question.values())
        session.flush()

        def answer(rep: str, expectation: Expectation, correct: bool, days_ago: float) -> None:
            at = NOW - timedelta(days=days_ago)
            session.add(QuizAsk(question_id=question[expectation.key].id, expectation_id=expectation.id,
                                person_id=ids[rep], asked_at=at, answered_at=at, choice=0, correct=correct))

        answer("r1", e1, False, 9)  # r1: wrong, then right on e1 (latest counts), wrong on e2: 1 of 2 -> coach
        answer("r1", e1, True, 2)
        answer("r1", e2, False, 3)
        answer("r2", e1, True, 1)  # r2: 2 of 2
        answer("r2", e2, True, 1)
        answer("r3", e1, False, 1)  # r3: one answer only: too few to judge
        session.flush()
        needs = reps_needing_coaching(session, team_id=ids["A"], since=NOW - timedelta(days=30), below=0.6)
        weeks = team_weeks(session, team_id=ids["A"], starts=week_starts(NOW, 2), end=NOW)
    assert [(n.name, n.correct, n.answered, n.missed) for n in needs] == [("r1", 1, 2, ["e2"])]
    # week 1 (days 14..7 ago): r1's wrong e1 answer; week 2: the other five answers, three of them right
    assert [(w.answered, w.correct) for w in weeks] == [(1, 0), (5, 3)]
    # deliveries: each rep one, one day ago, all acknowledged (the first of each is)
    assert [(w.delivered, w.acknowledged) for w in weeks] == [(0, 0), (3, 3)]


def test_org_view_has_one_line_per_team(engine: Engine) -> None:
    seed(engine, {"r1": 2, "r2": 0})
    with session_scope(engine) as session:
        lines = org_by_team(session, since=NOW - timedelta(days=30))
    assert [(t.team, t.reps, t.delivered, t.acknowledged, t.answered) for t in lines] == [
        ("A", 2, 2, 1, 0), ("B", 1, 9, 0, 0)]
