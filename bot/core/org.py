"""Who is who: importing the organisation from CSV and refreshing it from the chat platforms' directories.

An import is all or nothing: every row is checked first, every problem is reported with its line number, and
only a clean file is written (upserting by platform account, so re-importing is safe). Which platforms a file
may name, and what their user ids look like, is given by the caller (`UserIdFormat`s from each adapter): the
core knows no platform's id syntax.

Columns: a person is named by `<platform>_id` (`slack_id`, `teams_id`, ...) or by the pair `platform`,
`platform_user_id`; each of those comes with its manager column (`manager_slack_id`, `manager_platform_user_id`),
beside `email`, `name`, `role`, `team` and an optional `workspace_id`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlmodel import Session

from bot.core.errors import BadInput
from storage.address import ANY_WORKSPACE, Address
from storage.models import NO_KNOWN_ZONE, Person, Role, Team, utcnow
from storage.queries.accounts import link_account, people_at

BASE_COLUMNS = ("email", "name", "role", "team")
PAIR_COLUMNS = ("platform", "platform_user_id", "manager_platform_user_id")
OPTIONAL_COLUMNS = ("workspace_id",)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES_NEEDING_TEAM = {Role.REP, Role.MANAGER}


@dataclass(frozen=True)
class UserIdFormat:
    """What one platform's user ids look like, as its adapter declares them (checked at import)."""

    platform: str
    pattern: re.Pattern[str]
    label: str  # "Slack user id"
    example: str  # "U012ABCDEF"
    case: str = ""  # "upper" / "lower": ids are normalised to this case before checking

    def normalise(self, text: str) -> str:
        text = text.strip()
        return text.upper() if self.case == "upper" else text.lower() if self.case == "lower" else text

    def problem(self, column: str, raw: str) -> str | None:
        if self.pattern.match(self.normalise(raw)):
            return None
        return f"{column} {raw!r} is not a {self.label} (like {self.example})"


Formats = Mapping[str, UserIdFormat]


@dataclass(frozen=True)
class OrgRow:
    line: int
    accounts: tuple[Address, ...]
    email: str | None
    name: str
    role: Role
    team: str | None
    managers: tuple[tuple[str, Address], ...]  # (column, address) of the manager, as written


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    teams_created: list[str] = field(default_factory=list)
    without_zone: int = 0  # people still on UTC because no directory has told us their zone yet
    person_ids: list[int] = field(default_factory=list)  # everyone in the file (to count again after a sync)

    def summary(self) -> str:
        teams = f", {len(self.teams_created)} new team(s): {', '.join(self.teams_created)}" if self.teams_created else ""
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged{teams}"


class OrgImportError(BadInput):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Nothing was imported; fix these rows and try again:\n" + "\n".join(problems))


@dataclass(frozen=True)
class _Identity:
    """One way this file names people: a column of ids, its manager column, and the platform (None: per row)."""

    column: str
    manager_column: str
    platform: str | None


def _identities(header: list[str], formats: Formats) -> tuple[list[_Identity], list[str]]:
    """The identity columns this header uses, and every column it must then have (in a readable order)."""
    identities = [_Identity(f"{name}_id", f"manager_{name}_id", name) for name in formats if f"{name}_id" in header]
    if "platform" in header or "platform_user_id" in header:
        identities.append(_Identity("platform_user_id", "manager_platform_user_id", None))
    shown = identities or [_Identity(f"{name}_id", f"manager_{name}_id", name) for name in list(formats)[:1]]
    pair = ["platform"] if any(identity.platform is None for identity in shown) else []
    required = [*pair, *(i.column for i in shown), *BASE_COLUMNS, *(i.manager_column for i in shown)]
    return identities, required


def _check_header(header: list[str], formats: Formats) -> list[_Identity]:
    if not header:
        _, required = _identities([], formats)
        raise OrgImportError(["line 1: the file is empty; expected a header: " + ",".join(required)])
    identities, required = _identities(header, formats)
    missing = [column for column in required if column not in header]
    unknown = [column for column in header if column not in required and column not in OPTIONAL_COLUMNS]
    if missing or unknown:
        detail = []
        if missing:
            detail.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            detail.append(f"unknown column(s) {', '.join(unknown)}")
        alternatives = ", ".join([*(f"{name}_id" for name in formats), "platform + platform_user_id"])
        raise OrgImportError([f"line 1: {'; '.join(detail)}; expected: {','.join(required)}"
                              + ("" if identities else f" (people are named by one of: {alternatives})")])
    return identities


class _RowReader:
    """Checks one row at a time, remembering which accounts earlier rows named (duplicates are errors)."""

    def __init__(self, identities: list[_Identity], formats: Formats) -> None:
        self.identities = identities
        self.formats = formats
        self.first_line: dict[Address, int] = {}

    def _format(self, values: dict[str, str], identity: _Identity) -> UserIdFormat | str:
        if identity.platform is not None:
            return self.formats[identity.platform]
        name = values.get("platform", "").strip().lower()
        if name in self.formats:
            return self.formats[name]
        return f"platform {values.get('platform', '')!r} is not one of {', '.join(self.formats)}"

    def accounts(self, values: dict[str, str], line: int, problems: list[str]) -> tuple[list[Address], list[tuple[str, Address]]]:
        workspace = values.get("workspace_id", "").strip() or ANY_WORKSPACE
        problems_before = len(problems)
        accounts: list[Address] = []
        managers: list[tuple[str, Address]] = []
        for identity in self.identities:
            raw, manager_raw = values[identity.column], values[identity.manager_column]
            if not raw and not manager_raw:
                continue
            chosen = self._format(values, identity)
            if isinstance(chosen, str):
                problems.append(chosen)
                continue
            if raw:
                problem = chosen.problem(identity.column, raw)
                address = Address(chosen.platform, chosen.normalise(raw), workspace)
                if problem:
                    problems.append(problem)
                elif address in self.first_line:
                    problems.append(f"{identity.column} {address.user_id} appears again "
                                    f"(first on line {self.first_line[address]})")
                else:
                    self.first_line[address] = line
                    accounts.append(address)
            if manager_raw:
                manager = Address(chosen.platform, chosen.normalise(manager_raw), workspace)
                if chosen.problem(identity.manager_column, manager_raw):
                    problems.append(f"{identity.manager_column} {manager_raw!r} is not a {chosen.label}")
                elif raw and manager.user_id == chosen.normalise(raw):
                    problems.append("a person cannot be their own manager")
                else:
                    managers.append((identity.manager_column, manager))
        if not accounts and len(problems) == problems_before:
            problems.append(f"no {' or '.join(identity.column for identity in self.identities)} given")
        return accounts, managers

    def read(self, values: dict[str, str], line: int) -> OrgRow | list[str]:
        problems: list[str] = []
        accounts, managers = self.accounts(values, line, problems)
        email = values["email"] or None
        if email and not EMAIL.match(email):
            problems.append(f"email {email!r} is not an email address")
        name = values["name"]
        if not name:
            problems.append("name is empty")
        elif len(name) > 200:
            problems.append("name is longer than 200 characters")
        role_text = values["role"].lower()
        role = Role(role_text) if role_text in Role._value2member_map_ else None
        if role is None:
            problems.append(f"role {values['role']!r} is not one of {', '.join(r.value for r in Role)}")
        team = values["team"] or None
        if team and len(team) > 120:
            problems.append("team is longer than 120 characters")
        if role in ROLES_NEEDING_TEAM and not team:
            problems.append(f"a {role.value} needs a team")
        if problems:
            return problems
        assert role is not None
        return OrgRow(line, tuple(accounts), email, name, role, team, tuple(managers))


def parse_org_csv(text: str, *, formats: Formats) -> list[OrgRow]:
    """Parse and check every row; raise OrgImportError listing all problems with line numbers."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), skipinitialspace=True)
    header = [column.strip().lower() for column in (reader.fieldnames or [])]
    identities = _check_header(header, formats)
    reader.fieldnames = header
    rows: list[OrgRow] = []
    problems: list[str] = []
    checker = _RowReader(identities, formats)
    for record in reader:
        line = reader.line_num
        if None in record:
            problems.append(f"line {line}: more values than columns")
            continue
        values = {key: (value or "").strip() for key, value in record.items()}
        if not any(values.values()):
            continue
        checked = checker.read(values, line)
        if isinstance(checked, list):
            problems.extend(f"line {line}: {problem}" for problem in checked)
        else:
            rows.append(checked)
    if problems:
        raise OrgImportError(problems)
    if not rows:
        raise OrgImportError(["the file has a header but no people"])
    return rows


def import_org(session: Session, rows: list[OrgRow], *, on_row: Callable[[int, int], None] | None = None) -> ImportReport:
    """Upsert people and teams. Managers may be in the file or already in the directory. `on_row(done, total)`
    is told after each person is written, for a progress line on a long import."""
    in_file = {address: row for row in rows for address in row.accounts}
    manager_addresses = [address for row in rows for _, address in row.managers]
    known = people_at(session, [*in_file, *manager_addresses], active_only=False)
    unknown_managers = [
        f"line {row.line}: {column} {address.user_id} is neither in this file nor in the directory"
        for row in rows for column, address in row.managers
        if address not in in_file and address not in known
    ]
    if unknown_managers:
        raise OrgImportError(unknown_managers)
    report = ImportReport()
    teams = _teams_for(session, rows, report)
    people: dict[int, Person] = {}  # row line -> person
    before: dict[int, tuple[object, ...]] = {}
    for row in rows:
        person = next((known[address] for address in row.accounts if address in known), None)
        if person is None:
            person = Person(name=row.name)
            session.add(person)
        else:
            before[row.line] = _snapshot(person)
        person.name, person.email, person.role, person.active = row.name, row.email, row.role.value, True
        person.removed_at = None  # named in an import: back, even after `drumbeat org remove`
        person.team_id = teams[row.team.lower()].id if row.team else None
        people[row.line] = person
    session.flush()
    for done, row in enumerate(rows, start=1):
        person = people[row.line]
        for address in row.accounts:
            link_account(session, person, address)
        manager = next((people[in_file[address].line] if address in in_file else known[address]
                        for _, address in row.managers), None)
        person.manager_id = manager.id if manager else None
        if row.line not in before:
            report.created += 1
        elif before[row.line] != _snapshot(person):
            person.updated_at = utcnow()
            report.updated += 1
        else:
            report.unchanged += 1
        if on_row is not None:
            on_row(done, len(rows))
    session.flush()
    report.without_zone = sum(1 for person in people.values() if zone_unknown(person))
    report.person_ids = [person.id for person in people.values() if person.id is not None]
    return report


def zone_unknown(person: Person) -> bool:
    """Whether no directory has told us this person's time zone yet (they are reckoned in UTC meanwhile)."""
    return person.tz == NO_KNOWN_ZONE


def count_without_zone(session: Session, person_ids: list[int]) -> int:
    """How many of these people (active ones) still have no known time zone, e.g. after a directory sync."""
    total = 0
    for start in range(0, len(person_ids), 500):  # well under every database's limit on bound parameters
        total += session.execute(select(func.count()).select_from(Person).where(
            Person.id.in_(person_ids[start:start + 500]), Person.active.is_(True), Person.tz == NO_KNOWN_ZONE,
        )).scalar_one()
    return total


def count_without_zone_all(session: Session) -> int:
    """How many active people have no known time zone (after `drumbeat org sync`)."""
    return session.execute(select(func.count()).select_from(Person).where(
        Person.active.is_(True), Person.tz == NO_KNOWN_ZONE)).scalar_one()


def _teams_for(session: Session, rows: list[OrgRow], report: ImportReport) -> dict[str, Team]:
    teams = {team.name.lower(): team for team in session.execute(select(Team)).scalars()}
    for row in rows:
        if row.team and row.team.lower() not in teams:
            team = Team(name=row.team)
            session.add(team)
            teams[row.team.lower()] = team
            report.teams_created.append(row.team)
    session.flush()
    return teams


def _snapshot(person: Person) -> tuple[object, ...]:
    return (person.name, person.email, person.role, person.team_id, person.manager_id, person.active)


def import_org_csv(session: Session, text: str, *, formats: Formats) -> ImportReport:
    return import_org(session, parse_org_csv(text, formats=formats))


@dataclass(frozen=True)
class DirectoryEntry:
    """What a chat platform's directory tells us about one of its users."""

    address: Address
    tz: str | None
    email: str | None
    deleted: bool
    manager: Address | None = None  # their manager's account, when the directory knows it (Entra); None: unknown


def apply_directory(session: Session, entries: Iterable[DirectoryEntry]) -> int:
    """Refresh time zones, deactivation and (where the directory has them) managers of people we know; returns
    how many changed. Only changed rows are written.

    People are added only by an import: the directory is not a list of who should get nudges. A manager is
    taken only when Drumbeat knows them too (an active person, not the person themself); a directory with no
    manager for someone changes nothing (an `org move` or an import said otherwise, and is kept).
    """
    by_address = {entry.address: entry for entry in entries}
    if not by_address:
        return 0
    managers = people_at(session, {entry.manager for entry in by_address.values() if entry.manager is not None})
    changed = 0
    for address, person in people_at(session, by_address, active_only=False).items():
        entry = by_address[address]
        tz = entry.tz if entry.tz and _valid_zone(entry.tz) else person.tz
        active = not entry.deleted and person.removed_at is None  # removed by an admin: stays so
        manager = managers.get(entry.manager) if entry.manager is not None else None
        manager_id = manager.id if manager is not None and manager.id != person.id else person.manager_id
        if (person.tz, person.active, person.manager_id) != (tz, active, manager_id):
            person.tz, person.active, person.manager_id, person.updated_at = tz, active, manager_id, utcnow()
            changed += 1
    session.flush()
    return changed


def _valid_zone(name: str) -> bool:
    """An IANA zone name we can load (a name longer than a column holds, or one the OS cannot open as a file,
    is no zone: a fuzzed 300-character `tz` made ZoneInfo raise OSError "File name too long")."""
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def record_zone(session: Session, address: Address, tz: str | None) -> bool:
    """The time zone a platform reported with something a person did (Teams: every activity's localTimezone),
    for whoever Drumbeat knows at that address; nothing else changes (a deactivated person stays so). True if
    it changed."""
    if not tz or not _valid_zone(tz):
        return False
    person = people_at(session, [address], active_only=False).get(address)
    if person is None or person.tz == tz:
        return False
    person.tz, person.updated_at = tz, utcnow()
    session.flush()
    return True
