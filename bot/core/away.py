"""Reps can step away: deliveries are held, and on return only the newest of each broadcast arrives."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlmodel import Session

from bot.core.errors import BadInput
from messages.rich import Code, Rich
from schedules.materialise import zone
from storage.models import AuditEvent, Person

DATE = r"(\d{4}-\d{2}-\d{2})"
UNTIL = re.compile(rf"^until\s+{DATE}$", re.IGNORECASE)
RANGE = re.compile(rf"^(?:from\s+)?{DATE}\s*(?:to|-|until|–)\s*{DATE}$", re.IGNORECASE)
MAX_DAYS_AWAY = 366
USAGE = Rich("Say ", Code("away until 2026-12-01"), ", ", Code("away 2026-12-20 to 2027-01-04"), ", or ",
             Code("away off"), ".")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"'{text}' is not a date: use YYYY-MM-DD, e.g. 2026-12-01.") from None


def parse_away(text: str, *, today: date) -> tuple[date, date] | None:
    """(first day away, last day away) or None for `off`; dates are the person's local dates."""
    text = text.strip()
    if text.lower() in ("off", "back", "cancel", "none"):
        return None
    if match := UNTIL.match(text):
        start, end = today, _date(match.group(1))
    elif match := RANGE.match(text):
        start, end = _date(match.group(1)), _date(match.group(2))
    else:
        raise BadInput(USAGE)
    if end < start:
        raise BadInput(f"The end, {end}, is before the start, {start}.")
    if end < today:
        raise BadInput(Rich(f"{end} is already past. ", USAGE))
    if (end - start).days > MAX_DAYS_AWAY:
        raise BadInput(f"That is more than {MAX_DAYS_AWAY} days away; pick a shorter stretch.")
    return start, end


def set_away(session: Session, *, person: Person, text: str, now: datetime) -> str:
    today = now.astimezone(zone(person.tz)).date()
    period = parse_away(text, today=today)
    if period is None:
        person.away_from = person.away_until = None
        session.add(AuditEvent(at=now, actor_id=person.id, action="away.off", detail={}))
        return "Welcome back! Anything held for you arrives now: only the newest message of each broadcast."
    person.away_from, person.away_until = period
    session.add(AuditEvent(at=now, actor_id=person.id, action="away.set",
                           detail={"from": period[0].isoformat(), "until": period[1].isoformat()}))
    first = "today" if period[0] == today else period[0].strftime("%a %d %b %Y")
    return (f"Enjoy the time away. From {first} through {period[1]:%a %d %b %Y} I'll hold your Drumbeat messages; "
            "when you're back you get only the newest message of each broadcast, not a pile.")
