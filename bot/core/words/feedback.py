"""A team's feedback and a person's own, as the neutral context every platform's list templates read: the same
entries, counts and thresholds in Slack and Teams, so neither adapter decides what is shown or who may reply."""

from __future__ import annotations

from typing import Any

from bot.core.broadcasts import BroadcastQueued
from bot.core.feedback import TeamFeedback
from messages.rich import Emphasis, Rich, Strong
from storage.models import Feedback


def entry(item: Feedback, who: Rich | str, *, can_reply: bool) -> dict[str, Any]:
    """One item: who (a name, "anonymous" or "you"), about what, its day (never a time), its three texts."""
    return {"id": item.id, "who": who, "about": item.about, "day": item.submitted_on.isoformat(),
            "stop": item.stop, "start": item.start, "keep": item.keep, "can_reply": can_reply}


def team_listing(view: TeamFeedback) -> dict[str, Any]:
    """`feedback list`: counts once enough people answered, named items with their authors, anonymous items
    (dates only) once enough different people answered anonymously; Reply only where the author can be reached
    (named, or anonymous with replies allowed)."""
    about_line = ", ".join(f"{count} about {about}" for about, count in sorted(view.counts.by_about.items())) \
        if view.counts else ""
    return {
        "team": view.team, "month": view.month, "people": view.people, "counts": view.counts,
        "about_line": about_line,
        "min_scores": view.thresholds.people_for_scores, "min_comments": view.thresholds.people_for_comments,
        "named": [entry(item, Rich(Strong(view.authors.get(item.author_id or 0, "someone"))), can_reply=True)
                  for item in view.named],
        "anonymous": None if view.anonymous is None else [
            entry(item, Rich(Emphasis("anonymous")), can_reply=item.reply_link is not None)
            for item in view.anonymous],
    }


def own_listing(items: list[Feedback], notice: str | Rich | None = None) -> dict[str, Any]:
    """`feedback mine`: the person's named items, each withdrawable, after what their last press did."""
    return {"notice": notice, "items": [entry(item, "you", can_reply=False) for item in items]}


def posted(title: str, queued: BroadcastQueued) -> Rich:
    """What a manager is told once their feedback request or "you said, we did" note is queued."""
    return Rich("Sent ", Strong(title), f" to {queued.recipients} people in {queued.audience_label}.")
