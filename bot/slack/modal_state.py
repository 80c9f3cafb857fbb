"""Reading the broadcast modal's submitted state into a platform-neutral BroadcastDraft.

Only shapes are checked here (a number is a number, a date is a date); what the values mean (a past
date, an empty audience, a bad cron) is for `bot.core.broadcasts.schedule`, which reports by field.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from bot.core.broadcasts import AudienceSpec, BroadcastDraft
from bot.core.library import NewMessage
from bot.slack.audience_groups import channel_ref, usergroup_ref
from bot.slack.people import slack_address
from bot.slack.ids import ModalBlock
from schedules.recurrence import Recurrence
from storage.queries.audience_groups import GroupRef

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


def _whole_number(text: str, block: ModalBlock, errors: dict[str, str], what: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        errors[block.value] = f"{what} must be a whole number, not '{text}'."
        return None
    return int(text)


def _usergroups(values: dict[str, Any], block: ModalBlock) -> tuple[GroupRef, ...]:
    """The user groups picked, by id, with the handle their option showed ("@east-sales")."""
    options = _value(values, block).get("selected_options") or []
    return tuple(usergroup_ref(option["value"], ((option.get("text") or {}).get("text") or "").lstrip("@"))
                 for option in options)


def audience_from_state(values: dict[str, Any]) -> AudienceSpec:
    """Who the leader picked and left out, as chosen: user groups and channels stay groups, resolved at each
    occurrence (bot.core.audiences)."""
    channels = tuple(channel_ref(channel_id) for channel_id in
                     dict.fromkeys(_value(values, ModalBlock.CHANNELS).get("selected_conversations") or []))
    return AudienceSpec(
        people=tuple(slack_address(user_id) for user_id in _value(values, ModalBlock.PEOPLE).get("selected_users") or []),
        teams=tuple(_selected_many(values, ModalBlock.TEAMS)),
        all_reps=bool(_selected_many(values, ModalBlock.ALL_REPS)),
        groups=(*_usergroups(values, ModalBlock.USERGROUPS), *channels),
        exclude_people=tuple(slack_address(user_id) for user_id in
                             _value(values, ModalBlock.EXCLUDE_PEOPLE).get("selected_users") or []),
        exclude_teams=tuple(_selected_many(values, ModalBlock.EXCLUDE_TEAMS)),
        exclude_groups=_usergroups(values, ModalBlock.EXCLUDE_USERGROUPS),
        post_to=channels if _selected_many(values, ModalBlock.CHANNEL_POST) else (),
    )


def draft_from_state(values: dict[str, Any], *, today: date) -> tuple[BroadcastDraft | None, dict[str, str]]:
    """The draft, or the field errors (by block id) that stop us building one."""
    errors: dict[str, str] = {}

    title, body = _text(values, ModalBlock.TITLE), _text(values, ModalBlock.BODY)
    message_key = _selected(values, ModalBlock.MESSAGE)
    new_message = NewMessage(title=title, body=body) if (title or body) else None
    if new_message is not None and message_key:
        errors[ModalBlock.TITLE.value] = "Pick a library message or write a new one, not both."

    audience = audience_from_state(values)
    recurrence = _recurrence(values, today=today, errors=errors)
    if errors:
        return None, errors
    draft = BroadcastDraft(
        audience=audience,
        message_key=message_key,
        new_message=new_message,
        recurrence=recurrence,
        local_time=bool(_selected_many(values, ModalBlock.LOCAL_TIME)),
        question_key=_selected(values, ModalBlock.QUESTION),
        quiz_mode=_selected(values, ModalBlock.QUESTION_MODE) or "missed",
    )
    return draft, {}


def _recurrence(values: dict[str, Any], *, today: date, errors: dict[str, str]) -> Recurrence | None:
    when = _selected(values, ModalBlock.WHEN) or "now"
    if when == "now":
        return None
    picked_date = _value(values, ModalBlock.DATE).get("selected_date")
    picked_time = _value(values, ModalBlock.TIME).get("selected_time")
    start = date.fromisoformat(picked_date) if picked_date else None
    at = time.fromisoformat(picked_time) if picked_time else None
    end_text = _value(values, ModalBlock.END_DATE).get("selected_date")
    end = date.fromisoformat(end_text) if end_text else None
    count = _whole_number(_text(values, ModalBlock.COUNT), ModalBlock.COUNT, errors, "The number of times")
    if when == "once":
        if start is None:
            errors[ModalBlock.DATE.value] = "Pick the date to send it."
        if at is None:
            errors[ModalBlock.TIME.value] = "Pick the time to send it."
        return Recurrence(kind="once", start=start, at=at) if start and at else None
    kind = _selected(values, ModalBlock.KIND)
    if kind is None:
        errors[ModalBlock.KIND.value] = "Pick how it repeats."
        return None
    if kind != "cron" and at is None:
        errors[ModalBlock.TIME.value] = "Pick the time of day."
        return None
    day = _whole_number(_text(values, ModalBlock.DAY_OF_MONTH), ModalBlock.DAY_OF_MONTH, errors, "The day")
    interval = _selected(values, ModalBlock.INTERVAL)
    return Recurrence(
        kind=kind,
        start=start or today,
        at=at,
        weekdays=tuple(sorted(int(day_) for day_ in _selected_many(values, ModalBlock.WEEKDAYS))),
        interval_weeks=int(interval) if interval else 2 if kind == "every_n_weeks" else 1,
        day_of_month=day,
        cron=_text(values, ModalBlock.CRON) or None,
        end_date=end,
        count=count,
    )
