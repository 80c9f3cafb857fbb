"""Jinja filters every template may use, whatever the platform.

Names, team names and leaders' wording flow into fields with hard size limits;
a title longer than a field would make the platform reject the entire message.
Escaping is each platform's own business (its dialect's filters, e.g.
``bot/slack/render.py``).
"""

from __future__ import annotations

import re
from typing import Any, Final

ELLIPSIS: Final = "…"

# An HTML-style entity that a platform's escaping may have produced at the very end of a cut.
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def truncate_chars(value: Any, length: int) -> str:
    """Cut ``value`` to at most ``length`` characters, ending in an ellipsis when cut.

    Jinja's own ``truncate`` cuts at word boundaries and may leave the text
    longer than asked; platforms' limits are hard, so this one never does. A cut
    never leaves half of an ``&amp;``-style escape behind.
    """
    if length < 1:
        raise ValueError(f"truncate_chars needs a length of at least 1, got {length}")
    text = str(value)
    if len(text) <= length:
        return text
    kept = text[: length - len(ELLIPSIS)]
    partial = _PARTIAL_ENTITY.search(kept)
    if partial and re.match(r"&(amp|lt|gt);", text[partial.start() :]):
        kept = kept[: partial.start()]
    return kept + ELLIPSIS
