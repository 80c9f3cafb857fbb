"""The Teams directory sync: who left, who manages whom, and time zones, from Microsoft Graph (Entra).

One walk of `GET /users` (with `accountEnabled` and `$expand=manager`: 100 people a page) says who is
disabled and who their manager is, for everyone at once. A time zone costs one call per person
(`/users/{id}/mailboxSettings`), so it is read only for people Drumbeat knows whose zone it does not know yet
(new people from an import): after that, every message a person sends the bot carries their zone
(`activity.localTimezone`, recorded by the listeners), which is fresher than the mailbox's. A steady-state
sync therefore costs one call per 100 people in the tenant, plus one per newcomer, and writes only the rows that
changed (`bot.core.org.apply_directory`).

Mailbox zones are often Windows names ("W. Europe Standard Time"): mapped to IANA with tzlocal's copy of the
Unicode CLDR table (`tzlocal.windows_tz`, maintained with tzlocal, already installed with APScheduler).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import win_tz

from bot.core.org import DirectoryEntry, apply_directory, zone_unknown
from bot.services import Services
from bot.teams.graph import GraphClient, GraphUser
from bot.teams.identity import PLATFORM
from storage.address import Address
from storage.queries.accounts import people_at

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
PROGRESS_EVERY = 500


def iana_zone(name: str | None) -> str | None:
    """An IANA zone for what a mailbox says: an IANA name as it is, a Windows name through CLDR; None for
    anything else (a custom zone, an empty setting)."""
    if not name or len(name) > 64:
        return None
    if "/" in name or name == "UTC":
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return win_tz.get(name)


@dataclass
class TeamsSyncReport:
    seen: int = 0  # people of the tenant read from Graph
    known: int = 0  # of whom Drumbeat knows
    zones_read: int = 0  # mailbox settings read (people without a known zone)
    changed: int = 0
    calls: int = 0  # Graph requests made

    def describe(self) -> str:
        return (f"Teams: {self.seen} people read from Microsoft Graph, {self.known} known to Drumbeat, "
                f"{self.zones_read} time zones read, {self.changed} changed ({self.calls} Graph calls)")


def sync_teams_directory(services: Services, graph: GraphClient, *, progress: Progress) -> TeamsSyncReport:
    report = TeamsSyncReport()
    users: dict[str, GraphUser] = {}
    for user in graph.users(with_manager=True):
        users[user.id] = user
        if len(users) % PROGRESS_EVERY == 0:
            progress(f"Teams: {len(users)} people read from Microsoft Graph...")
    report.seen = len(users)
    with services.unit_of_work() as session:
        known = people_at(session, [Address(PLATFORM, user_id) for user_id in users], active_only=False)
        without_zone = [address.user_id for address, person in known.items() if zone_unknown(person)]
    report.known = len(known)
    zones: dict[str, str | None] = {}
    for count, user_id in enumerate(without_zone, 1):
        zones[user_id] = iana_zone(graph.mailbox_time_zone(user_id))
        if count % PROGRESS_EVERY == 0:
            progress(f"Teams: {count} of {len(without_zone)} time zones read...")
    report.zones_read = len(without_zone)
    entries = [
        DirectoryEntry(address=address, tz=zones.get(address.user_id), email=users[address.user_id].email,
                       deleted=not users[address.user_id].enabled,
                       manager=Address(PLATFORM, manager) if (manager := users[address.user_id].manager_id) else None)
        for address in known
    ]
    with services.unit_of_work() as session:
        report.changed = apply_directory(session, entries)
    report.calls = graph.calls
    return report
