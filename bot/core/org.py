"""Who is who: importing the organisation from CSV and refreshing it from the chat platform's directory.

An import is all or nothing: every row is checked first, every problem is reported with its line
number, and only a clean file is written (upserting by platform user id, so re-importing is safe).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlmodel import Session

from bot.core.errors import BadInput
from storage.models import Person, Role, Team, utcnow

CSV_COLUMNS = ("slack_id", "email", "name", "role", "team", "manager_slack_id")
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES_NEEDING_TEAM = {Role.REP, Role.MANAGER}


@dataclass(frozen=True)
class OrgRow:
    line: int
    slack_id: str
    email: str | None
    name: str
    role: Role
    team: str | None
    manager_slack_id: str | None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    teams_created: list[str] = field(default_factory=list)

    def summary(self) -> str:
        teams = f", {len(self.teams_created)} new team(s): {', '.join(self.teams_created)}" if self.teams_created else ""
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged{teams}"


class OrgImportError(BadInput):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Nothing was imported; fix these rows and try again:\n" + "\n".join(problems))


def parse_org_csv(text: str) -> list[OrgRow]:
    """Parse and check every row; raise OrgImportError listing all problems with line numbers."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), skipinitialspace=True)
    header = [column.strip().lower() for column in (reader.fieldnames or [])]
    if not header:
        raise OrgImportError(["line 1: the file is empty; expected a header: " + ",".join(CSV_COLUMNS)])
    missing = [column for column in CSV_COLUMNS if column not in header]
    unknown = [column for column in header if column not in CSV_COLUMNS]
    if missing or unknown:
        detail = []
        if missing:
            detail.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            detail.append(f"unknown column(s) {', '.join(unknown)}")
        raise OrgImportError([f"line 1: {'; '.join(detail)}; expected: {','.join(CSV_COLUMNS)}"])
    reader.fieldnames = header

    rows: list[OrgRow] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if None in record:
            problems.append(f"line {line}: more values than columns")
            continue
        values = {key: (value or "").strip() for key, value in record.items()}
        if not any(values.values()):
            continue
        row_problems: list[str] = []
        slack_id = values["slack_id"].upper()
        if not SLACK_USER_ID.match(slack_id):
            row_problems.append(f"slack_id {values['slack_id']!r} is not a Slack user id (like U012ABCDEF)")
        elif slack_id in first_line:
            row_problems.append(f"slack_id {slack_id} appears again (first on line {first_line[slack_id]})")
        else:
            first_line[slack_id] = line
        email = values["email"] or None
        if email and not EMAIL.match(email):
            row_problems.append(f"email {email!r} is not an email address")
        name = values["name"]
        if not name:
            row_problems.append("name is empty")
        elif len(name) > 200:
            row_problems.append("name is longer than 200 characters")
        role_text = values["role"].lower()
        role = Role(role_text) if role_text in Role._value2member_map_ else None
        if role is None:
            row_problems.append(f"role {values['role']!r} is not one of {', '.join(r.value for r in Role)}")
        team = values["team"] or None
        if team and len(team) > 120:
            row_problems.append("team is longer than 120 characters")
        if role in ROLES_NEEDING_TEAM and not team:
            row_problems.append(f"a {role.value} needs a team")
        manager = values["manager_slack_id"].upper() or None
        if manager and not SLACK_USER_ID.match(manager):
            row_problems.append(f"manager_slack_id {values['manager_slack_id']!r} is not a Slack user id")
        elif manager and manager == slack_id:
            row_problems.append("a person cannot be their own manager")
        if row_problems:
            problems.extend(f"line {line}: {problem}" for problem in row_problems)
            continue
        assert role is not None
        rows.append(OrgRow(line, slack_id, email, name, role, team, manager))
    if problems:
        raise OrgImportError(problems)
    if not rows:
        raise OrgImportError(["the file has a header but no people"])
    return rows


def import_org(session: Session, rows: list[OrgRow]) -> ImportReport:
    """Upsert people and teams. Managers may be in the file or already in the directory."""
    in_file = {row.slack_id for row in rows}
    referenced = in_file | {row.manager_slack_id for row in rows if row.manager_slack_id}
    known = {
        person.slack_id: person
        for person in session.execute(select(Person).where(Person.slack_id.in_(referenced))).scalars()
    }
    unknown_managers = [
        f"line {row.line}: manager_slack_id {row.manager_slack_id} is neither in this file nor in the directory"
        for row in rows
        if row.manager_slack_id and row.manager_slack_id not in in_file and row.manager_slack_id not in known
    ]
    if unknown_managers:
        raise OrgImportError(unknown_managers)

    report = ImportReport()
    teams = {team.name.lower(): team for team in session.execute(select(Team)).scalars()}
    for row in rows:
        if row.team and row.team.lower() not in teams:
            team = Team(name=row.team)
            session.add(team)
            teams[row.team.lower()] = team
            report.teams_created.append(row.team)
    session.flush()

    people: dict[str, Person] = {}
    before: dict[str, tuple[object, ...]] = {}
    for row in rows:
        person = known.get(row.slack_id)
        if person is None:
            person = Person(slack_id=row.slack_id, name=row.name)
            session.add(person)
        else:
            before[row.slack_id] = _snapshot(person)
        person.name, person.email, person.role, person.active = row.name, row.email, row.role.value, True
        person.team_id = teams[row.team.lower()].id if row.team else None
        people[row.slack_id] = person
    session.flush()
    for row in rows:
        person = people[row.slack_id]
        manager = people.get(row.manager_slack_id or "") or known.get(row.manager_slack_id or "")
        person.manager_id = manager.id if manager else None
        if row.slack_id not in before:
            report.created += 1
        elif before[row.slack_id] != _snapshot(person):
            person.updated_at = utcnow()
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    return report


def _snapshot(person: Person) -> tuple[object, ...]:
    return (person.name, person.email, person.role, person.team_id, person.manager_id, person.active)


def import_org_csv(session: Session, text: str) -> ImportReport:
    return import_org(session, parse_org_csv(text))


@dataclass(frozen=True)
class DirectoryEntry:
    """What the chat platform's directory tells us about a person."""

    platform_user_id: str
    tz: str | None
    email: str | None
    deleted: bool


def apply_directory(session: Session, entries: Iterable[DirectoryEntry]) -> int:
    """Refresh time zones (and deactivation) of people we know; returns how many changed.

    People are added only by an import: the directory is not a list of who should get nudges.
    """
    by_id = {entry.platform_user_id: entry for entry in entries}
    if not by_id:
        return 0
    changed = 0
    for person in session.execute(select(Person).where(Person.slack_id.in_(list(by_id)))).scalars():
        entry = by_id[person.slack_id]
        tz = entry.tz if entry.tz and _valid_zone(entry.tz) else person.tz
        active = not entry.deleted
        if (person.tz, person.active) != (tz, active):
            person.tz, person.active, person.updated_at = tz, active, utcnow()
            changed += 1
    session.flush()
    return changed


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
