"""The `/drumbeat ...` grammar, once, for every platform: typed text in, a typed command out.

A platform adapter only tokenises: it turns its own mention syntax into references (a person's `Address`, a
platform `Group`, or `Unreadable` for syntax Drumbeat cannot use, such as a channel link) and passes the rest as
text. Slack's slash command and a Teams message typed to the bot then mean exactly the same thing, and every
"I couldn't understand that" is worded in one place.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.broadcasts import AudienceSpec
from bot.core.errors import BadInput
from bot.core.feedback import MONTH
from bot.core.summaries import SummaryRequest, parse_summary_args
from bot.core.teams import Group
from messages.rich import Code, Rich
from storage.address import Address

MESSAGE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MARK = "\x00"  # stands for a reference inside the text while it is split into words


@dataclass(frozen=True)
class Unreadable:
    """Platform syntax Drumbeat cannot use here (a channel link, @here); `text` is shown back as typed."""

    text: str


Reference = Address | Group | Unreadable
Fragment = str | Reference


@dataclass(frozen=True)
class Help:
    problem: Rich | None = None  # what could not be understood, shown above the usage


@dataclass(frozen=True)
class Send:
    message_key: str
    audience: AudienceSpec


@dataclass(frozen=True)
class OpenBroadcast:
    pass


@dataclass(frozen=True)
class ListSchedules:
    pass


@dataclass(frozen=True)
class Summary:
    request: SummaryRequest


@dataclass(frozen=True)
class SetAway:
    text: str


@dataclass(frozen=True)
class QuizMe:
    pass


@dataclass(frozen=True)
class ShowHome:
    """The dashboard (Slack's Home tab; on Teams, answered as a card)."""


@dataclass(frozen=True)
class NewQuestion:
    pass


@dataclass(frozen=True)
class OpenFeedback:
    pass


@dataclass(frozen=True)
class ListFeedback:
    team_name: str | None
    month: str | None


@dataclass(frozen=True)
class MyFeedback:
    pass


@dataclass(frozen=True)
class PostToTeam:
    """`feedback request <team> | <question>` or `feedback yousaid <team> | <note>`."""

    kind: str  # "request" or "yousaid"
    team_name: str
    text: str


@dataclass(frozen=True)
class ListLinkedTeams:
    pass


@dataclass(frozen=True)
class LinkTeam:
    team_name: str
    group: Group


@dataclass(frozen=True)
class UnlinkTeam:
    team_name: str


@dataclass(frozen=True)
class MarkDeal:
    """`deal deliberate <CRM id> [reason]` (no reason: the platform asks for it in a form) or `deal clear <CRM id>`."""

    record_id: str
    reason: str | None
    clear: bool = False


Command = (Help | Send | OpenBroadcast | ListSchedules | Summary | SetAway | QuizMe | NewQuestion | OpenFeedback
           | ListFeedback | MyFeedback | PostToTeam | ListLinkedTeams | LinkTeam | UnlinkTeam | ShowHome | MarkDeal)


class _Line:
    """The fragments as one string with a marker per reference, so text can be split and references kept."""

    def __init__(self, fragments: Sequence[Fragment]) -> None:
        self.references: list[Reference] = []
        parts: list[str] = []
        for fragment in fragments:
            if isinstance(fragment, str):
                parts.append(fragment.replace(MARK, ""))
            else:
                parts.append(f" {MARK}{len(self.references)}{MARK} ")
                self.references.append(fragment)
        self.text = " ".join("".join(parts).split())

    def resolve(self, token: str) -> Reference | str:
        match = re.fullmatch(f"{MARK}(\\d+){MARK}", token.strip())
        return self.references[int(match.group(1))] if match else token.strip()

    def shown(self, token: str) -> str:
        """A token as the person typed it (references as their platform text or id)."""
        return re.sub(f"{MARK}(\\d+){MARK}", lambda match: show(self.references[int(match.group(1))]), token)

    def tokens(self, text: str) -> list[str]:
        """Words and references in order ("<ref> Team East" -> [ref, "Team East"])."""
        return [piece.strip() for piece in re.split(f"({MARK}\\d+{MARK})", text) if piece.strip()]


def show(item: Reference | str) -> str:
    """A word or a reference as text, for echoing it back in a problem."""
    if isinstance(item, str):
        return item
    if isinstance(item, Unreadable):
        return item.text
    return item.user_id if isinstance(item, Address) else item.group_id


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _autocomplete(platform: str, what: str, example: str) -> Rich:
    return Rich(f"I couldn't tell who {what} is: pick the person from {platform}'s autocomplete so it turns into "
                "a mention", *((", e.g. ", Code(example)) if example else ()), ".")


@dataclass(frozen=True)
class Syntax:
    """What the grammar asks of the platform that tokenised the text."""

    platform: str  # its name in hints: "pick the person from Slack's autocomplete"
    group_from_text: Callable[[str], Group | None] = lambda text: None  # a group id typed as plain text
    group_hint: Rich | None = None  # how to name a group there, when it is not picked from an autocomplete


def parse_command(fragments: Sequence[Fragment], *, syntax: Syntax) -> Command:
    """Everything after the command name (`/drumbeat`), tokenised by the platform adapter."""
    line = _Line(fragments)
    name, _, rest = line.text.partition(" ")
    name = name.lower()
    if not name:
        return Help()
    parser = _PARSERS.get(name)
    if parser is None:
        return Help(Rich("I don't know ", Code(line.shown(name)), "."))
    return parser(line, rest.strip(), syntax)


def _send(line: _Line, rest: str, syntax: Syntax) -> Command:
    """`<message-key> to <@user>, <team name>, ...`"""
    key, separator, targets = rest.partition(" to ")
    key = key.strip().lower()
    if not key or not separator or not targets.strip():
        raise BadInput(Rich("Say which message and to whom, e.g. ", Code("send win-on-strategy to @maria"), " or ",
                            Code("... to Team East"), "."))
    if not MESSAGE_KEY.match(key):
        raise BadInput(f"'{line.shown(key)}' is not a message key: keys are lowercase words joined by dashes, "
                       "like win-on-strategy.")
    people: list[Address] = []
    teams: list[str] = []
    for part in re.split(r",|\s+and\s+", targets):
        for token in line.tokens(part):
            target = line.resolve(token)
            if isinstance(target, Address):
                people.append(target)
            elif isinstance(target, (Group, Unreadable)):
                raise BadInput(f"I can send to people and teams; I can't use {line.shown(token)} yet.")
            elif target.startswith("@"):
                raise BadInput(_autocomplete(syntax.platform, target, ""))
            else:
                teams.append(target)
    return Send(key, AudienceSpec(people=tuple(dict.fromkeys(people)), teams=tuple(dict.fromkeys(teams))))


def _summary(line: _Line, rest: str, syntax: Syntax) -> Command:
    """`summary [export] [team | @person | me] [period]`: the one person it may name pulled out as an account."""
    words: list[str] = []
    people: list[Address] = []
    for token in line.tokens(rest):
        target = line.resolve(token)
        if isinstance(target, Address):
            people.append(target)
        elif isinstance(target, (Group, Unreadable)):
            raise BadInput(f"A summary is for a team or a person; I can't use {line.shown(token)}.")
        else:
            words.extend(_words(target))
    if any(word.startswith("@") for word in words):
        raise BadInput(_autocomplete(syntax.platform, "that", "summary @maria"))
    if len(set(people)) > 1:
        raise BadInput(Rich("One person at a time, please: e.g. ", Code("summary @maria"), "."))
    return Summary(parse_summary_args(words, person=people[0] if people else None))


def _quiz(line: _Line, rest: str, syntax: Syntax) -> Command:
    words = [word.lower() for word in _words(rest)]
    if words == ["new"]:
        return NewQuestion()
    if words == ["me"]:
        return QuizMe()
    raise BadInput(Rich("Say ", Code("quiz me"), " to practise a question now, or (leaders) ", Code("quiz new"),
                        " to add one."))


FEEDBACK_USAGE = Rich("Say ", Code("feedback"), ", ", Code("feedback list [team] [YYYY-MM]"), ", ",
                      Code("feedback mine"), ", ", Code("feedback request <team> | <question>"), " or ",
                      Code("feedback yousaid <team> | <what changed>"), ".")


def _feedback(line: _Line, rest: str, syntax: Syntax) -> Command:
    verb, _, args = rest.partition(" ")
    verb = verb.lower()
    if not verb:
        return OpenFeedback()
    if verb == "list":
        words = line.shown(args).split()
        month = words.pop() if words and MONTH.match(words[-1]) else None
        if words and words[-1][:1].isdigit():
            raise BadInput(f"'{words[-1]}' is not a month: write it as YYYY-MM.")
        return ListFeedback(" ".join(words) or None, month)
    if verb == "mine":
        return MyFeedback()
    if verb in ("request", "yousaid"):
        team, _, text = line.shown(args).partition("|")
        return PostToTeam(verb, team.strip(), text.strip())
    raise BadInput(FEEDBACK_USAGE)


TEAM_USAGE = Rich("Say ", Code("team link <team> @usergroup"), ", ", Code("team unlink <team>"), ", or ",
                  Code("team"), " to list linked teams.")


def _team(line: _Line, rest: str, syntax: Syntax) -> Command:
    verb, _, args = rest.partition(" ")
    verb = verb.lower()
    if verb in ("", "list"):
        return ListLinkedTeams()
    if verb == "unlink":
        return UnlinkTeam(line.shown(args).strip())
    if verb != "link":
        raise BadInput(TEAM_USAGE)
    items: list[Reference | str] = []
    for token in line.tokens(args):
        target = line.resolve(token)
        items.extend(target.split() if isinstance(target, str) else [target])
    if len(items) < 2:
        raise BadInput(Rich("Say the team and the user group, e.g. ", Code("team link East @east-sales"), "."))
    *team_words, last = items
    group = last if isinstance(last, Group) else syntax.group_from_text(last) if isinstance(last, str) else None
    if group is None and syntax.group_hint is not None:
        raise BadInput(Rich(f"I couldn't tell which group {show(last)} is: ", syntax.group_hint))
    if group is None:
        raise BadInput(Rich(f"I couldn't tell which user group {show(last)} is: pick it from {syntax.platform}'s "
                            "autocomplete so it turns into a mention, e.g. ", Code("team link East @east-sales"), "."))
    return LinkTeam(" ".join(show(word) for word in team_words), group)


DEAL_USAGE = Rich("Say ", Code("deal deliberate <CRM id> <reason>"), " to mark an off-strategy deal as deliberate "
                  "(a longer-term opportunity, a reference customer), or ", Code("deal clear <CRM id>"),
                  " to take the mark back; the ids are in ", Code("summary pipeline"), ".")


def _deal(line: _Line, rest: str, syntax: Syntax) -> Command:
    verb, _, args = line.shown(rest).partition(" ")
    record, _, reason = args.strip().partition(" ")
    if verb.lower() not in ("deliberate", "clear") or not record:
        raise BadInput(DEAL_USAGE)
    if verb.lower() == "clear":
        if reason.strip():
            raise BadInput(Rich("Only the id, please: ", Code(f"deal clear {record}"), "."))
        return MarkDeal(record, None, clear=True)
    return MarkDeal(record, reason.strip() or None)


_PARSERS = {
    "help": lambda line, rest, syntax: Help(),
    "send": _send,
    "broadcast": lambda line, rest, syntax: OpenBroadcast(),
    "schedules": lambda line, rest, syntax: ListSchedules(),
    "summary": _summary,
    "away": lambda line, rest, syntax: SetAway(line.shown(rest)),
    "quiz": _quiz,
    "feedback": _feedback,
    "team": _team,
    "home": lambda line, rest, syntax: ShowHome(),
    "deal": _deal,
}
