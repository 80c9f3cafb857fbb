"""Typed commands in the personal chat, answered as Adaptive Cards: Teams has no slash commands, so a person
types `help`, `summary`, `summary Team East`, `summary @Ria`, `quiz me`, `home`... to the bot (the manifest's
`commandLists` only suggests them).

The text is tokenised by `bot.teams.mentions` (the bot's own `<at>` mention and a leading `drumbeat` dropped;
another person's mention read from the message's entities and mapped to the account Drumbeat knows them by) and
understood by the core's one grammar (`bot.core.commands`), exactly as a Slack slash command's text. Each
command's answer is one or more cards, in the order they are posted; the modules that answer a command register
it in `HANDLERS` (summary, home, feedback list / mine / request / yousaid: `bot.teams.summary`,
`bot.teams.home`, `bot.teams.feedback_lists`). Commands whose Teams form is not built
yet are answered with a notice saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlmodel import Session

from bot.core import commands, quizzes, showing
from bot.core.errors import DrumbeatError
from bot.core.roles import identify
from bot.core.words.usage import usage_screen
from bot.services import Services
from bot.teams import deal_dialog, feedback_lists, home, schedules_card, send_now, summary, teams_link
from bot.teams.cards import COMMAND, Card, notice_card, problem_card, screen_card
from bot.teams.conversations import user_id_for_account
from bot.teams.mentions import Mentioned
from bot.teams.mentions import tokenise as tokenise_mentions
from bot.teams.render import render_card
from bot.teams.typed import TYPED
from messages.rich import Rich
from storage.address import Address
from storage.models import Person

__all__ = ["COMMAND", "answer_text", "id_of", "notice_card", "parse", "problem_card", "screen_card", "tokenise"]

TEAMS_SYNTAX: Final = commands.Syntax(platform="Teams", group_from_text=teams_link.group_from_text,
                                      group_hint=teams_link.GROUP_HINT)
MAX_ID: Final = 2**63 - 1


@dataclass(frozen=True)
class TypedCall:
    """One typed command being answered: the caller identified (their role is checked by the core)."""

    services: Services
    session: Session
    person: Person
    caller: Address
    activity_id: str = ""  # the typed message's, naming a `send` so a redelivery queues nothing twice
    graph: teams_link.GraphFactory | None = None  # Microsoft Graph for the bot's tenant, when it has one


Handler = Callable[[TypedCall, Any], list[Card]]


def id_of(value: Any) -> int:
    """A database id carried in a card action's data, or 0 when it is not one (ASCII digits, within range)."""
    text = value if isinstance(value, str) else ""
    if not text or len(text) > 19 or not text.isascii() or not text.isdigit():
        return 0
    number = int(text)
    return number if number <= MAX_ID else 0


def tokenise(text: str, *, bot_name: str = "Drumbeat") -> list[commands.Fragment]:
    """Typed text without its entities: every mention but the bot's is unreadable (a name, not an id)."""
    return tokenise_mentions(text, bot_name=bot_name)


def parse(text: str) -> commands.Command:
    return commands.parse_command(tokenise(text), syntax=TEAMS_SYNTAX)


def quiz_me(call: TypedCall, parsed: commands.QuizMe) -> list[Card]:
    ask = quizzes.quiz_me(call.session, person=call.person, now=call.services.clock())
    outgoing = showing.ask_now(call.session, ask, call.services.clock()).outgoing
    return [render_card(outgoing.kind, outgoing.context)]  # the question itself, answered in place


HANDLERS: dict[type, Handler] = {commands.QuizMe: quiz_me, **summary.HANDLERS, **home.HANDLERS,
                                 **feedback_lists.HANDLERS, **schedules_card.HANDLERS, **send_now.HANDLERS,
                                 **teams_link.HANDLERS, **deal_dialog.HANDLERS}


def answer_text(services: Services, caller: Address, text: str, *, mentions: Sequence[Mentioned] = (),
                bot_ids: Sequence[str] = (), activity_id: str = "",
                graph: teams_link.GraphFactory | None = None) -> list[Card]:
    """The cards answering what a person typed, with the caller identified (and their role checked by the core)
    in one unit of work."""
    try:
        with services.unit_of_work() as session:
            fragments = tokenise_mentions(text, mentions=mentions, bot_ids=bot_ids,
                                          resolve=lambda account_id: user_id_for_account(session, account_id))
            parsed = commands.parse_command(fragments, syntax=TEAMS_SYNTAX)
            if isinstance(parsed, commands.Help):
                return [screen_card(usage_screen(COMMAND, parsed.problem))]
            handler = HANDLERS.get(type(parsed))
            if handler is not None:
                return handler(TypedCall(services, session, identify(session, caller), caller, activity_id, graph),
                               parsed)
            if (typed := TYPED.get(type(parsed))) is not None:  # the dialogs' opening cards, away
                return [typed(services, session, identify(session, caller), parsed)]
        return [notice_card(f"That command is not available in Teams yet. Type {COMMAND} help to see what is.",
                            "info")]
    except DrumbeatError as problem:
        return [problem_card(problem)]
