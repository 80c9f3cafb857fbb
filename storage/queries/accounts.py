"""People by their platform accounts, and the account each person is reached at.

A person's *first* account (lowest id) is where Drumbeat sends: for almost everyone it is the only one, and for
someone moving between platforms it stays put until an admin re-imports them. A caller is found by the account
they acted from, in their workspace or in the installation's one workspace (`workspace_id = ''`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, func, select
from sqlmodel import Session

from storage.address import ANY_WORKSPACE, Address
from storage.models import Account, Person


def _matches(address: Address):  # noqa: ANN202 - a SQLAlchemy boolean clause
    workspaces = {address.workspace_id, ANY_WORKSPACE}
    return and_(Account.platform == address.platform, Account.user_id == address.user_id,
                Account.workspace_id.in_(workspaces))


def person_at(session: Session, address: Address) -> Person | None:
    """The person behind an account, active or not."""
    return session.execute(
        select(Person).join(Account, Account.person_id == Person.id).where(_matches(address))
        .order_by(Account.id).limit(1)
    ).scalar_one_or_none()


LOOKUP_CHUNK = 500


def people_at(session: Session, addresses: Iterable[Address], *, active_only: bool = True) -> dict[Address, Person]:
    """The people behind several accounts, keyed by the address asked for (unknown ones are left out)."""
    wanted = list(dict.fromkeys(addresses))
    if not wanted:
        return {}
    found: dict[tuple[str, str, str], Person] = {}
    by_platform: dict[str, list[str]] = {}
    for address in wanted:
        by_platform.setdefault(address.platform, []).append(address.user_id)
    for platform, user_ids in by_platform.items():
        # By platform and user id in chunks (a whole organisation is one import), workspaces matched below.
        for start in range(0, len(user_ids), LOOKUP_CHUNK):
            query = (select(Account, Person).join(Person, Person.id == Account.person_id)
                     .where(Account.platform == platform, Account.user_id.in_(user_ids[start:start + LOOKUP_CHUNK])))
            if active_only:
                query = query.where(Person.active.is_(True))
            for account, person in session.execute(query).all():
                found[(account.platform, account.workspace_id, account.user_id)] = person
    result: dict[Address, Person] = {}
    for address in wanted:
        person = (found.get((address.platform, address.workspace_id, address.user_id))
                  or found.get((address.platform, ANY_WORKSPACE, address.user_id)))
        if person is not None:
            result[address] = person
    return result


def address_of(account: Account) -> Address:
    return Address(account.platform, account.user_id, account.workspace_id)


def primary_addresses(session: Session, person_ids: Iterable[int]) -> dict[int, Address]:
    """Where each person is reached (their first account); people without any account are left out."""
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return {}
    first = (select(func.min(Account.id).label("id")).where(Account.person_id.in_(ids))
             .group_by(Account.person_id).subquery())
    rows = session.execute(select(Account).join(first, first.c.id == Account.id)).scalars()
    return {account.person_id: address_of(account) for account in rows}


def primary_address(session: Session, person_id: int) -> Address | None:
    return primary_addresses(session, [person_id]).get(person_id)


def known_user_ids(session: Session, platform: str, user_ids: Iterable[str]) -> set[str]:
    """Which of these platform user ids already belong to someone (any workspace)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return set()
    return set(session.execute(
        select(Account.user_id).where(Account.platform == platform, Account.user_id.in_(ids))).scalars())


def link_account(session: Session, person: Person, address: Address) -> Account:
    """Give a person this account (once); an account already someone else's is moved to them."""
    account = session.execute(select(Account).where(
        Account.platform == address.platform, Account.workspace_id == address.workspace_id,
        Account.user_id == address.user_id)).scalar_one_or_none()
    if account is None:
        account = Account(person_id=person.id, platform=address.platform, workspace_id=address.workspace_id,
                          user_id=address.user_id)
        session.add(account)
    else:
        account.person_id = person.id  # type: ignore[assignment]
    return account


def active_user_ids(session: Session, platform: str) -> set[str]:
    """Every user id on a platform whose person is active (a directory sync's list of whom to look for)."""
    return set(session.execute(
        select(Account.user_id).join(Person, Person.id == Account.person_id)
        .where(Account.platform == platform, Person.active.is_(True))).scalars())
