"""The organisation-wide queries as they were before `answerstate` (revision 0014), for bench/organisation.py only.

Why kept: the bench measures the previous way and the current way in the same run, on the same data, and
checks that both give the same answer. Nothing outside bench/ imports this module. These rank every answer
ever given per (rep, expectation) with a window function, which is what cost 3 s (leader Home, SQLite) and
97 s (coaching selection, SQLite) at 5,000 reps and 1,000,000 answers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, and_, case, cast, exists, func, literal, null, or_, select, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session

from storage.models import (
    CoachingNudge,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    NudgeReason,
    NudgeStatus,
    Person,
    QuizAsk,
    Role,
    Team,
)
from storage.queries.coaching import Candidate, SelectionRules, _as_int, _unacknowledged
from storage.queries.overview import TeamLine


def org_by_team(session: Session, *, since: datetime) -> list[TeamLine]:
    """storage.queries.overview.org_by_team before 0014: the period's answers ranked per rep and expectation."""
    reps = dict(session.execute(
        select(Person.team_id, func.count())
        .where(Person.role == Role.REP, Person.active.is_(True), Person.team_id.is_not(None))
        .group_by(Person.team_id)
    ).all())
    deliveries = {team_id: (int(sent or 0), int(acked or 0)) for team_id, sent, acked in session.execute(
        select(Person.team_id,
               func.sum(case((Delivery.status == DeliveryStatus.SENT, 1), else_=0)),
               func.sum(case((Delivery.acknowledged_at.is_not(None), 1), else_=0)))
        .select_from(Delivery).join(Person, Person.id == Delivery.person_id)
        .where(Delivery.due_at >= since, Delivery.kind == DeliveryKind.BROADCAST, Person.team_id.is_not(None))
        .group_by(Person.team_id)
    )}
    ranked = select(
        QuizAsk.person_id, QuizAsk.correct,
        func.row_number().over(partition_by=(QuizAsk.person_id, QuizAsk.expectation_id),
                               order_by=(QuizAsk.answered_at.desc(), QuizAsk.id.desc())).label("recency"),
    ).where(QuizAsk.answered_at >= since).subquery()
    answers = {team_id: (answered, int(correct or 0)) for team_id, answered, correct in session.execute(
        select(Person.team_id, func.count(), func.sum(cast(ranked.c.correct, Integer)))
        .select_from(ranked).join(Person, Person.id == ranked.c.person_id)
        .where(ranked.c.recency == 1, Person.team_id.is_not(None))
        .group_by(Person.team_id)
    )}
    return [
        TeamLine(team.name, reps.get(team.id, 0), *deliveries.get(team.id, (0, 0)), *answers.get(team.id, (0, 0)))
        for team in session.execute(select(Team).order_by(Team.name)).scalars()
    ]


def _ranked_answers(until: datetime | None = None, reps=None):  # noqa: ANN001, ANN202 - a subquery
    """Answers (of `reps`, a subquery of person ids, when given), numbered from the newest per rep and
    expectation (1 = latest before `until`). Filtering by rep first keeps the window to the managers asked about."""
    query = select(
        QuizAsk.person_id, QuizAsk.expectation_id, QuizAsk.correct, QuizAsk.answered_at,
        func.row_number().over(partition_by=(QuizAsk.person_id, QuizAsk.expectation_id),
                               order_by=(QuizAsk.answered_at.desc(), QuizAsk.id.desc())).label("recency"),
    ).where(QuizAsk.answered_at.is_not(None))
    if until is not None:
        query = query.where(QuizAsk.answered_at < until)
    if reps is not None:
        query = query.where(QuizAsk.person_id.in_(reps))
    return query.subquery()


def _missed_twice(reps=None):  # noqa: ANN001, ANN202
    ranked = _ranked_answers(reps=reps)
    return (
        select(ranked.c.person_id.label("rep_id"), ranked.c.expectation_id.label("expectation_id"),
               cast(null(), String).label("message_key"), literal(NudgeReason.MISSED_TWICE.value).label("reason"),
               func.max(ranked.c.answered_at).label("evidence_at"), literal(1).label("priority"),
               literal(0).label("understanding"))
        .where(ranked.c.recency <= 2)
        .group_by(ranked.c.person_id, ranked.c.expectation_id)
        .having(func.count() == 2, func.sum(_as_int(ranked.c.correct)) == 0)
    )


def _dropped(now: datetime, rules: SelectionRules, reps=None):  # noqa: ANN001, ANN202
    start = now - rules.drop_window
    latest_now, latest_then = _ranked_answers(reps=reps), _ranked_answers(until=start, reps=reps)

    def rates(ranked):  # noqa: ANN001, ANN202
        return (select(ranked.c.person_id, func.sum(_as_int(ranked.c.correct)).label("right"),
                       func.count().label("answered"))
                .where(ranked.c.recency == 1).group_by(ranked.c.person_id).subquery())

    now_rate, then_rate = rates(latest_now), rates(latest_then)
    # then% - now% >= points, in whole numbers: right_then*n_now - right_now*n_then >= points*n_then*n_now/100
    falling = (
        select(now_rate.c.person_id)
        .join(then_rate, then_rate.c.person_id == now_rate.c.person_id)
        .where(100 * (then_rate.c.right * now_rate.c.answered - now_rate.c.right * then_rate.c.answered)
               >= rules.drop_points * then_rate.c.answered * now_rate.c.answered)
    )
    return (
        select(latest_now.c.person_id.label("rep_id"), latest_now.c.expectation_id.label("expectation_id"),
               cast(null(), String).label("message_key"), literal(NudgeReason.DROPPED.value).label("reason"),
               latest_now.c.answered_at.label("evidence_at"), literal(2).label("priority"),
               literal(0).label("understanding"))
        .outerjoin(latest_then, and_(latest_then.c.person_id == latest_now.c.person_id,
                                     latest_then.c.expectation_id == latest_now.c.expectation_id,
                                     latest_then.c.recency == 1))
        .where(latest_now.c.recency == 1, latest_now.c.correct.is_(False),
               or_(latest_then.c.correct.is_(None), latest_then.c.correct.is_(True)),
               latest_now.c.person_id.in_(falling))
    )


def nudge_candidates(session: Session, *, now: datetime, rules: SelectionRules,
                     manager_ids: list[int] | None = None) -> list[Candidate]:
    """What each manager should hear about today, by manager, then topic, then rep."""
    reps = (select(Person.id).where(Person.manager_id.in_(manager_ids)).scalar_subquery()
            if manager_ids is not None else None)
    found = union_all(_missed_twice(reps), _dropped(now, rules, reps), _unacknowledged(now, rules, reps)).subquery()
    picked = select(
        found,
        func.row_number().over(partition_by=(found.c.rep_id, found.c.expectation_id, found.c.message_key),
                               order_by=found.c.priority).label("pick"),
    ).subquery()
    earlier = aliased(CoachingNudge)
    blocked = exists().where(
        earlier.rep_id == picked.c.rep_id,
        earlier.expectation_id.is_not_distinct_from(picked.c.expectation_id),
        earlier.message_key.is_not_distinct_from(picked.c.message_key),
        or_(and_(earlier.status == NudgeStatus.OPEN, earlier.created_at > now - rules.open_expires_after),
            and_(earlier.status == NudgeStatus.SNOOZED, earlier.snoozed_until > now),
            and_(earlier.status == NudgeStatus.COACHED, earlier.coached_at >= picked.c.evidence_at)),
    )
    rep, manager = aliased(Person), aliased(Person)
    query = (
        select(manager.id, rep.id, picked.c.expectation_id, picked.c.message_key, picked.c.reason,
               picked.c.evidence_at, picked.c.understanding)
        .join(rep, rep.id == picked.c.rep_id)
        .join(manager, manager.id == rep.manager_id)
        .where(picked.c.pick == 1, ~blocked, rep.active.is_(True), rep.role == Role.REP, manager.active.is_(True))
        .order_by(manager.id, picked.c.priority, picked.c.expectation_id, picked.c.message_key, rep.name, rep.id)
    )
    if manager_ids is not None:
        query = query.where(manager.id.in_(manager_ids))
    return [Candidate(*row) for row in session.execute(query)]

