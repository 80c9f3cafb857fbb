"""Reading one CRM export row into a deal: amounts, dates, outcomes and sizes as the exports write them.

Nothing here touches the database; every problem is a sentence for the row's line, so a file with ten bad
rows is reported in one go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

from bot.core.pipeline_presets import ColumnMap
from storage.deals import Outcome

TEXT_LIMITS: Final = {"record_id": 64, "name": 255, "account": 255, "segment": 120, "industry": 120, "size": 120,
                      "region": 120, "offering": 120, "stage": 80, "deliberate": 300}
TRUE: Final = {"true", "yes", "1", "y", "x"}
FALSE: Final = {"false", "no", "0", "n", ""}
CODE_AND_AMOUNT = re.compile(r"^([A-Za-z]{3})\s+(.+)$")  # "EUR 12,000.00": a multi-currency Salesforce export
SYMBOLS: Final = str.maketrans("", "", "$€£¥ \u00a0")
HEAD_COUNT = re.compile(r"^\d{1,3}(?:,?\d{3})*$")
CLEAR_MARK: Final = "-"  # a `deliberate` cell saying this takes the mark back (an empty one keeps it)
MAX_AMOUNT: Final = Decimal("1e13")  # ten trillion: more is a typo or a pasted id


@dataclass(frozen=True)
class DealRow:
    line: int
    record_id: str
    owner: str
    values: dict[str, object]  # Deal columns (display values; keys are computed when stored)
    amount_minor: int | None
    currency: str | None  # None: the reporting currency (no currency column, or it was empty)
    created_on: date | None
    # The deliberate mark: None (no column, or an empty cell) keeps what is stored, "" (the cell says CLEAR_MARK)
    # clears it, any other text replaces it.
    deliberate: str | None


def parse_amount(raw: str) -> tuple[int | None, str | None] | str:
    """(hundredths, currency code found in the cell) or a problem; empty is no amount."""
    text = raw.strip()
    if not text:
        return None, None
    code = None
    if match := CODE_AND_AMOUNT.match(text):
        code, text = match.group(1).upper(), match.group(2)
    number = text.translate(SYMBOLS).replace(",", "")
    try:
        value = Decimal(number)
    except InvalidOperation:
        return f"amount {raw!r} is not a number (write it like 125000 or 125,000.00)"
    if not value.is_finite() or value < 0:
        return f"amount {raw!r} should be zero or more"
    if value >= MAX_AMOUNT:
        return f"amount {raw!r} is too large to be a deal"
    return int((value * 100).to_integral_value()), code


def parse_date(raw: str, *, day_first: bool) -> date | None | str:
    """ISO dates (a time after them is ignored), or the exports' local form M/D/YYYY (D/M/YYYY with day_first)."""
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    match = re.match(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:[ T].*)?$", text)
    if match:
        first, second, year = (int(part) for part in match.groups())
        month, day = (second, first) if day_first else (first, second)
        try:
            return datetime(year, month, day).date()
        except ValueError:
            pass
    order = "DD/MM/YYYY" if day_first else "MM/DD/YYYY"
    return f"{raw!r} is not a date (write YYYY-MM-DD or {order})"


def outcome_of(won: str | None, closed: str | None, outcome: str | None, stage: str | None) -> Outcome | str:
    """Open, won or lost: an outcome column first, then Won/Closed flags, then the stage's name."""
    if outcome:
        word = outcome.strip().lower()
        if word in {"open", "won", "lost"}:
            return Outcome(word)
        if word in {"closed won", "closedwon"}:
            return Outcome.WON
        if word in {"closed lost", "closedlost"}:
            return Outcome.LOST
        return f"outcome {outcome!r} should be open, won or lost"
    if won is not None or closed is not None:
        flags: dict[str, bool | None] = {}
        for name, raw in (("won", won), ("closed", closed)):
            word = None if raw is None else raw.strip().lower()
            if word is not None and word not in TRUE | FALSE:
                return f"{name} {raw!r} should be true or false"
            flags[name] = None if word is None else word in TRUE
        if flags["won"]:
            return Outcome.WON
        if flags["closed"] is not None:
            return Outcome.LOST if flags["closed"] else Outcome.OPEN
        return Outcome.LOST if _stage_says(stage) == Outcome.LOST else Outcome.OPEN  # only "won" was given
    return _stage_says(stage)


def _stage_says(stage: str | None) -> Outcome:
    squashed = re.sub(r"[^a-z]", "", (stage or "").lower())
    if squashed.endswith("won") or squashed in {"closedwon", "won"}:
        return Outcome.WON
    if squashed.endswith("lost") or squashed in {"closedlost", "lost"}:
        return Outcome.LOST
    return Outcome.OPEN


def read_row(record: dict[str, str], line: int, columns: ColumnMap, *, day_first: bool) -> DealRow | list[str]:
    def get(field: str) -> str | None:
        return record.get(columns.columns[field], "").strip() if columns.has(field) else None

    problems: list[str] = []
    for field, limit in TEXT_LIMITS.items():
        value = get(field)
        if value and len(value) > limit:
            problems.append(f"{field} is longer than {limit} characters")
    record_id, owner = get("record_id") or "", get("owner") or ""
    if not record_id:
        problems.append("the record id is empty")
    if not owner:
        problems.append("the owner is empty")
    amount = parse_amount(get("amount") or "")
    if isinstance(amount, str):
        problems.append(amount)
        amount = (None, None)
    currency = (get("currency") or amount[1] or "").upper() or None
    if currency and not re.fullmatch(r"[A-Z]{3}", currency):
        problems.append(f"currency {currency!r} is not a three-letter code like EUR")
    dates: dict[str, date | None] = {}
    for field in ("close_date", "created_date"):
        parsed = parse_date(get(field) or "", day_first=day_first)
        if isinstance(parsed, str):
            problems.append(f"{field.replace('_', ' ')} {parsed}")
        else:
            dates[field] = parsed
    outcome = outcome_of(get("won"), get("closed"), get("outcome"), get("stage"))
    if not isinstance(outcome, Outcome):
        problems.append(outcome)
    if problems:
        return problems
    size = get("size") or None
    employees = int(size.replace(",", "")) if size and HEAD_COUNT.match(size) else None
    values: dict[str, object] = {
        "name": get("name") or None, "account": get("account") or None, "segment": get("segment") or None,
        "industry": get("industry") or None, "size_band": None if employees is not None else size,
        "employees": employees, "region": get("region") or None, "offering": get("offering") or None,
        "stage": get("stage") or None, "outcome": str(outcome), "close_on": dates.get("close_date"),
    }
    deliberate = get("deliberate") or None
    if deliberate == CLEAR_MARK:
        deliberate = ""
    return DealRow(line, record_id, owner, values, amount[0], currency, dates.get("created_date"), deliberate)
