"""The Teams cards every typed answer is made of: a neutral Screen, a short notice, a problem said kindly."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

from bot.core.errors import BadInput, DrumbeatError, PermissionDenied
from bot.core.words.screen import MARK_DELIBERATE, Screen, Section
from bot.core.words.usage import usage_screen
from bot.teams import deal_dialog
from bot.teams.render import TeamsLimitError, render_card
from messages.rich import Rich

#: How a person addresses Drumbeat in Teams: nothing (they type in its chat); help shows `drumbeat summary`.
COMMAND: Final = "drumbeat"

Card = dict[str, Any]
#: The screen buttons Teams shows, each a dialog: neutral action -> (dialog id, the data key its value goes under).
ACTIONS: Final[dict[str, tuple[str, str]]] = {MARK_DELIBERATE: (deal_dialog.DIALOG, "deal")}


def screen_card(screen: Screen) -> Card:
    return render_card("screen", {"title": screen.title, "summary": screen.summary, "sections": screen.sections,
                                  "actions": ACTIONS})


def notice_card(text: str | Rich, icon: str | None = None) -> Card:
    return render_card("notice", {"text": text, "icon": icon})


def problem_card(problem: DrumbeatError) -> Card:
    if isinstance(problem, PermissionDenied):
        return notice_card(problem.text, "refused")
    if isinstance(problem, BadInput):
        return screen_card(usage_screen(COMMAND, problem.text))
    return notice_card(problem.text, "warning")


def fitted_screen_card(screen: Screen, *, cut_note: str | Rich) -> Card:
    """A screen as one card, within Teams' 28 KB: when it is too long, sections are left out from the end (the
    closing small print kept) and `cut_note` says where the rest is."""
    sections = list(screen.sections)
    cut = False
    while True:
        shown = [*sections, Section(small=True, lines=(cut_note,))] if cut else sections
        try:
            return screen_card(replace(screen, sections=tuple(shown)))
        except TeamsLimitError:
            if len(sections) <= 2:
                raise
            del sections[-2]  # the last section before the closing small print
            cut = True
