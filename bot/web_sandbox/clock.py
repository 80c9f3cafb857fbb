"""Moving the sandbox's simulated clock, with the time-driven jobs running on the way.

A jump of a day is walked, not leapt: the clock stops at every instant something is due (a queued delivery, a
broadcast's next occurrence, a re-ask; storage.queries.upcoming) and at least once in every coaching window
(the three hours from DRUMBEAT_COACHING_HOUR, each person's morning), and at each stop
runs what the scheduler's jobs run (materialise, release feedback, dispatch: `Drumbeat.tick`, then the
coaching job). So a recurring broadcast arrives at each rep's own 09:00, quiz re-asks when their box says, and a
manager's coaching DM in their own morning, each at its own time; what is queued only when a job runs (a
reminder a day after a send, a nudge) comes at the next stop, at most one window later.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.demo import DEMO_PEOPLE
from storage.queries.upcoming import next_due_after

if TYPE_CHECKING:
    from bot.web_sandbox.world import World

MOVES = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def zones() -> list[str]:
    """The zones a visitor can jump in: the demo people's, west to east as listed, then UTC."""
    return [*dict.fromkeys(person.tz for person in DEMO_PEOPLE), "UTC"]


def next_local(now: datetime, *, zone: str, weekday: int, at: time) -> datetime:
    """The first instant after `now` that is `weekday` (0 = Monday) at `at` in `zone`, as UTC."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    days = (weekday - local.weekday()) % 7
    candidate = datetime.combine(local.date() + timedelta(days=days), at, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=days + 7), at, tzinfo=tz)
    return candidate.astimezone(ZoneInfo("UTC"))


def advance(web: World, target: datetime) -> int:
    """Walk the clock to `target`, running the jobs at each stop; how many stops it made."""
    made = 0
    with web.lock:
        while web.clock() < target:
            now = web.clock()
            with web.drumbeat.services.unit_of_work() as session:
                due = next_due_after(session, after=now)
            # Stops never further apart than a coaching window: then every person's morning window holds one.
            stop = min(target, now + web.drumbeat.services.coaching_policy.window, *([due] if due else []))
            web.clock.set(stop)
            web.drumbeat.coaching_now()
            web.settle()
            made += 1
        print(f"\n... time passes: it is now {web.clock():%a %d %b %H:%M} UTC", file=web.log)
    return made
