"""Reading the broadcast modal's submitted state into a platform-neutral BroadcastDraft.

The shapes are checked by bot.core.broadcast_fields (the same reading as Teams' dialog); what the values
mean (a past date, an empty audience, a bad cron) is for `bot.core.broadcasts.schedule`, which reports by field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from bot.core.broadcast_fields import BroadcastFields, draft_from_fields
from bot.core.broadcasts import BroadcastDraft
from bot.slack.people import slack_address
from bot.slack.ids import ModalBlock

USERGROUP = re.compile(r"^(?:<!subteam\^)?(S[A-Z0-9]{2,})(?:\|[^>]*)?>?$")

# Where each of the core's problem fields is shown in the modal.
FIELD_BLOCKS: dict[str, str] = {field: block.value for field, block in {
    "audience": ModalBlock.PEOPLE,
    "message": ModalBlock.BODY,
    "title": ModalBlock.TITLE,
    "body": ModalBlock.BODY,
    "key": ModalBlock.TITLE,
    "when": ModalBlock.WHEN,
    "date": ModalBlock.DATE,
    "time": ModalBlock.TIME,
    "weekdays": ModalBlock.WEEKDAYS,
    "interval": ModalBlock.INTERVAL,
    "day_of_month": ModalBlock.DAY_OF_MONTH,
    "cron": ModalBlock.CRON,
    "end_date": ModalBlock.END_DATE,
    "count": ModalBlock.COUNT,
    "timezone": ModalBlock.WHEN,
    "question": ModalBlock.QUESTION,
}.items()}


def _value(values: dict[str, Any], block: ModalBlock) -> dict[str, Any]:
    return (values.get(block.value) or {}).get(block.action) or {}


def _text(values: dict[str, Any], block: ModalBlock) -> str:
    return (_value(values, block).get("value") or "").strip()


def _selected(values: dict[str, Any], block: ModalBlock) -> str | None:
    option = _value(values, block).get("selected_option")
    return option.get("value") if option else None


def _selected_many(values: dict[str, Any], block: ModalBlock) -> list[str]:
    return [option["value"] for option in _value(values, block).get("selected_options") or []]


def draft_from_state(
    values: dict[str, Any], *, today: date, usergroup_members: Callable[[str], list[str]] | None = None
) -> tuple[BroadcastDraft | None, dict[str, str]]:
    """The draft, or the field errors (by block id) that stop us building one: the modal's state as the core's
    plain form fields (bot.core.broadcast_fields), user groups expanded to their members here."""
    errors: dict[str, str] = {}
    people = list(_value(values, ModalBlock.PEOPLE).get("selected_users") or [])
    labels: list[str] = []
    for group in _text(values, ModalBlock.USERGROUPS).split():
        match = USERGROUP.match(group)
        if not match:
            errors[ModalBlock.USERGROUPS.value] = (
                f"'{group}' is not a user group ID: use the ID (S0123ABCD) from the group's profile.")
            continue
        if usergroup_members is None:
            continue
        try:
            members = usergroup_members(match.group(1))
        except LookupError as missing:
            errors[ModalBlock.USERGROUPS.value] = str(missing)
            continue
        people.extend(member for member in members if member not in people)
        labels.append(f"user group {match.group(1)}")
    fields = BroadcastFields(
        message_key=_selected(values, ModalBlock.MESSAGE),
        title=_text(values, ModalBlock.TITLE), body=_text(values, ModalBlock.BODY),
        people=tuple(slack_address(user_id) for user_id in people),
        teams=tuple(_selected_many(values, ModalBlock.TEAMS)),
        all_reps=bool(_selected_many(values, ModalBlock.ALL_REPS)), extra_labels=tuple(labels),
        when=_selected(values, ModalBlock.WHEN) or "now",
        date=_value(values, ModalBlock.DATE).get("selected_date"),
        time=_value(values, ModalBlock.TIME).get("selected_time"),
        kind=_selected(values, ModalBlock.KIND),
        weekdays=tuple(_selected_many(values, ModalBlock.WEEKDAYS)),
        interval=_selected(values, ModalBlock.INTERVAL),
        day_of_month=_text(values, ModalBlock.DAY_OF_MONTH), cron=_text(values, ModalBlock.CRON),
        end_date=_value(values, ModalBlock.END_DATE).get("selected_date"),
        count=_text(values, ModalBlock.COUNT),
        local_time=bool(_selected_many(values, ModalBlock.LOCAL_TIME)),
        question_key=_selected(values, ModalBlock.QUESTION),
        quiz_mode=_selected(values, ModalBlock.QUESTION_MODE),
    )
    return draft_from_fields(fields, today=today, errors=errors)
