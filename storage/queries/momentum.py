"""Week-by-week momentum: the share of right answers and of acknowledged messages in each week.

Weeks are buckets the caller chooses (their ends, newest last); the bucket of a row is a CASE over those
boundaries, so one GROUP BY per figure answers the whole trend on SQLite and PostgreSQL alike, reading only
the team's own rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, case, cast, func, select
from sqlmodel import Session

from storage.models import Delivery, DeliveryKind, DeliveryStatus, Person, QuizAsk

WEEK = timedelta(days=7)


def share(part: int, whole: int) -> float | None:
    """A rate, or None when there is nothing to rate (no data is not 0%)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class WeekPoint:
    starts: datetime
    answered: int
    correct: int
    delivered: int
    acknowledged: int

    @property
    def understanding(self) -> float | None:
        return share(self.correct, self.answered)

    @property
    def acknowledgement(self) -> float | None:
        return share(self.acknowledged, self.delivered)


def week_starts(now: datetime, weeks: int) -> list[datetime]:
    """The starts of the `weeks` seven-day windows that end now, oldest first."""
    return [now - WEEK * (weeks - index) for index in range(weeks)]


def _bucket(column, starts: list[datetime]):  # noqa: ANN001, ANN202
    """0 for the oldest week ... n-1 for the newest; rows outside the range are filtered by the caller."""
    return case(*[(column < start + WEEK, index) for index, start in enumerate(starts)], else_=len(starts))


def team_weeks(session: Session, *, team_id: int, starts: list[datetime], end: datetime) -> list[WeekPoint]:
    members = select(Person.id).where(Person.team_id == team_id)
    answers_bucket = _bucket(QuizAsk.answered_at, starts).label("week")
    answers = dict(
        (week, (answered, int(correct or 0)))
        for week, answered, correct in session.execute(
            select(answers_bucket, func.count(), func.sum(cast(QuizAsk.correct, Integer)))
            .where(QuizAsk.person_id.in_(members), QuizAsk.answered_at >= starts[0], QuizAsk.answered_at < end)
            .group_by(answers_bucket)
        )
    )
    deliveries_bucket = _bucket(Delivery.due_at, starts).label("week")
    deliveries = dict(
        (week, (int(delivered or 0), int(acknowledged or 0)))
        for week, delivered, acknowledged in session.execute(
            select(
                deliveries_bucket,
                func.sum(case((Delivery.status == DeliveryStatus.SENT, 1), else_=0)),
                func.sum(case((Delivery.acknowledged_at.is_not(None), 1), else_=0)),
            )
            .where(Delivery.person_id.in_(members), Delivery.due_at >= starts[0], Delivery.due_at < end,
                   Delivery.kind == DeliveryKind.BROADCAST)
            .group_by(deliveries_bucket)
        )
    )
    return [
        WeekPoint(start, *answers.get(index, (0, 0)), *deliveries.get(index, (0, 0)))
        for index, start in enumerate(starts)
    ]
