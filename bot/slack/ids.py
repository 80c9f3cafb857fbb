"""Every action_id / callback_id / block_id Drumbeat puts in Block Kit, in one place."""

from enum import StrEnum


class ActionId(StrEnum):
    ACKNOWLEDGE = "delivery_ack"


class BlockId(StrEnum):
    DELIVERY_ACTIONS = "delivery_actions"


DELIVERY_METADATA_EVENT = "drumbeat_delivery"
