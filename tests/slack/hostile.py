"""Hostile text people could put in front of Drumbeat, and one walk over everything Drumbeat said to Slack.

A person's name, a team's name, a title, a manager's request, a comment: each is text someone typed (or Slack's
directory supplied). Slack reads ``<...>`` in mrkdwn as links and mentions and ``&`` as the start of an escape,
so such text must reach mrkdwn escaped, and plain-text fields (headers, buttons, options, field errors) must
show it literally. `assert_nothing_became_markup` checks both over every Web API call the emulator recorded,
every response_url post and every direct answer, wherever in the payload the text is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.emulators.slack import SlackEmulator

EVIL_ID = "U0EVIL99"  # an id nobody has: a mention of it can only have come from someone's text


def hostile(label: str) -> str:
    """Text that would be a fake link, a channel ping, a mention and bold in mrkdwn, were it not escaped."""
    return f"<https://evil.example|{label}> <!channel> <@{EVIL_ID}> & *{label}*"


def shown(label: str) -> str:
    """How `hostile(label)` reads in mrkdwn once escaped (its start, which a field cut short still has)."""
    return f"&lt;https://evil.example|{label}&gt; &lt;!channel&gt; &lt;@{EVIL_ID}&gt; &amp; *{label}*"


# What the core may write as markup itself: a person it chose (a known account) and a user group it linked; and
# what leaders write in these tests' message bodies, links to example.com (hostile text links to evil.example).
_ALLOWED = re.compile(r"<@[UW][A-Z0-9]+>|<!subteam\^S[A-Z0-9]+(?:\|[^<>]*)?>|<https://example\.com/[^<>|]*\|[^<>]*>")
_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
_ESCAPED = re.compile(r"&(?:amp|lt|gt);")
_QUOTE = re.compile(r"(?m)^> ")  # a block quote the templates start a line with


@dataclass(frozen=True)
class Said:
    where: str  # the call or answer, and the path in its payload
    kind: str  # "mrkdwn" or "plain_text"
    text: str


def _texts(node: Any, where: str, *, top: bool = False) -> Iterator[Said]:
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(node.get("text"), str) and (kind in ("mrkdwn", "plain_text") or top):
            yield Said(where, kind if kind in ("mrkdwn", "plain_text") else "mrkdwn", node["text"])
        for key, value in node.items():
            if key == "errors" and isinstance(value, dict):  # a view submission's field errors: plain text
                yield from (Said(f"{where}.errors.{block}", "plain_text", str(text)) for block, text in value.items())
            elif key == "initial_comment" and isinstance(value, str):
                yield Said(f"{where}.initial_comment", "mrkdwn", value)
            elif key not in ("private_metadata", "value", "action_id", "block_id", "callback_id", "url"):
                yield from _texts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{where}[{index}]")


def everything_said(slack: SlackEmulator, answers: list[Any] = ()) -> list[Said]:  # type: ignore[assignment]
    """Every text of every Web API call, response_url post and direct answer, with where it was."""
    said: list[Said] = []
    for number, call in enumerate(slack.calls):
        said += _texts(call.args, f"{call.method}#{number}", top=call.method.startswith("chat."))
    for number, post in enumerate(slack.response_url_posts):
        said += _texts(post["body"], f"response_url#{number}", top=True)
    for number, answer in enumerate(answers):
        said += _texts(answer, f"answer#{number}", top=True)
    return said


def problems(said: Said) -> list[str]:
    """What is wrong with one text: markup the core did not choose in mrkdwn, escapes shown in plain text."""
    if said.kind == "plain_text":
        return [f"an escape shown literally: {said.text!r}"] if _ESCAPED.search(said.text) else []
    found = []
    rest = _ALLOWED.sub("", _QUOTE.sub("", said.text))
    if "<" in rest or ">" in rest:
        found.append(f"markup nobody chose: {said.text!r}")
    if _ENTITY.search(rest):
        found.append(f"an unescaped &: {said.text!r}")
    if f"<@{EVIL_ID}>" in said.text:
        found.append(f"a mention out of someone's text: {said.text!r}")
    return found


def assert_nothing_became_markup(slack: SlackEmulator, answers: list[Any] = ()) -> list[Said]:  # type: ignore[assignment]
    """Fail with every leak at once (where, and what); return what was said, for a test's own checks."""
    said = everything_said(slack, answers)
    leaks = [f"{item.where}: {problem}" for item in said for problem in problems(item)]
    assert not leaks, "\n".join(leaks)
    return said


def text_of(said: list[Said], where: str = "", kind: str = "mrkdwn") -> str:
    """All texts of one kind whose place starts with `where` (e.g. "chat.postMessage"), one per line."""
    return "\n".join(item.text for item in said if item.kind == kind and item.where.startswith(where))
