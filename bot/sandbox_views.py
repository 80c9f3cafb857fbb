"""Slack modals in the terminal, for the sandbox: what a modal shows, and turning typed answers into its inputs.

A modal is printed with its title, its text, and every input numbered with its label, its kind, whether it is
optional, its options (numbered too) and what it starts with. The person then types `<number> <value>` (or
`<block id> <value>`) for the inputs they want, `submit`, or `cancel`; the values are what Slack itself would
send, so the bot's own validation answers, and its field errors are printed next to the inputs they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from bot.slack.blocktext import blocks_to_lines, mrkdwn_to_text

SELECTS = ("static_select", "radio_buttons", "external_select")
MULTI_SELECTS = ("multi_static_select", "checkboxes", "multi_external_select")
TEXTS = ("plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input")
USERS = ("users_select", "multi_users_select")
MODAL_HELP = ("Type `<number> <value>` to fill an input (an option's number, several separated by commas, "
              "people as @handle; `<number> -` empties it), then `submit`, or `cancel`; `show` prints the form "
              "again.")


@dataclass(frozen=True)
class ModalInput:
    number: int
    block_id: str
    action_id: str
    label: str
    kind: str
    optional: bool
    options: tuple[tuple[str, str], ...]  # (text, value)
    initial: str  # what the input starts with, as text
    hint: str
    dispatch: bool  # Slack tells the bot as soon as it changes (e.g. a preview follows the pick)

    @property
    def key(self) -> str:
        return f"{self.block_id}.{self.action_id}"


def _text(obj: Any) -> str:
    return mrkdwn_to_text(str(obj.get("text", ""))) if isinstance(obj, dict) else ""


def _options(element: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return tuple((_text(option.get("text")), str(option.get("value"))) for option in options)


def _initial(element: Mapping[str, Any]) -> str:
    if element.get("initial_option"):
        return _text(element["initial_option"].get("text"))
    if element.get("initial_options"):
        return ", ".join(_text(option.get("text")) for option in element["initial_options"])
    for key in ("initial_value", "initial_date", "initial_time", "initial_user"):
        if element.get(key):
            return str(element[key])
    if element.get("initial_users"):
        return ", ".join(element["initial_users"])
    return ""


def inputs_of(view: Mapping[str, Any]) -> list[ModalInput]:
    inputs = []
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block.get("element") or {}
        inputs.append(ModalInput(
            number=len(inputs) + 1, block_id=str(block.get("block_id")), action_id=str(element.get("action_id")),
            label=_text(block.get("label")), kind=str(element.get("type")), optional=bool(block.get("optional")),
            options=_options(element), initial=_initial(element), hint=_text(block.get("hint")),
            dispatch=bool(block.get("dispatch_action"))))
    return inputs


def _describe(field: ModalInput, filled: Mapping[str, str], error: str | None) -> list[str]:
    shown = filled.get(field.key, field.initial)
    need = "optional" if field.optional else "required"
    lines = [f"  [{field.number}] {field.label} ({field.kind.replace('_', ' ')}, {need})"
             + (f": {shown}" if shown else "")]
    if field.hint:
        lines.append(f"        hint: {field.hint}")
    for index, (text, _) in enumerate(field.options[:25], start=1):
        lines.append(f"        {index}. {text}")
    if len(field.options) > 25:
        lines.append(f"        ... and {len(field.options) - 25} more (type the value)")
    if error:
        lines.append(f"        ! {error}")
    return lines


def view_lines(view: Mapping[str, Any], *, filled: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None) -> list[str]:
    """The modal as terminal lines: title, text blocks, numbered inputs with their errors, the buttons."""
    filled, errors = filled or {}, errors or {}
    inputs = {field.block_id: field for field in inputs_of(view)}
    buttons = " / ".join(f"[{_text(view.get(key))}]" for key in ("submit", "close") if view.get(key))
    lines = [f"+-- {_text(view.get('title'))} " + "-" * 20]
    for block in view.get("blocks") or []:
        field = inputs.get(str(block.get("block_id"))) if block.get("type") == "input" else None
        if field is not None:
            lines += _describe(field, filled, errors.get(field.block_id))
        else:
            lines += ["  " + line for line in blocks_to_lines([block]) if line.strip()]
    for block_id, error in errors.items():
        if block_id not in inputs:
            lines.append(f"  ! {error}")
    lines.append(f"+-- {buttons}" if buttons else "+--")
    return lines


def error_lines(view: Mapping[str, Any], errors: Mapping[str, str]) -> list[str]:
    """The bot's field errors, each under the input it names (by its number, as the form shows it)."""
    inputs = {field.block_id: field for field in inputs_of(view)}
    lines = []
    for block_id, error in errors.items():
        field = inputs.get(block_id)
        lines.append(f"[{field.number}] {field.label}: ! {error}" if field else f"! {error}")
    return lines


def find_input(view: Mapping[str, Any], name: str) -> ModalInput | None:
    for field in inputs_of(view):
        if name == str(field.number) or name in (field.block_id, field.action_id):
            return field
    return None


def _option(field: ModalInput, typed: str) -> str:
    typed = typed.strip()
    if typed.isdigit() and 1 <= int(typed) <= len(field.options):
        return field.options[int(typed) - 1][1]
    for text, value in field.options:
        if typed in (value, text) or typed.lower() == text.lower():
            return value
    if field.kind.endswith("external_select"):
        return typed
    raise ValueError(f"'{typed}' is not one of the options of '{field.label}': type its number (1-"
                     f"{len(field.options)}).")


def parse_value(field: ModalInput, typed: str, user_ids: Mapping[str, str]) -> tuple[Any, str]:
    """What Slack would send for `typed` in this input, and how to show it; ValueError says what is wrong."""
    typed = typed.strip()
    if typed == "-":
        return ([] if field.kind in MULTI_SELECTS or field.kind == "multi_users_select" else None), ""
    if field.kind in SELECTS:
        value = _option(field, typed)
        return value, dict((v, t) for t, v in field.options).get(value, value)
    if field.kind in MULTI_SELECTS:
        values = [_option(field, part) for part in typed.split(",") if part.strip()]
        names = dict((v, t) for t, v in field.options)
        return values, ", ".join(names.get(value, value) for value in values)
    if field.kind in USERS:
        handles = [part.strip().lstrip("@").lower() for part in typed.replace(" ", ",").split(",") if part.strip()]
        unknown = [handle for handle in handles if handle not in user_ids]
        if unknown:
            raise ValueError(f"Nobody called {', '.join('@' + h for h in unknown)} here. People: "
                             f"{', '.join('@' + h for h in user_ids)}.")
        ids = [user_ids[handle] for handle in handles]
        shown = ", ".join("@" + handle for handle in handles)
        return (ids if field.kind == "multi_users_select" else (ids[0] if ids else None)), shown
    if field.kind == "datepicker":
        try:
            return date.fromisoformat(typed).isoformat(), typed
        except ValueError:
            raise ValueError(f"'{typed}' is not a date: type YYYY-MM-DD, e.g. 2026-12-01.") from None
    if field.kind == "timepicker":
        try:
            return time.fromisoformat(typed).strftime("%H:%M"), typed
        except ValueError:
            raise ValueError(f"'{typed}' is not a time: type HH:MM, e.g. 09:30.") from None
    if field.kind in TEXTS:
        text = typed.replace("\\n", "\n")  # a multiline input: \n starts a new line
        return text, text.replace("\n", " / ")
    return typed, typed
