"""When a broadcast happens, in a given time zone: APScheduler's triggers do the calendar arithmetic.

A leader says "every Monday at 09:00 at each recipient's local time"; this module turns that into the
UTC instants for Tokyo, Berlin and New York. The calendar and DST arithmetic is APScheduler's
(CronTrigger / DateTrigger / OrTrigger, always given `timezone=`) and zoneinfo's; nothing here adds
offsets by hand. What APScheduler cannot express is a filter on its firings: "every N weeks" (weeks
counted from the start week, because ISO week numbers restart each year) and "day 31, or the month's
last day".

An occurrence's `key` is the recipient's local date (plus the local time for cron schedules that can
fire more than once a day). On the fall-back night APScheduler fires 01:30 twice (EDT, then EST); the
second firing repeats a wall time that already happened, so it is dropped: one occurrence, one key,
whichever window or process computed it.

`count` makes an occurrence's place in the series matter, so series are always numbered from their
first occurrence. To keep a month window cheap for a series that began years ago, the numbering state
reached by each query is remembered per (recurrence, zone) and the next, later query resumes from there.
"""

from __future__ import annotations

import calendar
import json
import re
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

KINDS = ("once", "workdays", "weekly", "every_n_weeks", "monthly", "cron")
FIELDS = ("when", "date", "time", "weekdays", "interval", "day_of_month", "cron", "end_date", "count", "timezone")
MAX_COUNT = 1000
MIN_INTERVAL_WEEKS, MAX_INTERVAL_WEEKS = 2, 12
LOOK_AHEAD = timedelta(days=366 * 5)  # how far next_occurrence searches (a Feb 29 cron fits)

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler's names, index = date.weekday()
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_LABELS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

CRON_FIELDS = (("minute", "minute"), ("hour", "hour"), ("day", "day-of-month"), ("month", "month"),
               ("day_of_week", "weekday"))
CRONTAB_DAY_NUMBERS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
CRONTAB_LAST_DAY = 7  # crontab weekdays run 0-7, both ends being Sunday
_ONE_TICK = timedelta(microseconds=1)


class RecurrenceError(ValueError):
    """A schedule a leader cannot have; `field` names the modal input to show the message next to."""

    def __init__(self, message: str, field: str = "when") -> None:
        super().__init__(message)
        self.field = field if field in FIELDS else "when"


@dataclass(frozen=True)
class Occurrence:
    index: int  # position in the series in this zone (what `count` counts)
    local: datetime  # aware, in the recipient's zone
    due_at: datetime  # the same instant, UTC
    key: str  # the local date (and time, for cron firing more than once a day): part of an idempotency key


def zone_of(name: str) -> ZoneInfo:
    """The zone, or an error a leader can act on (Slack and directories sometimes hold odd names)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise RecurrenceError(f"'{name}' is not a time zone I know (like Europe/Berlin).", "timezone") from None


def _require_aware(name: str, moment: datetime) -> datetime:
    """Naive datetimes would be read in the machine's zone, the very mistake this module exists to avoid."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


# --- cron ---------------------------------------------------------------------------------------------


def _cron_problem(label: str, raw: str, reason: str) -> RecurrenceError:
    return RecurrenceError(f"The {label} field '{raw}' is wrong: {reason}.", "cron")


def _crontab_day_number(text: str, raw: str, *, range_end: bool = False) -> int:
    """A crontab weekday (0-7 or sun..sat); "sun" closing a range is 7, so fri-sun means Fri, Sat, Sun."""
    if text.isdigit():
        if int(text) > CRONTAB_LAST_DAY:
            raise _cron_problem("weekday", raw, f"{text} is not a weekday (0-7, where 0 and 7 are Sunday)")
        return int(text)
    if text in CRONTAB_DAY_NUMBERS:
        number = CRONTAB_DAY_NUMBERS[text]
        return CRONTAB_LAST_DAY if range_end and number == 0 else number
    raise _cron_problem("weekday", raw, f"'{text}' is not a weekday (0-7 or sun..sat)")


def _crontab_day_part(part: str, raw: str) -> range:
    """One comma-separated piece of a crontab weekday field, as crontab day numbers."""
    span, slash, step_text = part.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) < 1:
            raise _cron_problem("weekday", raw, f"'{step_text}' is not a step (a whole number from 1)")
        step = int(step_text)
    if span == "*":
        return range(0, CRONTAB_LAST_DAY + 1, step)
    if "-" in span:
        low_text, high_text = span.split("-", 1)
        low = _crontab_day_number(low_text, raw)
        high = _crontab_day_number(high_text, raw, range_end=True)
        if low > high:
            raise _cron_problem("weekday", raw, f"the range {span} runs backwards")
        return range(low, high + 1, step)
    low = _crontab_day_number(span, raw)
    return range(low, (CRONTAB_LAST_DAY if slash else low) + 1, step)


def _crontab_weekdays(raw: str) -> str:
    """Crontab weekdays to APScheduler names: APScheduler 3 counts 0 as Monday, crontab as Sunday."""
    if raw == "*":
        return "*"
    names: list[str] = []
    for part in raw.lower().split(","):
        for number in _crontab_day_part(part, raw):
            name = DAY_NAMES[(number - 1) % 7]
            if name not in names:
                names.append(name)
    return ",".join(names)


def _apscheduler_reason(error: ValueError, raw: str) -> str:
    """APScheduler's own reason, without its prefix that repeats the value."""
    text = str(error)
    if text.startswith("Unrecognized expression"):
        return f"'{raw}' is not a number, range (1-5), list (1,15), step (*/10) or *"
    text = re.sub(r"^Error validating expression '[^']*': ", "", text)
    return text[:1].lower() + text[1:]


@lru_cache(maxsize=1024)
def _cron_fields(expression: str) -> tuple[tuple[str, str], ...]:
    """The five fields as APScheduler keyword arguments, each checked alone so an error names its field."""
    raws = expression.split()
    if len(raws) != 5:
        raise RecurrenceError(
            f"A cron expression has 5 fields (minute hour day-of-month month weekday), got {len(raws)}: "
            f"'{expression.strip()}'.", "cron")
    fields: list[tuple[str, str]] = []
    for (name, label), raw in zip(CRON_FIELDS, raws, strict=True):
        value = _crontab_weekdays(raw) if name == "day_of_week" else raw
        try:
            CronTrigger(timezone=UTC, **{name: value})
        except ValueError as error:
            raise _cron_problem(label, raw, _apscheduler_reason(error, raw)) from None
        fields.append((name, value))
    return tuple(fields)


def cron_trigger(expression: str, tz: ZoneInfo | str = "UTC", **bounds: datetime | None) -> BaseTrigger:
    """A trigger with crontab's meaning: when both day fields are restricted, either one matching is enough.

    APScheduler's CronTrigger requires both to match, so that case is an OrTrigger of two CronTriggers.
    As in crontab, a day field starting with "*" (such as */2) counts as unrestricted.
    """
    fields = dict(_cron_fields(expression))
    _, _, day_raw, _, weekday_raw = expression.split()
    common = {"minute": fields["minute"], "hour": fields["hour"], "month": fields["month"], "timezone": tz, **bounds}
    if day_raw.startswith("*") or weekday_raw.startswith("*"):
        return CronTrigger(day=fields["day"], day_of_week=fields["day_of_week"], **common)
    by_day = CronTrigger(day=fields["day"], **common)
    by_weekday = CronTrigger(day_of_week=fields["day_of_week"], **common)
    return OrTrigger([by_day, by_weekday])


def parse_cron(expression: str) -> None:
    """Raises RecurrenceError(field="cron") naming the wrong field and why, or that it never fires."""
    trigger = cron_trigger(expression)
    if trigger.get_next_fire_time(None, datetime(2000, 1, 1, tzinfo=UTC)) is None:
        raise RecurrenceError(f"'{expression.strip()}' never happens: no date matches it (like day 31 of a "
                              "30-day month).", "cron")


@lru_cache(maxsize=1024)
def _cron_fires_more_than_once_a_day(expression: str) -> bool:
    """Decides whether a local date alone identifies a cron occurrence (it does for "0 9 * * 1-5")."""
    fields = dict(_cron_fields(expression))
    trigger = CronTrigger(minute=fields["minute"], hour=fields["hour"], timezone=UTC)
    first = trigger.get_next_fire_time(None, datetime(2000, 1, 1, tzinfo=UTC))
    assert first is not None  # minute and hour alone always match some time of day
    second = trigger.get_next_fire_time(None, first + _ONE_TICK)
    return second is not None and second.date() == first.date()


# --- the schedule -------------------------------------------------------------------------------------


def _day_label(day: date) -> str:
    """Locale-independent, unlike strftime's %a / %b."""
    return f"{DAY_LABELS[day.weekday()]} {day.day} {MONTH_LABELS[day.month - 1]} {day.year}"


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _whole_minute(moment: time) -> bool:
    return moment.second == 0 and moment.microsecond == 0


@dataclass(frozen=True)
class Recurrence:
    kind: str  # "once" | "workdays" | "weekly" | "every_n_weeks" | "monthly" | "cron"
    start: date  # first local date it may happen (for "once": the date)
    at: time | None = None  # local time of day (not used by "cron", which carries its own)
    weekdays: tuple[int, ...] = ()  # 0=Mon..6=Sun, for weekly / every_n_weeks
    interval_weeks: int = 1  # for every_n_weeks, 2..12
    day_of_month: int | None = None  # 1..31 for monthly; a shorter month uses its last day
    cron: str | None = None  # 5-field crontab "min hour dom month dow" (0 or 7 = Sunday)
    end_date: date | None = None  # inclusive, local
    count: int | None = None  # total occurrences per recipient zone, 1..1000 (with end_date: whichever first)

    # --- checking and describing ----------------------------------------------------------------
    def validate(self, *, today: date) -> None:
        """Raises the first problem, with the modal field it belongs to; `today` is the leader's local date."""
        if self.kind not in KINDS:
            raise RecurrenceError(f"'{self.kind}' is not a kind of schedule.", "when")
        if self.kind != "cron" and self.at is None:
            raise RecurrenceError("Pick a time of day.", "time")
        if self.kind == "once":
            self._validate_once(today)
            return
        self._validate_pattern()
        self._validate_limits(today)

    def _validate_once(self, today: date) -> None:
        # Only whole past days: whether today's time has passed depends on each recipient's zone (callers
        # check with next_occurrence).
        if self.start < today:
            raise RecurrenceError(f"{_day_label(self.start)} is in the past: pick today or a later date.", "date")

    def _validate_pattern(self) -> None:
        if self.kind in ("weekly", "every_n_weeks"):
            if not self.weekdays:
                raise RecurrenceError("Pick at least one day of the week.", "weekdays")
            if any(not 0 <= day <= 6 for day in self.weekdays):
                raise RecurrenceError("Days of the week run from Monday (0) to Sunday (6).", "weekdays")
        if self.kind == "every_n_weeks" and not MIN_INTERVAL_WEEKS <= self.interval_weeks <= MAX_INTERVAL_WEEKS:
            raise RecurrenceError(f"Repeat every {MIN_INTERVAL_WEEKS} to {MAX_INTERVAL_WEEKS} weeks, "
                                  f"not {self.interval_weeks}.", "interval")
        if self.kind == "monthly" and (self.day_of_month is None or not 1 <= self.day_of_month <= 31):
            got = "" if self.day_of_month is None else f" (not {self.day_of_month})"
            raise RecurrenceError(f"Pick a day of the month from 1 to 31{got}.", "day_of_month")
        if self.kind == "cron":
            if not self.cron or not self.cron.strip():
                raise RecurrenceError("Write the cron expression, e.g. 0 9 * * 1-5.", "cron")
            parse_cron(self.cron)

    def _validate_limits(self, today: date) -> None:
        if self.end_date is not None and self.end_date < self.start:
            raise RecurrenceError(
                f"The end date {self.end_date:%Y-%m-%d} is before the start {self.start:%Y-%m-%d}.", "end_date")
        if self.end_date is not None and self.end_date < today:
            raise RecurrenceError(f"The end date {self.end_date:%Y-%m-%d} is already past.", "end_date")
        if self.count is not None and not 1 <= self.count <= MAX_COUNT:
            raise RecurrenceError(f"The number of times must be from 1 to {MAX_COUNT}, not {self.count}.", "count")

    def describe(self) -> str:
        """One line for a leader: "every 2 weeks on Tue at 08:30, 6 times"."""
        at = f" at {self.at:%H:%M}" if self.at else ""
        days = _and_list([DAY_LABELS[day] for day in sorted(set(self.weekdays)) if 0 <= day <= 6] or ["?"])
        text = {
            "once": f"once on {_day_label(self.start)}{at}",
            "workdays": f"every weekday{at}",
            "weekly": f"every {days}{at}",
            "every_n_weeks": f"every {self.interval_weeks} weeks on {days}{at}",
            "monthly": f"monthly on day {self.day_of_month}{at}",
            "cron": f"cron {self.cron}",
        }.get(self.kind, self.kind)
        return text if self.kind == "once" else text + self._describe_limits()

    def _describe_limits(self) -> str:
        times = f"{self.count} time{'' if self.count == 1 else 's'}"
        if self.end_date and self.count:
            return f" until {self.end_date:%Y-%m-%d}, at most {times}"
        if self.end_date:
            return f" until {self.end_date:%Y-%m-%d}"
        return f", {times}" if self.count else ""

    def to_json(self) -> str:
        """For a DB text column; times keep the HH:MM form rows already hold unless they carry seconds."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["at"] = None if self.at is None else self.at.isoformat("minutes" if _whole_minute(self.at) else "auto")
        data["end_date"] = self.end_date.isoformat() if self.end_date else None
        data["weekdays"] = list(self.weekdays)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Recurrence:
        try:
            data = json.loads(text)
            return cls(
                kind=data["kind"],
                start=date.fromisoformat(data["start"]),
                at=time.fromisoformat(data["at"]) if data.get("at") else None,
                weekdays=tuple(int(day) for day in data.get("weekdays") or ()),
                interval_weeks=int(data.get("interval_weeks") or 1),
                day_of_month=data.get("day_of_month"),
                cron=data.get("cron"),
                end_date=date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
                count=data.get("count"),
            )
        except (TypeError, KeyError, ValueError) as error:
            raise RecurrenceError(f"This stored schedule cannot be read ({error!r}).", "when") from None

    # --- the trigger and what APScheduler cannot express -----------------------------------------
    def _trigger(self, tz: ZoneInfo) -> BaseTrigger:
        if self.kind == "cron":
            return cron_trigger(self.cron or "", tz, **self._bounds(tz))
        if self.at is None:
            raise RecurrenceError("Pick a time of day.", "time")
        if self.kind == "once":
            return DateTrigger(run_date=datetime.combine(self.start, self.at), timezone=tz)
        return CronTrigger(day=self._cron_day(), day_of_week=self._cron_weekdays(), hour=self.at.hour,
                           minute=self.at.minute, second=self.at.second, timezone=tz, **self._bounds(tz))

    def _bounds(self, tz: ZoneInfo) -> dict[str, datetime | None]:
        """The series' local first and last days, so APScheduler itself stops at the end date."""
        return {
            "start_date": datetime.combine(self.start, time(0), tz),
            "end_date": datetime.combine(self.end_date, time.max, tz) if self.end_date else None,
        }

    def _cron_weekdays(self) -> str:
        if self.kind == "workdays":
            return "mon-fri"
        if self.kind in ("weekly", "every_n_weeks"):
            return ",".join(DAY_NAMES[day] for day in sorted(set(self.weekdays)))
        return "*"

    def _cron_day(self) -> str:
        if self.kind != "monthly":
            return "*"
        wanted = self.day_of_month or 1
        return str(wanted) if wanted <= 28 else "28-31"  # _keeps() picks min(wanted, the month's last day)

    def _keeps(self, local: datetime) -> bool:
        """Whether a firing is an occurrence: not a repeated wall time, and passes the calendar filters."""
        if local.fold == 1:  # the fall-back hour again: this wall time already fired as fold=0
            return False
        if self.kind == "every_n_weeks":
            return self._weeks_from_start(local.date()) % self.interval_weeks == 0
        if self.kind == "monthly" and (self.day_of_month or 1) > 28:
            return local.day == min(self.day_of_month or 1, calendar.monthrange(local.year, local.month)[1])
        return True

    def _first_monday(self) -> date:
        return self.start - timedelta(days=self.start.weekday())

    def _weeks_from_start(self, day: date) -> int:
        return (day - self._first_monday()).days // 7

    def _resume_after_dropped(self, local: datetime, tz: ZoneInfo) -> datetime:
        """Where to search after a dropped firing: every N weeks jumps straight to its next active week."""
        if self.kind == "every_n_weeks" and local.fold == 0:
            weeks = (self._weeks_from_start(local.date()) // self.interval_weeks + 1) * self.interval_weeks
            monday = self._first_monday() + timedelta(weeks=weeks)
            return datetime.combine(monday, time(0), tz).astimezone(UTC)
        return local.astimezone(UTC) + _ONE_TICK

    def _key(self, local: datetime) -> str:
        if self.kind == "cron" and _cron_fires_more_than_once_a_day(self.cron or ""):
            return local.strftime("%Y-%m-%dT%H:%M")
        return local.date().isoformat()


# --- walking a series -----------------------------------------------------------------------------


class _Checkpoints:
    """Per (recurrence, zone): the latest (instant, index of the first occurrence at or after it) reached.

    A series is a pure function of its recurrence and zone, so a checkpoint never goes stale; bounded LRU.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._saved: OrderedDict[tuple[Recurrence, str], tuple[datetime, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Recurrence, str], since: datetime) -> tuple[datetime, int] | None:
        with self._lock:
            saved = self._saved.get(key)
            if saved is None or saved[0] > since:
                return None
            self._saved.move_to_end(key)
            return saved

    def put(self, key: tuple[Recurrence, str], since: datetime, index: int) -> None:
        with self._lock:
            saved = self._saved.get(key)
            if saved is None or saved[0] < since:
                self._saved[key] = (since, index)
            self._saved.move_to_end(key)
            while len(self._saved) > self._size:
                self._saved.popitem(last=False)


_checkpoints = _Checkpoints()


def _cache_key(rec: Recurrence, tz: str) -> tuple[Recurrence, str] | None:
    try:
        hash(rec)
    except TypeError:  # e.g. weekdays given as a list: still correct, just not cacheable
        return None
    return rec, tz


def _collect(rec: Recurrence, tz_name: str, *, since: datetime, until: datetime,
             limit: int | None = None) -> list[Occurrence]:
    """Occurrences with due_at in [since, until), numbered from the series' first, at most `limit` of them.

    Firings before `since` are walked (not returned) so `index` and `count` are right; the state saved on
    reaching `since` lets a later window start there instead of at the series' beginning. Each step asks
    the trigger afresh from a UTC cursor, so a walk resumed from a checkpoint equals one from the start.
    """
    tz = zone_of(tz_name)
    trigger = rec._trigger(tz)
    cache_key = _cache_key(rec, tz_name)
    saved = _checkpoints.get(cache_key, since) if cache_key else None
    cursor, index = saved or (datetime.combine(rec.start, time(0), tz).astimezone(UTC), 0)
    found: list[Occurrence] = []
    reached_since = False
    while rec.kind == "once" or rec.count is None or index < rec.count:
        fire = trigger.get_next_fire_time(None, cursor)
        due = fire.astimezone(UTC) if fire is not None else None
        if due is None or due < cursor or due >= until:  # over (a DateTrigger repeats its date: over too)
            break
        local = due.astimezone(tz)  # via UTC: a skipped wall time (spring forward) becomes the real one
        if not rec._keeps(local):
            cursor = rec._resume_after_dropped(local, tz)
            continue
        if due >= since:
            if not reached_since and cache_key:
                _checkpoints.put(cache_key, since, index)
            reached_since = True
            found.append(Occurrence(index=index, local=local, due_at=due, key=rec._key(local)))
            if limit is not None and len(found) >= limit:
                break
        index += 1
        cursor = due + _ONE_TICK
    if cache_key and not reached_since:  # nothing due in the window: every earlier occurrence is counted
        _checkpoints.put(cache_key, since, index)
    return found


def occurrences_between(rec: Recurrence, tz: str, *, start: datetime, end: datetime) -> list[Occurrence]:
    """Occurrences due in [start, end) in zone `tz`, honouring the series' start, end date and count."""
    start_utc, end_utc = _require_aware("start", start), _require_aware("end", end)
    if end_utc <= start_utc:
        zone_of(tz)
        return []
    return _collect(rec, tz, since=start_utc, until=end_utc)


def next_occurrence(rec: Recurrence, tz: str, *, after: datetime) -> Occurrence | None:
    """The first occurrence strictly after `after` (within five years), or None when the series is over."""
    after_utc = _require_aware("after", after)
    found = _collect(rec, tz, since=after_utc + _ONE_TICK, until=after_utc + LOOK_AHEAD, limit=1)
    return found[0] if found else None


def latest_occurrence_at_or_before(rec: Recurrence, tz: str, *, moment: datetime,
                                   not_before: datetime) -> Occurrence | None:
    """The newest occurrence due in [not_before, moment]: what survives of a stretch missed during downtime."""
    found = occurrences_between(rec, tz, start=not_before, end=_require_aware("moment", moment) + _ONE_TICK)
    return found[-1] if found else None



@dataclass(frozen=True)
class Walk:
    """What a walk found, and the checkpoint to resume it from: `cursor` is where the trigger was asked from to
    find `next_due` (an occurrence's own instant will not do: a spring-forward firing happens at an instant
    whose wall time is not the one the trigger looks for, so asking from it again would skip it)."""

    found: list[Occurrence]
    next_due: datetime | None  # the next occurrence at or after `until`; None: the series is over
    index: int  # its number in the series
    cursor: datetime


def walk_from(rec: Recurrence, tz_name: str, *, cursor: datetime, index: int, until: datetime) -> Walk:
    """Occurrences due in [cursor, until), resuming a walk whose next occurrence is the first the trigger gives
    from `cursor` and is number `index` of the series; and the checkpoint reached (see Walk).

    This is what lets a stored "next due" instant advance by itself: (cursor, index) is a whole checkpoint, so
    nothing is walked from the series' start.
    """
    tz = zone_of(tz_name)
    trigger = rec._trigger(tz)
    cursor, until = _require_aware("cursor", cursor), _require_aware("until", until)
    found: list[Occurrence] = []
    while rec.kind == "once" or rec.count is None or index < rec.count:
        fire = trigger.get_next_fire_time(None, cursor)
        due = fire.astimezone(UTC) if fire is not None else None
        if due is None or due < cursor:  # over (a DateTrigger repeats its date: over too)
            break
        local = due.astimezone(tz)
        if not rec._keeps(local):
            cursor = rec._resume_after_dropped(local, tz)
            continue
        if due >= until:
            return Walk(found, due, index, cursor)
        found.append(Occurrence(index=index, local=local, due_at=due, key=rec._key(local)))
        index += 1
        cursor = due + _ONE_TICK
    return Walk(found, None, index, cursor)


def first_after(rec: Recurrence, tz_name: str, *, after: datetime) -> Walk:
    """The checkpoint a walk starts from for occurrences strictly after `after` (what a newly scheduled or
    resumed broadcast stores). Only a series with a `count` needs its index, so only that one is numbered from
    its first occurrence; any other starts right at `after`."""
    after_utc = _require_aware("after", after)
    start = after_utc + _ONE_TICK
    if rec.kind != "once" and rec.count is not None:
        found = next_occurrence(rec, tz_name, after=after_utc)
        if found is None:
            return Walk([], None, rec.count, start)
        # Ask again from just before it, numbered: the index is right, the cursor finds it again.
        return walk_from(rec, tz_name, cursor=start, index=found.index, until=start)
    return walk_from(rec, tz_name, cursor=start, index=0, until=start)
