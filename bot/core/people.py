"""People as the words refer to them: a name, and where a platform can reach them (a `PersonRef`).

Every person a summary or the Home screen names is built here, so how a person's account becomes a
reference is decided in one place.
"""

from __future__ import annotations

from typing import Protocol

from messages.rich import PersonRef
from storage.address import Address


class Reachable(Protocol):
    """A person as a query row carries them (e.g. a rep who needs coaching): a name, and their account if any."""

    @property
    def name(self) -> str: ...

    @property
    def address(self) -> Address | None: ...


def person_ref(person: Reachable) -> PersonRef:
    """The person as a reader should see them: a mention where their platform can reach them, else their name."""
    return PersonRef(person.name, person.address)
