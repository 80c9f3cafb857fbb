"""Never ping a rep at night or on their weekend: quiet hours in each recipient's own time zone.

Quiet hours are wall-clock rules ("19:00 to 08:00, and weekends"), so every check converts the instant
to the rep's zone with zoneinfo. Moving a delivery out of quiet hours lands on the first instant whose
wall time is allowed: on a spring-forward morning where the end time does not exist, that is the instant
the clocks jump (not the end time plus the jump), and on a fall-back night the repeated hour is honoured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
WEEKEND_OPTIONS = {"weekends": True, "no-weekends": False}
SATURDAY = 5
_MAX_MOVES = 8  # weekend -> Monday 00:00 -> end of the night window -> allowed: a few moves at most


def _time(text: str) -> time:
    match = HHMM.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"'{text.strip()}' is not a time of day (HH:MM)")
    return time(int(match.group(1)), int(match.group(2)))


def _zone(name: str) -> ZoneInfo:
    """Like schedules.materialise.zone: one rep's odd zone name must not stop everyone else's deliveries."""
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError, TypeError for odd names
        return ZoneInfo("UTC")


def _utc(moment: datetime) -> datetime:
    """A naive datetime would silently mean the machine's zone: refuse it."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"moment must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _first_instant_from(day: date, wall: time, zone: ZoneInfo, *, after: datetime) -> datetime:
    """The first instant after `after` at which the clock reads `wall` on `day` (or has just jumped past it).

    A wall time repeated by a fall-back gives its earliest reading after `after`; one skipped by a
    spring-forward gives the instant of the jump, the first moment the clock shows a later time.
    """
    naive = datetime.combine(day, wall)
    readings = sorted({naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)})
    real = [instant for instant in readings if instant.astimezone(zone).replace(tzinfo=None) == naive]
    if not real:
        return _jump_instant(readings[0], readings[-1], zone, naive)
    later = [instant for instant in real if instant > after]
    return later[0] if later else real[-1]


def _jump_instant(before: datetime, after: datetime, zone: ZoneInfo, skipped: datetime) -> datetime:
    """Bisects (to the second, as tzdata transitions are) for the instant the clock jumps past `skipped`."""
    low, high = int(before.timestamp()), int(after.timestamp())  # local(low) < skipped < local(high)
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) > skipped:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


@dataclass(frozen=True)
class QuietHours:
    start: time = time(19, 0)  # quiet from 19:00 ...
    end: time = time(8, 0)  # ... until 08:00 local; may cross midnight or not; start == end: no window
    weekends_off: bool = True  # Saturday and Sunday are quiet all day

    @property
    def has_window(self) -> bool:
        return self.start != self.end

    def _crosses_midnight(self) -> bool:
        return self.start > self.end

    def _in_window(self, wall: time) -> bool:
        if not self.has_window:
            return False
        if self._crosses_midnight():
            return wall >= self.start or wall < self.end
        return self.start <= wall < self.end

    def _is_weekend(self, local: datetime) -> bool:
        return self.weekends_off and local.weekday() >= SATURDAY

    def _quiet(self, local: datetime) -> bool:
        return self._is_weekend(local) or self._in_window(local.time())

    def allowed(self, moment: datetime, tz: str) -> bool:
        return not self._quiet(_utc(moment).astimezone(_zone(tz)))

    def next_allowed(self, moment: datetime, tz: str) -> datetime:
        """`moment` itself (in UTC) if allowed, else the first allowed instant after it: Fri 20:00 -> Mon 08:00."""
        zone = _zone(tz)
        candidate = _utc(moment)
        for _ in range(_MAX_MOVES):
            local = candidate.astimezone(zone)
            if not self._quiet(local):
                return candidate
            candidate = max(self._end_of_quiet_stretch(local, zone), candidate + timedelta(seconds=1))
        raise RuntimeError(f"no allowed time found after {moment!r} for {self!r} in {tz}")  # pragma: no cover

    def _end_of_quiet_stretch(self, local: datetime, zone: ZoneInfo) -> datetime:
        """Where the quiet stretch `local` is in ends: Monday 00:00 for a weekend, else the window's end."""
        if self._is_weekend(local):
            monday = local.date() + timedelta(days=7 - local.weekday())
            return _first_instant_from(monday, time(0), zone, after=local)
        day = local.date()
        if self._crosses_midnight() and local.time() >= self.start:
            day += timedelta(days=1)
        return _first_instant_from(day, self.end, zone, after=local)

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """'19:00-08:00', '19:00-08:00 weekends', '22:00-07:00 no-weekends', 'weekends', or 'off'."""
        words = re.sub(r"\s*-\s*(?=\d)", "-", text.strip().lower()).split()
        if not words:
            raise ValueError("quiet hours are empty: write e.g. 19:00-08:00 weekends, or off")
        if words == ["off"]:
            return cls(start=time(0), end=time(0), weekends_off=False)
        weekends = True
        if words[-1] in WEEKEND_OPTIONS:
            weekends = WEEKEND_OPTIONS[words.pop()]
        if not words:
            return cls(start=time(0), end=time(0), weekends_off=weekends)
        if len(words) > 1:
            raise ValueError(f"'{words[-1]}' is not understood here: "
                             "write 'weekends' or 'no-weekends' after the window")
        if "-" not in words[0]:
            raise ValueError(f"'{words[0]}' is not a window like 19:00-08:00")
        start_text, end_text = words[0].split("-", 1)
        return cls(start=_time(start_text), end=_time(end_text), weekends_off=weekends)
