"""The sandbox: Drumbeat wired to the built-in Slack emulator and a demo organisation, on SQLite.

It runs a short demo through the real paths (signed slash commands, the outbox, signed button clicks,
the summary) and prints what each person sees. With a terminal attached it then lets you type
commands as any demo person: modals they open are printed and filled from the prompt (bot.sandbox_views),
their Home tab is shown on request, and files the bot sends are shown (a CSV's first rows) and saved.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
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
from bot.sandbox_repl import interact
from bot.sandbox_forms import FORM_PROMPT, SandboxForms
from bot.settings import DEFAULT_DATABASE_URL, Settings
from bot.slack.blocktext import blocks_to_lines
from bot.emulators.slack import SlackEmulator
from storage.models import Delivery, DeliveryStatus

DEMO_MESSAGE = "win-on-strategy"
CSV_ROWS_SHOWN = 6  # the header and the first five rows of an exported file


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


class Sandbox(SandboxForms):
    def __init__(self, settings: Settings, *, database: str, out: TextIO = sys.stdout,
                 start: datetime | None = None) -> None:
        self.clock = SimulatedClock(start or datetime.now(UTC).replace(microsecond=0))
        self.printer = SandboxPrinter(out, self.clock)
        signing_secret = secrets.token_hex(16)
        self.emulator = SlackEmulator(signing_secret).start()
        for person in DEMO_PEOPLE:
            self.emulator.add_user(person.slack_id, name=person.handle, real_name=person.name, tz=person.tz,
                                   email=person.email)
        for person in DEMO_PEOPLE:  # every sandbox gives each person the same DM id (the bot remembers DM ids
            self.emulator.dm_channel(person.slack_id)  # per user id, process-wide: bot.slack.clicked.OWN_DMS)
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
        self._views_done: set[str] = set()  # modals submitted, cancelled or only informative
        self._views_shown: set[str] = set()
        self._files_shown = 0
        self.files_dir = database_path.with_name(f"{database_path.stem}-files")

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
        self.drumbeat.wait_for_background()
        for later in self.emulator.response_url_posts[answered_before:]:  # answers after the acknowledgement
            answer = later["body"] if isinstance(later["body"], dict) else {"text": str(later["body"])}
            self.printer.receives(person, "private answer", answer.get("blocks"), answer.get("text", ""))
        self.show_new_messages()
        self.show_modal(person)

    def has_got_it_button(self, person: DemoPerson) -> bool:
        return any(self._has_button(message, "delivery_ack") for message in self.emulator.inbox(person.slack_id))

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
        print(f"\n{person.name} has no pulse-check question with an option {option + 1} waiting: "
              f"`{person.handle} quiz me` asks one.", file=self.printer.out)

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
        """Print every DM that is new or changed since the last look, then the files the bot sent."""
        self.drumbeat.wait_for_background()
        self._show_new_dms()
        self.show_new_files()

    def _show_new_dms(self) -> None:
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
        self.demo_after_broadcast()

    def demo_after_broadcast(self) -> None:
        """The demo from delivery on, the same on every platform (bot.sandbox_teams plays it in Teams)."""
        p = self.printer
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
        self.demo_refusals()

    def demo_refusals(self) -> None:
        self.command(demo_person("jonas"), f"send {DEMO_MESSAGE} to West")
        self.command(demo_person("marco"), "summary West")

    # --- the Home tab, buttons and files ----------------------------------------------------
    def home(self, person: DemoPerson) -> None:
        self.printer.says(person, "the Home tab", verb="opens")
        self.emulator.open_home(person.slack_id)
        self.drumbeat.wait_for_background()
        view = self.emulator.home_view(person.slack_id)
        if view is None:
            print("  (Drumbeat published no Home tab.)", file=self.printer.out)
            return
        self.printer.receives(person, "Home tab", view.get("blocks"))

    def click_button(self, person: DemoPerson, label: str) -> None:
        """Click the first button whose text has every word of `label`: on the Home tab, then in the DMs, newest
        first."""
        wanted = label.strip().lower()
        home = self.emulator.home_view(person.slack_id)
        for where, blocks in [("home", (home or {}).get("blocks") or []),
                              *(((m["channel"], m["ts"]), m.get("blocks") or [])
                                for m in reversed(self.emulator.inbox(person.slack_id)))]:
            for element in _buttons(blocks):
                if all(word in str(element.get("text", {}).get("text", "")).lower() for word in wanted.split()):
                    self.printer.says(person, f"[{element['text']['text']}]", verb="clicks")
                    if where == "home":
                        self.emulator.click_in_view(person.slack_id, view_id=home["id"],  # type: ignore[index]
                                                    action_id=element["action_id"])
                    else:
                        self.emulator.click(person.slack_id, channel=where[0], ts=where[1],
                                            action_id=element["action_id"])
                    self.show_new_messages()
                    self.show_modal(person)
                    return
        print(f"\n{person.name} has no button '{label}' on their Home tab or in their DMs.", file=self.printer.out)

    def show_new_files(self) -> None:
        """Files the bot sent since the last look: saved under `files_dir` (the path is printed); a CSV's
        first rows are printed too."""
        files = self.emulator.uploaded_files
        for upload in files[self._files_shown:]:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / Path(str(upload["filename"])).name
            data = upload.get("bytes") or b""
            path.write_bytes(data)
            who = next((p.name for p in DEMO_PEOPLE if self.emulator.dm_channel(p.slack_id) == upload["channel_id"]),
                       "someone")
            print(f"  -> {who} receives a file: {upload['filename']} ({len(data):,} bytes), saved as {path}",
                  file=self.printer.out)
            if path.suffix.lower() == ".csv":
                rows = data.decode("utf-8", "replace").splitlines()
                for row in rows[:CSV_ROWS_SHOWN]:
                    print(f"     | {row}", file=self.printer.out)
                if len(rows) > CSV_ROWS_SHOWN:
                    print(f"     | ... {len(rows) - CSV_ROWS_SHOWN} more rows in the file", file=self.printer.out)
        self._files_shown = len(files)

    def interact(self, read_line: Callable[[str], str] = input) -> None:
        interact(self, read_line)


def _buttons(blocks: list[dict]) -> list[dict]:
    found = []
    for block in blocks:
        elements = block.get("elements", []) if block.get("type") == "actions" else []
        accessory = [block["accessory"]] if isinstance(block.get("accessory"), dict) else []
        found += [e for e in [*elements, *accessory] if e.get("type") == "button" and e.get("action_id")]
    return found


def drumbeat_command() -> str:
    """How to start `drumbeat` from here: the README's install puts it in .venv/bin, which is not on PATH."""
    installed = Path(sys.executable).with_name("drumbeat")
    on_path = shutil.which("drumbeat")
    if on_path and Path(on_path).resolve() == installed.resolve():
        return "drumbeat"
    if not installed.exists():
        return "drumbeat"
    try:
        return str(installed.relative_to(Path.cwd()))
    except ValueError:
        return str(installed)


def run_sandbox(settings: Settings, *, database: str, interactive: bool | None = None, teams: bool = False) -> int:
    """The demo, then the prompt when a terminal is attached; `teams`: in the built-in Teams tenant instead of
    Slack (bot.sandbox_teams)."""
    logging.getLogger().setLevel(logging.WARNING)
    if settings.database_url != DEFAULT_DATABASE_URL:
        print(f"(The sandbox keeps its demo in its own SQLite file, {database}: the DATABASE_URL you set is not "
              "used, and nothing is written to it.)")
    if teams:
        from bot.sandbox_teams import TeamsSandbox

        sandbox: Sandbox = TeamsSandbox(settings, database=database)
    else:
        sandbox = Sandbox(settings, database=database)
    try:
        sandbox.demo()
        print(f"\nPrefer a browser? `{drumbeat_command()} sandbox --web` serves this sandbox as a web page at "
              f"http://127.0.0.1:{settings.sandbox_port}/ (DMs, buttons, modals, the Home tab and a clock you move; "
              f"the same on Teams at /teams/).")
        if interactive if interactive is not None else sys.stdin.isatty():
            sandbox.interact()
        else:
            command = drumbeat_command()
            print(f"\nSandbox demo finished. Run `{command} sandbox{' --teams' if teams else ''}` in a terminal to try "
                  "commands yourself;"
                  f" to connect a real workspace, see README (`{command} manifest`).")
    finally:
        sandbox.close()
    return 0
