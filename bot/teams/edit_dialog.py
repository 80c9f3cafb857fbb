"""Edit on a leader's list of broadcasts in Teams: the broadcast's message in a dialog, saved as a new version
(bot.core.manage, as Slack's edit modal): what was sent keeps its version, what is queued carries the new one.

Opened by the list's Edit button (`task/fetch`, `dialog_id == "schedule_edit"`, the broadcast's id in its data);
the role and ownership are checked when it opens and when it is submitted (`action == "schedule_edit_save"`),
since the id is a claim. The submission is checked with reads and answered at once (the form again with its
problems, or closed); the version is written after, once per opened form, and the leader told in their chat.
"""

from __future__ import annotations

from typing import Any, Final

from sqlmodel import Session

from bot.core import manage
from bot.core.errors import DrumbeatError, PermissionDenied
from bot.core.roles import identify
from bot.core.words.schedules import edit_saved
from bot.services import Services
from bot.teams import dialogs
from messages.rich import Rich
from storage.address import Address
from storage.models import Person

DIALOG: Final = "schedule_edit"
SAVE: Final = "schedule_edit_save"
TITLE: Final = "Edit message"
INPUTS: Final = ("title", "body")
FIELDS: Final = {"title": "title", "body": "body"}


def _broadcast(data: dict[str, Any]) -> int:
    from bot.teams.answers import id_of  # answers imports the list, which names this dialog

    broadcast_id = id_of(data.get("broadcast"))
    if not broadcast_id:
        raise PermissionDenied("That button does not point at a broadcast.")
    return broadcast_id


def _form(broadcast_id: int, version: int, name: str, values: dict[str, str],
          errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return dialogs.form_dialog(TITLE, "edit_dialog", {"broadcast": broadcast_id, "version": version, "form": name,
                                                      "values": values, "errors": errors or {}})


def open_form(services: Services, caller: Address, activity: dict[str, Any]) -> dialogs.TaskAnswer:
    try:
        broadcast_id = _broadcast(dialogs.data_of(activity))
        with services.unit_of_work() as session:
            message = manage.current_message(session, caller=identify(session, caller), broadcast_id=broadcast_id)
            values = {"title": message.title, "body": message.body}
            return _form(broadcast_id, message.version, dialogs.new_form(), values)
    except DrumbeatError as problem:
        return dialogs.refusal(TITLE, problem)


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    return {"broadcast_id": _broadcast(data), "title": dialogs.text_in(data, "title"),
            "body": dialogs.text_in(data, "body")}


def check(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[dialogs.TaskAnswer, bool]:
    """(the answer: closed, the form again with its problems, or a refusal; whether to write it after)."""
    def check_edit(session: Session, editor: Person, data: dict[str, Any]) -> None:
        manage.check_edit(session, caller=editor, **_fields(data))

    def again(session: Session, editor: Person, data: dict[str, Any], problem: DrumbeatError) -> dict[str, Any]:
        broadcast_id = _broadcast(data)
        message = manage.current_message(session, caller=editor, broadcast_id=broadcast_id)
        return _form(broadcast_id, message.version, dialogs.form_in(data), dialogs.typed_values(data, INPUTS),
                     dialogs.field_errors(problem, FIELDS, "title"))

    return dialogs.checked(services, caller, activity, TITLE, check_edit, again)


def write(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[Rich | None, str]:
    """After the answer: one new version per opened form, checked again. (what to tell the leader, its icon);
    None when an earlier delivery of this form saved it."""
    def save(session: Session, editor: Person, data: dict[str, Any]) -> tuple[Rich, str]:
        return edit_saved(manage.edit_message(session, caller=editor, now=services.clock(), **_fields(data))), "edit"

    return dialogs.write_once(services, caller, activity, "Your edit", save)
