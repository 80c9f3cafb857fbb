"""The sandbox: Drumbeat wired to the built-in Slack emulator and a demo organisation, on SQLite.

It runs a short demo through the real paths (signed slash commands, the outbox, signed button clicks,
the summary) and prints what each person sees. With a terminal attached it then lets you type
commands as any demo person.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.app import Drumbeat
from bot.slack.platform import SLACK_EVENTS_PATH
from bot.clock import SimulatedClock
from bot.core.org import import_org_csv
from bot.platforms import USER_ID_FORMATS
from bot.demo import DEMO_PEOPLE, DemoPerson, demo_org_csv, demo_person
from bot.settings import Settings
from bot.slack.blocktext import blocks_to_lines
from bot.emulators.slack import SlackEmulator
from storage.models import Delivery, DeliveryStatus

DEMO_MESSAGE = "win-on-strategy"


def as_slack_escapes(text: str) -> str:
    """Turn `@aiko` into `<@U0REPEA01|aiko>`, as Slack does for a command with should_escape on."""
    handles = {person.handle: person.slack_id for person in DEMO_PEOPLE}

    def mention(match: re.Match[str]) -> str:
        handle = match.group(1).lower()
        return f"<@{handles[handle]}|{handle}>" if handle in handles else match.group(0)

    return re.sub(r"(?<![<\w])@([A-Za-z]+)", mention, text)


class SandboxPrinter:
    """Prints a conversation log: who did what, and what each person received, at their local time."""

    def __init__(self, out: TextIO, clock: Callable[[], datetime]) -> None:
        self.out = out
        self.clock = clock

    def step(self, title: str) -> None:
        print(f"\n=== {title}", file=self.out)

    def says(self, person: DemoPerson, text: str, verb: str = "types") -> None:
        print(f"\n{person.name} ({person.role}) {verb}: {text}", file=self.out)

    def receives(
        self, person: DemoPerson, what: str, blocks: list[dict] | None, text: str = "", *, brief: bool = False,
        already_shown: list[str] | None = None,
    ) -> list[str]:
        """Print what the person sees and return its lines. `brief` keeps the first and last lines (the
        same message went to someone else already); `already_shown` prints only what changed."""
        local = self.clock().astimezone(ZoneInfo(person.tz)).strftime("%a %H:%M")
        print(f"  -> {person.name}, {what} ({person.tz}, {local} local):", file=self.out)
        all_lines = [line for line in blocks_to_lines(blocks, text) if line.strip()]
        lines = all_lines
        if already_shown is not None:
            lines = [all_lines[0], "...", *[line for line in all_lines[1:] if line not in already_shown]]
        elif brief and len(lines) > 3:
            lines = [lines[0], lines[1] if len(lines[1]) < 60 else lines[1][:57] + "...", "...", lines[-1]]
        for line in lines:
            print(f"     | {line}", file=self.out)
        return all_lines


class Sandbox:
    def __init__(self, settings: Settings, *, database: str, out: TextIO = sys.stdout,
                 start: datetime | None = None) -> None:
        self.clock = SimulatedClock(start or datetime.now(UTC).replace(microsecond=0))
        self.printer = SandboxPrinter(out, self.clock)
        signing_secret = secrets.token_hex(16)
        self.emulator = SlackEmulator(signing_secret).start()
        for person in DEMO_PEOPLE:
            self.emulator.add_user(person.slack_id, name=person.handle, real_name=person.name, tz=person.tz,
                                   email=person.email)
        database_path = Path(database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database_path}{suffix}").unlink(missing_ok=True)
        slack = replace(settings.slack, bot_token=self.emulator.bot_token, signing_secret=signing_secret,
                        app_token=None, api_url=self.emulator.api_url)
        self.settings = settings.with_overrides(slack=slack, database_url=f"sqlite:///{database_path}")
        try:
            self.drumbeat = Drumbeat(self.settings, clock=self.clock)
        except BaseException:
            self.emulator.stop()
            raise
        with self.drumbeat.services.unit_of_work() as session:
            import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
        self.drumbeat.sync_directory()
        port = self.drumbeat.serve_http(host="127.0.0.1", port=0, background=True)
        self.emulator.connect_bot(f"http://127.0.0.1:{port}{SLACK_EVENTS_PATH}")
        self.emulator.after_each_answer(self.drumbeat.wait_for_background)
        self._seen: dict[tuple[str, str], tuple[str, list[str]]] = {}
        self._shown_in_full: set[str] = set()

    def close(self) -> None:
        self.drumbeat.close()
        self.emulator.stop()

    # --- acting as people -------------------------------------------------------------------
    def command(self, person: DemoPerson, text: str) -> None:
        self.printer.says(person, f"{self.settings.command} {text}")
        answered_before = len(self.emulator.response_url_posts)
        response = self.emulator.slash_command(person.slack_id, text=as_slack_escapes(text), command=self.settings.command)
        body = response.body if isinstance(response.body, dict) else {}
        if response.status != 200:
            print(f"  (Slack would show: the app did not respond, HTTP {response.status})", file=self.printer.out)
        elif body:
            self.printer.receives(person, "private answer", body.get("blocks"), body.get("text", ""))
        for later in self.emulator.response_url_posts[answered_before:]:  # answers after the acknowledgement
            answer = later["body"] if isinstance(later["body"], dict) else {"text": str(later["body"])}
            self.printer.receives(person, "private answer", answer.get("blocks"), answer.get("text", ""))
        self.show_new_messages()

    def click_got_it(self, person: DemoPerson) -> None:
        for message in self.emulator.inbox(person.slack_id):
            if self._has_button(message, "delivery_ack"):
                self.printer.says(person, "[Got it]", verb="clicks")
                self.emulator.click(person.slack_id, channel=message["channel"], ts=message["ts"],
                                    action_id="delivery_ack")
                self.show_new_messages()
                return
        print(f"\n{person.name} has nothing to acknowledge.", file=self.printer.out)

    def tap_answer(self, person: DemoPerson, option: int = 1) -> None:
        """Answer the newest pulse check in the person's DM."""
        for message in reversed(self.emulator.inbox(person.slack_id)):
            action_id = f"quiz_answer_{option}"
            if self._has_button(message, action_id):
                self.printer.says(person, f"[option {option + 1}]", verb="taps")
                self.emulator.click(person.slack_id, channel=message["channel"], ts=message["ts"], action_id=action_id)
                self.show_new_messages()
                return

    @staticmethod
    def _has_button(message: dict, action_id: str) -> bool:
        for block in message.get("blocks") or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("action_id") == action_id:
                    return True
        return False

    def dispatch(self) -> None:
        report = self.drumbeat.tick()
        print(f"\n(outbox: {report.sent} sent, {report.retried} retried, {report.failed} failed)", file=self.printer.out)
        self.show_new_messages()

    def fast_forward(self, *, limit: int = 10) -> None:
        """Skip ahead to each queued delivery's due time (quiet hours, weekends) and deliver it."""
        for _ in range(limit):
            with self.drumbeat.services.unit_of_work() as session:
                due = session.execute(
                    select(func.min(Delivery.due_at)).where(Delivery.status == DeliveryStatus.PENDING)
                ).scalar_one()
            if due is None:
                return
            if due > self.clock():
                self.clock.set(due)
                print(f"\n... time passes: it is now {due:%a %d %b %H:%M} UTC", file=self.printer.out)
            self.dispatch()

    def show_new_messages(self) -> None:
        """Print every DM that is new or changed since the last look."""
        for person in DEMO_PEOPLE:
            for message in self.emulator.inbox(person.slack_id):
                key = (message["channel"], message["ts"])
                fingerprint = json.dumps([message.get("text"), message.get("blocks")], sort_keys=True)
                previous = self._seen.get(key)
                if previous is not None and previous[0] == fingerprint:
                    continue
                title = str(message.get("text", ""))
                if previous is None:
                    lines = self.printer.receives(person, "new DM from Drumbeat", message.get("blocks"), title,
                                                  brief=title in self._shown_in_full)
                else:
                    lines = self.printer.receives(person, "DM updated in place", message.get("blocks"), title,
                                                  already_shown=previous[1])
                self._seen[key] = (fingerprint, lines)
                self._shown_in_full.add(title)

    # --- the scripted demo --------------------------------------------------------------------
    def demo(self) -> None:
        p = self.printer
        p.step("Drumbeat sandbox: a demo organisation in a built-in Slack emulator")
        print("Leader Lena; managers Marco (East) and Wendy (West); reps in Tokyo, Berlin, Kolkata,\n"
              "New York, Mexico City and Sydney. Everything below goes through signed Slack requests.",
              file=p.out)
        p.step("1. A leader broadcasts a strategy message")
        self.command(demo_person("lena"), f"send {DEMO_MESSAGE} to East, West")
        p.step("2. The outbox delivers it to every rep's DM, each in their working hours")
        self.dispatch()
        self.fast_forward()
        p.step("3. Reps acknowledge")
        for handle in ("aiko", "jonas", "sam", "noah"):
            self.click_got_it(demo_person(handle))
        p.step("4. Managers ask how their team is doing")
        self.command(demo_person("marco"), "summary")
        self.command(demo_person("wendy"), "summary 7d")
        p.step("5. A rep checks what is expected of them")
        self.command(demo_person("priya"), "quiz me")
        self.tap_answer(demo_person("priya"))
        p.step("6. Roles are checked")
        self.command(demo_person("jonas"), f"send {DEMO_MESSAGE} to West")
        self.command(demo_person("marco"), "summary West")

    def interact(self, read_line: Callable[[str], str] = input) -> None:
        handles = ", ".join(person.handle for person in DEMO_PEOPLE)
        print(f"\nYour turn. Type `<person> <command text>`, e.g. `marco summary 7d`, `lena send qualify-before-you-invest to @aiko, West`"
              f", `aiko got-it`, `priya quiz me`, `priya answer 2`, `dispatch`, or `quit`.\nPeople: {handles}", file=self.printer.out)
        while True:
            try:
                line = read_line("sandbox> ").strip()
            except EOFError:
                return
            if not line:
                continue
            if line in ("quit", "exit"):
                return
            if line == "dispatch":
                self.dispatch()
                self.fast_forward()
                continue
            handle, _, text = line.partition(" ")
            try:
                person = demo_person(handle.lower())
            except StopIteration:
                print(f"Unknown person '{handle}'. People: {handles}", file=self.printer.out)
                continue
            if text.strip() == "got-it":
                self.click_got_it(person)
            elif text.strip().startswith("answer"):
                number = text.strip().removeprefix("answer").strip()
                self.tap_answer(person, int(number) - 1 if number.isdigit() else 0)
            else:
                self.command(person, text.strip())
                if text.strip().startswith("send"):
                    self.dispatch()
                    self.fast_forward()


def run_sandbox(settings: Settings, *, database: str, interactive: bool | None = None) -> int:
    logging.getLogger().setLevel(logging.WARNING)
    sandbox = Sandbox(settings, database=database)
    try:
        sandbox.demo()
        if interactive if interactive is not None else sys.stdin.isatty():
            sandbox.interact()
        else:
            print("\nSandbox demo finished. Run `drumbeat sandbox` in a terminal to try commands yourself;"
                  " to connect a real workspace, see README (drumbeat manifest).")
    finally:
        sandbox.close()
    return 0
