"""`home` in Teams: the dashboard Slack shows on its App Home tab (bot.core.home: what waits for the person,
their understanding, their teams, the organisation for leaders), as a card in the personal chat.

A command rather than a personal tab: a tab is a web page Teams frames, which would need its own HTML, the
TeamsJS library and single sign-on (an Entra token exchange) to know who is looking, a second way in to secure
beside the bot's JWT-checked activities; the command reuses the same neutral Screen, the same figures and the
same role checks, and is as live as the moment it is typed (docs/teams.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core import commands
from bot.core.home import home_for
from bot.core.words.home import home_screen
from bot.teams.cards import COMMAND, Card, fitted_screen_card
from messages.rich import Code, Rich

if TYPE_CHECKING:
    from bot.teams.answers import TypedCall

CUT = Rich("More than one card holds: ", Code(f"{COMMAND} summary <team>"), " shows each team.")


def answer(call: TypedCall, parsed: commands.ShowHome) -> list[Card]:
    view = home_for(call.session, caller=call.caller, command=COMMAND, now=call.services.clock(),
                    thresholds=call.services.feedback_thresholds)
    return [fitted_screen_card(home_screen(view), cut_note=CUT)]


HANDLERS = {commands.ShowHome: answer}
