"""The sandbox on Microsoft Teams (`drumbeat sandbox --teams`): the same demo organisation and demo, through the
built-in Teams emulator instead of Slack's.

The emulator plays Microsoft's side for real: the bot's token comes from its Entra token endpoint, every
activity it delivers carries a JWT the Teams SDK validates (the sandbox does not run unauthenticated), the
people's managers and Outlook time zones (Windows names) are read from its Microsoft Graph by the directory
sync, and the app is installed for everyone as an admin's policy would, so each person's chat is known before
the first broadcast. People type to the bot in its personal chat (`summary`, `quiz me`, `help`) and press the
cards' buttons; what each person sees is printed as the card's text. The leader's broadcasts are typed `send`
commands, as the Slack demo's are slash commands.

`TeamsSandbox` is a `bot.sandbox.Sandbox` with a Teams world: the outbox steps (`dispatch`, `fast_forward`) and
the prompt (`bot.sandbox_repl`) are the Slack sandbox's own; what touches the platform is overridden here.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from tzlocal.windows_tz import tz_win

from bot.app import Drumbeat
from bot.clock import SimulatedClock
from bot.core.broadcasts import AudienceSpec, send_now
from bot.core.org import import_org_csv
from bot.core.roles import identify
from bot.demo import DEMO_PEOPLE, DemoPerson, demo_person
from bot.emulators.teams import TeamsEmulator
from bot.platforms import USER_ID_FORMATS
from bot.sandbox import DEMO_MESSAGE, Sandbox, SandboxPrinter
from bot.settings import Settings, SlackSettings
from bot.teams.bridge import MESSAGING_PATH
from storage.address import Address

#: Demo people's Entra object ids: stable (uuid5 of the handle), so every sandbox run shows the same ones.
_NAMESPACE = uuid.UUID("8d1b5c0e-3f2a-4e6b-9c7d-0a1b2c3d4e5f")


def teams_id(person: DemoPerson) -> str:
    return str(uuid.uuid5(_NAMESPACE, person.handle))


def _by_slack_id(slack_id: str) -> DemoPerson | None:
    return next((p for p in DEMO_PEOPLE if p.slack_id == slack_id), None)


def demo_teams_org_csv() -> str:
    """The demo organisation as an admin would import it for Teams (Entra object ids)."""
    lines = ["teams_id,email,name,role,team,manager_teams_id"]
    for person in DEMO_PEOPLE:
        manager = _by_slack_id(person.manager)
        lines.append(",".join([teams_id(person), person.email, person.name, person.role, person.team,
                               teams_id(manager) if manager else ""]))
    return "\n".join(lines) + "\n"


def card_lines(card: dict[str, Any] | None) -> list[str]:
    """An Adaptive Card as the lines a person reads: text blocks, facts, inputs, and the buttons in brackets."""
    lines: list[str] = []
    _element_lines((card or {}).get("body") or [], lines)
    buttons = [f"[{action.get('title', '?')}]" for action in (card or {}).get("actions") or []]
    if buttons:
        lines.append(" ".join(buttons))
    return lines


def _element_lines(elements: list[Any], lines: list[str]) -> None:
    for element in elements:
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "TextBlock":
            lines.extend(str(element.get("text", "")).splitlines())
        elif kind == "RichTextBlock":
            lines.append("".join(str(i.get("text", "")) if isinstance(i, dict) else str(i)
                                 for i in element.get("inlines") or []))
        elif kind == "FactSet":
            lines.extend(f"  {fact.get('title', '')} {fact.get('value', '')}" for fact in element.get("facts") or [])
        elif kind == "Image":
            lines.append(f"(image: {element.get('altText') or 'no description'})")
        elif kind == "ActionSet":
            lines.append(" ".join(f"[{a.get('title', '?')}]" for a in element.get("actions") or []))
        elif str(kind).startswith("Input."):
            lines.append(f"({element.get('label') or element.get('id')}: an input)")
        _element_lines(element.get("items") or [], lines)
        for column in element.get("columns") or []:
            _element_lines(column.get("items") or [] if isinstance(column, dict) else [], lines)


class TeamsSandbox(Sandbox):
    """The demo in a built-in Teams tenant (its own SQLite file, recreated)."""

    def __init__(self, settings: Settings, *, database: str, out: TextIO = sys.stdout,
                 start: datetime | None = None) -> None:  # noqa: D107 - Sandbox's own set-up is Slack's: not called
        self.clock = SimulatedClock(start or datetime.now(UTC).replace(microsecond=0))
        self.printer = SandboxPrinter(out, self.clock)
        self.teams = TeamsEmulator(clock=self.clock).start()
        for person in DEMO_PEOPLE:
            manager = _by_slack_id(person.manager)
            self.teams.add_user(teams_id(person), name=person.name, email=person.email, local_timezone=person.tz,
                                mailbox_time_zone=tz_win.get(person.tz, person.tz),
                                manager_id=teams_id(manager) if manager else None)
        database_path = Path(database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database_path}{suffix}").unlink(missing_ok=True)
        emu = self.teams
        teams = replace(settings.teams, app_id=emu.app_id, app_password=emu.app_password, tenant_id=emu.tenant_id,
                        login_url=emu.login_url, openid_metadata_url=emu.openid_metadata_url, graph_url=emu.graph_url)
        self.settings = settings.with_overrides(slack=SlackSettings(), teams=teams, command="drumbeat",
                                                database_url=f"sqlite:///{database_path}")
        try:
            self.drumbeat = Drumbeat(self.settings, clock=self.clock)
        except BaseException:
            emu.stop()
            raise
        self._seen: dict[str, tuple[str, list[str]]] = {}
        self._shown_in_full: set[str] = set()
        self._views_done, self._views_shown = set(), set()
        self._files_shown = 0
        self.files_dir = database_path.with_name(f"{database_path.stem}-files")
        port = self.drumbeat.serve_http(host="127.0.0.1", port=0, background=True)
        emu.connect_bot(f"http://127.0.0.1:{port}{MESSAGING_PATH}")
        with self.drumbeat.services.unit_of_work() as session:
            import_org_csv(session, demo_teams_org_csv(), formats=USER_ID_FORMATS)

    def close(self) -> None:
        self.drumbeat.close()
        self.teams.stop()

    # --- acting as people ------------------------------------------------------------------------
    def command(self, person: DemoPerson, text: str) -> None:
        """What the person types in Drumbeat's personal chat; the answer arrives as a card."""
        self.printer.says(person, text, verb="types in Teams")
        response = self.teams.send_message(teams_id(person), text)
        if response.status != 200:
            print(f"  (Teams would show: the bot did not answer, HTTP {response.status})", file=self.printer.out)
        self.show_new_messages()

    def _press(self, person: DemoPerson, wanted: str, *, verb: str, label: str) -> bool:
        """Press the newest card action whose `data.action` is `wanted` (and, for answers, whose choice matches)."""
        for message in reversed(self.teams.inbox(teams_id(person))):
            for action in card_of(message).get("actions") or []:
                data = action.get("data") or {}
                if data.get("action") == wanted and (wanted != "answer" or data.get("choice") == label):
                    self.printer.says(person, f"[{action.get('title')}]", verb=verb)
                    self.teams.execute(teams_id(person), message["id"], title=action.get("title"))
                    self.show_new_messages()
                    return True
        return False

    def has_got_it_button(self, person: DemoPerson) -> bool:
        return any((a.get("data") or {}).get("action") == "got_it"
                   for m in self.teams.inbox(teams_id(person)) for a in card_of(m).get("actions") or [])

    def click_got_it(self, person: DemoPerson) -> None:
        if not self._press(person, "got_it", verb="presses", label=""):
            print(f"\n{person.name} has nothing to acknowledge.", file=self.printer.out)

    def tap_answer(self, person: DemoPerson, option: int = 1) -> None:
        if not self._press(person, "answer", verb="taps", label=str(option)):
            print(f"\n{person.name} has no pulse-check question with an option {option + 1} waiting: "
                  f"`{person.handle} quiz me` asks one.", file=self.printer.out)

    def home(self, person: DemoPerson) -> None:
        self.command(person, "home")

    def click_button(self, person: DemoPerson, label: str) -> None:
        wanted = label.strip().lower()
        for message in reversed(self.teams.inbox(teams_id(person))):
            for action in card_of(message).get("actions") or []:
                if action.get("type") == "Action.Execute" and wanted in str(action.get("title", "")).lower():
                    self.printer.says(person, f"[{action.get('title')}]", verb="presses")
                    self.teams.execute(teams_id(person), message["id"], title=action.get("title"))
                    self.show_new_messages()
                    return
        print(f"\n{person.name} has no button '{label}' on the cards in their chat.", file=self.printer.out)

    def open_modal(self, person: DemoPerson) -> dict | None:
        return None  # dialogs are not in the Teams sandbox yet

    def show_modal(self, person: DemoPerson, **how: Any) -> dict | None:
        return None

    def show_new_files(self) -> None:
        return None  # the Teams adapter sends no files yet

    def _show_new_dms(self) -> None:
        for person in DEMO_PEOPLE:
            for message in self.teams.inbox(teams_id(person)):
                lines = card_lines(card_of(message)) or [str(message.get("text") or "")]
                fingerprint, previous = "\n".join(lines), self._seen.get(message["id"])
                if previous is not None and previous[0] == fingerprint:
                    continue
                title = lines[0] if lines else ""
                blocks = [{"type": "section", "text": {"type": "plain_text", "text": line}} for line in lines]
                if previous is None:
                    shown = self.printer.receives(person, "new card from Drumbeat", blocks,
                                                  brief=title in self._shown_in_full)
                else:
                    shown = self.printer.receives(person, "card updated in place", blocks, already_shown=previous[1])
                self._seen[message["id"]] = (fingerprint, shown)
                self._shown_in_full.add(title)

    # --- the scripted demo ------------------------------------------------------------------------
    def demo(self) -> None:
        p = self.printer
        p.step("Drumbeat sandbox: a demo organisation in a built-in Microsoft Teams tenant")
        print("Leader Lena; managers Marco (East) and Wendy (West); reps in Tokyo, Berlin, Kolkata,\n"
              "New York, Mexico City and Sydney. Every activity below carries a signed JWT the Teams SDK checks.",
              file=p.out)
        p.step("0. The directory: managers and Outlook time zones from Microsoft Graph; the app installed for all")
        changed = self.drumbeat.sync_directory(wait=True, progress=lambda line: print(f"  {line}", file=p.out))
        for person in DEMO_PEOPLE:
            self.teams.install_app(teams_id(person))
        print(f"  {changed} people updated; Drumbeat installed in Teams for {len(DEMO_PEOPLE)} people.", file=p.out)
        p.step("1. A leader broadcasts a strategy message")
        self.broadcast(demo_person("lena"), DEMO_MESSAGE, ("East", "West"))
        self.demo_after_broadcast()

    def demo_refusals(self) -> None:
        self.command(demo_person("marco"), "summary West")

    def broadcast(self, person: DemoPerson, message_key: str, teams: tuple[str, ...]) -> None:
        """The leader types `send <key> to <teams>`, as Slack's demo types `/drumbeat send` (the broadcast dialog,
        opened by typing `broadcast`, is the form for writing a new one)."""
        self.command(person, f"send {message_key} to {', '.join(teams)}")


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    """The first Adaptive Card a message carries ({} when it has none)."""
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, dict) and isinstance(attachment.get("content"), dict):
            return attachment["content"]
    return {}
