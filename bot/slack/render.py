"""Slack's dialect: neutral words (`messages.rich`) as mrkdwn, our templates as Block Kit within Slack's limits.

Everything the core decides to say reaches Slack through here, so escaping happens in one place: every plain
string is escaped (a rep called `<!channel>` never pings a channel), and only the spans the core chose become
markup. The templates in `messages/templates/slack/` use the two filters defined here: `escape` for a plain
value and `rich` for words that may carry spans; `plain_text` is for Slack's few plain-text-only strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from bot.slack.blockkit import Surface, check_payload
from bot.slack.people import slack_user_id
from messages.render import Dialect, Payload, render_template
from messages.rich import Code, Emphasis, Icon, Link, Mention, PersonRef, Rich, Span, Strong, Written, plain

# One table for every neutral icon name the core uses, so an emoji is chosen once per meaning.
ICONS: Final[Mapping[str, str]] = {
    "ok": ":white_check_mark:",
    "warning": ":warning:",
    "waiting": ":inbox_tray:",
    "questions": ":bar_chart:",
    "message": ":mega:",
    "measure": ":dart:",
    "feedback": ":speech_balloon:",
    "momentum": ":chart_with_upwards_trend:",
    "puzzled": ":thinking_face:",
    "refused": ":no_entry_sign:",
    "info": ":information_source:",
    "team": ":busts_in_silhouette:",
    "link": ":link:",
    "sent": ":outbox_tray:",
    "file": ":page_facing_up:",
    "away": ":palm_tree:",
    "edit": ":pencil2:",
    "repeat": ":repeat:",
}


def icon(name: str | None) -> str:
    """A neutral icon name as its emoji ("" for none); an unknown name is a bug, caught by the tests."""
    return ICONS[name] if name else ""


class SlackMarkup(str):
    """Mrkdwn the Slack adapter wrote itself (e.g. a user group mention), passed through `rich` unescaped.

    Only adapter code builds these, from ids Slack gave it; words from the core never are.
    """


def escape(value: Any) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn.

    Slack reads ``<...>`` as links and mentions (``<@U123>``, ``<!here>``);
    escaping makes such user text show literally and never notify anyone.
    ``&`` goes first so an escape is never escaped twice.
    """
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(value: Rich | str | None) -> str:
    """Neutral words as mrkdwn: plain strings escaped, spans as Slack's markup (the templates' `rich` filter)."""
    if value is None:
        return ""
    if isinstance(value, SlackMarkup):
        return value
    spans: Iterable[Span] = value.spans if isinstance(value, Rich) else (value,)
    return "".join(_span(span) for span in spans)


def _span(span: Span) -> str:
    if isinstance(span, SlackMarkup):
        return span
    if isinstance(span, str):
        return escape(span)
    if isinstance(span, Written):
        return span.text  # a leader's own mrkdwn in a message body (the values in it are plain strings)
    if isinstance(span, Strong):
        return f"*{escape(span.text)}*" if span.text else ""
    if isinstance(span, Emphasis):
        return f"_{escape(span.text)}_" if span.text else ""
    if isinstance(span, Code):
        return f"`{escape(span.text)}`" if span.text else ""
    if isinstance(span, Mention):
        return mention(span.person)
    if isinstance(span, Icon):
        return ICONS[span.name]
    if isinstance(span, Link):
        return f"<{escape(span.url)}|{escape(span.label)}>"
    raise TypeError(f"not a rich text span: {span!r}")


def plain_text(value: Rich | str) -> str:
    """Neutral words for Slack's plain-text fields (a modal's field errors), where nothing is markup.

    Nothing is escaped there; a command keeps its backticks so it still reads as something to type, and a
    person is named with an @, since plain text cannot ping anyone.
    """
    spans: Iterable[Span] = value.spans if isinstance(value, Rich) else (value,)
    return "".join(f"`{span.text}`" if isinstance(span, Code) else
                   f"@{span.person.name}" if isinstance(span, Mention) else plain(span) for span in spans)


def mention(person: PersonRef) -> str:
    """A ping where Slack can reach the person; anyone else (another platform, no account) by name, in bold."""
    user_id = slack_user_id(person.address)
    return f"<@{user_id}>" if user_id else f"*{escape(person.name)}*"


def check_limits(payload: Payload, surface: str) -> None:
    """The dialect's limits check: Block Kit's sizes and counts for a message, a modal or the Home tab."""
    check_payload(payload, surface=surface)  # type: ignore[arg-type]  # an unknown surface is refused there


SLACK: Final = Dialect(folder="slack", filters={"escape": escape, "rich": mrkdwn, "icon": icon}, check=check_limits)


def render_blocks(
    template_name: str,
    context: Mapping[str, Any],
    *,
    surface: Surface = "message",
    templates_dir: Path | str | None = None,
) -> Payload:
    """Render ``slack/<template_name>.json.j2`` to Block Kit and check Slack's limits for ``surface``.

    Raises BlockTemplateError for a broken template and BlockKitLimitError when the content does not fit.
    """
    return render_template(SLACK, template_name, context, surface=surface, templates_dir=templates_dir)
