"""Adaptive Cards as Teams renders them: schema 1.5, checked from the published schema, not the SDK's models.

Teams renders cards up to version 1.5. The check is stricter than Teams' renderer, on purpose: a card Teams
would draw with a hole (an unknown element without a `fallback`, an Input without an id, a version it does not
support) is refused here with the JSON path of the problem, so a bot's tests find it before a person does.
Element types carry the schema version that introduced them; a card may only use what its own `version`
declares.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MAX_VERSION = (1, 5)

#: Element type -> (version introduced, required properties, properties holding child elements).
ELEMENTS: dict[str, tuple[tuple[int, int], tuple[str, ...], tuple[str, ...]]] = {
    "TextBlock": ((1, 0), ("text",), ()),
    "Image": ((1, 0), ("url",), ()),
    "Media": ((1, 1), ("sources",), ()),
    "RichTextBlock": ((1, 2), ("inlines",), ()),
    "Container": ((1, 0), (), ("items",)),
    "ColumnSet": ((1, 0), (), ("columns",)),
    "Column": ((1, 0), (), ("items",)),
    "FactSet": ((1, 0), ("facts",), ()),
    "ImageSet": ((1, 0), ("images",), ("images",)),
    "ActionSet": ((1, 2), ("actions",), ()),
    "Table": ((1, 5), (), ("rows",)),
    "TableRow": ((1, 5), (), ("cells",)),
    "TableCell": ((1, 5), (), ("items",)),
    "Input.Text": ((1, 0), ("id",), ()),
    "Input.Number": ((1, 0), ("id",), ()),
    "Input.Date": ((1, 0), ("id",), ()),
    "Input.Time": ((1, 0), ("id",), ()),
    "Input.Toggle": ((1, 0), ("id", "title"), ()),
    "Input.ChoiceSet": ((1, 0), ("id",), ()),
}

#: Action type -> (version introduced, required properties).
ACTIONS: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = {
    "Action.OpenUrl": ((1, 0), ("url",)),
    "Action.Submit": ((1, 0), ()),
    "Action.ShowCard": ((1, 0), ("card",)),
    "Action.ToggleVisibility": ((1, 2), ("targetElements",)),
    "Action.Execute": ((1, 4), ()),
}

_VERSION = re.compile(r"^(\d+)\.(\d+)$")


def parse_version(value: Any) -> tuple[int, int] | None:
    match = _VERSION.match(value) if isinstance(value, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else None


class _Checker:
    def __init__(self, version: tuple[int, int]) -> None:
        self.version = version
        self.problems: list[str] = []
        self.ids: set[str] = set()

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def _id(self, item: dict[str, Any], path: str) -> None:
        ident = item.get("id")
        if ident is None:
            return
        if not isinstance(ident, str) or not ident:
            self.fail(path, "id must be a non-empty string")
        elif ident in self.ids:
            self.fail(path, f"duplicate id {ident!r}")
        else:
            self.ids.add(ident)

    def _introduced(self, since: tuple[int, int], kind: str, path: str) -> None:
        if since > self.version:
            self.fail(path, f"{kind} needs card version {since[0]}.{since[1]}")

    def element(self, item: Any, path: str) -> None:
        if not isinstance(item, dict):
            self.fail(path, "an element must be an object")
            return
        kind = item.get("type")
        spec = ELEMENTS.get(kind) if isinstance(kind, str) else None
        if spec is None:
            fallback = item.get("fallback")
            if fallback == "drop":
                return
            if isinstance(fallback, dict):
                self.element(fallback, f"{path}.fallback")
                return
            self.fail(path, f"unknown element type {kind!r} (and no fallback)")
            return
        since, required, children = spec
        self._introduced(since, kind, path)
        self._id(item, path)
        for name in required:
            if item.get(name) in (None, "", []):
                self.fail(path, f"{kind} requires {name!r}")
        for name in children:
            values = item.get(name, [])
            if not isinstance(values, list):
                self.fail(f"{path}.{name}", "must be a list")
                continue
            for index, child in enumerate(values):
                self.element(child, f"{path}.{name}[{index}]")
        self._specific(kind, item, path)

    def _specific(self, kind: str, item: dict[str, Any], path: str) -> None:
        if kind == "ActionSet":
            self.actions(item.get("actions"), f"{path}.actions")
        if kind == "FactSet":
            for index, fact in enumerate(item.get("facts") or []):
                if not (isinstance(fact, dict) and isinstance(fact.get("title"), str) and isinstance(fact.get("value"), str)):
                    self.fail(f"{path}.facts[{index}]", "a fact needs string 'title' and 'value'")
        if kind == "Input.ChoiceSet":
            for index, choice in enumerate(item.get("choices") or []):
                if not (isinstance(choice, dict) and isinstance(choice.get("title"), str) and isinstance(choice.get("value"), str)):
                    self.fail(f"{path}.choices[{index}]", "a choice needs string 'title' and 'value'")
        if "selectAction" in item:
            self.action(item["selectAction"], f"{path}.selectAction", select=True)

    def actions(self, actions: Any, path: str) -> None:
        if actions is None:
            return
        if not isinstance(actions, list):
            self.fail(path, "actions must be a list")
            return
        for index, action in enumerate(actions):
            self.action(action, f"{path}[{index}]")

    def action(self, action: Any, path: str, *, select: bool = False) -> None:
        if not isinstance(action, dict):
            self.fail(path, "an action must be an object")
            return
        kind = action.get("type")
        spec = ACTIONS.get(kind) if isinstance(kind, str) else None
        if spec is None:
            if action.get("fallback") == "drop" or isinstance(action.get("fallback"), dict):
                return
            self.fail(path, f"unknown action type {kind!r}")
            return
        since, required = spec
        self._introduced(since, kind, path)
        self._id(action, path)
        if select and kind == "Action.ShowCard":
            self.fail(path, "a selectAction cannot be Action.ShowCard")
        for name in required:
            if action.get(name) in (None, "", []):
                self.fail(path, f"{kind} requires {name!r}")
        if kind in ("Action.Submit", "Action.Execute") and "data" in action:
            if not isinstance(action["data"], (dict, str)):
                self.fail(f"{path}.data", "data must be an object or a string")
        if kind == "Action.ShowCard" and isinstance(action.get("card"), dict):
            self.body(action["card"], f"{path}.card")

    def body(self, card: dict[str, Any], path: str) -> None:
        body = card.get("body", [])
        if not isinstance(body, list):
            self.fail(f"{path}.body", "must be a list")
            body = []
        for index, item in enumerate(body):
            self.element(item, f"{path}.body[{index}]")
        self.actions(card.get("actions"), f"{path}.actions")


def check_card(card: Any) -> list[str]:
    """Problems with an Adaptive Card as Teams would show it; [] when it is fine."""
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return ["$: the content must be an object of type 'AdaptiveCard'"]
    version = parse_version(card.get("version"))
    if version is None:
        return ["$.version: an Adaptive Card must declare its version, like '1.5'"]
    if version > MAX_VERSION:
        return [f"$.version: Teams renders Adaptive Cards up to 1.5, not {card['version']}"]
    checker = _Checker(version)
    checker.body(card, "$")
    refresh = card.get("refresh")
    if isinstance(refresh, dict):
        action = refresh.get("action")
        if not (isinstance(action, dict) and action.get("type") == "Action.Execute"):
            checker.fail("$.refresh.action", "a refresh action must be Action.Execute")
    return checker.problems


def iter_actions(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every action a person can press on the card (including inside ActionSets, ShowCards, selectActions)."""
    stack: list[Any] = [card]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, str) and kind in ACTIONS:
                yield node
            for key in ("body", "items", "columns", "rows", "cells", "actions", "card", "selectAction"):
                if key in node:
                    stack.append(node[key])


def input_ids(card: dict[str, Any]) -> set[str]:
    """The ids of the card's inputs: what Action.Submit / Action.Execute gather into their data."""
    found: set[str] = set()
    stack: list[Any] = [card]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and isinstance(node.get("id"), str):
                found.add(node["id"])
            for key in ("body", "items", "columns", "rows", "cells", "actions", "card"):
                if key in node:
                    stack.append(node[key])
    return found
