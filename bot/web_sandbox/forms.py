"""A modal's inputs as HTML form fields, and the posted fields back as the values Slack would submit.

Each input is one form field named `block_id.action_id` (the key the emulator's `submit_view` takes), whose
values are the option values, user ids, dates and texts Slack itself puts in `view.state.values`; so the bot
validates exactly what it would get from Slack, and its field errors land next to the right inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.demo import DEMO_PEOPLE

FormFields = Mapping[str, list[str]]

SINGLE_CHOICE = ("static_select", "external_select", "radio_buttons", "users_select", "overflow")
MULTI_CHOICE = ("multi_static_select", "multi_external_select", "checkboxes", "multi_users_select")
PEOPLE = ("users_select", "multi_users_select")


@dataclass(frozen=True)
class Field:
    """One input of a modal as the page draws it (what it holds now: what was typed, else its initial value)."""

    key: str
    action_id: str
    kind: str
    label: str
    hint: str
    optional: bool
    dispatch: bool
    options: tuple[tuple[str, str], ...]  # (text, value)
    chosen: frozenset[str]
    text: str
    multiline: bool
    placeholder: str
    max_length: int | None
    error: str


def _plain(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def options_of(element: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """An element's options as (text, value), option groups flattened; people for a users select."""
    if element.get("type") in PEOPLE:
        return tuple((person.name, person.slack_id) for person in DEMO_PEOPLE)
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return tuple((_plain(option.get("text")), str(option.get("value"))) for option in options)


def initial_values(element: Mapping[str, Any]) -> list[str]:
    """What an element starts with, as the strings its form field would post."""
    if element.get("initial_option"):
        return [str(element["initial_option"].get("value"))]
    if element.get("initial_options"):
        return [str(option.get("value")) for option in element["initial_options"]]
    if element.get("initial_users"):
        return [str(user) for user in element["initial_users"]]
    for key in ("initial_value", "initial_date", "initial_time", "initial_user"):
        if element.get(key) not in (None, ""):
            return [str(element[key])]
    return []


def _inputs(view: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(block, block.get("element") or {}) for block in view.get("blocks") or []
            if block.get("type") == "input"]


def key_of(block: Mapping[str, Any], element: Mapping[str, Any]) -> str:
    return f"{block.get('block_id')}.{element.get('action_id')}"


def field_of(block: Mapping[str, Any], drafts: FormFields, errors: Mapping[str, str]) -> Field:
    """An input block as the page draws it, holding the visitor's draft when there is one."""
    element = block.get("element") or {}
    key = key_of(block, element)
    values = list(drafts[key]) if key in drafts else initial_values(element)
    max_length = element.get("max_length")
    return Field(
        key=key, action_id=str(element.get("action_id")), kind=str(element.get("type")),
        label=_plain(block.get("label")), hint=_plain(block.get("hint")), optional=bool(block.get("optional")),
        dispatch=bool(block.get("dispatch_action")), options=options_of(element),
        chosen=frozenset(v for v in values if v), text=values[0] if values else "",
        multiline=bool(element.get("multiline")), placeholder=_plain(element.get("placeholder")),
        max_length=int(max_length) if isinstance(max_length, int) else None,
        error=str(errors.get(str(block.get("block_id")), "")))


def slack_value(kind: str, posted: list[str]) -> Any:
    """What Slack submits for an element of this kind, from what its form field posted."""
    given = [value for value in posted if value != ""]
    if kind in MULTI_CHOICE:
        return given
    if not given:
        return None
    return given[0]


def slack_values(view: Mapping[str, Any], fields: FormFields) -> dict[str, Any]:
    """Every input's value, keyed `block_id.action_id`: an input the form did not post (no box ticked) is
    empty, as it is in Slack once the person cleared it."""
    return {key_of(block, element): slack_value(str(element.get("type")), list(fields.get(key_of(block, element), [])))
            for block, element in _inputs(view) if element.get("action_id")}


def change_value(view: Mapping[str, Any], key: str, fields: FormFields) -> tuple[str, Any] | None:
    """The action id and value Slack sends when the input `key` (one with dispatch_action) changes."""
    for block, element in _inputs(view):
        if key_of(block, element) == key and block.get("dispatch_action"):
            value = slack_value(str(element.get("type")), list(fields.get(key, [])))
            return None if value in (None, []) else (str(element.get("action_id")), value)  # a cleared pick: no event
    return None
