"""Small Block Kit builders shared by the emulator tests (kept out of conftest.py so
test modules can import them by a name unique in the whole test tree)."""

from __future__ import annotations

from typing import Any


def button(action_id: str, value: str = "v", text: str = "Go") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "value": value, "text": {"type": "plain_text", "text": text}}


def section(text: str = "hello") -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(*blocks: dict[str, Any], title: str = "Check-in", **extra: Any) -> dict[str, Any]:
    view = {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": list(blocks) or [section()]}
    view.update(extra)
    return view
