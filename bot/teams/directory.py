"""The Teams directory sync: who left, who manages whom, and time zones, from Microsoft Graph (Entra).

One walk of `GET /users` (with `accountEnabled` and `$expand=manager`: 100 people a page) says who is
disabled and who their manager is, for everyone at once. A time zone costs one call per person
(`/users/{id}/mailboxSettings`), so it is read only for people Drumbeat knows whose zone it does not know yet
(new people from an import): after that, every message a person sends the bot carries their zone
(`activity.localTimezone`, recorded by the listeners), which is fresher than the mailbox's. A steady-state
sync therefore costs one call per 100 people in the tenant, plus one per newcomer, and writes only the rows that
changed (`bot.core.org.apply_directory`).

Who left: a disabled account (`accountEnabled: false`) is listed with the rest; a deleted one is not listed at
all (Entra moves it to its deleted items, restorable for 30 days). So every active Teams person Drumbeat knows
whom the walk did not list is asked for by id (`GET /users/{id}`): a 404 says deleted, and they are deactivated
exactly as Slack's sync deactivates a `deleted` user (and come back if Entra restores them, as a Slack user
does when reactivated). That costs one call per person who left, never per person. A walk that lists none of
the people Drumbeat knows deactivates nobody: that is another tenant (a wrong TEAMS_TENANT_ID), not an
organisation that left all at once.

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
from storage.queries.accounts import active_user_ids, people_at

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
    deleted: int = 0  # people Drumbeat knew whom Entra no longer has
    calls: int = 0  # Graph requests made
    refused: str = ""  # why nobody was looked for as deleted

    def describe(self) -> str:
        return (f"Teams: {self.seen} people read from Microsoft Graph, {self.known} known to Drumbeat, "
                f"{self.zones_read} time zones read, {self.changed} changed, {self.deleted} deleted in Entra "
                f"({self.calls} Graph calls){self.refused}")


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
    entries = [_entry(users[address.user_id], zones.get(address.user_id)) for address in known]
    entries += _not_listed(services, graph, users, report)
    with services.unit_of_work() as session:
        report.changed = apply_directory(session, entries)
    report.calls = graph.calls
    return report


def _entry(user: GraphUser, tz: str | None) -> DirectoryEntry:
    return DirectoryEntry(address=Address(PLATFORM, user.id), tz=tz, email=user.email, deleted=not user.enabled,
                          manager=Address(PLATFORM, user.manager_id) if user.manager_id else None)


def _not_listed(services: Services, graph: GraphClient, users: dict[str, GraphUser],
                report: TeamsSyncReport) -> list[DirectoryEntry]:
    """Active people Drumbeat knows whom the walk did not list, each asked for by id: deleted (404), or
    listed since (created or restored between two pages) and read as they are."""
    with services.unit_of_work() as session:
        missing = sorted(active_user_ids(session, PLATFORM) - users.keys())
    if missing and not report.known:
        report.refused = (f"; {len(missing)} people Drumbeat knows are not in this tenant at all, so nobody was "
                          "deactivated: check TEAMS_TENANT_ID")
        return []
    entries = []
    for user_id in missing:
        user = graph.user(user_id)
        if user is None:
            report.deleted += 1
            entries.append(DirectoryEntry(address=Address(PLATFORM, user_id), tz=None, email=None, deleted=True))
        else:
            entries.append(_entry(user, None))
    return entries
