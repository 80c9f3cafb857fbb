"""Feedback figures for a team and month, computed by the database; and the daily release's reads and writes.

`people` counts different *anonymous* authors only (named authors are shown by name and need no threshold; were
they counted, 1 anonymous and 5 named items would show the lone anonymous comment). It is a lower bound that a
key rotation cannot raise: respondents are counted per key (FeedbackRespondent.key_id) and the largest of those
counts is taken, so 3 people before a rotation and 2 of them again after it count 3, never 5. Someone who wants
to see comments early gains nothing by changing the key; a rotation only ever makes the count err low.

Readers see only what was released: anonymous rows exist only once released (the pending ones are sealed in
FeedbackPending), and named rows are held back to the same daily batch (`released_before`), so polling a list
cannot tell when anything arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import Feedback, FeedbackPending, FeedbackRespondent, random_id


@dataclass(frozen=True)
class FeedbackCounts:
    people: int  # different anonymous authors, at least
    items: int
    stop: int
    start: int
    keep: int
    by_about: dict[str, int]


def anonymous_people(session: Session, *, team_id: int, month: str) -> int:
    per_key = (select(func.count().label("people")).where(FeedbackRespondent.team_id == team_id,
                                                           FeedbackRespondent.month == month)
               .group_by(FeedbackRespondent.key_id).subquery())
    return int(session.execute(select(func.coalesce(func.max(per_key.c.people), 0))).scalar_one())


def team_month_counts(session: Session, *, team_id: int, month: str, released_before: date) -> FeedbackCounts:
    live = (Feedback.team_id == team_id, Feedback.month == month, Feedback.withdrawn.is_(False),
            Feedback.submitted_on < released_before)
    items, stop, start, keep = session.execute(
        select(
            func.count(),
            func.sum(case((Feedback.stop != "", 1), else_=0)),
            func.sum(case((Feedback.start != "", 1), else_=0)),
            func.sum(case((Feedback.keep != "", 1), else_=0)),
        ).where(*live)
    ).one()
    by_about = dict(session.execute(select(Feedback.about, func.count()).where(*live).group_by(Feedback.about)).all())
    return FeedbackCounts(anonymous_people(session, team_id=team_id, month=month), items, int(stop or 0),
                          int(start or 0), int(keep or 0), by_about)


def recent_items(session: Session, *, team_id: int, month: str, anonymous: bool, released_before: date,
                 limit: int = 15) -> list[Feedback]:
    """The newest released items; within a day in a random order (ids are random), so nothing orders them."""
    return list(session.execute(
        select(Feedback)
        .where(Feedback.team_id == team_id, Feedback.month == month, Feedback.withdrawn.is_(False),
               Feedback.anonymous.is_(anonymous), Feedback.submitted_on < released_before)
        .order_by(Feedback.submitted_on.desc(), Feedback.id)
        .limit(limit)
    ).scalars())


def take_due_pending(session: Session, *, key_id: str, released_before: date) -> list[tuple[date, bytes]]:
    """Claim the sealed items of the days before `released_before` by deleting them (of two instances releasing
    at once, PostgreSQL makes the second wait and then find nothing; SQLite runs one writer at a time)."""
    rows = session.execute(
        delete(FeedbackPending)
        .where(FeedbackPending.day < released_before, FeedbackPending.key_id == key_id)
        .returning(FeedbackPending.day, FeedbackPending.sealed)
    ).all()
    return [(day, sealed) for day, sealed in rows]


def stranded_pending(session: Session, *, key_id: str) -> int:
    """Pending items sealed under another key (the key file was replaced): they wait for that key to return."""
    return int(session.execute(select(func.count()).select_from(FeedbackPending)
                               .where(FeedbackPending.key_id != key_id)).scalar_one())


def add_respondents(session: Session, rows: list[dict[str, object]]) -> None:
    """Count these (team, month, key, tag) as respondents; already counted ones change nothing."""
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(FeedbackRespondent).values(rows).on_conflict_do_nothing(
        index_elements=["team_id", "month", "key_id", "tag"]))


def insert_submission(session: Session, model: type[Feedback] | type[FeedbackPending], values: dict[str, object]) -> bool:
    """Store one submission unless its `submission_key` is already stored; False when it was (a repeat of the
    same modal, even one running at the same moment: the unique key decides, on both databases)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = session.execute(insert(model).values({"id": random_id(), **values})
                               .on_conflict_do_nothing(index_elements=["submission_key"])
                               .returning(model.id)).scalar_one_or_none()
    return inserted is not None
