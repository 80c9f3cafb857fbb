"""The reader of a composed delivery: where it reaches them, and how a moment reads in their time zone.

Shared by every composer (schedules.compose, schedules.compose_coaching) and by the adapters' replies, so
no composer imports another for a helper.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from storage.address import Address
from storage.models import Person
from storage.queries.accounts import primary_address


def recipient_of(session: Session, person: Person) -> Address:
    """Where a delivery to this person goes: their first platform account."""
    address = primary_address(session, person.id or 0)
    if address is None:
        raise LookupError(f"person {person.id} has no account on any chat platform")
    return address


def local_time_label(moment: datetime, tz_name: str) -> str:
    """A short local time for a person, e.g. 'Mon 24 Nov, 09:00'; an unknown zone reads as UTC."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%a %d %b, %H:%M")
