"""Stop / start / continue feedback in a Teams dialog, with Slack's anonymity guarantees (bot.core.feedback).

Opened by the button on every broadcast card and on the card answering a typed `feedback` (`task/fetch`,
`dialog_id == "feedback"`); submitted with `action == "feedback_send"` (`task/submit`). As in Slack:

- the submission is checked with reads (`check_feedback`), and answered at once: with the same form, its
  values and the problems under each field, or with the receipt, in the dialog itself (no message is sent to
  the author, so no chat message is timed by a submission);
- it is stored after the answer, on the background pool (`feedback.submit`, checked again), keyed by an HMAC of
  the form's random name, so a repeated submission is stored once; nothing stored names the Teams account,
  the activity or the time of day, and nothing is logged of what or whose;
- only a write that fails after the receipt is told to the author, in their chat, and that message is timed by a
  submission that left no row.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from sqlmodel import Session

from bot.core import feedback
from bot.core.errors import DrumbeatError
from bot.core.roles import identify
from bot.services import Services
from bot.teams import dialogs
from bot.teams.render import render_card
from messages.rich import Rich
from storage.address import Address
from storage.models import Person

log = logging.getLogger(__name__)

DIALOG: Final = "feedback"
SEND: Final = "feedback_send"
TITLE: Final = "Stop, start, continue"
INPUTS: Final = ("stop", "start", "keep", "about", "anonymous", "replies")
FIELDS: Final = {"stop": "stop", "start": "start", "keep": "keep", "about": "about", "anonymous": "anonymous"}


def _context(data: dict[str, Any]) -> str:
    value = data.get("context")
    return value[:200] if isinstance(value, str) else "command"


def _form(form: feedback.FeedbackForm, name: str, *, values: dict[str, str] | None = None,
          errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return dialogs.form_dialog(TITLE, "feedback_dialog", {
        "question": form.question, "min_people": form.min_people, "context": form.context, "form": name,
        "values": values or {}, "errors": errors or {}})


def draft_of(data: dict[str, Any]) -> feedback.FeedbackDraft:
    text = dialogs.text_in
    return feedback.FeedbackDraft(stop=text(data, "stop"), start=text(data, "start"), keep=text(data, "keep"),
                                  about=dialogs.choice_in(data, "about") or "strategy",
                                  anonymous=dialogs.toggled(data, "anonymous"),
                                  allow_replies=dialogs.toggled(data, "replies"))


def submission_id(form: str) -> str:
    """What the stored submission key is an HMAC of (Slack's is the modal's view id)."""
    return f"teams-dialog:{form}"


def open_form(services: Services, caller: Address, activity: dict[str, Any]) -> dialogs.TaskAnswer:
    """The empty form; a person not in the directory is told so instead."""
    try:
        with services.unit_of_work() as session:
            form = feedback.feedback_form(session, caller=identify(session, caller),
                                          context=_context(dialogs.data_of(activity)),
                                          thresholds=services.feedback_thresholds)
    except DrumbeatError as problem:
        return dialogs.notice_dialog(TITLE, problem.text, "warning")
    return _form(form, dialogs.new_form())


def check(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[dialogs.TaskAnswer, bool]:
    """(the answer: the receipt, or the form again with its problems; whether the submission is new and
    should be stored)."""
    def receipt(session: Session, person: Person, data: dict[str, Any]) -> tuple[dialogs.TaskAnswer, bool]:
        text, new = feedback.check_feedback(session, draft=draft_of(data),
                                            submission_id=submission_id(dialogs.form_in(data)),
                                            key=services.feedback_key, thresholds=services.feedback_thresholds)
        return dialogs.notice_dialog("Thank you", text, "ok"), new

    def again(session: Session, person: Person, data: dict[str, Any], problem: DrumbeatError) -> dict[str, Any]:
        form = feedback.feedback_form(session, caller=person, context=_context(data),
                                      thresholds=services.feedback_thresholds)
        return _form(form, dialogs.form_in(data), values=dialogs.typed_values(data, INPUTS),
                     errors=dialogs.field_errors(problem, FIELDS, "stop"))

    return dialogs.checked(services, caller, activity, TITLE, receipt, again)


def store(services: Services, caller: Address, activity: dict[str, Any]) -> Any | None:
    """After the receipt: stored once per form, checked again. Returns a card for the author only when nothing
    was kept (refused now, or the database failed); nothing is logged of what or whose."""
    data = dialogs.data_of(activity)
    try:
        name = dialogs.form_in(data)
        with services.unit_of_work() as session:
            feedback.submit(session, author=identify(session, caller), draft=draft_of(data),
                            submission_id=submission_id(name), key=services.feedback_key,
                            thresholds=services.feedback_thresholds, now=services.clock())
    except DrumbeatError as problem:
        return render_card("notice", {"text": Rich("Your feedback was not saved: ", problem.text), "icon": "warning"})
    except Exception:  # noqa: BLE001 - the receipt said it was sent: the author must learn it was not
        log.exception("storing a feedback submission failed")
        return render_card("notice", {"text": "Your feedback could not be stored just now, so nothing of it was kept. "
                                      "Please send it again.", "icon": "warning"})
    return None
