"""`schedules` in Teams: a leader's broadcasts as one card, as Slack's list shows them (each broadcast's latest
occurrences with people reached, sent, waiting, away and failed, counted afresh from the outbox's rows by the
core's one query), with Pause, Resume, Send now, Cancel and Refresh as Action.Execute buttons: Teams waits for
the invoke's answer and puts the card it carries in place of the pressed one, so the list is redrawn where the
leader is looking, with the last action's outcome on top.

Every press is a claim: the presser is identified from the activity (not the card), their role checked, the
broadcast id read as digits only and owned by them (the core refuses another leader's); a refusal answers with
a sentence and leaves the card and the database as they were. A broadcast in the wrong state for the button
(paused meanwhile, say) is not a refusal: the list is shown as it is now, saying why nothing changed, as in Slack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sqlmodel import Session

from bot.core import commands, manage
from bot.core.broadcasts import BROADCASTERS
from bot.core.errors import BadInput, DrumbeatError, PermissionDenied
from bot.core.roles import identify, require_role
from bot.core.words.schedules import schedule_rows
from bot.services import Services
from bot.teams.cards import COMMAND, Card
from bot.teams.render import ADAPTIVE_CARD_TYPE, TeamsLimitError, render_card
from messages.rich import Rich
from storage.address import Address
from storage.models import Person

if TYPE_CHECKING:
    from bot.teams.answers import TypedCall

REFRESH: Final = "schedules_refresh"
#: Each row button's verb, and what the core's `manage.steer` calls it.
STEERS: Final = {f"schedule_{verb}": verb for verb in manage.STEERS}
#: How many broadcasts the card lists, tried largest first until it fits Teams' 28 KB (Slack's list shows 15).
SHOWN: Final = (15, 10, 5, 2)
MESSAGE_RESPONSE: Final = "application/vnd.microsoft.activity.message"


def schedules_card(session: Session, services: Services, caller: Person, notice: str | Rich | None = None) -> Card:
    rows = schedule_rows(manage.list_broadcasts(session, caller=caller, now=services.clock()), caller)
    for shown in SHOWN:
        try:
            return render_card("schedules", {"rows": rows[:shown], "more": max(len(rows) - shown, 0),
                                             "notice": notice, "command": COMMAND, "tz": caller.tz})
        except TeamsLimitError:
            if shown == SHOWN[-1]:
                raise
    raise AssertionError("unreachable")


def answer(call: TypedCall, parsed: commands.ListSchedules) -> list[Card]:
    """In Teams the personal chat is the DM Slack posts the list to: the card is the answer (the role is the
    core's to check, as for Slack's list)."""
    return [schedules_card(call.session, call.services, call.person)]


def press(services: Services, caller: Address, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    """A button on the list (REFRESH or one of STEERS): the invoke's answer, the list redrawn or a refusal."""
    from bot.teams.answers import id_of  # answers imports this module's handlers

    try:
        with services.unit_of_work() as session:
            person = identify(session, caller)
            require_role(person, BROADCASTERS, "manage broadcasts")
            notice: str | Rich | None = None
            if verb != REFRESH:
                broadcast_id = id_of(data.get("broadcast"))
                if not broadcast_id or verb not in STEERS:
                    raise PermissionDenied("That button does not point at a broadcast.")
                try:
                    notice = manage.steer(session, caller=person, verb=STEERS[verb], broadcast_id=broadcast_id,
                                          now=services.clock(), rules=services.rules, groups=services.groups)
                except BadInput as problem:  # about the broadcast's state, which the list then shows as it is
                    notice = problem.text
                session.flush()
            card = schedules_card(session, services, person, notice)
    except DrumbeatError as problem:
        return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": str(problem.text)}
    return {"statusCode": 200, "type": ADAPTIVE_CARD_TYPE, "value": card}


HANDLERS = {commands.ListSchedules: answer}
