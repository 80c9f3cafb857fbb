"""Every action_id / callback_id / block_id Drumbeat puts in Block Kit, in one place."""

from enum import StrEnum


class ActionId(StrEnum):
    ACKNOWLEDGE = "delivery_ack"
    MESSAGE_PICK = "message_pick"
    AUDIENCE_COUNT = "audience_count"
    SCHEDULE_PAUSE = "schedule_pause"
    SCHEDULE_RESUME = "schedule_resume"
    SCHEDULE_EDIT = "schedule_edit"
    SCHEDULE_SEND_NOW = "schedule_send_now"
    SCHEDULE_CANCEL = "schedule_cancel"
    SCHEDULES_REFRESH = "schedules_refresh"


class CallbackId(StrEnum):
    BROADCAST_MODAL = "broadcast_modal"
    EDIT_MESSAGE_MODAL = "edit_message_modal"


class ModalBlock(StrEnum):
    """Input blocks of the broadcast modal; each has one element whose action_id is `<block>_input`."""

    MESSAGE = "message"
    TITLE = "title"
    BODY = "body"
    PEOPLE = "people"
    TEAMS = "teams"
    USERGROUPS = "usergroups"
    CHANNELS = "channels"
    CHANNEL_POST = "channel_post"
    ALL_REPS = "all_reps"
    EXCLUDE_PEOPLE = "exclude_people"
    EXCLUDE_TEAMS = "exclude_teams"
    EXCLUDE_USERGROUPS = "exclude_usergroups"
    WHEN = "when"
    DATE = "date"
    TIME = "time"
    KIND = "kind"
    WEEKDAYS = "weekdays"
    INTERVAL = "interval"
    DAY_OF_MONTH = "day_of_month"
    CRON = "cron"
    END_DATE = "end_date"
    COUNT = "count"
    LOCAL_TIME = "local_time"
    QUESTION = "question"
    QUESTION_MODE = "question_mode"

    @property
    def action(self) -> str:
        return f"{self.value}_input" if self is not ModalBlock.MESSAGE else ActionId.MESSAGE_PICK.value


DELIVERY_METADATA_EVENT = "drumbeat_delivery"
