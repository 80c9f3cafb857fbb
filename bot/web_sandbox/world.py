"""What the web sandbox's two worlds share, Slack's (`session.WebSandbox`) and Teams' (`teams_session`).

Each world is one terminal sandbox (the real bot wired to a built-in platform emulator, on its own SQLite file)
behind the page. Requests arrive on several server threads while the bot, the emulator and the clock are one
shared world: every operation holds one lock, and after each the bot is let finish and what became due is sent,
as the scheduler would. The clock moves and the tour (`clock`, `tour`) work on either world through this.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.demo import DEMO_PEOPLE, DemoPerson

if TYPE_CHECKING:
    from bot.sandbox import Sandbox

LOG_LINES_SHOWN = 60


class World:
    """One platform's sandbox behind the page: the lock, settling after each act, notices, the log."""

    platform = ""
    sandbox: Sandbox

    def _start(self, sandbox: Sandbox, log: io.StringIO) -> None:
        self.log = log
        self.sandbox = sandbox
        self.drumbeat = sandbox.drumbeat
        self.clock = sandbox.clock
        self.command_name = sandbox.settings.command
        self.lock = threading.RLock()
        self._notices: dict[str, str] = {}

    def close(self) -> None:
        with self.lock:
            self.sandbox.close()

    @contextmanager
    def acting(self) -> Iterator[None]:
        """One visitor's operation at a time; afterwards what became due is sent, as the scheduler would."""
        with self.lock:
            yield
            self.settle()

    def settle(self) -> None:
        """Let the bot finish what it does after acknowledging, then run the time-driven jobs once for now."""
        with self.lock:
            self.drumbeat.wait_for_background()
            report = self.drumbeat.tick()
            if report.sent or report.failed:
                print(f"\n(outbox: {report.sent} sent, {report.retried} retried, {report.failed} failed)",
                      file=self.log)
            self.sandbox.show_new_messages()

    @staticmethod
    def person(handle: str | None) -> DemoPerson:
        """The demo person with this handle; the leader when none or an unknown one is asked for."""
        return next((p for p in DEMO_PEOPLE if p.handle == (handle or "").lower()), DEMO_PEOPLE[0])

    def local_time(self, person: DemoPerson) -> datetime:
        return self.clock().astimezone(ZoneInfo(person.tz))

    def notify(self, person: DemoPerson, notice: str) -> None:
        """A line shown once, above the person's conversation, on their next page."""
        self._notices[person.handle] = notice

    def take_notice(self, person: DemoPerson) -> str:
        return self._notices.pop(person.handle, "")

    def seen(self, person: DemoPerson) -> Any:
        """What the person's page shows of their conversation (each platform's own): its fingerprint changes
        when something arrives or changes."""
        raise NotImplementedError

    def fingerprint(self, person: DemoPerson) -> str:
        """A short digest of the person's page as it is now (the clock, their conversation, what is open),
        which the page polls to refresh itself when a DM arrives while the clock moves elsewhere."""
        with self.lock:
            shown = json.dumps([self.clock().isoformat(), self.seen(person)], sort_keys=True, default=str)
        return hashlib.sha256(shown.encode("utf-8")).hexdigest()[:16]

    def log_tail(self) -> list[str]:
        with self.lock:
            return [line for line in self.log.getvalue().splitlines() if line.strip()][-LOG_LINES_SHOWN:]
