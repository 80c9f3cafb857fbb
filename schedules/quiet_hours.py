"""Never ping a rep at night or on their weekend: quiet hours in each recipient's own time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def _time(text: str) -> time:
    match = HHMM.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"'{text.strip()}' is not a time of day (HH:MM)")
    return time(int(match.group(1)), int(match.group(2)))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class QuietHours:
    start: time = time(19, 0)
    end: time = time(8, 0)
    weekends_off: bool = True

    @property
    def has_window(self) -> bool:
        return self.start != self.end

    def _in_window(self, local: time) -> bool:
        if not self.has_window:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def allowed(self, moment: datetime, tz: str) -> bool:
        local = moment.astimezone(_zone(tz))
        if self.weekends_off and local.weekday() >= 5:
            return False
        return not self._in_window(local.time())

    def next_allowed(self, moment: datetime, tz: str) -> datetime:
        """`moment` if allowed, else the first allowed instant after it, in UTC."""
        zone = _zone(tz)
        candidate = moment.astimezone(UTC)
        for _ in range(16):
            if self.allowed(candidate, tz):
                return candidate
            local = candidate.astimezone(zone)
            if self.weekends_off and local.weekday() >= 5:
                next_day = local.date() + timedelta(days=7 - local.weekday())
                local_next = datetime.combine(next_day, time(0), zone)
            elif self.start < self.end or local.time() < self.end:
                local_next = datetime.combine(local.date(), self.end, zone)
            else:
                local_next = datetime.combine(local.date() + timedelta(days=1), self.end, zone)
            # A wall time that does not exist (spring forward) normalises to the first valid instant after.
            candidate = max(local_next.astimezone(UTC), candidate + timedelta(seconds=1))
        return candidate

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """'19:00-08:00', '19:00-08:00 weekends', '22:00-07:00 no-weekends', 'weekends', or 'off'."""
        words = text.strip().lower().split()
        if not words:
            raise ValueError("empty: use e.g. 19:00-08:00 weekends, or off")
        if words == ["off"]:
            return cls(start=time(0), end=time(0), weekends_off=False)
        weekends = True
        if words[-1] in ("weekends", "no-weekends"):
            weekends = words.pop() == "weekends"
        if not words:
            return cls(start=time(0), end=time(0), weekends_off=weekends)
        if len(words) != 1 or "-" not in words[0]:
            raise ValueError(f"'{text.strip()}' is not a window like 19:00-08:00")
        start_text, end_text = words[0].split("-", 1)
        return cls(start=_time(start_text), end=_time(end_text), weekends_off=weekends)
