"""Typed text in Teams as the command grammar's fragments, with `<at>` mentions turned into accounts.

A person picks someone from Teams' @ autocomplete; the message's text then holds `<at>Ria Bell</at>` and its
`entities` a `mention` whose `mentioned` account says who that is. That account's `id` is the person's `29:`
id for this bot (not their Entra object id, which Drumbeat knows people by); Teams adds `aadObjectId` where it
has it. So each mention is read from its entity, in order, and mapped to an Entra object id: the entity's own,
or the one stored with the person's conversation reference (`bot.teams.conversations`, learnt when the app was
installed for them). A mention Drumbeat cannot place (someone it never met), and one whose entity is missing,
stays `Unreadable` and is echoed back by name. The bot's own mention (its id is the activity's recipient) and a
leading `drumbeat` are dropped, so `@Drumbeat summary` and `summary` mean the same.

The text between mentions is taken as typed; the entity's name is never trusted over the text, and a
mention entity's id is a claim like any payload field: it only ever selects among people Drumbeat knows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.core import commands
from bot.teams.identity import PLATFORM
from storage.address import Address

COMMAND: Final = "drumbeat"
_MENTION = re.compile(r"(<at>.*?</at>)", re.IGNORECASE | re.DOTALL)

#: `29:` id -> Entra object id, for people Drumbeat has a conversation with; None when it has none.
Resolver = Callable[[str], str | None]


@dataclass(frozen=True)
class Mentioned:
    text: str  # as it stands in the message: "<at>Ria Bell</at>"
    account_id: str  # the `29:` (person) or `28:` (bot) id
    aad_object_id: str | None


def mentions_in(activity: dict[str, Any]) -> list[Mentioned]:
    """The message's mention entities, in the order Teams lists them (the order of the text)."""
    found = []
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        mentioned = entity.get("mentioned") if isinstance(entity.get("mentioned"), dict) else {}
        text, account = entity.get("text"), mentioned.get("id")
        if isinstance(text, str) and isinstance(account, str):
            aad = mentioned.get("aadObjectId")
            found.append(Mentioned(text, account, aad.lower() if isinstance(aad, str) and aad else None))
    return found


def tokenise(text: str, *, mentions: Sequence[Mentioned] = (), bot_ids: Sequence[str] = (),
             resolve: Resolver = lambda account_id: None, bot_name: str = "Drumbeat") -> list[commands.Fragment]:
    """Fragments for `bot.core.commands.parse_command`: words, and an `Address` per mention of a known person."""
    unused = list(mentions)
    fragments: list[commands.Fragment] = []
    for index, piece in enumerate(_MENTION.split(text or "")):
        if index % 2 == 0:
            fragments.append(piece)
            continue
        entity = next((mention for mention in unused if mention.text == piece), None)
        if entity is not None:
            unused.remove(entity)
        name = piece[4:-5].strip()
        if (entity is not None and entity.account_id in bot_ids) or (entity is None and name.lower() == bot_name.lower()):
            continue
        user_id = None if entity is None else (entity.aad_object_id or resolve(entity.account_id))
        fragments.append(Address(PLATFORM, user_id) if user_id else commands.Unreadable(f"@{name}"))
    return _without_command_word(fragments)


def _without_command_word(fragments: list[commands.Fragment]) -> list[commands.Fragment]:
    first = next((i for i, fragment in enumerate(fragments) if not isinstance(fragment, str) or fragment.strip()), None)
    if first is not None and isinstance(fragments[first], str):
        words = str(fragments[first]).lstrip()
        if words.lower() == COMMAND or words.lower().startswith(COMMAND + " "):
            fragments[first] = words[len(COMMAND):]
    return fragments
