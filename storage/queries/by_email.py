"""People named by email address (a Teams form has no people picker): one query for all of them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlmodel import Session

from storage.models import Person


def people_by_email(session: Session, emails: Iterable[str]) -> dict[str, int]:
    """Active people's ids by their email, lowercased; emails nobody active has are left out."""
    wanted = sorted({email.strip().lower() for email in emails if email.strip()})
    if not wanted:
        return {}
    rows = session.execute(select(func.lower(Person.email), Person.id)
                           .where(func.lower(Person.email).in_(wanted), Person.active.is_(True))).all()
    return {str(email): int(person_id) for email, person_id in rows}
