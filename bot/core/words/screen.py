"""The neutral shape of anything longer than a sentence that Drumbeat shows: a screen of sections.

A platform lays a `Screen` out its own way (Slack: header, section, fields, actions and context blocks; a
Teams card: text blocks and fact sets), so the builders in this package never choose markup, only words
(`messages.rich`) and their grouping.
"""

from __future__ import annotations

from dataclasses import dataclass

from messages.rich import Rich

# Neutral action names a button may carry; each adapter maps them to its own ids.
GIVE_FEEDBACK = "give_feedback"
MARK_DELIBERATE = "mark_deliberate"  # value: the deal's id (a claim, checked on click)


@dataclass(frozen=True)
class Field:
    """A figure with its name, shown side by side with the section's other fields."""

    label: str
    value: str | Rich


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # a neutral action name, e.g. GIVE_FEEDBACK
    value: str = ""  # what the click carries back, e.g. where it was clicked


@dataclass(frozen=True)
class Section:
    """One group on a screen: lines of text, fields or buttons, optionally set apart and titled.

    `rule` separates it from what comes before; `title` heads it (and what follows, until the next title);
    `small` marks small print (where figures come from, what else one can do). `name` identifies a section
    whose buttons an adapter must recognise when clicked.
    """

    lines: tuple[str | Rich, ...] = ()
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    title: str = ""
    rule: bool = False
    small: bool = False
    name: str = ""


@dataclass(frozen=True)
class Screen:
    """`title` heads the screen; `summary` is one plain sentence for notifications and plain-text fallbacks."""

    sections: tuple[Section, ...]
    title: str = ""
    summary: str = ""
