"""What people type after `/drumbeat`, as the core's command grammar reads it: Slack's mention syntax becomes
references (a person's address, a user group), anything else in angle brackets is shown back as unreadable.

This is the only place that knows Slack's `<@U…>` / `<!subteam^S…>` escapes (the manifest asks Slack to escape
mentions in the command, so picked people and groups arrive this way).
"""

from __future__ import annotations

import re

from bot.core.commands import Fragment, Syntax, Unreadable
from bot.core.teams import Group
from bot.slack.identity import PLATFORM
from bot.slack.people import slack_address

USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
GROUP_MENTION = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>$")
RAW_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


def group_from_text(text: str) -> Group | None:
    """A user group id typed as text (`S0123ABCD`, from the group's profile) rather than picked."""
    return Group(PLATFORM, text) if RAW_GROUP_ID.match(text) else None


SLACK_SYNTAX = Syntax(platform="Slack", group_from_text=group_from_text)


def tokenise(text: str) -> list[Fragment]:
    """Split "send x to <@U1> <!subteam^S1|@east>, East" into text and references, in order."""
    fragments: list[Fragment] = []
    for piece in re.split(r"(<[^>]+>)", text or ""):
        if not piece:
            continue
        if user := USER_MENTION.match(piece):
            fragments.append(slack_address(user.group(1)))
        elif group := GROUP_MENTION.match(piece):
            fragments.append(Group(PLATFORM, group.group(1)))
        elif piece.startswith("<") and piece.endswith(">"):
            fragments.append(Unreadable(piece))
        else:
            fragments.append(piece)
    return fragments
