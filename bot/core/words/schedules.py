"""A leader's list of broadcasts as plain values for every platform's template (Slack's `schedules` blocks,
Teams' `schedules` card): the same figures, labels and occurrence progress, worded once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.manage import BroadcastRow, EditResult
from bot.core.words.figures import percent, plural
from messages.rich import Icon, Rich
from schedules.reader import local_time_label
from storage.models import Person, Role


def schedule_rows(rows: Sequence[BroadcastRow], caller: Person) -> list[dict[str, Any]]:
    """Each broadcast with its latest occurrences (people reached, sent, waiting, away, failed), times in the
    caller's zone; the author shown to admins, who see everyone's broadcasts."""
    return [{
        "id": row.id, "title": row.title, "version": row.version, "audience_label": row.audience_label,
        "schedule": row.schedule, "status": row.status,
        "next_run": local_time_label(row.next_run, caller.tz) if row.next_run else None,
        "reach": row.reach, "delivered": row.delivered, "acknowledged": row.acknowledged,
        "rate": percent(row.acknowledged, row.delivered), "author": row.author,
        "show_author": caller.role == Role.ADMIN,
        "occurrences": [{
            "label": local_time_label(occurrence.first_due, caller.tz),
            "people": plural(occurrence.people, "person", "people"), "sent": f"{occurrence.sent:,}",
            "waiting": f"{occurrence.waiting:,}", "away": f"{occurrence.away:,}" if occurrence.away else "",
            "failed": f"{occurrence.failed:,}", "finished": occurrence.finished,
        } for occurrence in row.occurrences],
    } for row in rows]


def edit_saved(result: EditResult) -> Rich:
    """What a leader is told once an edit is saved, with any other broadcast still sending another version."""
    lines = [Rich(f"Saved v{result.version}. Messages already sent keep their version; queued ones carry "
                  f"v{result.version}.")]
    lines += [Rich(Icon("warning"), f" {warning}") for warning in result.warnings]
    return Rich.join("\n", lines)
