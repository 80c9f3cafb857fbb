"""The sandbox's modals: a modal a person opens is printed, filled from the prompt and submitted as Slack would.

A mixin of `bot.sandbox.Sandbox` (it uses the sandbox's emulator, bot and printer), kept apart so each file
stays readable; what a modal looks like in the terminal, and how typed values become inputs, is
`bot.sandbox_views`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.demo import DEMO_PEOPLE, DemoPerson
from bot.emulators.slack import EmulatorError
from bot.sandbox_views import MODAL_HELP, error_lines, find_input, parse_value, view_lines

if TYPE_CHECKING:
    from bot.app import Drumbeat
    from bot.emulators.slack import SlackEmulator
    from bot.sandbox import SandboxPrinter

FORM_PROMPT = "form> "


class SandboxForms:
    emulator: SlackEmulator
    drumbeat: Drumbeat
    printer: SandboxPrinter
    _views_done: set[str]  # modals submitted, cancelled or only informative
    _views_shown: set[str]

    show_new_messages: Callable[[], None]  # the sandbox's: print what each person received since the last look
    fast_forward: Callable[[], None]  # the sandbox's: let time pass until queued deliveries are sent

    def open_modal(self, person: DemoPerson) -> dict | None:
        """The modal on top of the person's stack that they have not submitted or cancelled yet."""
        views = self.emulator.open_views(person.slack_id)
        if views and views[-1].get("type") == "modal" and views[-1]["id"] not in self._views_done:
            return views[-1]
        return None

    def show_modal(self, person: DemoPerson, *, again: bool = False,
                   filled: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> dict | None:
        """Print the person's open modal if it is new (or `again`); one without a submit button (a thank-you)
        is shown and set aside, as Slack would show it until closed."""
        view = self.open_modal(person)
        if view is None or (view["id"] in self._views_shown and not again):
            return view
        self._views_shown.add(view["id"])
        print(f"  -> {person.name} sees a modal:", file=self.printer.out)
        for line in view_lines(view, filled=filled, errors=errors):
            print(f"     {line}", file=self.printer.out)
        if not view.get("submit"):
            self._views_done.add(view["id"])
            return None
        print(f"     {MODAL_HELP}", file=self.printer.out)
        return view

    def fill_modal(self, person: DemoPerson, read_line: Callable[[str], str]) -> None:
        """Let the person fill and submit their open modal from the prompt, as `<number> <value>` lines."""
        values: dict[str, object] = {}
        filled: dict[str, str] = {}
        while (view := self.open_modal(person)) is not None:
            try:
                line = read_line(FORM_PROMPT).strip()
            except EOFError:
                return
            try:
                values, filled = self._form_step(person, view, line, values, filled)
            except EmulatorError as problem:  # what Slack itself would refuse (the bot is not involved)
                print(f"  ! Slack would not accept that: {problem}", file=self.printer.out)

    def _form_step(self, person: DemoPerson, view: dict, line: str, values: dict[str, object],
                   filled: dict[str, str]) -> tuple[dict[str, object], dict[str, str]]:
        """One typed line in an open modal; the values to keep (emptied when the bot replaced the form)."""
        word, _, rest = line.partition(" ")
        if line in ("cancel", "close"):
            self._views_done.add(view["id"])
            print(f"  ({person.name} closes the modal without submitting.)", file=self.printer.out)
        elif line == "submit":
            if self._submit(person, view, values, filled):
                return {}, {}
        elif line == "show":
            self.show_modal(person, again=True, filled=filled)
        elif (field := find_input(view, word)) is not None and rest.strip():
            try:
                value, shown = parse_value(field, rest, {p.handle: p.slack_id for p in DEMO_PEOPLE})
            except ValueError as problem:
                print(f"  ! {problem}", file=self.printer.out)
                return values, filled
            values, filled = {**values, field.key: value}, {**filled, field.key: shown}
            print(f"  {field.label}: {shown or '(empty)'}", file=self.printer.out)
            if field.dispatch:  # Slack tells the bot at once; it may update the modal (a preview)
                self.emulator.click_in_view(person.slack_id, view_id=view["id"], action_id=field.action_id,
                                            value=value)
                self.drumbeat.wait_for_background()
                self._show_changes(person, before=view, filled=filled)
        elif line:
            print(f"  Not an input of this modal: '{word}'. {MODAL_HELP}", file=self.printer.out)
        return values, filled

    def _show_changes(self, person: DemoPerson, *, before: dict, filled: dict[str, str]) -> None:
        """What the bot changed in the open modal (a preview after a pick), not the whole form again."""
        after = self.open_modal(person)
        if after is None or after.get("blocks") == before.get("blocks"):
            return
        old = set(view_lines(before, filled=filled))
        print(f"  -> {person.name}'s modal changes:", file=self.printer.out)
        for line in view_lines(after, filled=filled):
            if line not in old:
                print(f"     {line}", file=self.printer.out)

    def _submit(self, person: DemoPerson, view: dict, values: dict[str, object], filled: dict[str, str]) -> bool:
        """Submit as Slack would; True when the bot answered with another view in its place."""
        self.printer.says(person, f"[{view.get('submit', {}).get('text', 'Submit')}]", verb="clicks")
        response = self.emulator.submit_view(person.slack_id, view["id"], values)
        body = response.body if isinstance(response.body, dict) else {}
        if response.status != 200:
            print(f"  (Slack would show: the app did not respond, HTTP {response.status})", file=self.printer.out)
            return False
        if body.get("response_action") == "errors":
            print("  Drumbeat points at what to fix (`show` prints the whole form):", file=self.printer.out)
            for line in error_lines(view, body.get("errors") or {}):
                print(f"     {line}", file=self.printer.out)
            return False
        self.show_new_messages()
        still = next((v for v in self.emulator.open_views(person.slack_id) if v["id"] == view["id"]), None)
        replaced = still is not None and still.get("blocks") != view.get("blocks")
        if replaced:
            self._views_shown.discard(view["id"])
        else:
            self._views_done.add(view["id"])
        self.show_modal(person)
        self.fast_forward()
        return replaced
