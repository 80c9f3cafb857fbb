"""When a broadcast happens, in a given time zone: APScheduler's triggers do the calendar arithmetic.

A leader says "every Monday at 09:00 at each recipient's local time"; this module turns that into the
UTC instants for Tokyo, Berlin and New York. The calendar and DST arithmetic is APScheduler's
(CronTrigger / DateTrigger, always given `timezone=`) and zoneinfo's; nothing here adds offsets by hand.
An occurrence's `key` is the recipient's local date (plus the local time for cron schedules, which may
fire more than once a day), so the fall-back night on which a trigger fires 01:30 twice yields one
occurrence, and a delivery's idempotency key stays the same whichever firing materialised it.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

KINDS = ("once", "workdays", "weekly", "every_n_weeks", "monthly", "cron")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CRON_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # crontab: 0 and 7 are Sunday
MAX_COUNT = 1000
MAX_STEPS = 200_000  # a runaway cron ("every minute for years") stops here rather than hanging a job


class RecurrenceError(ValueError):
    """A schedule a leader cannot have; `field` names the input at fault (for a modal's error)."""

    def __init__(self, message: str, field: str = "when") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Occurrence:
    index: int  # position in the series in this zone (what `count` counts)
    local: datetime  # aware, in the recipient's zone
    due_at: datetime  # the same instant, UTC
    key: str  # the local date (and time, for cron): the occurrence's part of an idempotency key


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecurrenceError(f"'{name}' is not a time zone I know (like Europe/Berlin).", "timezone") from None


def _crontab_day_of_week(field: str) -> str:
    """Crontab weekdays (0 or 7 = Sunday) to names, since APScheduler 3 counts 0 as Monday."""

    def expand(part: str) -> list[str]:
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise RecurrenceError(f"'{step_text}' is not a step in the weekday field.", "cron")
            step = int(step_text)
        if part == "*":
            numbers = range(0, 7)
        elif re.fullmatch(r"\d", part):
            numbers = range(int(part), int(part) + 1) if step == 1 else range(int(part), 7)
        elif re.fullmatch(r"\d-\d", part):
            low, high = (int(n) for n in part.split("-"))
            if low > high:
                raise RecurrenceError(f"The weekday range {part} runs backwards.", "cron")
            numbers = range(low, high + 1)
        else:
            return [part if step == 1 else f"{part}/{step}"]
        names = []
        for number in list(numbers)[::step]:
            if number > 7:
                raise RecurrenceError(f"{number} is not a weekday (0-7, 0 and 7 being Sunday).", "cron")
            names.append(CRON_DAY_NAMES[number])
        return names

    names: list[str] = []
    for part in field.lower().split(","):
        for name in expand(part):
            if name not in names:
                names.append(name)
    return ",".join(names)


def cron_trigger(expression: str, tz: ZoneInfo | str = "UTC", **bounds: object) -> CronTrigger:
    fields = expression.split()
    if len(fields) != 5:
        raise RecurrenceError(
            f"A cron expression has 5 fields (minute hour day month weekday), this one has {len(fields)}.", "cron"
        )
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                           day_of_week=_crontab_day_of_week(weekday), timezone=tz, **bounds)
    except ValueError as error:
        raise RecurrenceError(f"Invalid cron expression '{expression}': {error}.", "cron") from None


def parse_cron(expression: str) -> None:
    cron_trigger(expression)


@dataclass(frozen=True)
class Recurrence:
    kind: str
    start: date
    at: time | None = None
    weekdays: tuple[int, ...] = ()
    interval_weeks: int = 1
    day_of_month: int | None = None
    cron: str | None = None
    end_date: date | None = None
    count: int | None = None

    # --- checking and describing ----------------------------------------------------------------
    def validate(self, *, today: date) -> None:
        if self.kind not in KINDS:
            raise RecurrenceError(f"'{self.kind}' is not a kind of schedule.", "when")
        if self.kind != "cron" and self.at is None:
            raise RecurrenceError("Pick a time of day.", "time")
        if self.kind == "once" and self.start < today:
            raise RecurrenceError(f"{self.start:%a %d %b %Y} is in the past: pick today or later.", "date")
        if self.kind in ("weekly", "every_n_weeks"):
            if not self.weekdays:
                raise RecurrenceError("Pick at least one day of the week.", "weekdays")
            if any(not 0 <= day <= 6 for day in self.weekdays):
                raise RecurrenceError("Weekdays are Monday (0) to Sunday (6).", "weekdays")
        if self.kind == "every_n_weeks" and not 2 <= self.interval_weeks <= 12:
            raise RecurrenceError("Every 2 to 12 weeks.", "interval")
        if self.kind == "monthly" and not (self.day_of_month and 1 <= self.day_of_month <= 31):
            raise RecurrenceError("Pick a day of the month from 1 to 31.", "day_of_month")
        if self.kind == "cron":
            if not self.cron:
                raise RecurrenceError("Write the cron expression, e.g. 0 9 * * 1-5.", "cron")
            parse_cron(self.cron)
        if self.end_date is not None and self.end_date < self.start:
            raise RecurrenceError(
                f"The end date {self.end_date:%Y-%m-%d} is before the start {self.start:%Y-%m-%d}.", "end_date")
        if self.end_date is not None and self.kind != "once" and self.end_date < today:
            raise RecurrenceError(f"The end date {self.end_date:%Y-%m-%d} is already past.", "end_date")
        if self.count is not None and not 1 <= self.count <= MAX_COUNT:
            raise RecurrenceError(f"The number of times must be between 1 and {MAX_COUNT}.", "count")

    def describe(self) -> str:
        at = f" at {self.at:%H:%M}" if self.at else ""
        days = " and ".join(DAY_LABELS[day] for day in sorted(self.weekdays))
        text = {
            "once": f"once on {self.start:%a %d %b %Y}{at}",
            "workdays": f"every weekday{at}",
            "weekly": f"every {days}{at}",
            "every_n_weeks": f"every {self.interval_weeks} weeks on {days}{at}",
            "monthly": f"monthly on day {self.day_of_month}{at}",
            "cron": f"cron {self.cron}",
        }.get(self.kind, self.kind)
        if self.kind != "once":
            if self.start:
                text += f" from {self.start:%Y-%m-%d}"
            if self.end_date:
                text += f" until {self.end_date:%Y-%m-%d}"
            if self.count:
                text += f", {self.count} time{'s' if self.count != 1 else ''}"
        return text

    def to_json(self) -> str:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["at"] = self.at.strftime("%H:%M") if self.at else None
        data["end_date"] = self.end_date.isoformat() if self.end_date else None
        data["weekdays"] = list(self.weekdays)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Recurrence:
        data = json.loads(text)
        return cls(
            kind=data["kind"],
            start=date.fromisoformat(data["start"]),
            at=time.fromisoformat(data["at"]) if data.get("at") else None,
            weekdays=tuple(data.get("weekdays") or ()),
            interval_weeks=int(data.get("interval_weeks") or 1),
            day_of_month=data.get("day_of_month"),
            cron=data.get("cron"),
            end_date=date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
            count=data.get("count"),
        )

    # --- the trigger --------------------------------------------------------------------------
    def _trigger(self, tz: ZoneInfo) -> BaseTrigger:
        start = datetime.combine(self.start, time(0), tz)
        end = datetime.combine(self.end_date, time(23, 59, 59), tz) if self.end_date else None
        bounds = {"start_date": start, "end_date": end}
        at = self.at or time(9, 0)
        if self.kind == "once":
            return DateTrigger(run_date=datetime.combine(self.start, at), timezone=tz)
        if self.kind == "workdays":
            return CronTrigger(day_of_week="mon-fri", hour=at.hour, minute=at.minute, timezone=tz, **bounds)
        if self.kind in ("weekly", "every_n_weeks"):
            days = ",".join(DAY_NAMES[day] for day in sorted(set(self.weekdays)))
            return CronTrigger(day_of_week=days, hour=at.hour, minute=at.minute, timezone=tz, **bounds)
        if self.kind == "monthly":
            wanted = self.day_of_month or 1
            day = str(wanted) if wanted <= 28 else "28-31"  # short months are filtered in _keeps()
            return CronTrigger(day=day, hour=at.hour, minute=at.minute, timezone=tz, **bounds)
        return cron_trigger(self.cron or "", tz, **bounds)

    def _keeps(self, local: datetime) -> bool:
        """Filters APScheduler cannot express: every N weeks, and "day 31, or the month's last day"."""
        if self.kind == "every_n_weeks":
            first_monday = self.start - timedelta(days=self.start.weekday())
            return ((local.date() - first_monday).days // 7) % self.interval_weeks == 0
        if self.kind == "monthly" and (self.day_of_month or 1) > 28:
            last = calendar.monthrange(local.year, local.month)[1]
            return local.day == min(self.day_of_month or 1, last)
        return True

    def _key(self, local: datetime) -> str:
        return local.strftime("%Y-%m-%dT%H:%M") if self.kind == "cron" else local.date().isoformat()


def _series(rec: Recurrence, tz_name: str, *, from_: datetime | None, until: datetime):  # noqa: ANN202
    """Occurrences in order, de-duplicated by key, from the series start (or `from_` when no count)."""
    tz = zone_of(tz_name)
    trigger = rec._trigger(tz)
    previous: datetime | None = None
    now = from_ if (from_ is not None and rec.count is None) else datetime.combine(rec.start, time(0), tz)
    index = 0
    last_key = None
    for _ in range(MAX_STEPS):
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire >= until:
            return
        if previous is not None and fire.astimezone(UTC) <= previous.astimezone(UTC):
            now = previous.astimezone(UTC) + timedelta(minutes=1)  # never loop on one instant
            continue
        previous = fire
        # Step on in UTC: stepping a fold=1 wall time (the repeated hour) makes APScheduler return it again.
        now = fire.astimezone(UTC) + timedelta(microseconds=1)
        local = fire.astimezone(UTC).astimezone(tz)  # a skipped wall time (spring forward) becomes the real one
        if not rec._keeps(local):
            continue
        key = rec._key(local)
        if key == last_key:  # the fall-back hour fired the same local time twice
            continue
        last_key = key
        if rec.count is not None and index >= rec.count:
            return
        yield Occurrence(index=index, local=local, due_at=fire.astimezone(UTC), key=key)
        index += 1


def occurrences_between(rec: Recurrence, tz: str, *, start: datetime, end: datetime) -> list[Occurrence]:
    """Occurrences whose instant is in [start, end)."""
    return [occurrence for occurrence in _series(rec, tz, from_=start, until=end) if occurrence.due_at >= start]


def next_occurrence(rec: Recurrence, tz: str, *, after: datetime) -> Occurrence | None:
    far = after + timedelta(days=366 * 5)
    for occurrence in _series(rec, tz, from_=after, until=far):
        if occurrence.due_at > after:
            return occurrence
    return None


def latest_occurrence_at_or_before(rec: Recurrence, tz: str, *, moment: datetime, not_before: datetime) -> Occurrence | None:
    found = occurrences_between(rec, tz, start=not_before, end=moment + timedelta(microseconds=1))
    return found[-1] if found else None
