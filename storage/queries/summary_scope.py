"""What one summary counts, defined once: which rows fall in its period, and whose rows a team's are.

Every section of a summary (Message, Measure, coaching, Momentum) filters with these, so the sections of one
summary can never disagree about what they counted. A summary of the last N days covers [now - N days, now]
with *both* ends included: the dispatcher sends what is due at "now", so a delivery due exactly at now is
already in a rep's DM and must be counted by Message and by Momentum's newest week alike. Weeks split the same
span: [start, start + 7 days) for each week but the newest, which ends at now, included; so the newest week of
a 7-day summary is the summary's period, row for row.

A team's rows are those of its active reps: the people `Reach` counts as "reps" and the only ones the coaching
list can name. A manager who is in the team and answers a pulse check (or is sent a broadcast by name) is not
one of the reps being measured; counting them would let "0% answered right" stand above "nobody needs coaching".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, literal, select, true

from storage.models import Person, Role

WEEK = timedelta(days=7)


def in_period(column: Any, since: datetime | None, until: datetime | None) -> Any:
    """`since <= column <= until` (either bound may be open): the one definition of "in the period"."""
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column <= until)
    return and_(true(), *conditions)


def team_reps(team_id: int) -> Any:
    """The ids of the team's active reps: whose rows a team summary counts."""
    return select(Person.id).where(Person.team_id == team_id, Person.role == Role.REP, Person.active.is_(True))


def is_team_rep(person_id_column: Any, team_id: int) -> Any:
    return person_id_column.in_(team_reps(team_id))


def week_starts(now: datetime, weeks: int) -> list[datetime]:
    """The starts of the `weeks` seven-day windows that end now, oldest first."""
    return [now - WEEK * (weeks - index) for index in range(weeks)]


def week_bucket(column: Any, starts: list[datetime]) -> Any:
    """0 for the oldest week ... n-1 for the newest, which ends at the period's end included. Rows outside
    [starts[0], end] must be filtered by the caller with `in_period`."""
    if len(starts) == 1:
        return literal(0)
    return case(*[(column < start + WEEK, index) for index, start in enumerate(starts[:-1])],
                else_=len(starts) - 1)
