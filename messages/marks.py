"""Keeping a leader's own markup apart from the people's values substituted into it, through one render.

A leader's body is written in the platform's markup (``Hi *{{ person.first_name }}*``) but the values put into
it come from the directory: a rep whose name is ``<!channel>`` must not ping a channel when a leader greets
them. The body is rendered with Jinja's autoescaping, where the template's own text (and what its macros and
``{% set %}`` blocks built from it) is safe and every other ``{{ value }}`` is not; instead of escaping for
HTML, an unsafe value is *marked*: wrapped in two private-use characters at the moment it is written out.
``to_rich`` then cuts the output at the marks into neutral rich text: the leader's text as ``Written`` spans
(each dialect passes them through), the values as plain strings (each dialect escapes them, in one place).

Values are marked only when written, never in the context, so ``{% if person.team == "East" %}`` and
``person.name | length`` see the real value. Marks are stripped from every marked value, so a name cannot
close its own mark early; a stray mark (an odd leader's body) only makes more text count as a value, which
errs on the side of escaping.
"""

from __future__ import annotations

import re
from typing import Any, Final

from markupsafe import Markup

from messages.rich import Rich, Written

OPEN: Final = "\ue000"
CLOSE: Final = "\ue001"
_MARKS = re.compile(f"([{OPEN}{CLOSE}])")


def strip_marks(text: str) -> str:
    return text.replace(OPEN, "").replace(CLOSE, "")


def mark(value: Any) -> str:
    """One value as it is written into a body: between marks, with any marks of its own removed."""
    return f"{OPEN}{strip_marks(str(value))}{CLOSE}"


class _Value:
    """A value on its way out of a body's ``{{ }}``: marked whether or not autoescaping is on at that point
    (a leader's ``{% autoescape false %}`` turns Jinja's escape() into str())."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> Markup:
        return Markup(mark(self.text))

    def __str__(self) -> str:
        return mark(self.text)


def finalize(value: Any) -> Any:
    """The body environment's finalize: the template's own text passes, every other value is marked."""
    if hasattr(value, "__html__"):
        return value  # the leader's text, or what a macro or {% set %} block built from it (already marked inside)
    return _Value(str(value))


def safe_text(value: Any) -> str:
    """A part of a ``~`` or ``+`` that mixes the leader's text with values: the text as is, a value marked."""
    return str(value) if hasattr(value, "__html__") else mark(value)


def as_value(value: Any, *args: Any, **kwargs: Any) -> str:
    """What ``|safe``, ``|e`` and Jinja's HTML filters do in a body: nothing but make a value (escaped, then)."""
    return str(value)


def to_rich(output: str) -> Rich:
    """A rendered body as rich text: the leader's text as ``Written`` spans, each marked value as plain text."""
    parts: list[Written | str] = []
    depth = 0
    for piece in _MARKS.split(output):
        if piece == OPEN:
            depth += 1
        elif piece == CLOSE:
            depth = max(depth - 1, 0)
        elif piece:
            parts.append(piece if depth else Written(piece))
    return Rich(*parts)
