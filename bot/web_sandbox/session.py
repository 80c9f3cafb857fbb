"""The one sandbox behind the web page, and what a visitor can do in it as any demo person.

It wraps `bot.sandbox.Sandbox` (the real bot wired to the built-in Slack emulator, as the terminal sandbox runs
it) and acts only through the emulator's actor, so every click, command and submission is the signed request
Slack would send. The terminal sandbox's printer still writes its conversation log, which the page shows.
The lock, settling after each act, notices and the log are `bot.web_sandbox.world`'s, shared with Teams'.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.demo import DEMO_PEOPLE, DemoPerson
from bot.emulators.slack import EmulatorError
from bot.sandbox import Sandbox
from bot.settings import Settings
from bot.web_sandbox.forms import FormFields, change_value, slack_values
from bot.web_sandbox.world import World


@dataclass
class PersonState:
    """What the page remembers for one person between requests: per open modal the values typed so far (Slack
    keeps them while the bot updates the modal) and the bot's field errors."""

    drafts: dict[str, FormFields] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)


class WebSandbox(World):
    platform = "slack"

    def __init__(self, settings: Settings, *, database: str, start: datetime | None = None) -> None:
        log = io.StringIO()
        self._start(Sandbox(settings, database=database, out=log, start=start), log)
        self.emulator = self.sandbox.emulator
        self._state = {person.handle: PersonState() for person in DEMO_PEOPLE}

    # --- what the page shows ------------------------------------------------------------------
    def stream(self, person: DemoPerson) -> list[dict[str, Any]]:
        """The person's DM with the bot, oldest first: the bot's messages and the private answers only they see."""
        with self.lock:
            messages = [{**m, "ephemeral": False} for m in self.emulator.inbox(person.slack_id)]
            private = [{**e, "ephemeral": True, "files": []} for e in self.emulator.ephemerals(person.slack_id)]
        return sorted(messages + private, key=lambda m: float(m["ts"]))

    def seen(self, person: DemoPerson) -> Any:
        modal = self.modal(person)
        return [self.stream(person), modal and modal.get("id"), modal and modal.get("blocks")]

    def home_view(self, person: DemoPerson) -> dict[str, Any] | None:
        with self.lock:
            return self.emulator.home_view(person.slack_id)

    def modal(self, person: DemoPerson) -> dict[str, Any] | None:
        with self.lock:
            return self.sandbox.open_modal(person)

    def draft(self, person: DemoPerson, view_id: str) -> tuple[FormFields, dict[str, str]]:
        state = self._state[person.handle]
        return state.drafts.get(view_id, {}), state.errors.get(view_id, {})

    def file(self, file_id: str) -> dict[str, Any] | None:
        with self.lock:
            return next((f for f in self.emulator.uploaded_files if f["file_id"] == file_id), None)

    # --- what a person does ---------------------------------------------------------------------
    def command(self, person: DemoPerson, text: str) -> None:
        if not text.strip():
            self.notify(person, f"Type what follows {self.command_name}, e.g. `help`.")
            return
        with self.acting():
            self.sandbox.command(person, text.strip())

    def open_home(self, person: DemoPerson) -> None:
        with self.acting():
            self.sandbox.home(person)

    def click_message(self, person: DemoPerson, *, channel: str, ts: str, action_id: str, value: Any,
                      label: str = "") -> None:
        """A click (or a pick) on an element of a message in the person's DM."""
        with self.acting():
            self._says_click(person, label)
            self._answered(person, lambda: self.emulator.click(person.slack_id, channel=channel, ts=ts,
                                                               action_id=action_id, value=value))

    def click_view(self, person: DemoPerson, *, view_id: str, action_id: str, value: Any, label: str = "") -> None:
        """A click on an element of the Home tab or of a modal that is not one of the modal's inputs."""
        with self.acting():
            self._says_click(person, label)
            self._answered(person, lambda: self.emulator.click_in_view(person.slack_id, view_id=view_id,
                                                                       action_id=action_id, value=value))

    def close_modal(self, person: DemoPerson, view_id: str) -> None:
        with self.lock:
            self.sandbox._views_done.add(view_id)
            self._forget(person, view_id)
            print(f"\n({person.name} closes the modal.)", file=self.log)

    def change_input(self, person: DemoPerson, view: dict[str, Any], key: str, fields: FormFields) -> None:
        """An input with dispatch_action changed: keep what was typed, and tell the bot as Slack would."""
        self._state[person.handle].drafts[view["id"]] = dict(fields)
        found = change_value(view, key, fields)
        if found is None:
            return
        action_id, value = found
        self.click_view(person, view_id=view["id"], action_id=action_id, value=value)

    def submit_modal(self, person: DemoPerson, view: dict[str, Any], fields: FormFields) -> None:
        """Submit the modal with the values typed, as Slack would; the bot's field errors are kept to show."""
        state = self._state[person.handle]
        state.drafts[view["id"]] = dict(fields)
        with self.acting():
            label = (view.get("submit") or {}).get("text", "Submit")
            self.sandbox.printer.says(person, f"[{label}] in the modal '{(view.get('title') or {}).get('text', '')}'",
                                      verb="clicks")
            response = self._answered(person, lambda: self.emulator.submit_view(
                person.slack_id, view["id"], slack_values(view, fields)))
            body = response.body if response is not None and isinstance(response.body, dict) else {}
            if body.get("response_action") == "errors":
                state.errors[view["id"]] = {str(k): str(v) for k, v in (body.get("errors") or {}).items()}
                print(f"  Drumbeat points at what to fix: {state.errors[view['id']]}", file=self.log)
                return
            if response is None or response.status != 200:
                return
            still = next((v for v in self.emulator.open_views(person.slack_id) if v["id"] == view["id"]), None)
            if still is None or still.get("blocks") == view.get("blocks"):
                self.sandbox._views_done.add(view["id"])
            self._forget(person, view["id"])

    def _says_click(self, person: DemoPerson, label: str) -> None:
        if label:
            self.sandbox.printer.says(person, f"[{label}]", verb="clicks")

    def _forget(self, person: DemoPerson, view_id: str) -> None:
        state = self._state[person.handle]
        state.drafts.pop(view_id, None)
        state.errors.pop(view_id, None)

    def _answered(self, person: DemoPerson, deliver: Any) -> Any:
        """Deliver a request; what Slack itself would refuse, or an app that did not answer, becomes a notice."""
        try:
            response = deliver()
        except EmulatorError as problem:
            self.notify(person, f"Slack would not do that: {problem}")
            return None
        if response.status != 200:
            self.notify(person, f"Slack would show: the app did not respond (HTTP {response.status}).")
        return response


def form_fields(pairs: Mapping[str, list[str]]) -> FormFields:
    """The posted form as name -> every value given (selects and checkboxes send several)."""
    return {name: list(values) for name, values in pairs.items()}
