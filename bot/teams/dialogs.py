"""Teams dialogs (task modules), the parts every form shares: reading what a `task/fetch` or `task/submit`
carries, answering with a dialog (a form, the same form with its errors, a receipt) or closing it, and naming
each opened form so its submission is acted on once.

Teams gives a dialog no id of its own (Slack gives a modal its view id), so the bot names each form it opens:
a random `form` value in the form's submit action. It is only ever a claim: it decides nothing but which
earlier submission a repeat is (`form_request`, keyed with the submitter's account, so nobody can collide
with another person's form); who may submit, and what, is checked on every submission.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any, Final

from sqlmodel import Session

from bot.core.broadcasts import DraftProblems
from bot.core.errors import BadInput, DrumbeatError, PermissionDenied
from bot.core.once import RequestKey, claim_request
from bot.core.roles import identify
from bot.services import Services
from bot.teams.identity import PLATFORM
from bot.teams.render import ADAPTIVE_CARD_TYPE, render_card
from messages.rich import Rich
from storage.address import Address
from storage.models import Person

TaskAnswer = dict[str, Any] | None
#: What the SDK routes a dialog's submission by (`app.on_dialog_submit(<action>)`) and its form name.
FORM: Final = "form"
_FORM = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: Longest text Drumbeat reads from any one dialog field: far above every field's own limit, so the core's
#: own message ("1,204 characters; the limit is 1,000") is what a person sees, and a megabyte is never cleaned.
MAX_FIELD_CHARS: Final = 20_000


def data_of(activity: dict[str, Any]) -> dict[str, Any]:
    """What a `task/fetch` / `task/submit` invoke carries: the action's data merged with the form's inputs."""
    data = (activity.get("value") or {}).get("data")
    return data if isinstance(data, dict) else {}


def text_in(data: Mapping[str, Any], name: str) -> str:
    """A text input's value ("" when absent or not text); cut far above any limit the core states."""
    value = data.get(name)
    return value[:MAX_FIELD_CHARS] if isinstance(value, str) else ""


def choice_in(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) and value else None


def choices_in(data: Mapping[str, Any], name: str) -> list[str]:
    """A multi-select ChoiceSet's values (Teams sends them comma-separated)."""
    value = data.get(name)
    return [part for part in value.split(",") if part] if isinstance(value, str) else []


def toggled(data: Mapping[str, Any], name: str) -> bool:
    return data.get(name) == "true"


def new_form() -> str:
    """The name of a form being opened (random: it identifies nobody)."""
    return secrets.token_urlsafe(16)


def form_in(data: Mapping[str, Any]) -> str:
    """The submitted form's name, refused unless it has the shape `new_form` gives."""
    value = data.get(FORM)
    if not isinstance(value, str) or not _FORM.match(value):
        raise BadInput("That form did not come from Drumbeat. Open it again and resubmit.")
    return value


def form_request(caller: Address, form: str) -> RequestKey:
    """The receipt naming one submitted form, across Teams' and the person's repeats."""
    return RequestKey(PLATFORM, f"dialog:{caller.user_id}:{form}")


def dialog(title: str, card: dict[str, Any], *, width: str = "medium") -> dict[str, Any]:
    """Open (or replace) the dialog with a card."""
    return {"task": {"type": "continue", "value": {"title": title, "width": width, "height": "medium",
                                                   "card": {"contentType": ADAPTIVE_CARD_TYPE, "content": card}}}}


def form_dialog(title: str, template: str, context: Mapping[str, Any]) -> dict[str, Any]:
    return dialog(title, render_card(template, context, surface="dialog"))


def notice_dialog(title: str, text: str | Rich, icon: str | None = None) -> dict[str, Any]:
    """A dialog that only says something (a receipt, a refusal): no inputs, nothing to submit."""
    return dialog(title, render_card("notice", {"text": text, "icon": icon}, surface="dialog"))


def refusal(title: str, problem: DrumbeatError) -> dict[str, Any]:
    """A dialog saying why nothing was opened or done (a role refused, a person not in the directory)."""
    return notice_dialog(title, problem.text, "refused" if isinstance(problem, PermissionDenied) else "warning")


def field_errors(problem: DrumbeatError, fields: Mapping[str, str], fallback: str) -> dict[str, str | Rich]:
    """The core's problems by the form's input ids (`fields` maps the core's field to an input id; anything else
    goes under `fallback`), shown under each input when the form is answered again."""
    problems = problem.problems if isinstance(problem, DraftProblems) else {"": problem.text}
    errors: dict[str, str | Rich] = {}
    for field, text in problems.items():
        where = fields.get(field, fallback)
        errors[where] = Rich(errors[where], " ", text) if where in errors else text
    return errors


#: Checks a submission with reads (raising the core's problems), or answers it itself: (answer, write after?).
Checker = Callable[[Session, Person, dict[str, Any]], "tuple[TaskAnswer, bool] | None"]
#: The same form again, with the values as typed and the problem under its field.
Again = Callable[[Session, Person, dict[str, Any], DrumbeatError], dict[str, Any]]


def checked(services: Services, caller: Address, activity: dict[str, Any], title: str, check: Checker,
            again: Again) -> tuple[TaskAnswer, bool]:
    """A dialog's submission checked with reads, for its answer: (closed, write it after) when `check` passes;
    the form again with its problems; or a refusal (a role, a person not in the directory, a form Drumbeat did
    not open), which is never shown as a field problem."""
    data = data_of(activity)
    try:
        form_in(data)
        with services.unit_of_work() as session:
            person = identify(session, caller)
            try:
                return check(session, person, data) or (None, True)
            except PermissionDenied:
                raise
            except DrumbeatError as problem:
                return again(session, person, data, problem), False
    except DrumbeatError as problem:
        return refusal(title, problem), False


#: What a submission writes, once it is known to be the first of its form: (what to tell the person, its icon).
Work = Callable[[Session, Person, dict[str, Any]], "tuple[Rich, str]"]


def write_once(services: Services, caller: Address, activity: dict[str, Any], what: str,
               work: Work) -> tuple[Rich | None, str]:
    """After a dialog's answer: `work` once per opened form, checked again as it writes. (what to tell the person,
    its icon); None when an earlier delivery of the form wrote it and said so; `what` names it in a refusal
    ("Your edit was not saved: ...")."""
    data = data_of(activity)
    try:
        with services.unit_of_work() as session:
            if not claim_request(session, form_request(caller, form_in(data)), services.clock()):
                return None, ""
            return work(session, identify(session, caller), data)
    except DrumbeatError as problem:
        return Rich(f"{what} was not saved: ", problem.text), "warning"


def typed_values(data: Mapping[str, Any], inputs: tuple[str, ...]) -> dict[str, str]:
    """The form's inputs as submitted, to put back when it is answered again."""
    return {name: str(data[name]) for name in inputs if isinstance(data.get(name), str)}


def id_in(data: Mapping[str, Any], key: str, refusal: str) -> int:
    """The database id a card's or dialog's data carries under `key` (a claim, checked again by whoever uses it),
    or a refusal saying what the button should have pointed at."""
    from bot.teams.answers import id_of  # answers imports the dialogs that import this module

    found = id_of(data.get(key))
    if not found:
        raise PermissionDenied(refusal)
    return found
