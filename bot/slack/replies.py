"""Block Kit answers the Slack adapter gives: the core's neutral words, laid out by messages/templates/slack.

What a summary, the Home tab or the command help says is decided in `bot.core.words`; this module only picks
the template and the surface, and says which of our action ids a neutral button name stands for.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Final

from bot.core.errors import BadInput, DrumbeatError, PermissionDenied
from bot.core.home import HomeView
from bot.core.summaries import Summary
from bot.core.words.home import home_screen
from bot.core.words.screen import GIVE_FEEDBACK, MARK_DELIBERATE, Screen
from bot.core.words.summary import summary_screen
from bot.core.words.usage import usage_screen
from bot.slack.render import render_blocks
from messages.rich import Rich

# The action_id each neutral button action becomes (listeners register for these ids).
ACTIONS: Final[dict[str, str]] = {GIVE_FEEDBACK: "feedback_open", MARK_DELIBERATE: "deal_deliberate"}


def _message(template: str, context: dict[str, Any]) -> dict[str, Any]:
    rendered = render_blocks(template, context, surface="message")
    assert isinstance(rendered, dict), f"{template} must render a message object"
    return rendered


def _screen(screen: Screen) -> dict[str, Any]:
    return {"title": screen.title, "summary": screen.summary, "sections": screen.sections, "actions": ACTIONS}


def notice(text: str | Rich, icon: str | None = None) -> dict[str, Any]:
    """A short private answer; `icon` is a neutral icon name. Plain strings are shown literally: `<@U123>` or
    `<!channel>` in them never pings."""
    return _message("notice", {"text": text, "icon": icon})


def refusal(text: str | Rich) -> dict[str, Any]:
    return notice(text, "refused")


def problem(error: DrumbeatError, command: str) -> dict[str, Any]:
    """A refusal, usage help for what could not be understood, or the problem said plainly."""
    if isinstance(error, PermissionDenied):
        return refusal(error.text)
    if isinstance(error, BadInput):
        return usage(command, error.text)
    return notice(error.text, "warning")


def usage(command: str, problem: str | Rich | None = None) -> dict[str, Any]:
    if problem is None:
        return json.loads(_plain_usage(command))  # a fresh copy: callers may add to it
    return _message("screen", _screen(usage_screen(command, problem)))


@functools.lru_cache(maxsize=4)
def _plain_usage(command: str) -> str:
    """`help` is the same screen for everyone: rendered (and its Block Kit checked) once per command name."""
    return json.dumps(_message("screen", _screen(usage_screen(command, None))))


def summary_reply(summary: Summary, *, command: str, chart_coming: bool = False) -> dict[str, Any]:
    return _message("screen", _screen(summary_screen(summary, command=command, chart_coming=chart_coming)))


def home(view: HomeView) -> dict[str, Any]:
    """The Home tab for one person."""
    rendered = render_blocks("home", _screen(home_screen(view)), surface="home")
    assert isinstance(rendered, dict)
    return rendered
