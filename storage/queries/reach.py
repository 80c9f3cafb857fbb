"""Reach and acknowledgement: who heard which message, computed by the database.

Only a broadcast's own deliveries count (a reminder or a lone re-asked question is not another message
heard). Everything is filtered by the team's active reps first (`summary_scope.team_reps`, an indexed lookup on
person.team_id), so the cost of one team's summary depends on that team's history, not on the size of everybody
else's; and by the period with `summary_scope.in_period`, as every other section is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, distinct, func, or_, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session

from storage.models import Broadcast, Delivery, DeliveryKind, DeliveryStatus, Message, Person
from storage.queries.summary_scope import in_period, is_team_rep, team_reps


@dataclass(frozen=True)
class MessageReach:
    key: str
    title: str
    versions: int  # how many versions of this message reached the team (consistency)
    recipients: int  # distinct people it was addressed to
    delivered: int  # deliveries that reached a DM
    acknowledged: int  # deliveries acknowledged

    @property
    def acknowledgement_rate(self) -> float | None:
        return self.acknowledged / self.delivered if self.delivered else None


@dataclass(frozen=True)
class TeamReach:
    reps: int  # active reps in the team
    reached: int  # reps who received at least one message in the period
    acknowledging: int  # reps who acknowledged at least one
    delivered: int
    acknowledged: int
    pending: int  # still queued or being sent
    failed: int


def _sent() -> object:
    return case((Delivery.status == DeliveryStatus.SENT, 1), else_=0)


def _acknowledged() -> object:
    return case((Delivery.acknowledged_at.is_not(None), 1), else_=0)


def message_reach(session: Session, *, since: datetime, team_id: int | None = None,
                  person_id: int | None = None, until: datetime | None = None) -> list[MessageReach]:
    """One row per message key addressed to the team's reps (or to one person) in [since, until]."""
    whose = is_team_rep(Delivery.person_id, team_id) if person_id is None else Delivery.person_id == person_id
    query = (
        select(
            Message.key,
            func.max(Message.title),
            func.count(distinct(Message.version)),
            func.count(distinct(Delivery.person_id)),
            func.sum(_sent()),
            func.sum(_acknowledged()),
        )
        .select_from(Delivery)
        .join(Message, Message.id == Delivery.message_id)
        .where(whose, in_period(Delivery.due_at, since, until), Delivery.kind == DeliveryKind.BROADCAST)
        .group_by(Message.key)
        .order_by(func.max(Delivery.due_at).desc(), Message.key)
    )
    return [
        MessageReach(key, title, versions, recipients, int(delivered or 0), int(acknowledged or 0))
        for key, title, versions, recipients, delivered, acknowledged in session.execute(query)
    ]


def team_reach(session: Session, *, team_id: int, since: datetime, until: datetime | None = None) -> TeamReach:
    reps = session.execute(select(func.count()).select_from(team_reps(team_id).subquery())).scalar_one()
    row = session.execute(
        select(
            func.count(distinct(case((Delivery.status == DeliveryStatus.SENT, Delivery.person_id)))),
            func.count(distinct(case((Delivery.acknowledged_at.is_not(None), Delivery.person_id)))),
            func.sum(_sent()),
            func.sum(_acknowledged()),
            func.sum(case((Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]), 1), else_=0)),
            func.sum(case((Delivery.status == DeliveryStatus.FAILED, 1), else_=0)),
        )
        .select_from(Delivery)
        .where(is_team_rep(Delivery.person_id, team_id), in_period(Delivery.due_at, since, until),
               Delivery.kind == DeliveryKind.BROADCAST)
    ).one()
    reached, acknowledging, delivered, acknowledged, pending, failed = row
    return TeamReach(
        reps=reps,
        reached=reached or 0,
        acknowledging=acknowledging or 0,
        delivered=int(delivered or 0),
        acknowledged=int(acknowledged or 0),
        pending=int(pending or 0),
        failed=int(failed or 0),
    )


@dataclass(frozen=True)
class KeyMessageFrequency:
    key: str
    title: str
    reps: int  # active reps in the team
    reps_heard: int  # reps who received it at least once
    median_times: float  # how many times the median rep received it (reps who never did count as 0)


@dataclass(frozen=True)
class VersionSent:
    key: str
    version: int
    leader: str  # who scheduled the broadcast that carried it
    deliveries: int


def key_message_frequency(session: Session, *, team_id: int, since: datetime,
                          until: datetime | None = None) -> list[KeyMessageFrequency]:
    """How often the median rep heard each key message: the 'frequency' half of the drumbeat.

    Every active rep of the team is paired with every key message the team received in the period (a rep who
    never got it counts as 0), and the median is taken in SQL with window functions (row number and count per
    message), which SQLite and PostgreSQL both have.
    """
    reps = team_reps(team_id).subquery()
    heard = (
        select(Delivery.person_id, Message.key, func.count().label("times"))
        .join(Message, Message.id == Delivery.message_id)
        .where(Delivery.person_id.in_(select(reps.c.id)), in_period(Delivery.due_at, since, until),
               Delivery.kind == DeliveryKind.BROADCAST, Delivery.status == DeliveryStatus.SENT,
               Message.key_message.is_(True))
        .group_by(Delivery.person_id, Message.key)
    ).subquery()
    keys = select(heard.c.key).distinct().subquery()
    paired = (
        select(keys.c.key, reps.c.id.label("person_id"), func.coalesce(heard.c.times, 0).label("times"))
        .select_from(keys)
        .join(reps, true())
        .outerjoin(heard, and_(heard.c.key == keys.c.key, heard.c.person_id == reps.c.id))
    ).subquery()
    ranked = select(
        paired.c.key,
        paired.c.times,
        func.row_number().over(partition_by=paired.c.key, order_by=paired.c.times).label("position"),
        func.count().over(partition_by=paired.c.key).label("size"),
    ).subquery()
    middle = or_(ranked.c.position == (ranked.c.size + 1) // 2, ranked.c.position == (ranked.c.size + 2) // 2)
    medians = (
        select(ranked.c.key, func.avg(ranked.c.times).label("median"))
        .where(middle).group_by(ranked.c.key)
    ).subquery()
    spread = (
        select(paired.c.key, func.count().label("reps"),
               func.sum(case((paired.c.times > 0, 1), else_=0)).label("heard"))
        .group_by(paired.c.key)
    ).subquery()
    titles = (
        select(Message.key, func.max(Message.title).label("title")).where(Message.key.in_(select(keys.c.key)))
        .group_by(Message.key)
    ).subquery()
    rows = session.execute(
        select(spread.c.key, titles.c.title, spread.c.reps, spread.c.heard, medians.c.median)
        .join(medians, medians.c.key == spread.c.key)
        .join(titles, titles.c.key == spread.c.key)
        .order_by(medians.c.median, spread.c.key)
    )
    return [KeyMessageFrequency(key, title, reps_count, int(heard_count or 0), float(median or 0))
            for key, title, reps_count, heard_count, median in rows]


def versions_sent(session: Session, *, team_id: int, since: datetime,
                  until: datetime | None = None) -> list[VersionSent]:
    """Which versions of each message reached the team and from which leaders: the 'consistency' check."""
    leader = aliased(Person)
    rows = session.execute(
        select(Message.key, Message.version, leader.name, func.count())
        .select_from(Delivery)
        .join(Message, Message.id == Delivery.message_id)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .join(leader, leader.id == Broadcast.created_by_id)
        .where(is_team_rep(Delivery.person_id, team_id), in_period(Delivery.due_at, since, until),
               Delivery.kind == DeliveryKind.BROADCAST,
               Delivery.status == DeliveryStatus.SENT)
        .group_by(Message.key, Message.version, leader.name)
        .order_by(Message.key, Message.version, leader.name)
    )
    return [VersionSent(key, version, name, count) for key, version, name, count in rows]
