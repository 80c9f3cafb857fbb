"""The sandbox's Teams world behind the web page: `bot.sandbox_teams.TeamsSandbox` (the real bot wired to the
built-in Teams emulator), and what a visitor can do in it as any demo person.

Like the Slack world it acts only through the emulator's actor: a typed command is a message activity, a
click on a card's Action.Execute an `adaptiveCard/action` invoke, an Action.Submit a message activity or (when
its data asks for one) the `task/fetch` that opens a dialog, a dialog's button a `task/submit`; each is
signed with a JWT the Teams SDK validates, and names the card's real action (its id, or its title and verb).
The emulator lets a person press only what is on the card as it is now, so a stale page cannot press a button
the bot has since replaced. The cards themselves are rendered in the browser by Microsoft's renderer.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.demo import DEMO_PEOPLE, DemoPerson
from bot.emulators.teams import EmulatorError
from bot.emulators.teams.actor import ActorResponse
from bot.sandbox_teams import TeamsSandbox, card_of, teams_id
from bot.settings import Settings
from bot.web_sandbox.world import World

CARD_ACTIONS = ("Action.Execute", "Action.Submit")


@dataclass(frozen=True)
class Press:
    """A button pressed on a card, as the renderer reports it: the action's type, its id (when the card gave it
    one), title and verb, and every input's value as Teams would send it."""

    kind: str
    title: str | None = None
    verb: str | None = None
    action_id: str | None = None
    inputs: dict[str, Any] | None = None

    def how(self) -> dict[str, Any]:
        """The emulator's keywords that pick this action (an id is exact; else its title, and verb)."""
        if self.action_id:
            return {"action_id": self.action_id, "inputs": self.inputs}
        picked: dict[str, Any] = {"title": self.title, "inputs": self.inputs}
        if self.kind == "Action.Execute" and self.verb:
            picked["verb"] = self.verb
        return picked


def teams_database(database: str) -> str:
    """The Teams world's own SQLite file beside the Slack world's (`sandbox.db` -> `sandbox-teams.db`)."""
    path = Path(database)
    return str(path.with_name(f"{path.stem}-teams{path.suffix or '.db'}"))


class TeamsWebSandbox(World):
    platform = "teams"

    def __init__(self, settings: Settings, *, database: str, start: datetime | None = None) -> None:
        log = io.StringIO()
        sandbox = TeamsSandbox(settings, database=database, out=log, start=start)
        self._start(sandbox, log)
        self.teams = sandbox.teams
        # As the terminal demo's step 0: managers and zones from Graph, the app installed for everyone (an admin's
        # policy), so each person's chat exists before the first broadcast.
        self.drumbeat.sync_directory(wait=True)
        for person in DEMO_PEOPLE:
            self.teams.install_app(teams_id(person))
        self.settle()

    # --- what the page shows ------------------------------------------------------------------
    def chat(self, person: DemoPerson) -> list[dict[str, Any]]:
        """The person's chat with the bot, oldest first: what they typed, and each bot message with its card."""
        with self.lock:
            messages = self.teams.chat(teams_id(person))
        shown = []
        for message in messages:
            card = card_of(message) or None
            mine = (message.get("from") or {}).get("aadObjectId") == teams_id(person)
            if mine and not message.get("text"):
                continue  # an Action.Submit's message activity: Teams shows no bubble for it
            shown.append({"id": message["id"], "mine": mine, "text": str(message.get("text") or ""), "card": card,
                          "edited": bool(message.get("edits")), "timestamp": str(message.get("timestamp") or "")})
        return shown

    def seen(self, person: DemoPerson) -> Any:
        return [self.chat(person), self.dialog(person)]

    def dialog(self, person: DemoPerson) -> dict[str, Any] | None:
        with self.lock:
            dialog = self.teams.dialog(teams_id(person))
        return None if dialog is None else {"title": dialog.title or "", "card": dialog.card}

    # --- what a person does ---------------------------------------------------------------------
    def command(self, person: DemoPerson, text: str) -> None:
        if not text.strip():
            self.notify(person, "Type a command to Drumbeat, e.g. `help`.")
            return
        with self.acting():
            self.sandbox.command(person, text.strip())

    def press(self, person: DemoPerson, message_id: str, press: Press) -> None:
        """A button on a card in the person's chat: Action.Execute (the answer's card replaces this one in
        place) or Action.Submit (a message to the bot, or the dialog it opens)."""
        if press.kind not in CARD_ACTIONS:
            self.notify(person, f"Teams sends nothing to the bot for {press.kind}.")
            return
        aad = teams_id(person)
        with self.acting():
            self.sandbox.printer.says(person, f"[{press.title or press.action_id}]", verb="presses")
            if press.kind == "Action.Execute":
                self._answered(person, lambda: self.teams.execute(aad, message_id, **press.how()))
            else:
                self._answered(person, lambda: self.teams.submit(aad, message_id, **press.how()))

    def submit_dialog(self, person: DemoPerson, press: Press) -> None:
        """A button in the open dialog: a `task/submit` with the inputs; the bot answers with the next card (the
        same form with its field errors, a receipt) or closes the dialog."""
        aad = teams_id(person)
        with self.acting():
            dialog = self.teams.dialog(aad)
            if dialog is None:
                return  # closed already (a second click): nothing to do
            self.sandbox.printer.says(person, f"[{press.title or press.action_id}] in the dialog "
                                              f"'{dialog.title or ''}'", verb="presses")
            picked = press.how()
            picked.pop("verb", None)
            self._answered(person, lambda: self.teams.submit_dialog(aad, picked.pop("inputs") or {}, **picked))

    def close_dialog(self, person: DemoPerson) -> None:
        with self.lock:
            if self.teams.close_dialog(teams_id(person)):
                print(f"\n({person.name} closes the dialog.)", file=self.log)

    def _answered(self, person: DemoPerson, deliver: Any) -> ActorResponse | None:
        """Deliver an activity; what Teams itself would refuse, or a bot that did not answer, becomes a notice."""
        try:
            response: ActorResponse = deliver()
        except EmulatorError as problem:
            self.notify(person, f"Teams would not do that: {problem}")
            return None
        if not response.ok:
            self.notify(person, f"Teams would show: the bot did not respond (HTTP {response.status}).")
        elif response.card_problems:
            self.notify(person, f"Teams would not show the bot's card: {'; '.join(response.card_problems[:3])}")
        return response

