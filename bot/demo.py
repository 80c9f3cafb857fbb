"""The demo organisation the sandbox (and the end-to-end tests) run with: one leader, two managers,
six reps spread over time zones, so "each rep's own time zone" is visible from the first run."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass



@dataclass(frozen=True)
class DemoPerson:
    slack_id: str
    handle: str
    name: str
    role: str
    team: str
    manager: str
    tz: str

    @property
    def email(self) -> str:
        return f"{self.handle}@example.com"


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("U0LEADER1", "lena", "Lena Okafor", "leader", "", "", "America/New_York"),
    DemoPerson("U0MGREAST", "marco", "Marco Rossi", "manager", "East", "U0LEADER1", "Europe/Berlin"),
    DemoPerson("U0MGRWEST", "wendy", "Wendy Park", "manager", "West", "U0LEADER1", "America/Los_Angeles"),
    DemoPerson("U0REPEA01", "aiko", "Aiko Tanaka", "rep", "East", "U0MGREAST", "Asia/Tokyo"),
    DemoPerson("U0REPEA02", "jonas", "Jonas Weber", "rep", "East", "U0MGREAST", "Europe/Berlin"),
    DemoPerson("U0REPEA03", "priya", "Priya Shah", "rep", "East", "U0MGREAST", "Asia/Kolkata"),
    DemoPerson("U0REPWE01", "sam", "Sam Carter", "rep", "West", "U0MGRWEST", "America/New_York"),
    DemoPerson("U0REPWE02", "lucia", "Lucía Gómez", "rep", "West", "U0MGRWEST", "America/Mexico_City"),
    DemoPerson("U0REPWE03", "noah", "Noah Smith", "rep", "West", "U0MGRWEST", "Australia/Sydney"),
)


DEMO_CSV_COLUMNS = ("slack_id", "email", "name", "role", "team", "manager_slack_id")


def demo_person(handle: str) -> DemoPerson:
    return next(person for person in DEMO_PEOPLE if person.handle == handle)


def demo_org_csv() -> str:
    """The demo organisation in the same CSV format admins import."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DEMO_CSV_COLUMNS)
    for person in DEMO_PEOPLE:
        writer.writerow([person.slack_id, person.email, person.name, person.role, person.team, person.manager])
    return out.getvalue()
