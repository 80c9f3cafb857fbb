"""Organisation-wide figures read all teams and managers at once; they must say what each team's own does."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus, Expectation, Person, Question, QuizAsk, Team
from storage.queries import understanding
from storage.queries.coaching import SelectionRules, nudge_candidates
from storage.queries.overview import org_by_team
from tests.people import add_person

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TEAMS, REPS, EXPECTATIONS = 5, 6, 4


@dataclass
class Org:
    teams: list[int] = field(default_factory=list)
    managers: list[int] = field(default_factory=list)


def seed_org(session: Session, seed: int = 7) -> Org:
    """Five teams with a manager each (one team has two), reps with 60 days of answers and deliveries."""
    rng, org = random.Random(seed), Org()
    questions = []
    for n in range(EXPECTATIONS):
        expectation = Expectation(key=f"x{n}", statement="s", pillar="p")
        session.add(expectation)
        session.flush()
        question = Question(key=f"qx{n}", expectation_id=expectation.id, prompt="?", options=["a", "b"], correct=0,
                            explanation=".")
        session.add(question)
        questions.append(question)
    for t in range(TEAMS):
        team = Team(name=f"Team {t}")
        session.add(team)
        session.flush()
        org.teams.append(team.id)
        managers = [add_person(session, f"U0M{t}{m}", name=f"Manager {t}{m}", role="manager", team_id=team.id)
                    for m in range(2 if t == 0 else 1)]
        org.managers += [m.id for m in managers]
        for r in range(REPS):
            rep = add_person(session, f"U0R{t}{r}", name=f"Rep {t}{r}", role="rep", team_id=team.id,
                             manager_id=managers[r % len(managers)].id, active=r != 5)
            skill = rng.uniform(0.2, 0.9) if r % 3 else 0.9  # some reps fall from right to wrong lately
            for _ in range(rng.randrange(4, 30)):
                question = rng.choice(questions)
                at = NOW - timedelta(hours=rng.randrange(60 * 24))
                recent = at > NOW - timedelta(days=14)
                right = rng.random() < (skill if recent or r % 3 else 0.9 if not recent else 0.2)
                session.add(QuizAsk(question_id=question.id, expectation_id=question.expectation_id,
                                    person_id=rep.id, asked_at=at, answered_at=at, choice=0 if right else 1,
                                    correct=right))
            for k in range(rng.randrange(0, 8)):
                at = NOW - timedelta(hours=rng.randrange(60 * 24))
                sent = rng.random() < 0.9
                session.add(Delivery(occurrence=f"o{k}", person_id=rep.id, due_at=at, sent_at=at if sent else None,
                                     status=DeliveryStatus.SENT if sent else DeliveryStatus.FAILED,
                                     acknowledged_at=at + timedelta(hours=1) if sent and rng.random() < 0.6 else None))
    edge = add_person(session, "U0EDGE", name="Edge", role="rep", team_id=org.teams[1], manager_id=org.managers[2])
    start = NOW - SelectionRules().drop_window
    marks = [(0, NOW - timedelta(days=days), True) for days in (7, 30, 90)]  # exactly at each period's start
    marks += [(1, start - timedelta(days=2), True), (1, start + timedelta(days=1), False),  # then right, now wrong
              (2, start - timedelta(days=5), True), (2, start + timedelta(days=1), False),
              (2, start + timedelta(days=2), False),  # missed twice since the drop window opened
              (3, start - timedelta(days=1), True), (3, start + timedelta(days=1), True),
              (3, start + timedelta(days=2), False)]  # two answers since: "then" is found further back
    for n, at, right in marks:
        session.add(QuizAsk(question_id=questions[n].id, expectation_id=questions[n].expectation_id,
                            person_id=edge.id, asked_at=at, answered_at=at, choice=0 if right else 1, correct=right))
    session.flush()
    return org


@pytest.mark.parametrize("days", [7, 30, 90])
def test_leader_overview_says_what_each_teams_own_figures_say(engine: Engine, days: int) -> None:
    since = NOW - timedelta(days=days)
    with session_scope(engine) as session:
        org = seed_org(session)
        lines = {line.team: line for line in org_by_team(session, since=since)}
        for team_id in org.teams:
            team = session.get(Team, team_id)
            members = select(Person.id).where(Person.team_id == team_id, Person.role == "rep", Person.active.is_(True))
            own = understanding.for_team(session, team_id=team_id, since=since)  # one team, its answers ranked
            reps = session.execute(select(func.count()).where(
                Person.team_id == team_id, Person.role == "rep", Person.active.is_(True))).scalar_one()
            delivered, acknowledged = session.execute(
                select(func.count().filter(Delivery.status == DeliveryStatus.SENT), func.count(Delivery.acknowledged_at))
                .where(Delivery.person_id.in_(members), Delivery.due_at >= since, Delivery.kind == "broadcast")).one()
            line = lines[team.name]
            assert (line.reps, line.delivered, line.acknowledged, line.answered, line.correct) == (
                reps, delivered, acknowledged, own.answered, own.correct)
        assert sum(line.answered for line in lines.values()) > 0


def test_coaching_selection_for_every_manager_at_once_is_each_managers_own_list(engine: Engine) -> None:
    rules = SelectionRules()
    with session_scope(engine) as session:
        org = seed_org(session, seed=11)
        everyone = nudge_candidates(session, now=NOW, rules=rules)
        one_by_one = [c for manager in sorted(org.managers)
                      for c in nudge_candidates(session, now=NOW, rules=rules, manager_ids=[manager])]
        assert everyone == one_by_one
        assert {c.reason for c in everyone} >= {"missed_twice", "dropped"}


def expected_from_answers(session: Session, rules: SelectionRules) -> set[tuple[int, int, str, datetime]]:
    """missed twice / dropped, worked out in Python from every answer of every active rep with a manager."""
    start = NOW - rules.drop_window
    asks: dict[int, dict[int, list[QuizAsk]]] = defaultdict(lambda: defaultdict(list))
    for ask in session.execute(select(QuizAsk).join(Person, Person.id == QuizAsk.person_id).where(
            QuizAsk.answered_at.is_not(None), Person.active.is_(True), Person.manager_id.is_not(None))).scalars():
        asks[ask.person_id][ask.expectation_id].append(ask)
    expected = set()
    for rep, by_expectation in asks.items():
        latest = {e: sorted(a, key=lambda x: (x.answered_at, x.id), reverse=True) for e, a in by_expectation.items()}
        then = {e: next((x for x in a if x.answered_at < start), None) for e, a in latest.items()}
        now_right, now_n = sum(bool(a[0].correct) for a in latest.values()), len(latest)
        then_known = [x for x in then.values() if x is not None]
        then_right, then_n = sum(bool(x.correct) for x in then_known), len(then_known)
        falling = then_n and 100 * (then_right * now_n - now_right * then_n) >= rules.drop_points * then_n * now_n
        for e, answers in latest.items():
            if len(answers) >= 2 and not answers[0].correct and not answers[1].correct:
                expected.add((rep, e, "missed_twice", answers[0].answered_at))
            elif falling and not answers[0].correct and (then[e] is None or then[e].correct):
                expected.add((rep, e, "dropped", answers[0].answered_at))
    return expected


def test_coaching_selection_names_the_reps_their_answers_point_at(engine: Engine) -> None:
    rules = SelectionRules()
    with session_scope(engine) as session:
        seed_org(session, seed=5)
        found = {(c.rep_id, c.expectation_id, c.reason, c.evidence_at)
                 for c in nudge_candidates(session, now=NOW, rules=rules) if c.expectation_id is not None}
        assert found == expected_from_answers(session, rules)
        edge = session.execute(select(Person.id).where(Person.name == "Edge")).scalar_one()
        key = dict(session.execute(select(Expectation.id, Expectation.key)).all())
        assert {(key[e], reason) for rep, e, reason, _ in found if rep == edge} == {
            ("x1", "dropped"), ("x2", "missed_twice"), ("x3", "dropped")}
