"""`quiz new` in a Teams dialog: a leader adds a pulse-check question (bot.core.quizzes, as in Slack).

Opened from the card answering a typed `quiz new` (`task/fetch`, `dialog_id == "quiz_new"`); the role is checked
when the card is shown, when the dialog opens and when it is submitted (`action == "quiz_new_save"`). The
submission is checked with reads and answered at once (the same form with its problems, or closed); the question
is written after the answer, once per opened form, and the leader told in their chat.
"""

from __future__ import annotations

from typing import Any, Final

from sqlmodel import Session

from bot.core import quizzes
from bot.core.errors import DrumbeatError
from bot.core.roles import identify
from bot.services import Services
from bot.teams import dialogs
from messages.rich import Code, Rich
from storage.address import Address
from storage.models import Person

DIALOG: Final = "quiz_new"
SAVE: Final = "quiz_new_save"
TITLE: Final = "New question"
INPUTS: Final = ("expectation", "prompt", "option_1", "option_2", "option_3", "option_4", "option_5", "correct",
                 "explanation")
FIELDS: Final = {"expectation": "expectation", "prompt": "prompt", "options": "option_1", "correct": "correct",
                 "explanation": "explanation"}


def _form(expectations: list[tuple[str, str]], name: str, *, values: dict[str, str] | None = None,
          errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return dialogs.form_dialog(TITLE, "quiz_new_dialog", {"expectations": expectations, "form": name,
                                                          "values": values or {}, "errors": errors or {}})


def open_form(services: Services, caller: Address, activity: dict[str, Any]) -> dialogs.TaskAnswer:
    try:
        with services.unit_of_work() as session:
            expectations = quizzes.question_form(session, author=identify(session, caller))
    except DrumbeatError as problem:
        return dialogs.refusal(TITLE, problem)
    return _form(expectations, dialogs.new_form())


def question_fields(data: dict[str, Any]) -> dict[str, Any]:
    correct = dialogs.choice_in(data, "correct")
    return {"expectation_key": dialogs.choice_in(data, "expectation"), "prompt": dialogs.text_in(data, "prompt"),
            "options": [dialogs.text_in(data, f"option_{n}") for n in range(1, 6)],
            "correct": int(correct) if correct is not None and correct.isascii() and correct.isdigit()
            and len(correct) == 1 else None,
            "explanation": dialogs.text_in(data, "explanation")}


def check(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[dialogs.TaskAnswer, bool]:
    """(the answer: closed, or the form again with its problems, or a refusal; whether to write it after)."""
    def check_question(session: Session, author: Person, data: dict[str, Any]) -> None:
        quizzes.check_question(session, author=author, **question_fields(data))

    def again(session: Session, author: Person, data: dict[str, Any], problem: DrumbeatError) -> dict[str, Any]:
        return _form(quizzes.question_form(session, author=author), dialogs.form_in(data),
                     values=dialogs.typed_values(data, INPUTS), errors=dialogs.field_errors(problem, FIELDS, "prompt"))

    return dialogs.checked(services, caller, activity, TITLE, check_question, again)


def write(services: Services, caller: Address, activity: dict[str, Any], command: str) -> tuple[Rich | None, str]:
    """After the answer: one question per opened form, checked again. (what to tell the leader, its icon); None
    when an earlier delivery of this form wrote it."""
    def add(session: Session, author: Person, data: dict[str, Any]) -> tuple[Rich, str]:
        question = quizzes.add_question(session, author=author, now=services.clock(), **question_fields(data))
        return Rich("Added the question ", Code(question.key), f": {question.prompt}\nAttach it to a broadcast, or "
                    "send it alone, with ", Code(f"{command} broadcast"), "."), "questions"

    return dialogs.write_once(services, caller, activity, "Your question", add)
