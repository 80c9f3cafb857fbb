"""Test helpers to find people by their Slack account (what the demo organisation and the e2e tests name)."""

from __future__ import annotations

from sqlmodel import Session

from storage.address import Address
from storage.models import Person
from storage.queries.accounts import link_account, person_at, primary_address


def slack_person(session: Session, user_id: str) -> Person:
    person = person_at(session, Address("slack", user_id))
    assert person is not None, f"nobody has the Slack account {user_id}"
    return person


def slack_user_id(session: Session, person: Person) -> str:
    address = primary_address(session, person.id or 0)
    assert address is not None and address.platform == "slack"
    return address.user_id


def add_person(session: Session, slack_id: str, **fields: object) -> Person:
    """A person in the directory with a Slack account (added and flushed, so it has an id)."""
    person = Person(**fields)
    session.add(person)
    session.flush()
    link_account(session, person, Address("slack", slack_id))
    session.flush()
    return person
