"""Teams' dialect: neutral words (`messages.rich`) as the markdown an Adaptive Card's TextBlock reads, our
templates (`messages/templates/teams/`) as Adaptive Cards 1.5 within Teams' limits.

Everything the core says reaches Teams through here, so escaping happens in one place: every plain string has
the characters Teams' markdown reads (`*`, `_`, `[`, `]`, `` ` ``, `~` anywhere; `#`, `>`, `-`, `+`, `1.` at a
line's start) backslash-escaped, so a rep called `**Boss**` or `[click](https://x)` is shown as typed, and `<at>`
(Teams' mention tag) in someone's words never mentions anyone. Only the spans the core chose become markup.

`Written` spans are a leader's own body markup, written in Slack's mrkdwn today (`messages.marks`): they are
translated to Teams' markdown (bold `*x*` to `**x**`, links `<url|label>` to `[label](url)`, Slack's entity
escapes undone) rather than passed through, since mrkdwn read as markdown would show `*x*` in italics and
`<url|label>` literally. A Slack mention or broadcast in a body (`<@U123>`, `<!here>`) cannot reach anyone
on Teams and is dropped to its label.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from messages.render import Dialect, Payload, render_template
from messages.rich import Code, Emphasis, Icon, Link, Mention, PersonRef, Rich, Span, Strong, Written

ADAPTIVE_CARD_TYPE: Final = "application/vnd.microsoft.card.adaptive"
CARD_VERSION: Final = "1.5"
#: What Teams takes in one message, request body included (the issue's 28 KB; docs/teams.md).
MAX_MESSAGE_BYTES: Final = 28 * 1024
#: What the activity around a card adds to it (type, text, attachment envelope): kept free under the limit.
ENVELOPE_BYTES: Final = 1024

ICONS: Final[Mapping[str, str]] = {
    "ok": "✅", "warning": "⚠️", "waiting": "📥", "questions": "📊", "message": "📣", "measure": "🎯",
    "feedback": "💬", "momentum": "📈", "puzzled": "🤔", "refused": "🚫", "info": "ℹ️", "team": "👥",
    "link": "🔗", "sent": "📤", "file": "📄", "away": "🌴", "edit": "✏️", "repeat": "🔁",
}

_INLINE = re.compile(r"([\\`*_\[\]~])")  # emphasis, code, links, strike: anywhere in a line
_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+\.)", re.MULTILINE)  # headings, quotes, lists: at a line's start
_ANGLE = re.compile(r"[<>]")


def escape(value: Any) -> str:
    """A plain string shown literally in a TextBlock: markdown characters backslash-escaped where markdown
    reads them, and `<`/`>` replaced by look-alikes so no `<at>` tag can form (a card shows `&lt;` as is)."""
    text = _INLINE.sub(r"\\\1", str(value))
    text = _LINE_START.sub(lambda match: f"{match.group(1)}\\{match.group(2)}", text)
    return _ANGLE.sub(lambda match: "‹" if match.group(0) == "<" else "›", text)


def icon(name: str | None) -> str:
    return ICONS[name] if name else ""


_HOLE = re.compile("\ue010(\\d+)\ue011")


def markdown(value: Rich | str | None) -> str:
    """Neutral words as Teams markdown (the templates' `rich` filter).

    A leader's markup may wrap a value (`*{{ person.first_name }}*` is three spans), so the `Written` spans are
    translated together, each other span standing in as a placeholder, and put in, rendered, afterwards."""
    if value is None:
        return ""
    spans: tuple[Span, ...] = value.spans if isinstance(value, Rich) else (value,)
    if not any(isinstance(span, Written) for span in spans):
        return "".join(_span(span) for span in spans)
    rendered: list[str] = []
    parts: list[str] = []
    for span in spans:
        if isinstance(span, Written):
            parts.append(span.text.replace("\ue010", "").replace("\ue011", ""))
        else:
            parts.append(f"\ue010{len(rendered)}\ue011")
            rendered.append(_span(span))
    return _HOLE.sub(lambda match: rendered[int(match.group(1))], from_mrkdwn("".join(parts)))


def _span(span: Span) -> str:
    if isinstance(span, str):
        return escape(span)
    if isinstance(span, Written):
        return from_mrkdwn(span.text)
    if isinstance(span, Strong):
        return f"**{escape(span.text)}**" if span.text else ""
    if isinstance(span, Emphasis):
        return f"_{escape(span.text)}_" if span.text else ""
    if isinstance(span, Code):
        return f"`{span.text.replace('`', '')}`" if span.text else ""
    if isinstance(span, Mention):
        return mention(span.person)
    if isinstance(span, Icon):
        return ICONS[span.name]
    if isinstance(span, Link):
        return f"[{escape(span.label)}]({span.url.replace(')', '%29').replace(' ', '%20')})"
    raise TypeError(f"not a rich text span: {span!r}")


def mention(person: PersonRef | str) -> str:
    """A person by name, in bold: a card mention needs an `msteams.entities` entry, which this slice does not
    build (the name reads the same and pings no one)."""
    name = person.name if isinstance(person, PersonRef) else str(person)
    return f"**{escape(name)}**" if name else ""


_SLACK_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")
_SLACK_ANGLE = re.compile(r"<([^<>]*)>")
_SLACK_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_SLACK_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")


def _angle(match: re.Match[str]) -> str:
    inner = match.group(1)
    if inner.startswith(("@", "#", "!")):
        return ""  # a Slack mention, channel or broadcast: nothing it names exists on Teams
    return inner  # a bare link: Teams links URLs itself


def from_mrkdwn(text: str) -> str:
    """A leader's body markup (Slack mrkdwn) as Teams markdown."""
    text = _SLACK_LINK.sub(lambda match: f"[{match.group(2)}]({match.group(1)})" if not match.group(1).startswith(
        ("@", "#", "!")) else match.group(2), text)
    text = _SLACK_ANGLE.sub(_angle, text)
    text = _SLACK_BOLD.sub(r"**\1**", text)
    text = _SLACK_STRIKE.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class TeamsLimitError(ValueError):
    """A rendered card would not fit Teams (the Block Kit limits error, for this platform)."""


def check_limits(payload: Payload, surface: str) -> None:
    """What Teams refuses: anything but an Adaptive Card 1.5 object, and a message over 28 KB."""
    if surface not in ("message", "dialog"):
        raise TeamsLimitError(f"Teams has no {surface!r} surface")
    if not isinstance(payload, dict) or payload.get("type") != "AdaptiveCard":
        raise TeamsLimitError("a Teams message is one Adaptive Card object")
    if payload.get("version") != CARD_VERSION:
        raise TeamsLimitError(f"Teams renders Adaptive Cards {CARD_VERSION}, not {payload.get('version')!r}")
    size = len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    if size > MAX_MESSAGE_BYTES - ENVELOPE_BYTES:
        raise TeamsLimitError(f"the card is {size} bytes; a Teams message takes at most {MAX_MESSAGE_BYTES}")


TEAMS: Final = Dialect(folder="teams", filters={"escape": escape, "rich": markdown, "icon": icon,
                                                "mention": mention}, check=check_limits)


def render_card(template_name: str, context: Mapping[str, Any], *, surface: str = "message") -> dict[str, Any]:
    """`teams/<template_name>.json.j2` as an Adaptive Card, checked against Teams' limits."""
    card = render_template(TEAMS, template_name, context, surface=surface)
    assert isinstance(card, dict)
    return card
