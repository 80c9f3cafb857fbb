"""Leaders put strategy messages on the drumbeat; reps acknowledge them.

A broadcast "for now" is written together with one Delivery row per recipient in the same transaction;
the outbox sends them. Nothing here talks to a chat platform.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from bot.core.errors import BadInput, NotFound, PermissionDenied
from bot.core.roles import find_people, find_team, require_role
from storage.models import (
    AuditEvent,
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Message,
    Person,
    Role,
    Team,
)

BROADCASTERS = (Role.LEADER, Role.ADMIN)


@dataclass(frozen=True)
class AudienceSpec:
    """Who a leader named: platform user ids and team names, as typed."""

    people: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.people and not self.teams


@dataclass(frozen=True)
class BroadcastQueued:
    broadcast_id: int
    message_key: str
    message_title: str
    message_version: int
    recipients: int
    audience_label: str
    skipped: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Acknowledgement:
    delivery_id: int
    newly_acknowledged: bool
    acknowledged_at: datetime


def latest_message(session: Session, key: str) -> Message:
    """The canonical (newest) version of a message, or a helpful NotFound."""
    message = session.execute(
        select(Message).where(Message.key == key).order_by(Message.version.desc()).limit(1)
    ).scalar_one_or_none()
    if message is not None:
        return message
    keys = list(session.execute(select(Message.key).distinct()).scalars())
    close = difflib.get_close_matches(key, keys, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    available = f" Messages in the library: {', '.join(sorted(keys))}." if keys and not close else ""
    raise NotFound(f"There is no message called '{key}'.{hint}{available}")


def resolve_audience(session: Session, audience: AudienceSpec) -> tuple[list[Person], str, list[str]]:
    """The active people a leader named (teams mean their reps), a label, and who was skipped."""
    if audience.empty:
        raise BadInput("Say who should get it: a person (@name) or a team name.")
    recipients: dict[int, Person] = {}
    labels: list[str] = []
    skipped: list[str] = []
    found = find_people(session, audience.people)
    unknown = [user_id for user_id in audience.people if user_id not in found]
    if unknown:
        mentions = ", ".join(f"<@{user_id}>" for user_id in unknown)
        raise NotFound(f"{mentions} {'is' if len(unknown) == 1 else 'are'} not in Drumbeat's directory yet.")
    for user_id in audience.people:
        person = found[user_id]
        recipients[person.id] = person
        labels.append(person.name)
    for name in audience.teams:
        team = find_team(session, name)
        if team is None:
            known = ", ".join(session.execute(select(Team.name).order_by(Team.name)).scalars()) or "none yet"
            raise NotFound(f"There is no team called '{name}'. Teams: {known}.")
        reps = session.execute(
            select(Person).where(Person.team_id == team.id, Person.role == Role.REP, Person.active.is_(True))
        ).scalars()
        members = list(reps)
        if not members:
            skipped.append(f"team {team.name} has no active reps")
        for person in members:
            recipients[person.id] = person
        labels.append(f"team {team.name}")
    if not recipients:
        raise BadInput("Nobody to send to: " + "; ".join(skipped))
    return list(recipients.values()), ", ".join(labels)[:200], skipped


def send_now(
    session: Session, *, sender: Person, message_key: str, audience: AudienceSpec, now: datetime
) -> BroadcastQueued:
    """Queue the newest version of a message for everyone named, due immediately."""
    require_role(sender, BROADCASTERS, "send broadcasts")
    message = latest_message(session, message_key)
    recipients, label, skipped = resolve_audience(session, audience)
    broadcast = Broadcast(
        message_id=message.id,
        created_by_id=sender.id,
        audience={"people": list(audience.people), "teams": list(audience.teams)},
        audience_label=label,
        recurrence=None,
        starts_at=now,
        status=BroadcastStatus.DONE,
        created_at=now,
    )
    session.add(broadcast)
    session.flush()
    session.add_all(
        Delivery(
            broadcast_id=broadcast.id,
            occurrence="now",
            person_id=person.id,
            message_id=message.id,
            due_at=now,
            status=DeliveryStatus.PENDING,
        )
        for person in recipients
    )
    session.add(
        AuditEvent(
            at=now,
            actor_id=sender.id,
            action="broadcast.send_now",
            detail={"broadcast_id": broadcast.id, "message": message.key, "version": message.version,
                    "recipients": len(recipients)},
        )
    )
    session.flush()
    return BroadcastQueued(
        broadcast_id=broadcast.id,
        message_key=message.key,
        message_title=message.title,
        message_version=message.version,
        recipients=len(recipients),
        audience_label=label,
        skipped=tuple(skipped),
    )


def acknowledge(session: Session, *, delivery_id: int, person: Person, now: datetime) -> Acknowledgement:
    """Record that a rep got the message. Clicking twice is harmless; someone else's button is refused."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.status == DeliveryStatus.CANCELLED:
        raise NotFound("That message is no longer in Drumbeat, so there is nothing to acknowledge.")
    if delivery.person_id != person.id:
        raise PermissionDenied("That button belongs to someone else's message.")
    if delivery.acknowledged_at is not None:
        return Acknowledgement(delivery.id, False, delivery.acknowledged_at)
    delivery.acknowledged_at = now
    session.flush()
    return Acknowledgement(delivery.id, True, now)


def delivery_count(session: Session, broadcast_id: int) -> int:
    return session.execute(select(func.count()).where(Delivery.broadcast_id == broadcast_id)).scalar_one()
