"""Feedback read and managed in Teams, on the same core as Slack: `feedback list [team] [YYYY-MM]` (a team's
feedback within the anonymity rules, each reachable item with Reply), `feedback mine` (the person's own named
feedback, each with Withdraw), `feedback request <team> | <question>` and `feedback yousaid <team> | <note>`
(delivered to the team's reps like any broadcast, through the outbox).

Slack sends the lists to the DM and says so where the command was typed; in Teams the command is typed in the
personal chat already, so the list is the answer. Roles are the core's (`bot.core.feedback`): a rep cannot read
a team's feedback, a manager only their own teams'; nobody withdraws someone else's. Withdraw is an
Action.Execute: the answer replaces the card in place with the list as it is now and what the press did; a
button whose data was tampered with (someone else's item, not an id) changes nothing and says so in that card
(bot.teams.feedback_actions, with the reply dialog).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from bot.core import commands, feedback
from bot.core.words import feedback as feedback_words
from bot.teams.cards import Card, notice_card
from bot.teams.render import TeamsLimitError, render_card
from messages.rich import Rich
from storage.models import Feedback

if TYPE_CHECKING:
    from bot.teams.answers import TypedCall

#: Slack's caps (20 items of each kind in a team's list, 40 of one's own) and the longest text per field; when
#: the card would pass Teams' 28 KB, texts are cut shorter first, then fewer items are shown.
TEAM_ITEMS: Final = 20
OWN_ITEMS: Final = 40
TEXT_CHARS: Final = (1000, 300, 100)
CUT: Final = "Some texts are cut short, or the oldest items left out, so that the list fits one Teams card."


def fitted(template: str, context: dict[str, Any], shown: int, lists: tuple[str, ...]) -> Card:
    """`template` within 28 KB: every text whole when that fits, else shorter texts, else fewer items (the
    newest kept), with a line saying something was left out."""
    total = max(len(context.get(name) or []) for name in lists)
    longest = max((len(entry.get(text) or "") for name in lists for entry in context.get(name) or []
                   for text in ("stop", "start", "keep")), default=0)
    while True:
        for chars in TEXT_CHARS:
            whole = chars >= longest and shown >= total
            try:
                return render_card(template, {**context, "shown": shown, "chars": chars, "cut": "" if whole else CUT})
            except TeamsLimitError:
                if shown <= 1 and chars == TEXT_CHARS[-1]:
                    raise
        shown = max(1, shown // 2)


def team_card(view: feedback.TeamFeedback) -> Card:
    return fitted("feedback_list", feedback_words.team_listing(view), TEAM_ITEMS, ("named", "anonymous"))


def own_card(items: list[Feedback], notice: str | Rich | None = None, icon: str | None = None) -> Card:
    return fitted("feedback_mine", {**feedback_words.own_listing(items, notice), "notice_icon": icon}, OWN_ITEMS,
                  ("items",))


def list_team(call: TypedCall, command: commands.ListFeedback) -> list[Card]:
    view = feedback.team_feedback(call.session, caller=call.person, team_name=command.team_name,
                                  month=command.month, thresholds=call.services.feedback_thresholds,
                                  now=call.services.clock())
    return [team_card(view)]


def list_mine(call: TypedCall, command: commands.MyFeedback) -> list[Card]:
    return [own_card(feedback.mine(call.session, person=call.person))]


def post_to_team(call: TypedCall, command: commands.PostToTeam) -> list[Card]:
    title, key = feedback.POSTS[command.kind]
    queued = feedback.post_to_team(call.session, caller=call.person, team_name=command.team_name, title=title,
                                   body=command.text, now=call.services.clock(), rules=call.services.rules, key=key)
    return [notice_card(feedback_words.posted(title, queued), "message")]


HANDLERS: Final[dict[type, Callable[..., list[Card]]]] = {
    commands.ListFeedback: list_team, commands.MyFeedback: list_mine, commands.PostToTeam: post_to_team}
