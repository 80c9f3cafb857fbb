"""Week-by-week momentum: the share of right answers and of acknowledged messages in each week.

Weeks are buckets the caller chooses (their starts, oldest first; the newest ends at `end`, included); the
bucket of a row is a CASE over those boundaries, so one GROUP BY per figure answers the whole trend on SQLite
and PostgreSQL alike, reading only the team's own rows. A week counts what the Measure and Message sections
count for the same span (`summary_scope`): a team's active reps, broadcast deliveries, and each rep's latest
answer per expectation within the week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, case, cast, func, select
from sqlmodel import Session

from storage.models import Delivery, DeliveryKind, DeliveryStatus, QuizAsk
from storage.queries.summary_scope import WEEK, in_period, is_team_rep, week_bucket, week_starts
from storage.queries.understanding import latest_answers

__all__ = ["WEEK", "WeekPoint", "share", "team_weeks", "week_starts"]


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


def team_weeks(session: Session, *, team_id: int, starts: list[datetime], end: datetime) -> list[WeekPoint]:
    latest = latest_answers(team_id=team_id, since=starts[0], until=end,
                            per=week_bucket(QuizAsk.answered_at, starts))
    answers = {
        week: (answered, int(correct or 0))
        for week, answered, correct in session.execute(
            select(latest.c.per, func.count(), func.sum(cast(latest.c.correct, Integer))).group_by(latest.c.per)
        )
    }
    deliveries_bucket = week_bucket(Delivery.due_at, starts).label("week")
    deliveries = {
        week: (int(delivered or 0), int(acknowledged or 0))
        for week, delivered, acknowledged in session.execute(
            select(
                deliveries_bucket,
                func.sum(case((Delivery.status == DeliveryStatus.SENT, 1), else_=0)),
                func.sum(case((Delivery.acknowledged_at.is_not(None), 1), else_=0)),
            )
            .where(is_team_rep(Delivery.person_id, team_id), in_period(Delivery.due_at, starts[0], end),
                   Delivery.kind == DeliveryKind.BROADCAST)
            .group_by(deliveries_bucket)
        )
    }
    return [
        WeekPoint(start, *answers.get(index, (0, 0)), *deliveries.get(index, (0, 0)))
        for index, start in enumerate(starts)
    ]
