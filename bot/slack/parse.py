"""Reading what people type after the slash command. Slack's mention syntax is understood here only."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from bot.core.broadcasts import AudienceSpec
from bot.core.errors import BadInput
from bot.slack.people import slack_address
from storage.address import Address

USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
MESSAGE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


@dataclass(frozen=True)
class CommandLine:
    name: str  # the subcommand, lower-case ("" when none was given)
    rest: str  # everything after it, as typed

    @property
    def words(self) -> list[str]:
        try:
            return shlex.split(self.rest)
        except ValueError:
            return self.rest.split()


def split_command(text: str) -> CommandLine:
    text = (text or "").strip()
    if not text:
        return CommandLine("", "")
    name, _, rest = text.partition(" ")
    return CommandLine(name.lower(), rest.strip())


def parse_send(rest: str) -> tuple[str, AudienceSpec]:
    """`<message-key> to <@user>, <team name>, ...`"""
    key, separator, targets = rest.partition(" to ")
    key = key.strip().lower()
    if not key or not separator or not targets.strip():
        raise BadInput("Say which message and to whom, e.g. `send win-on-strategy to @maria` or `... to Team East`.")
    if not MESSAGE_KEY.match(key):
        raise BadInput(f"'{key}' is not a message key: keys are lowercase words joined by dashes, like win-on-strategy.")
    people: list[Address] = []
    teams: list[str] = []
    for part in re.split(r",|\s+and\s+", targets):
        part = part.strip()
        if not part:
            continue
        for token in _mentions_and_text(part):
            mention = USER_MENTION.match(token)
            if mention:
                people.append(slack_address(mention.group(1)))
            elif token.startswith("<"):
                raise BadInput(f"I can send to people and teams; I can't use {token} yet.")
            elif token.startswith("@"):
                raise BadInput(f"I couldn't tell who {token} is: pick the person from Slack's autocomplete so it turns into a mention.")
            else:
                teams.append(token)
    return key, AudienceSpec(people=tuple(dict.fromkeys(people)), teams=tuple(dict.fromkeys(teams)))


def _mentions_and_text(part: str) -> list[str]:
    """Split "<@U1> <@U2> Team East" into ["<@U1>", "<@U2>", "Team East"]."""
    tokens: list[str] = []
    for piece in re.split(r"(<[^>]+>)", part):
        piece = piece.strip()
        if piece:
            tokens.append(piece)
    return tokens


def parse_summary_words(rest: str) -> tuple[list[str], Address | None]:
    """Words of `summary ...` with the one person it may name pulled out as a Slack user id."""
    words: list[str] = []
    people: list[Address] = []
    for token in _mentions_and_text(rest):
        mention = USER_MENTION.match(token)
        if mention:
            people.append(slack_address(mention.group(1)))
        elif token.startswith("<"):
            raise BadInput(f"A summary is for a team or a person; I can't use {token}.")
        else:
            words.extend(CommandLine("", token).words)
    if any(word.startswith("@") for word in words):
        raise BadInput("I couldn't tell who that is: pick the person from Slack's autocomplete so it turns into "
                       "a mention, e.g. `summary @maria`.")
    if len(set(people)) > 1:
        raise BadInput("One person at a time, please: e.g. `summary @maria`.")
    return words, (people[0] if people else None)
