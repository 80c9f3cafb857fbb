"""What a pipeline import reads and writes: owners by email or chat user id, the deals it already holds, and
the inserts and updates of one import, in chunks (a whole CRM is one file) and in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from storage.deals import Deal
from storage.models import Account, Person

CHUNK = 500  # well under every database's limit on bound parameters
T = TypeVar("T")


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def people_by_email(session: Session, emails: Iterable[str]) -> dict[str, list[int]]:
    """Case-folded email -> ids of the people with it (more than one: the email cannot name an owner)."""
    wanted = sorted({email.casefold() for email in emails})
    found: dict[str, list[int]] = {}
    for chunk in _chunks(wanted):
        for email, person_id in session.execute(
                select(func.lower(Person.email), Person.id).where(func.lower(Person.email).in_(chunk))):
            found.setdefault(email, []).append(person_id)
    return found


def people_by_user_id(session: Session, user_ids: Iterable[str]) -> dict[str, list[int]]:
    """A chat platform user id (any platform, any workspace) -> ids of the people with that account."""
    wanted = sorted(set(user_ids))
    found: dict[str, list[int]] = {}
    for chunk in _chunks(wanted):
        for user_id, person_id in session.execute(
                select(Account.user_id, Account.person_id).where(Account.user_id.in_(chunk)).distinct()):
            found.setdefault(user_id, []).append(person_id)
    return found


def stored_deals(session: Session, source: str, record_ids: Sequence[str]) -> dict[str, Deal]:
    found: dict[str, Deal] = {}
    for chunk in _chunks(record_ids):
        for deal in session.execute(select(Deal).where(Deal.source == source, Deal.record_id.in_(chunk))).scalars():
            found[deal.record_id] = deal
    return found


def write_deals(session: Session, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
    """New deals as one executemany per chunk; changed ones as bulk updates by primary key."""
    for chunk in _chunks(inserts):
        session.execute(insert(Deal), list(chunk))
    for chunk in _chunks(updates):
        session.execute(update(Deal), list(chunk))
    session.flush()
