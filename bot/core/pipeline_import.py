"""`drumbeat pipeline import`: a CRM's export of opportunities or deals, checked whole, then upserted.

All or nothing, like `org import`: every row is read and checked first (owner known, amounts, dates, outcome,
currency convertible), every problem reported with its line, and only a clean file is written, in one
transaction, upserting by the CRM's record id within its source, so importing the same export again changes
nothing. Amounts in another currency than the reporting one (`DRUMBEAT_PIPELINE_CURRENCY`) are refused unless
a rate table (`currency,rate`: how many units of the reporting currency one unit is worth) covers them.

A rep's deliberate mark (given in chat, bot.core.deal_marks, or by an earlier import) survives a re-import unless
the file says otherwise: no `deliberate` column, or an empty cell, keeps it; a reason in the cell replaces it; a
cell holding only `-` clears it. CRM exports leave the column empty for most deals, and an empty cell is no
statement that the rep changed their mind.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from bot.core.errors import BadInput
from bot.core.pipeline_presets import ColumnMap, column_map
from bot.core.pipeline_rows import DealRow, read_row
from storage.deals import RULE_COLUMN, value_key
from storage.models import utcnow
from storage.queries.pipeline_store import people_by_email, people_by_user_id, stored_deals, write_deals

MAX_PROBLEMS_SHOWN = 50
PROGRESS_EVERY = 10_000
EMBEDDED_EMAIL = re.compile(r"[<(]\s*([^<>()\s]+@[^<>()\s]+)\s*[>)]")  # "Ana Lima (ana@example.com)"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ImportOptions:
    preset: str | None = None
    maps: Mapping[str, str] | None = None
    source: str | None = None
    rates: Mapping[str, Decimal] | None = None
    currency: str = "USD"
    day_first: bool = False


@dataclass
class PipelineReport:
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        total = self.created + self.updated + self.unchanged
        return (f"{total} deal{'s' if total != 1 else ''} from {self.source}: {self.created} created, "
                f"{self.updated} updated, {self.unchanged} unchanged")


class PipelineImportError(BadInput):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        tail = [f"... and {more} more problem(s)"] if more else []
        super().__init__("Nothing was imported; fix these rows and try again:\n" + "\n".join([*shown, *tail]))


def parse_rates(text: str) -> dict[str, Decimal]:
    """`currency,rate` lines (a header is optional): one unit of the currency in the reporting currency."""
    rates: dict[str, Decimal] = {}
    problems = []
    for line, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (line == 1 and cells[0].lower() == "currency"):
            continue
        if len(cells) != 2 or not re.fullmatch(r"[A-Za-z]{3}", cells[0]):
            problems.append(f"rates line {line}: write currency,rate like EUR,1.08")
            continue
        try:
            rate = Decimal(cells[1])
        except InvalidOperation:
            rate = Decimal(0)
        if not rate.is_finite() or rate <= 0:
            problems.append(f"rates line {line}: the rate {cells[1]!r} should be a number above 0")
            continue
        rates[cells[0].upper()] = rate
    if problems:
        raise BadInput("\n".join(problems))
    return rates


def read_deals(text: str, options: ImportOptions, progress: Progress) -> tuple[ColumnMap, list[DealRow]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise PipelineImportError(["line 1: the file is empty; expected the CRM export's header row"])
    reader.fieldnames = header
    columns = column_map(header, preset=options.preset, maps=options.maps or {}, source=options.source)
    return columns, check_records(((reader.line_num, record) for record in reader), columns, options, progress)


def check_records(records: Iterable[tuple[int, dict[str, Any]]], columns: ColumnMap, options: ImportOptions,
                  progress: Progress, *, what: str = "the file") -> list[DealRow]:
    """Every record (with the line, or position, it is reported by) read and checked; all problems at once."""
    rows: list[DealRow] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for count, (line, record) in enumerate(records, start=1):
        if count % PROGRESS_EVERY == 0:
            progress(f"read {count:,} rows")
        if None in record:
            problems.append(f"line {line}: more values than columns")
            continue
        if not any((value or "").strip() for value in record.values()):
            continue
        checked = read_row(record, line, columns, day_first=options.day_first)
        if isinstance(checked, list):
            problems.extend(f"line {line}: {problem}" for problem in checked)
        elif checked.record_id in first_line:
            problems.append(f"line {line}: record id {checked.record_id} appears again (first on line "
                            f"{first_line[checked.record_id]})")
        else:
            first_line[checked.record_id] = line
            rows.append(checked)
    if not rows and not problems and what == "the file":
        problems.append("the file has a header but no deals")
    if problems:
        raise PipelineImportError(problems)
    return rows


def _owners(session: Session, rows: list[DealRow]) -> tuple[dict[int, int], list[str]]:
    """Row line -> owner's person id; problems for owners nobody in the directory is (or two people are)."""
    def email_in(owner: str) -> str | None:
        if "@" in owner and " " not in owner:
            return owner
        match = EMBEDDED_EMAIL.search(owner)
        return match.group(1) if match else None

    emails = {row.line: email_in(row.owner) for row in rows}
    by_email = people_by_email(session, [email for email in emails.values() if email])
    by_id = people_by_user_id(session, [row.owner for row in rows if not emails[row.line]])
    owners: dict[int, int] = {}
    problems = []
    for row in rows:
        email = emails[row.line]
        found = by_email.get(email.casefold(), []) if email else by_id.get(row.owner, [])
        if len(found) == 1:
            owners[row.line] = found[0]
        elif found:
            problems.append(f"line {row.line}: owner {row.owner!r} is {len(found)} people in the directory; "
                            "use their chat user id")
        elif email:
            problems.append(f"line {row.line}: owner {email!r} is nobody in the directory (add them with "
                            "`drumbeat org import`, or fix the email)")
        else:
            problems.append(f"line {row.line}: owner {row.owner!r} is neither an email nor a chat user id in the "
                            "directory; export the owner's email (or map one with --map owner=COLUMN)")
    return owners, problems


def _values_in_reporting_currency(rows: list[DealRow], options: ImportOptions) -> tuple[dict[int, int | None], list[str]]:
    rates = {**(options.rates or {}), options.currency: Decimal(1)}
    unconverted: dict[str, list[int]] = {}
    values: dict[int, int | None] = {}
    for row in rows:
        currency = row.currency or options.currency
        if row.amount_minor is None:
            values[row.line] = None
        elif currency in rates:
            values[row.line] = int((Decimal(row.amount_minor) * rates[currency]).to_integral_value())
        else:
            unconverted.setdefault(currency, []).append(row.line)
    problems = []
    for currency, lines in sorted(unconverted.items()):
        where = ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")
        problems.append(f"lines {where}: amounts in {currency}, but pipeline figures are in {options.currency} "
                        f"(DRUMBEAT_PIPELINE_CURRENCY); give --rates FILE with a line {currency},RATE")
    return values, problems


def import_pipeline(session: Session, text: str, options: ImportOptions,
                    progress: Progress = lambda message: None) -> PipelineReport:
    """Check the whole file, then upsert its deals; raise PipelineImportError (nothing written) on any problem."""
    columns, rows = read_deals(text, options, progress)
    progress(f"checked {len(rows):,} deals")
    return write_rows(session, columns, rows, options)


def import_records(session: Session, records: Iterable[dict[str, Any]], *, source: str,
                   options: ImportOptions) -> PipelineReport:
    """Deals a CRM's API returned, as records keyed by field name (`bot.core.pipeline_presets.FIELDS`), through
    the same checks and the same upsert as a file: all or nothing. Problems name a record by its position."""
    listed = list(records)
    fields = {field for record in listed for field in record}
    columns = ColumnMap({field: field for field in fields}, source)
    try:
        rows = check_records(enumerate(listed, start=1), columns, options, lambda message: None, what="the pull")
        return write_rows(session, columns, rows, options)
    except PipelineImportError as refused:
        names = {position: f"deal {record.get('record_id') or '?'}" for position, record in enumerate(listed, start=1)}
        raise PipelineImportError([re.sub(r"^line (\d+)", lambda m: names.get(int(m.group(1)), m.group(0)), problem)
                                   for problem in refused.problems]) from None


def write_rows(session: Session, columns: ColumnMap, rows: list[DealRow], options: ImportOptions) -> PipelineReport:
    """Owners and currencies checked for the whole batch, then every deal upserted by record id in its source."""
    owners, problems = _owners(session, rows)
    values, currency_problems = _values_in_reporting_currency(rows, options)
    if problems or currency_problems:
        raise PipelineImportError(sorted(problems, key=_line_of) + currency_problems)
    report = PipelineReport(columns.source)
    stored = stored_deals(session, columns.source, [row.record_id for row in rows])
    inserts, updates = [], []
    now = utcnow()
    today = now.date()
    for row in rows:
        wanted = _deal_values(row, owners[row.line], values[row.line])
        existing = stored.get(row.record_id)
        wanted["created_on"] = row.created_on or (existing.created_on if existing else today)
        if row.deliberate is None:  # no column, or an empty cell: a mark given in chat survives the re-import
            wanted["deliberate_reason"] = existing.deliberate_reason if existing else None
        if existing is None:
            inserts.append({**wanted, "source": columns.source, "record_id": row.record_id,
                            "imported_at": now, "updated_at": now})
            report.created += 1
        elif any(getattr(existing, name) != value for name, value in wanted.items()):
            updates.append({**wanted, "id": existing.id, "imported_at": now, "updated_at": now})
            report.updated += 1
        else:
            report.unchanged += 1
    write_deals(session, inserts, updates)
    return report


def _deal_values(row: DealRow, owner_id: int, value_minor: int | None) -> dict[str, object]:
    values: dict[str, object] = {**row.values, "owner_id": owner_id, "amount_minor": row.amount_minor,
                                 "currency": row.currency, "value_minor": value_minor,
                                 "deliberate_reason": row.deliberate or None}
    for column in RULE_COLUMN.values():
        values[f"{column}_key"] = value_key(values[column])  # type: ignore[arg-type]
    return values


def _line_of(problem: str) -> int:
    match = re.match(r"line (\d+)", problem)
    return int(match.group(1)) if match else 0
