"""Typed commands whose Teams answer is a form or a setting: `feedback`, `broadcast`, `quiz new`, `away ...`.

A bot cannot open a dialog from a message, so `feedback`, `broadcast` and `quiz new` are answered with a card
whose button opens the dialog (bot.teams.dialog_routes). Roles are checked here, before the button is shown
(a rep typing `broadcast` is refused), and again when the dialog opens and when it is submitted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sqlmodel import Session

from bot.core import broadcasts, commands, quizzes
from bot.core.away import set_away
from bot.core.roles import require_role
from bot.services import Services
from bot.teams.render import render_card
from storage.models import Person

Typed = Callable[[Services, Session, Person, Any], dict[str, Any]]


def opener(text: str, button: str, dialog_id: str, icon: str) -> dict[str, Any]:
    return render_card("open_dialog", {"text": text, "button": button, "dialog_id": dialog_id, "context": "command",
                                       "icon": icon})


def open_feedback(services: Services, session: Session, person: Person, command: commands.OpenFeedback) -> dict[str, Any]:
    return opener("Stop, start, continue: tell your manager and leaders what should change. Anonymous by default.",
                  "Share feedback", "feedback", "feedback")


def open_broadcast(services: Services, session: Session, person: Person,
                   command: commands.OpenBroadcast) -> dict[str, Any]:
    require_role(person, broadcasts.BROADCASTERS, "schedule broadcasts")
    return opener("Schedule a broadcast: a library message or a new one, to people, teams or every rep; now, once "
                  "or recurring, at each rep's own local time.", "Open the broadcast form", "broadcast", "message")


def new_question(services: Services, session: Session, person: Person, command: commands.NewQuestion) -> dict[str, Any]:
    quizzes.question_form(session, author=person)  # the role check, before the button is shown
    return opener("Add a pulse-check question: the expectation it tests, 2-5 options, the right one and why.",
                  "Write a question", "quiz_new", "questions")


def away(services: Services, session: Session, person: Person, command: commands.SetAway) -> dict[str, Any]:
    return render_card("notice", {"text": set_away(session, person=person, text=command.text, now=services.clock()),
                                  "icon": "away"})


TYPED: Final[dict[type, Typed]] = {commands.OpenFeedback: open_feedback, commands.OpenBroadcast: open_broadcast,
                                   commands.NewQuestion: new_question, commands.SetAway: away}
