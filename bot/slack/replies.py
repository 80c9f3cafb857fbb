"""Block Kit answers the Slack adapter gives, rendered from messages/templates/slack."""

from __future__ import annotations

from typing import Any

from bot.core.summaries import TeamSummary
from messages.render import render_blocks

COMMAND_HELP = (
    ("help", "this list"),
    ("send <message-key> to @person, Team name", "leaders: send a strategy message now, with a *Got it* button"),
    ("broadcast", "leaders: schedule a broadcast (once or recurring, at each rep's local time)"),
    ("schedules", "leaders: your broadcasts, with pause / resume / edit / send now / cancel"),
    ("summary [team] [7d|30d|90d|quarter]", "managers and leaders: reach and acknowledgement for a team"),
    ("feedback [list [team] [YYYY-MM] | mine | request <team> | <question> | yousaid <team> | <note>]",
     "stop / start / continue feedback, anonymous if you like"),
    ("quiz me", "practise a pulse-check question now (missed ones come back first)"),
    ("quiz new", "leaders: add a pulse-check question for an expectation"),
    ("away until 2026-12-01 | away 2026-12-20 to 2027-01-04 | away off", "hold your messages while you are away"),
)


def _message(template: str, context: dict[str, Any]) -> dict[str, Any]:
    rendered = render_blocks(template, context, surface="message")
    assert isinstance(rendered, dict), f"{template} must render a message object"
    return rendered


def notice(text: str, icon: str = "", *, escape: bool = False) -> dict[str, Any]:
    """`escape` shows someone's words literally: `<@U123>` or `<!channel>` in them never pings anyone."""
    if escape:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _message("notice", {"text": text, "icon": icon})


def refusal(text: str) -> dict[str, Any]:
    return notice(text, ":no_entry_sign:")


def usage(command: str, problem: str | None = None) -> dict[str, Any]:
    lines = [f"`{command} {syntax}`: {what}" for syntax, what in COMMAND_HELP]
    return _message("usage", {"command": command, "problem": problem, "lines": lines})


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else ""


def team_summary(summary: TeamSummary) -> dict[str, Any]:
    return _message(
        "summary",
        {
            "team": summary.team,
            "days": summary.days,
            "since": summary.since.strftime("%Y-%m-%d %H:%M"),
            "reach": summary.reach,
            "ack_rate": percent(summary.reach.acknowledged, summary.reach.delivered),
            "understanding": percent(summary.understanding.correct, summary.understanding.answered),
            "answered": summary.understanding.answered,
            "least_understood": [
                f"{rate.key} {percent(rate.correct, rate.answered)}" for rate in summary.expectations[:3]
            ],
            "messages": [
                {
                    "key": message.key,
                    "title": message.title,
                    "versions": message.versions,
                    "recipients": message.recipients,
                    "delivered": message.delivered,
                    "acknowledged": message.acknowledged,
                    "rate": percent(message.acknowledged, message.delivered),
                }
                for message in summary.messages
            ],
        },
    )
