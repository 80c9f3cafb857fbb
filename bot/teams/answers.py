"""Typed commands in the personal chat, answered as Adaptive Cards: Teams has no slash commands, so a person
types `help`, `summary`, `summary Team East`, `quiz me`... to the bot (the manifest's `commandLists` only suggests them).

The text is tokenised here (the bot's own `<at>` mention and a leading `drumbeat` are dropped; any other mention
is shown back as unreadable, since a typed `<at>` carries no Entra id) and understood by the core's one grammar
(`bot.core.commands`), exactly as a Slack slash command's text. What the core says is laid out by the Teams
templates. Commands whose Teams form (a dialog, a file) is not built yet are answered with a notice saying so.
"""

from __future__ import annotations

import re
from typing import Any, Final

from bot.core import commands, quizzes, showing, summaries
from bot.core.errors import BadInput, DrumbeatError, PermissionDenied
from bot.core.roles import identify
from bot.core.words.screen import Screen
from bot.core.words.summary import summary_screen
from bot.core.words.usage import usage_screen
from bot.services import Services
from bot.teams.render import render_card
from bot.teams.typed import TYPED
from messages.rich import Rich
from storage.address import Address

#: How a person addresses Drumbeat in Teams: nothing (they type in its chat); help shows `drumbeat summary`.
COMMAND: Final = "drumbeat"
TEAMS_SYNTAX: Final = commands.Syntax(platform="Teams")
MAX_ID: Final = 2**63 - 1

_MENTION = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)


def id_of(value: Any) -> int:
    """A database id carried in a card action's data, or 0 when it is not one (ASCII digits, within range)."""
    text = value if isinstance(value, str) else ""
    if not text or len(text) > 19 or not text.isascii() or not text.isdigit():
        return 0
    number = int(text)
    return number if number <= MAX_ID else 0


def tokenise(text: str, *, bot_name: str = "Drumbeat") -> list[commands.Fragment]:
    """Typed text as the grammar's fragments: the bot's mention and a leading `drumbeat` dropped, other
    mentions unreadable (they are names, not ids)."""
    fragments: list[commands.Fragment] = []
    for index, piece in enumerate(_MENTION.split(text or "")):
        if index % 2 == 0:
            fragments.append(piece)
        elif piece.strip().lower() != bot_name.lower():
            fragments.append(commands.Unreadable(f"@{piece.strip()}"))
    first = next((i for i, fragment in enumerate(fragments) if not isinstance(fragment, str) or fragment.strip()), None)
    if first is not None and isinstance(fragments[first], str):
        words = str(fragments[first]).lstrip()
        if words.lower() == COMMAND or words.lower().startswith(COMMAND + " "):
            fragments[first] = words[len(COMMAND):]
    return fragments


def parse(text: str) -> commands.Command:
    return commands.parse_command(tokenise(text), syntax=TEAMS_SYNTAX)


def screen_card(screen: Screen) -> dict[str, Any]:
    return render_card("screen", {"title": screen.title, "summary": screen.summary, "sections": screen.sections})


def notice_card(text: str | Rich, icon: str | None = None) -> dict[str, Any]:
    return render_card("notice", {"text": text, "icon": icon})


def problem_card(problem: DrumbeatError) -> dict[str, Any]:
    if isinstance(problem, PermissionDenied):
        return notice_card(problem.text, "refused")
    if isinstance(problem, BadInput):
        return screen_card(usage_screen(COMMAND, problem.text))
    return notice_card(problem.text, "warning")


def answer_text(services: Services, caller: Address, text: str) -> dict[str, Any]:
    """The card answering what a person typed, with the caller identified (and their role checked by the core)
    in one unit of work."""
    try:
        parsed = parse(text)
        if isinstance(parsed, commands.Help):
            return screen_card(usage_screen(COMMAND, parsed.problem))
        with services.unit_of_work() as session:
            person = identify(session, caller)
            if isinstance(parsed, commands.Summary):
                if parsed.request.export:
                    return notice_card("The CSV export is not available in Teams yet: ask without `csv`.", "file")
                result = summaries.summarise(session, caller=person, request=parsed.request, now=services.clock(),
                                             thresholds=services.feedback_thresholds)
                return screen_card(summary_screen(result, command=COMMAND))
            if isinstance(parsed, commands.QuizMe):
                ask = quizzes.quiz_me(session, person=person, now=services.clock())
                outgoing = showing.ask_now(session, ask, services.clock()).outgoing
                return render_card(outgoing.kind, outgoing.context)  # the question itself, answered in place
            if (typed := TYPED.get(type(parsed))) is not None:
                return typed(services, session, person, parsed)
        return notice_card(f"That command is not available in Teams yet. Type {COMMAND} help to see what is.",
                           "info")
    except DrumbeatError as problem:
        return problem_card(problem)
