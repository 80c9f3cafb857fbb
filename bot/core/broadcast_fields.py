"""A broadcast form's submitted values, as plain text whatever the platform drew the form with, read into a
BroadcastDraft: one reading for Slack's modal and Teams' dialog.

Only shapes are checked here (a number is a number, a date is a date); what the values mean (a past date, an
empty audience, a bad cron) is for `bot.core.broadcasts.check_draft` / `schedule`, which report by field.
Problems are keyed by the form's field names (`title`, `date`, `time`, `kind`, `weekdays`, `interval`,
`day_of_month`, `end_date`, `count`), which both platforms use as their input ids. Every value is a claim: a
Teams dialog's values are typed by a client that may not be Teams, so nothing here assumes a picker's format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from bot.core.broadcasts import AudienceSpec, BroadcastDraft
from bot.core.library import NewMessage
from schedules.recurrence import Recurrence
from storage.address import Address


@dataclass(frozen=True)
class BroadcastFields:
    """What the form holds; the audience's people already resolved to accounts by the platform, or the whole
    audience as the platform's form chose it (`audience`: Slack's user groups and channels stay groups)."""

    message_key: str | None = None
    title: str = ""
    body: str = ""
    people: tuple[Address, ...] = ()
    teams: tuple[str, ...] = ()
    all_reps: bool = False
    extra_labels: tuple[str, ...] = ()
    audience: AudienceSpec | None = None  # when given, instead of people / teams / all_reps / extra_labels
    when: str = "now"  # "now" | "once" | "recurring"
    date: str | None = None  # YYYY-MM-DD
    time: str | None = None  # HH:MM
    kind: str | None = None
    weekdays: tuple[str, ...] = ()  # "0" (Monday) .. "6"
    interval: str | None = None
    day_of_month: str = ""
    cron: str = ""
    end_date: str | None = None
    count: str = ""
    local_time: bool = False
    question_key: str | None = None
    quiz_mode: str | None = None


def _whole_number(text: str, field: str, errors: dict[str, str], what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        errors[field] = f"{what} must be a whole number, not '{text[:40]}'."
        return None
    return int(text)


def _parsed(text: str | None, field: str, errors: dict[str, str], parse: Callable[[str], Any],
            what: str) -> Any | None:
    """A date (YYYY-MM-DD) or time (HH:MM) as typed, or None with the problem under its field."""
    if not text:
        return None
    try:
        return parse(text.strip())
    except ValueError:
        errors[field] = f"'{text[:40]}' is not a {what}."
        return None


def draft_from_fields(fields: BroadcastFields, *, today: date,
                      errors: dict[str, str] | None = None) -> tuple[BroadcastDraft | None, dict[str, str]]:
    """The draft, or the problems (by field) that stop us building one; `errors` are the platform's own
    (a user group it could not expand), reported with these."""
    errors = dict(errors or {})
    title, body = fields.title.strip(), fields.body.strip()
    new_message = NewMessage(title=title, body=body) if (title or body) else None
    if new_message is not None and fields.message_key:
        errors["title"] = "Pick a library message or write a new one, not both."
    audience = fields.audience or AudienceSpec(people=fields.people, teams=fields.teams, all_reps=fields.all_reps,
                                               extra_labels=fields.extra_labels)
    recurrence = _recurrence(fields, today=today, errors=errors)
    if errors:
        return None, errors
    return BroadcastDraft(audience=audience, message_key=fields.message_key, new_message=new_message,
                          recurrence=recurrence, local_time=fields.local_time, question_key=fields.question_key,
                          quiz_mode=fields.quiz_mode or "missed"), {}


def _weekdays(values: tuple[str, ...], errors: dict[str, str]) -> tuple[int, ...]:
    if any(value not in ("0", "1", "2", "3", "4", "5", "6") for value in values):
        errors["weekdays"] = "Pick the days from the list."
        return ()
    return tuple(sorted({int(value) for value in values}))


def _recurrence(fields: BroadcastFields, *, today: date, errors: dict[str, str]) -> Recurrence | None:
    when = fields.when or "now"
    if when == "now":
        return None
    start = _parsed(fields.date, "date", errors, date.fromisoformat, "date: write it as YYYY-MM-DD")
    at = _parsed(fields.time, "time", errors, time.fromisoformat, "time: write it as HH:MM")
    end = _parsed(fields.end_date, "end_date", errors, date.fromisoformat, "date: write it as YYYY-MM-DD")
    count = _whole_number(fields.count, "count", errors, "The number of times")
    if when == "once":
        if start is None and "date" not in errors:
            errors["date"] = "Pick the date to send it."
        if at is None and "time" not in errors:
            errors["time"] = "Pick the time to send it."
        return Recurrence(kind="once", start=start, at=at) if start and at else None
    if fields.kind is None:
        errors["kind"] = "Pick how it repeats."
        return None
    if fields.kind != "cron" and at is None:
        errors.setdefault("time", "Pick the time of day.")
        return None
    day = _whole_number(fields.day_of_month, "day_of_month", errors, "The day")
    interval = _whole_number(fields.interval or "", "interval", errors, "The number of weeks")
    return Recurrence(
        kind=fields.kind,
        start=start or today,
        at=at,
        weekdays=_weekdays(fields.weekdays, errors),
        interval_weeks=interval if interval else 2 if fields.kind == "every_n_weeks" else 1,
        day_of_month=day,
        cron=fields.cron.strip() or None,
        end_date=end,
        count=count,
    )
