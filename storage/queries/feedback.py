"""Feedback figures for a team and month, computed by the database.

`people` is a lower bound on how many different people answered: anonymous rows are counted by their
respondent tags, named rows by author, and the larger of the two is taken (someone may have given both,
and nothing in the database may say so). Erring low keeps anonymous comments hidden, never exposed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, distinct, func, select
from sqlmodel import Session

from storage.models import Feedback


@dataclass(frozen=True)
class FeedbackCounts:
    people: int
    items: int
    stop: int
    start: int
    keep: int
    by_about: dict[str, int]


def team_month_counts(session: Session, *, team_id: int, month: str) -> FeedbackCounts:
    live = (Feedback.team_id == team_id, Feedback.month == month, Feedback.withdrawn.is_(False))
    tags, authors, items, stop, start, keep = session.execute(
        select(
            func.count(distinct(Feedback.respondent_tag)),
            func.count(distinct(Feedback.author_id)),
            func.count(),
            func.sum(case((Feedback.stop != "", 1), else_=0)),
            func.sum(case((Feedback.start != "", 1), else_=0)),
            func.sum(case((Feedback.keep != "", 1), else_=0)),
        ).where(*live)
    ).one()
    by_about = dict(session.execute(select(Feedback.about, func.count()).where(*live).group_by(Feedback.about)).all())
    return FeedbackCounts(max(tags, authors), items, int(stop or 0), int(start or 0), int(keep or 0), by_about)


def recent_items(session: Session, *, team_id: int, month: str, anonymous: bool, limit: int = 15) -> list[Feedback]:
    return list(session.execute(
        select(Feedback)
        .where(Feedback.team_id == team_id, Feedback.month == month, Feedback.withdrawn.is_(False),
               Feedback.anonymous.is_(anonymous))
        .order_by(Feedback.submitted_on.desc(), Feedback.id.desc())
        .limit(limit)
    ).scalars())
