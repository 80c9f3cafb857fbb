"""What a leader is told once a broadcast is queued, from any platform's form: the same words in Slack and Teams."""

from __future__ import annotations

from bot.core.broadcasts import BroadcastQueued
from bot.core.words.audience import reach_lines
from bot.core.words.zones import broadcast_zones_note
from messages.rich import Icon, Rich, Strong
from schedules.reader import local_time_label


def describe_queued(queued: BroadcastQueued, tz: str, *, platform: str) -> Rich:
    """`platform` names the people a preview lists as left out (their accounts are that platform's)."""
    when = "now" if queued.schedule == "now" else queued.schedule
    lines = [Rich("Scheduled ", Strong(queued.message_title), f" (v{queued.message_version}) for {queued.recipients}"
                  f" people in {queued.audience_label}: {when}.")]
    if queued.next_run:
        lines.append(Rich(f"Next: {local_time_label(queued.next_run, tz)} your time; each rep gets it at their own "
                          "local time."))
    if queued.later_count:
        lines.append(Rich(f"{queued.now_count} now, {queued.later_count} after their quiet hours, daily cap or time "
                          "away."))
    lines.extend(Rich(Icon("warning"), f" {warning}") for warning in queued.warnings)
    if queued.reach is not None:
        lines.extend(reach_lines(queued.reach, platform=platform))
    if zones := broadcast_zones_note(queued.without_zone):
        lines.append(Rich(zones))
    if queued.repeated:
        lines.append(Rich("This form was submitted before: it was scheduled once, and this is that broadcast."))
    return Rich.join("\n", lines)
