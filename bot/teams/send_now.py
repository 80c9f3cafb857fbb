"""`send <message-key> to <@person>, <team>, ...` in Teams: a leader sends a library message now, as in Slack.

Acknowledged at once (the activity's 200 is sent before anything is read: bot.teams.listeners), answered after
with what was queued; the fan-out is the outbox's, one Delivery row per recipient written in the command's
transaction, sent at each rep's own working hours. Written once per typed message (its activity id), however
often Teams delivers it. The role and the audience are the core's to check (`broadcasts.send_now`): a rep is
refused with a card saying so, a person Drumbeat has not met in Teams or an unknown team or key with the one
specific problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core import broadcasts, commands
from bot.core.once import RequestKey
from bot.core.words.queued import describe_queued
from bot.teams.cards import Card, notice_card
from bot.teams.identity import PLATFORM

if TYPE_CHECKING:
    from bot.teams.answers import TypedCall


def send(call: TypedCall, command: commands.Send) -> list[Card]:
    request = RequestKey(PLATFORM, f"message:{call.activity_id}") if call.activity_id else None
    queued = broadcasts.send_now(call.session, sender=call.person, message_key=command.message_key,
                                 audience=command.audience, now=call.services.clock(), rules=call.services.rules,
                                 request=request)
    return [notice_card(describe_queued(queued, call.person.tz, platform=PLATFORM), "message")]


HANDLERS = {commands.Send: send}
