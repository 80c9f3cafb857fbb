"""Reading the broadcast modal's submitted state into a platform-neutral BroadcastDraft.

The shapes are checked by bot.core.broadcast_fields (the same reading as Teams' dialog); what the values
mean (a past date, an empty audience, a bad cron) is for `bot.core.broadcasts.schedule`, which reports by field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.broadcast_fields import BroadcastFields, draft_from_fields
from bot.core.broadcasts import AudienceSpec, BroadcastDraft
from bot.slack.audience_groups import channel_ref, usergroup_ref
from bot.slack.people import slack_address
from bot.slack.ids import ModalBlock
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
    """The draft, or the field errors (by block id) that stop us building one: the modal's state as the core's
    plain form fields (bot.core.broadcast_fields), the audience as the leader chose it (groups stay groups)."""
    fields = BroadcastFields(
        message_key=_selected(values, ModalBlock.MESSAGE),
        title=_text(values, ModalBlock.TITLE), body=_text(values, ModalBlock.BODY),
        audience=audience_from_state(values),
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
    return draft_from_fields(fields, today=today)
