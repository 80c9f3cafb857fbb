"""Looking after the directory after the import: list people, export them as an importable CSV, move them.

`drumbeat org import` is the only way people come in; these are how an admin sees who is there and reorganises
without SQL. Removing someone (and erasing their data) is in `bot.core.org_remove`.

Every function reads with a fixed number of queries whatever the organisation's size (people with their team and
manager in one, their accounts in a second), and raises `BadInput` with one line for anything it refuses.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from bot.core.errors import BadInput
from storage.address import ANY_WORKSPACE
from storage.models import Account, AuditEvent, Person, Role, Team, utcnow


@dataclass(frozen=True)
class PersonRow:
    """One person as `org list` shows them (plain values, read in one query)."""

    id: int
    name: str
    email: str | None
    role: str
    team: str | None
    manager_id: int | None
    manager: str | None
    tz: str
    active: bool
    accounts: tuple[Account, ...]

    @property
    def account_text(self) -> str:
        return " ".join(_account_label(account) for account in self.accounts)


def _account_label(account: Account) -> str:
    where = f"{account.workspace_id}/" if account.workspace_id else ""
    return f"{account.platform}:{where}{account.user_id}"


def find_team(session: Session, name: str) -> Team:
    team = session.execute(select(Team).where(func.lower(Team.name) == name.strip().lower())).scalar_one_or_none()
    if team is None:
        known = ", ".join(session.execute(select(Team.name).order_by(Team.name)).scalars()) or "none yet"
        raise BadInput(f"no team {name!r} (teams: {known})")
    return team


def find_person(session: Session, given: str) -> Person:
    """A person by email (any case) or by a platform user id (`U0REPEA01`, or `slack:U0REPEA01`)."""
    text = given.strip()
    platform, _, user_id = text.rpartition(":") if ":" in text and "@" not in text else ("", "", text)
    if "@" in text:
        query = select(Person).where(func.lower(Person.email) == text.lower())
    else:
        ids = {user_id, user_id.upper(), user_id.lower()}
        query = (select(Person).join(Account, Account.person_id == Person.id).where(Account.user_id.in_(ids)))
        if platform:
            query = query.where(Account.platform == platform.lower())
    found = list({person.id: person for person in session.execute(query.order_by(Person.id)).scalars()}.values())
    if not found:
        raise BadInput(f"nobody is {given!r} (give an email or a platform user id, as `drumbeat org list` shows)")
    if len(found) > 1:
        raise BadInput(f"{given!r} names {len(found)} people (ids {', '.join(str(p.id) for p in found)}); "
                       "give their platform user id instead")
    return found[0]


def list_people(session: Session, *, team: str | None = None, role: str | None = None) -> list[PersonRow]:
    """Everyone (active or not), by team then name, with their manager and accounts: two queries in all."""
    manager = aliased(Person)
    query = (select(Person.id, Person.name, Person.email, Person.role, Team.name, Person.manager_id, manager.name,
                     Person.tz, Person.active)
             .outerjoin(Team, Team.id == Person.team_id).outerjoin(manager, manager.id == Person.manager_id))
    if team is not None:
        query = query.where(Person.team_id == find_team(session, team).id)
    if role is not None:
        if role.lower() not in Role._value2member_map_:
            raise BadInput(f"role {role!r} is not one of {', '.join(r.value for r in Role)}")
        query = query.where(Person.role == role.lower())
    rows = session.execute(query.order_by(Team.name.is_(None), Team.name, Person.name, Person.id)).all()
    accounts = _accounts_of(session, [row[0] for row in rows])
    return [PersonRow(*row[:9], accounts=tuple(accounts.get(row[0], ()))) for row in rows]


def _accounts_of(session: Session, person_ids: Sequence[int]) -> dict[int, list[Account]]:
    """Each person's accounts, first (where Drumbeat sends) first; in chunks under every bound-parameter limit."""
    result: dict[int, list[Account]] = {}
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start:start + 500]
        for account in session.execute(select(Account).where(Account.person_id.in_(chunk)).order_by(Account.id)).scalars():
            result.setdefault(account.person_id, []).append(account)
    return result


LIST_COLUMNS = ("name", "email", "role", "team", "manager", "tz", "active", "accounts")


def _list_values(row: PersonRow) -> list[str]:
    return [row.name, row.email or "", row.role, row.team or "", row.manager or "", row.tz,
            "yes" if row.active else "no", row.account_text]


def format_people(rows: Sequence[PersonRow], *, fmt: str) -> str:
    """A table for a terminal (columns as wide as their longest value) or CSV for a spreadsheet."""
    values = [_list_values(row) for row in rows]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(LIST_COLUMNS)
        writer.writerows(values)
        return out.getvalue()
    widths = [max([len(column), *(len(v[i]) for v in values)]) for i, column in enumerate(LIST_COLUMNS)]
    lines = ["  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
             for line in [list(LIST_COLUMNS), *values]]
    return "\n".join(lines) + "\n"


@dataclass
class ExportReport:
    text: str
    exported: int
    left_out: list[str]  # one line per person (or account) the file cannot carry, and why


def export_org_csv(session: Session, platforms: Sequence[str]) -> ExportReport:
    """The active directory in exactly the format `import_org_csv` reads, so importing it changes nothing.

    Why only active people: an import makes everyone it names active, so a deactivated person in the file would
    come back. A person is named by one account per platform (a `<platform>_id` column each), their manager by
    the manager's account on a platform the person has (else the manager's first), all in one workspace column
    (written only when some account has one)."""
    everyone = list_people(session)
    rows = [row for row in everyone if row.active]
    by_id = {row.id: row for row in everyone}
    used = [p for p in platforms if any(a.platform == p for row in rows for a in row.accounts)]
    workspaces = any(a.workspace_id for row in rows for a in row.accounts)
    header = [*(f"{p}_id" for p in used), "email", "name", "role", "team", *(f"manager_{p}_id" for p in used)]
    header += ["workspace_id"] if workspaces else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    report = ExportReport("", 0, [])
    for row in rows:
        line = _export_line(row, by_id.get(row.manager_id or 0), used, workspaces, report.left_out)
        if line is not None:
            writer.writerow(line)
            report.exported += 1
    report.text = out.getvalue()
    return report


def _export_line(row: PersonRow, manager: PersonRow | None, used: Sequence[str], workspaces: bool,
                 left_out: list[str]) -> list[str] | None:
    accounts = [a for a in row.accounts if a.platform in used]
    if not accounts:
        left_out.append(f"left out {row.name} (id {row.id}): no platform account to name them by")
        return None
    workspace = accounts[0].workspace_id
    ids: dict[str, str] = {}
    for account in accounts:
        if account.platform in ids or account.workspace_id not in (workspace, ANY_WORKSPACE):
            left_out.append(f"{row.name}: account {_account_label(account)} not exported (one account per "
                            "platform and workspace per row)")
            continue
        ids[account.platform] = account.user_id
    manager_ids: dict[str, str] = {}
    if manager is not None and manager.accounts:
        chosen = next((a for a in manager.accounts if a.platform in ids), manager.accounts[0])
        manager_ids[chosen.platform] = chosen.user_id
    elif row.manager_id is not None:
        left_out.append(f"{row.name}: manager {row.manager} has no account, exported without a manager")
    return [*(ids.get(p, "") for p in used), row.email or "", row.name, row.role, row.team or "",
            *(manager_ids.get(p, "") for p in used), *([workspace] if workspaces else [])]


@dataclass(frozen=True)
class MoveOutcome:
    lines: list[str]
    changed: int


def move_person(session: Session, given: str, *, team: str | None, manager: str | None,
                reports_to: str | None = None) -> MoveOutcome:
    """Put a person in another team and/or under another manager. Their own reports keep reporting to them
    (and stay in their teams) unless `reports_to` names who they report to from now on: that is how a manager's
    people are handed over before the manager is removed."""
    person = find_person(session, given)
    new_team = find_team(session, team) if team is not None else None
    new_manager = _manager_for(session, person, manager) if manager is not None else None
    heir = _manager_for(session, None, reports_to) if reports_to is not None else None
    if heir is not None and heir.id == person.id:
        raise BadInput(f"{person.name}'s reports cannot report to {person.name} instead of {person.name}")
    lines: list[str] = []
    changed = 0
    if new_team is not None or new_manager is not None:
        before = (person.team_id, person.manager_id)
        if new_team is not None:
            person.team_id = new_team.id
        if new_manager is not None:
            person.manager_id = new_manager.id
        if (person.team_id, person.manager_id) != before:
            person.updated_at = utcnow()
            changed += 1
        names = _names(session, person)
        lines.append(f"{person.name}: team {names[0] or '(none)'}, manager {names[1] or '(none)'}"
                     + ("" if changed else " (unchanged)"))
    if heir is not None:
        reports = list(session.execute(select(Person).where(Person.manager_id == person.id)).scalars())
        for report in reports:
            if report.id == heir.id:
                continue  # the heir's own manager is whoever they report to already
            report.manager_id, report.updated_at = heir.id, utcnow()
            lines.append(f"{report.name}: manager {person.name} -> {heir.name}")
            changed += 1
    session.add(AuditEvent(actor_id=None, action="org.move", detail={"person_id": person.id, "changed": changed}))
    session.flush()
    return MoveOutcome(lines, changed)


def _names(session: Session, person: Person) -> tuple[str | None, str | None]:
    team = session.get(Team, person.team_id) if person.team_id else None
    manager = session.get(Person, person.manager_id) if person.manager_id else None
    return (team.name if team else None, manager.name if manager else None)


def _manager_for(session: Session, person: Person | None, given: str) -> Person:
    """An active person who may manage `person`: not themselves, and not someone who reports up to them."""
    manager = find_person(session, given)
    if not manager.active:
        raise BadInput(f"{manager.name} is deactivated and cannot manage anyone")
    if person is None:
        return manager
    if manager.id == person.id:
        raise BadInput("a person cannot be their own manager")
    seen: set[int] = set()
    above = manager
    while above.manager_id is not None and above.id not in seen:
        seen.add(above.id or 0)
        if above.manager_id == person.id:
            raise BadInput(f"{manager.name} reports (directly or not) to {person.name}: that would be a loop")
        above = session.get(Person, above.manager_id) or above
    return manager


def reports_of(session: Session, person_id: int) -> list[str]:
    return list(session.execute(select(Person.name).where(Person.manager_id == person_id)
                                .order_by(Person.name)).scalars())
