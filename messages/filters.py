"""Jinja filters that make user text safe to put in front of a Slack channel.

Names, team names and leaders' wording flow into Block Kit text. Without
escaping, a rep called ``<!channel>`` would ping a whole channel and a title
longer than a field would make Slack reject the entire message.
"""

from __future__ import annotations

import re
from typing import Any, Final

ELLIPSIS: Final = "…"

# An HTML-style entity that mrkdwn_escape may have produced at the very end of a cut.
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def mrkdwn_escape(value: Any) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn.

    Slack reads ``<...>`` as links and mentions (``<@U123>``, ``<!here>``);
    escaping makes such user text show literally and never notify anyone.
    ``&`` goes first so an escape is never escaped twice.
    """
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate_chars(value: Any, length: int) -> str:
    """Cut ``value`` to at most ``length`` characters, ending in an ellipsis when cut.

    Jinja's own ``truncate`` cuts at word boundaries and may leave the text
    longer than asked; Slack limits are hard, so this one never does. A cut
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
