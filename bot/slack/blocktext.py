"""Block Kit as terminal text, so the sandbox can show what each person would see in Slack."""

from __future__ import annotations

import re
from typing import Any

MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


def mrkdwn_to_text(text: str) -> str:
    text = LINK.sub(r"\2 (\1)", text)
    text = MENTION.sub(r"@\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        return mrkdwn_to_text(str(obj.get("text", "")))
    return ""


def blocks_to_lines(blocks: list[dict[str, Any]] | None, fallback: str = "") -> list[str]:
    if not blocks:
        return [mrkdwn_to_text(fallback)] if fallback else []
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(_text_of(block.get("text")).upper())
        elif kind == "section":
            if block.get("text"):
                lines.extend(_text_of(block["text"]).splitlines())
            for field in block.get("fields", []):
                lines.append("  " + " ".join(_text_of(field).splitlines()))
        elif kind == "context":
            lines.append("  " + " · ".join(_text_of(element) for element in block.get("elements", [])))
        elif kind == "actions":
            buttons = [f"[{_text_of(element.get('text'))}]" for element in block.get("elements", [])]
            lines.append("  " + " ".join(buttons))
        elif kind == "divider":
            lines.append("  ---")
    return lines
