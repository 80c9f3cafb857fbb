"""Slack's mrkdwn as HTML for the page: the one place the page turns the bot's text into markup.

People's text reaches the page inside the bot's messages, so everything is HTML-escaped first: Slack's own
escapes (`&lt;`, `&gt;`, `&amp;`) are undone, the result is escaped with markupsafe, and only then are Slack's
formatting marks (*bold*, _italic_, ~strike~, `code`, ```pre```, > quotes) turned into tags, which adds markup
around escaped text and never lets text become markup. Links keep only http(s) and mailto targets; mentions
show the person's name. Emoji shortcodes become characters (the `emoji` library's alias names, as Slack's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import emoji
from markupsafe import Markup, escape

SPECIAL = re.compile(r"<([^<>]+)>")
SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
FORMATS = (
    (re.compile(r"```(.+?)```", re.DOTALL), "<pre>{}</pre>"),
    (re.compile(r"`([^`\n]+)`"), "<code>{}</code>"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "<b>{}</b>"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "<i>{}</i>"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "<s>{}</s>"),
)


def _unslack(text: str) -> str:
    """Slack's three escapes back to the characters they stand for."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plain_html(text: str) -> str:
    """Literal text: unescaped from Slack's escapes, emoji shortcodes as characters, then HTML-escaped."""
    return str(escape(emoji.emojize(_unslack(text), language="alias")))


def _special(token: str, names: Mapping[str, str]) -> str:
    """A `<...>` token: a mention, a channel, @here, a date with its fallback, or a link."""
    target, _, label = token.partition("|")
    if target.startswith("@"):
        name = names.get(target[1:]) or label or target[1:]
        return f'<span class="mention">@{escape(name)}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{escape(label or target[1:])}</span>'
    if target.startswith("!"):
        word = label or target[1:].split("^", 1)[0]
        return f'<span class="mention">{escape(word if target.startswith("!date") else "@" + word)}</span>'
    if SAFE_LINK.match(target):
        return f'<a href="{escape(_unslack(target))}" rel="noopener noreferrer" target="_blank">' \
               f'{_plain_html(label or target)}</a>'
    return _plain_html(f"<{token}>")


def _formatted(html: str) -> str:
    for pattern, tag in FORMATS:
        html = pattern.sub(lambda match, tag=tag: tag.format(match.group(1)), html)
    lines = html.split("\n")
    lines = [f'<span class="quote">{line[4:].lstrip()}</span>' if line.startswith("&gt;") else line for line in lines]
    return "<br>".join(lines)


def mrkdwn_html(text: str, names: Mapping[str, str] | None = None) -> Markup:
    """Slack mrkdwn as safe HTML; `names` maps user ids to the names mentions show."""
    names = names or {}
    parts, last = [], 0
    for match in SPECIAL.finditer(text):
        parts.append(_formatted(_plain_html(text[last:match.start()])))
        parts.append(_special(match.group(1), names))
        last = match.end()
    parts.append(_formatted(_plain_html(text[last:])))
    return Markup("".join(parts))


def text_html(obj: Any, names: Mapping[str, str] | None = None) -> Markup:
    """A Block Kit text object (mrkdwn or plain_text) as safe HTML; anything else as nothing."""
    if not isinstance(obj, dict):
        return Markup("")
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_html(text, names)
    return Markup(escape(emoji.emojize(text, language="alias") if obj.get("emoji", True) else text))
