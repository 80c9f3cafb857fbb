"""Platform-neutral rich text: what the bot says, with references instead of markup.

The core and the outbox build sentences from spans (plain text, strong, code, a person, an icon, a link); each
platform's dialect turns them into its markup (Slack mrkdwn, Teams markdown) and escapes every plain string
there, in one place. So a rep called `<!channel>` or a team called `*East*` is shown literally everywhere, and a
new platform never has to undo another platform's formatting.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Union

from storage.address import Address


@dataclass(frozen=True)
class PersonRef:
    """A person as a reader should see them: a mention where the platform can ping them, else their name."""

    name: str
    address: Address | None = None


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Emphasis:
    text: str


@dataclass(frozen=True)
class Code:
    """A command, a key or anything to be typed exactly."""

    text: str


@dataclass(frozen=True)
class Mention:
    person: PersonRef


@dataclass(frozen=True)
class Icon:
    """A neutral icon name ("ok", "missed", "warning", ...); each dialect maps it to an emoji."""

    name: str


@dataclass(frozen=True)
class Link:
    url: str
    label: str


@dataclass(frozen=True)
class Written:
    """Text a leader wrote in a message body, in the markup of the platform it is written for (bodies are Slack
    mrkdwn today): a dialect passes it through as its own markup. Only `messages.marks` makes these, from a
    body's template text; the people's values substituted into a body stay plain strings, escaped as any."""

    text: str


Span = Union[str, Strong, Emphasis, Code, Mention, Icon, Link, Written]
Part = Union[Span, "Rich"]


class Rich:
    """An immutable sequence of spans. `str()` is the plain text (logs, the CLI, fallback notifications)."""

    __slots__ = ("spans",)

    def __init__(self, *parts: Part) -> None:
        spans: list[Span] = []
        for part in parts:
            if isinstance(part, Rich):
                spans.extend(part.spans)
            elif part != "":
                spans.append(part)
        self.spans: tuple[Span, ...] = tuple(spans)

    def __iter__(self) -> Iterator[Span]:
        return iter(self.spans)

    def __add__(self, other: Part) -> Rich:
        return Rich(self, other)

    def __radd__(self, other: Part) -> Rich:
        return Rich(other, self)

    def __bool__(self) -> bool:
        return bool(self.spans)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rich) and self.spans == other.spans

    def __hash__(self) -> int:
        return hash(self.spans)

    def __repr__(self) -> str:
        return f"Rich{self.spans!r}"

    def __str__(self) -> str:
        return "".join(plain(span) for span in self.spans)

    @staticmethod
    def join(separator: Part, items: Iterable[Part]) -> Rich:
        parts: list[Part] = []
        for index, item in enumerate(items):
            if index:
                parts.append(separator)
            parts.append(item)
        return Rich(*parts)


def plain(span: Span) -> str:
    """One span as plain text: the words without any markup."""
    if isinstance(span, str):
        return span
    if isinstance(span, Mention):
        return span.person.name
    if isinstance(span, Icon):
        return ""
    if isinstance(span, Link):
        return span.label
    return span.text


def as_rich(value: str | Rich) -> Rich:
    return value if isinstance(value, Rich) else Rich(value)
