"""Which CSV column holds which deal field: presets for the CRMs' own exports, and explicit `--map` choices.

A preset lists, per field, the column headers that CRM's export uses (the first one present wins), so the
file can be imported exactly as exported. Salesforce: an opportunity report (Reports > New Report >
Opportunities) exported as "Details Only" CSV; its headers are the fields' labels (Opportunity ID, Opportunity
Owner, Account Name, Amount, Opportunity Currency, Stage, Close Date, Created Date, Won, Closed, Industry).
HubSpot: Deals > Export, "all properties" or the chosen ones; headers are the properties' labels (Record ID,
Deal Name, Deal owner, Amount, Currency, Deal Stage, Close Date, Create Date, Is Closed Won). Anything the
preset cannot know (a custom "Segment" field, the column with the owner's email) is added with `--map`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bot.core.errors import BadInput

FIELDS: Final = ("record_id", "name", "owner", "account", "segment", "industry", "size", "region", "offering",
                 "amount", "currency", "stage", "outcome", "won", "closed", "close_date", "created_date",
                 "deliberate")
REQUIRED: Final = ("record_id", "owner")
FIELD_HELP: Final = {
    "owner": "the owner's email or chat user id", "outcome": "open, won or lost", "won": "true/false",
    "closed": "true/false", "deliberate": "the rep's reason for a deliberate off-strategy deal",
    "size": "a size band, or a head count matched by bands like 1000-4999",
}

PRESETS: Final[Mapping[str, Mapping[str, tuple[str, ...]]]] = {
    "salesforce": {
        "record_id": ("Opportunity ID",), "name": ("Opportunity Name",),
        "owner": ("Owner Email", "Opportunity Owner: Email", "Opportunity Owner Email", "Opportunity Owner"),
        "account": ("Account Name",), "segment": ("Segment", "Account Segment"),
        "industry": ("Industry",), "size": ("Employees", "Company Size"),
        "region": ("Region", "Sales Region", "Billing Country"), "offering": ("Product Family", "Product Name"),
        "amount": ("Amount",), "currency": ("Opportunity Currency", "Amount Currency"),
        "stage": ("Stage",), "won": ("Won",), "closed": ("Closed",), "close_date": ("Close Date",),
        "created_date": ("Created Date",), "deliberate": ("Off-Strategy Reason",),
    },
    "hubspot": {
        "record_id": ("Record ID",), "name": ("Deal Name",),
        "owner": ("Deal owner email", "Deal owner"), "account": ("Associated Company", "Company name"),
        "segment": ("Segment",), "industry": ("Industry",), "size": ("Company size", "Number of Employees"),
        "region": ("Region", "Country/Region"), "offering": ("Product", "Offering"),
        "amount": ("Amount",), "currency": ("Currency",), "stage": ("Deal Stage",),
        "won": ("Is Closed Won",), "closed": ("Is Deal Closed?", "Is Closed"), "close_date": ("Close Date",),
        "created_date": ("Create Date",), "deliberate": ("Off-Strategy Reason",),
    },
}


@dataclass(frozen=True)
class ColumnMap:
    """Field -> the header of the column that holds it, in this file."""

    columns: Mapping[str, str]
    source: str

    def has(self, field: str) -> bool:
        return field in self.columns


def parse_maps(items: Sequence[str]) -> dict[str, str]:
    """`--map field=Column Header` items; a field or form this does not know is refused with the list."""
    chosen: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        field, column = field.strip().lower(), column.strip()
        if not sep or not column:
            raise BadInput(f"--map {item!r}: write field=Column Header, e.g. --map segment=\"Account Segment\"")
        if field not in FIELDS:
            raise BadInput(f"--map {item!r}: '{field}' is not a deal field; fields: {', '.join(FIELDS)}")
        chosen[field] = column
    return chosen


def column_map(header: Sequence[str], *, preset: str | None, maps: Mapping[str, str], source: str | None) -> ColumnMap:
    """The columns used for each field: `--map` first, then the preset's headers, then a header named as the
    field itself (`record_id`, `owner`, ...). A mapped column missing from the file, or a required field with
    no column, is refused on line 1 with what the file has."""
    present = {name.strip().casefold(): name for name in header}
    columns: dict[str, str] = {}
    problems = []
    for field, column in maps.items():
        if column.casefold() in present:
            columns[field] = present[column.casefold()]
        else:
            problems.append(f"--map {field}={column}: the file has no column '{column}'")
    candidates = PRESETS.get(preset or "", {})
    for field in FIELDS:
        if field in columns:
            continue
        for name in (*candidates.get(field, ()), field):
            if name.casefold() in present:
                columns[field] = present[name.casefold()]
                break
    for field in REQUIRED:
        if field not in columns and not any(f"--map {field}=" in problem for problem in problems):
            tried = " or ".join(f"'{name}'" for name in (*candidates.get(field, ()), field))
            problems.append(f"no column for {field} ({FIELD_HELP.get(field, field)}): looked for {tried}; "
                            f"name it with --map {field}=COLUMN")
    if problems:
        raise BadInput("line 1: " + "; ".join(problems) + f". The file's columns: {', '.join(header)}")
    return ColumnMap(columns, source or preset or "csv")
