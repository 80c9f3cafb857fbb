"""Deliberate off-strategy deals in Teams: `deal deliberate <CRM id> <reason>` and `deal clear <CRM id>` typed to
the bot, or `deal deliberate <CRM id>` alone, answered with a card whose button opens a dialog for the reason.

Every check is bot.core.deal_marks' (the deal's owner or their manager only), exactly as in Slack. The deal id a
button or a dialog carries is a claim, looked up and checked again at each step: when the card is shown, when
the dialog opens (`task/fetch`, `dialog_id == "deal"`), when it is submitted (`action == "deal_save"`, checked
with reads and answered at once: closed, or the form again with the problem under the reason) and when it is
written, after the answer, once per opened form; the outcome is then told in the person's chat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sqlmodel import Session

from bot.core import commands, deal_marks
from bot.core.errors import DrumbeatError
from bot.core.once import claim_request
from bot.core.roles import identify
from bot.services import Services
from bot.teams import dialogs
from bot.teams.render import render_card
from messages.rich import Rich
from storage.address import Address
from storage.models import Person

if TYPE_CHECKING:
    from bot.teams.answers import TypedCall

DIALOG: Final = "deal"
SAVE: Final = "deal_save"
TITLE: Final = "Deliberate deal"


def deal_in(data: dict[str, Any]) -> int:
    return dialogs.id_in(data, "deal", "That button does not point at a deal I know.")


def answer(call: TypedCall, command: commands.MarkDeal) -> list[dict[str, Any]]:
    """With a reason (or `clear`): written now. Without: a card whose button opens the dialog."""
    session, caller = call.session, call.person
    if command.clear or command.reason is not None:
        outcome = deal_marks.mark_deliberate(session, caller=caller, now=call.services.clock(),
                                             record=command.record_id, reason=command.reason)
        return [render_card("notice", {"text": outcome.note, "icon": "ok" if outcome.changed else "info"})]
    form = deal_marks.deal_form(session, caller=caller, record=command.record_id)
    return [render_card("open_dialog", {
        "text": Rich("Why pursue ", form.name, " off strategy? Your reason is shown beside it in the summary."),
        "button": "Give the reason", "dialog_id": DIALOG, "context": "command", "icon": "measure",
        "extra": {"deal": str(form.deal_id)}})]


def _form(form: deal_marks.MarkedDeal, name: str, *, values: dict[str, str] | None = None,
          errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return dialogs.form_dialog(TITLE, "deal_dialog", {
        "deal": form, "max_reason": deal_marks.MAX_REASON, "form": name,
        "values": values if values is not None else {"reason": form.reason or ""}, "errors": errors or {}})


def open_form(services: Services, caller: Address, activity: dict[str, Any]) -> dialogs.TaskAnswer:
    try:
        with services.unit_of_work() as session:
            form = deal_marks.deal_form(session, caller=identify(session, caller),
                                        deal_id=deal_in(dialogs.data_of(activity)))
    except DrumbeatError as problem:
        return dialogs.refusal(TITLE, problem)
    return _form(form, dialogs.new_form())


def check(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[dialogs.TaskAnswer, bool]:
    """(the answer: closed, or the form again with its problem, or a refusal; whether to write it after)."""
    def check_reason(session: Session, person: Person, data: dict[str, Any]) -> None:
        deal_marks.deal_form(session, caller=person, deal_id=deal_in(data))
        deal_marks.check_reason(dialogs.text_in(data, "reason"))

    def again(session: Session, person: Person, data: dict[str, Any], problem: DrumbeatError) -> dict[str, Any]:
        form = deal_marks.deal_form(session, caller=person, deal_id=deal_in(data))
        return _form(form, dialogs.form_in(data), values=dialogs.typed_values(data, ("reason",)),
                     errors=dialogs.field_errors(problem, {}, "reason"))

    return dialogs.checked(services, caller, activity, TITLE, check_reason, again)


def write(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[Rich | str, str]:
    """After the answer: written once per opened form, checked again; (what to tell the person, its icon)."""
    data = dialogs.data_of(activity)
    try:
        with services.unit_of_work() as session:
            if not claim_request(session, dialogs.form_request(caller, dialogs.form_in(data)), services.clock()):
                return "", ""  # an earlier delivery of this form wrote it, and said so
            outcome = deal_marks.mark_deliberate(session, caller=identify(session, caller), now=services.clock(),
                                                 deal_id=deal_in(data), reason=dialogs.text_in(data, "reason"))
    except DrumbeatError as problem:
        return Rich("Your reason was not saved: ", problem.text), "warning"
    return outcome.note, "ok" if outcome.changed else "info"


HANDLERS = {commands.MarkDeal: answer}
