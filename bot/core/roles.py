"""Who may do what. Every use case calls one of these before it reads or changes anything."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlmodel import Session

from bot.core.errors import NotInDirectory, PermissionDenied
from storage.address import Address
from storage.models import Person, Role, Team
from storage.queries.accounts import people_at, person_at

ROLE_NAMES = {
    Role.REP: "reps",
    Role.MANAGER: "managers",
    Role.LEADER: "leaders",
    Role.ADMIN: "admins",
}


def identify(session: Session, caller: Address) -> Person:
    """The directory entry of the person behind a request (the account they acted from), or a polite refusal."""
    person = person_at(session, caller)
    if person is None or not person.active:
        raise NotInDirectory()
    return person


def require_role(person: Person, allowed: Iterable[Role], doing: str) -> None:
    allowed = tuple(allowed)
    if person.role not in allowed:
        names = [ROLE_NAMES[role] for role in allowed]
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        raise PermissionDenied(f"Sorry, only {who} can {doing}. You are registered as a {person.role}.")


def sees_everything(person: Person) -> bool:
    return person.role in (Role.LEADER, Role.ADMIN)


def managed_team_ids(session: Session, manager: Person) -> set[int]:
    """Teams a manager answers for: their own team and the teams of their direct reports."""
    ids = set(
        session.execute(
            select(Person.team_id).where(Person.manager_id == manager.id, Person.team_id.is_not(None)).distinct()
        ).scalars()
    )
    if manager.team_id is not None:
        ids.add(manager.team_id)
    return ids


def visible_teams(session: Session, person: Person) -> list[Team]:
    """Teams whose figures the person may see, by name."""
    query = select(Team).order_by(Team.name)
    if sees_everything(person):
        return list(session.execute(query).scalars())
    if person.role == Role.MANAGER:
        ids = managed_team_ids(session, person)
        return list(session.execute(query.where(Team.id.in_(ids))).scalars()) if ids else []
    return []


def find_team(session: Session, name: str) -> Team | None:
    """Team names are matched case-insensitively, as people type them."""
    return session.execute(select(Team).where(func.lower(Team.name) == name.strip().lower())).scalar_one_or_none()


def find_people(session: Session, addresses: Iterable[Address]) -> dict[Address, Person]:
    """Active people behind the accounts named (a mention, a group member); unknown ones are left out."""
    return people_at(session, addresses)
