"""The coaching card's controls in Teams: Coached (a dialog for the cause and a note), Snooze a week, Send the
rep a refresher. Every press is checked in bot.core.coaching (the rep's manager or a leader only), exactly as
in Slack; the card is re-composed from the database and shown anew.

Snooze and refresher are Action.Execute: the core acts, and the answer replaces the card in place. Coached
opens a dialog (`task/fetch`, `dialog_id == "coached"`); its submission (`action == "coached_save"`) is checked
with reads and answered at once (the same form with its problems, or closed), and written after the answer,
once per opened form, checked again; the coaching card is then updated where it was sent and the manager told
what was recorded, in their chat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sqlmodel import Session

from bot.core import coaching, showing
from bot.core.errors import DrumbeatError
from bot.core.once import claim_request
from bot.core.roles import identify
from bot.core.showing import Shown
from bot.services import Services
from bot.teams import dialogs
from messages.rich import Rich
from storage.address import Address
from storage.models import Person

DIALOG: Final = "coached"
SAVE: Final = "coached_save"
SNOOZE: Final = "coaching_snooze"
REFRESHER: Final = "coaching_refresher"
TITLE: Final = "Coached"
REFRESHER_SENT: Final = "Refresher on its way: the message again and a new question, at the rep's next working hour."


def nudge_in(data: dict[str, Any]) -> int:
    return dialogs.id_in(data, "nudge", "That button does not point at a coaching nudge I know.")


def press(services: Services, use: str, data: dict[str, Any],
          notes: list[str | Rich]) -> Callable[[Session, Person], Shown]:
    """The use case behind Snooze / Send a refresher, for the adapter's `_pressed`; what the core says about the
    press (already snoozed, a refresher on its way) is appended to `notes`."""
    def use_case(session: Session, caller: Person) -> Shown:
        nudge_id, now = nudge_in(data), services.clock()
        if use == SNOOZE:
            outcome = coaching.snooze(session, nudge_id=nudge_id, caller=caller, now=now,
                                      policy=services.coaching_policy)
        else:
            outcome = coaching.send_refresher(session, nudge_id=nudge_id, caller=caller, now=now, rules=services.rules)
        session.flush()
        if outcome.note:
            notes.append(outcome.note)
        elif use == REFRESHER:
            notes.append(REFRESHER_SENT)
        return showing.digest_now(session, outcome.nudge, now)

    return use_case


def _form(form: coaching.CoachedForm, name: str, *, values: dict[str, str] | None = None,
          errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return dialogs.form_dialog(TITLE, "coached_dialog", {
        "nudge_id": form.nudge_id, "rep": form.rep, "topic": form.topic, "causes": form.causes, "cause": form.cause,
        "form": name, "values": values or {}, "errors": errors or {}})


def open_form(services: Services, caller: Address, activity: dict[str, Any]) -> dialogs.TaskAnswer:
    """The form; refusals (someone else's rep, a forged nudge) and a nudge already settled are said instead."""
    try:
        with services.unit_of_work() as session:
            form = coaching.coached_form(session, nudge_id=nudge_in(dialogs.data_of(activity)),
                                         caller=identify(session, caller))
    except DrumbeatError as problem:
        return dialogs.refusal(TITLE, problem)
    if isinstance(form, str):
        return dialogs.notice_dialog(TITLE, form, "info")
    return _form(form, dialogs.new_form())


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    return {"nudge_id": nudge_in(data), "cause": dialogs.choice_in(data, "cause"),
            "note": dialogs.text_in(data, "note") or None}


def check(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[dialogs.TaskAnswer, bool]:
    """(the answer: closed, or the form again with its problems, or a refusal; whether to write it after)."""
    def check_coached(session: Session, person: Person, data: dict[str, Any]) -> None:
        coaching.check_coached(session, caller=person, **_fields(data))

    def again(session: Session, person: Person, data: dict[str, Any], problem: DrumbeatError) -> dict[str, Any]:
        form = coaching.coached_form(session, nudge_id=nudge_in(data), caller=person)
        if isinstance(form, str):
            return dialogs.notice_dialog(TITLE, form, "info")
        return _form(form, dialogs.form_in(data), values=dialogs.typed_values(data, ("cause", "note")),
                     errors=dialogs.field_errors(problem, {}, "note"))

    return dialogs.checked(services, caller, activity, TITLE, check_coached, again)


def write(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[Rich | str, str, Shown | None]:
    """After the answer: marked once per opened form, checked again. (what to tell the manager, its icon, the
    coaching card as it is now, to update where it was sent)."""
    data = dialogs.data_of(activity)
    try:
        with services.unit_of_work() as session:
            if not claim_request(session, dialogs.form_request(caller, dialogs.form_in(data)), services.clock()):
                return "", "", None  # an earlier delivery of this form marked it, and said so
            outcome = coaching.mark_coached(session, caller=identify(session, caller), now=services.clock(),
                                            **_fields(data))
            session.flush()
            shown = showing.digest_now(session, outcome.nudge, services.clock())
    except DrumbeatError as problem:
        return Rich("Your coaching note was not saved: ", problem.text), "warning", None
    return outcome.note or "", "ok" if outcome.changed else "info", shown
