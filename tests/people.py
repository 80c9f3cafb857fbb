"""Test helpers to find people by their Slack account (what the demo organisation and the e2e tests name)."""

from __future__ import annotations

from sqlmodel import Session

from storage.address import Address
from storage.models import Person, Team
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


def add_many_people(session: Session, slack_ids: list[str], *, tz: str = "Europe/Berlin", platform: str = "slack") -> None:
    """Reps with an account each (Slack's unless said), written in a few bulk statements (thousands in well under a
    second)."""
    from sqlalchemy import insert, select

    from storage.models import Account

    people = [{"name": f"Rep {slack_id}", "tz": tz, "role": "rep", "active": True} for slack_id in slack_ids]
    ids = session.execute(insert(Person).returning(Person.id, sort_by_parameter_order=True), people).scalars().all()
    session.execute(insert(Account), [{"person_id": person_id, "platform": platform, "workspace_id": "",
                                       "user_id": slack_id} for person_id, slack_id in zip(ids, slack_ids, strict=True)])
    assert session.execute(select(Account.id).where(Account.user_id == slack_ids[-1])).first() is not None


def team_name_at(session: Session, address: Address) -> str | None:
    """The name of the team of whoever has this account (None: nobody, or in no team)."""
    person = person_at(session, address)
    if person is None or person.team_id is None:
        return None
    team = session.get(Team, person.team_id)
    return team.name if team else None
