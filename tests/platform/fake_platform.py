"""Fakechat: a second chat platform, as small as the `bot.platforms.Platform` seam allows, for tests only.

It exists to prove the seam: if the core, the outbox and the runtime can reach people on a platform that
shares nothing with Slack (its own user ids, its own templates, its own markup and escaping, its own limits),
then nothing below the adapters assumes Slack. So it deliberately differs from Slack's dialect everywhere it
can: bold is `**x**` (Slack: `*x*`), a person is `@Name` (Slack: `<@U123>`), and its special characters are
escaped with a backslash (Slack escapes `<`, `>` and `&` as HTML entities).

A Fakechat message is a JSON object rendered from `templates/fake/<kind>.json.j2`: `lines` of marked-up text
and `buttons` (plain labels, a neutral action name and a value). The sender records what it "sent" instead of
calling any network, and a click is simulated by `FakePlatform.click`, which does what a platform listener
does: identify the caller by their account, call one core use case, update the clicked message in place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from bot.core import org, quizzes, showing
from bot.core.org import DirectoryEntry, UserIdFormat
from bot.core.roles import identify
from bot.platforms import PlatformContext, PlatformFactory, WsgiApp
from messages.render import Dialect, Payload, render_template
from messages.rich import PersonRef
from schedules.outbox import Outgoing, PermanentFailure, SentRef
from storage.address import Address

PLATFORM: Final = "fake"
TEMPLATES: Final = Path(__file__).resolve().parent / "templates"

# What a Fakechat user id looks like in an organisation file (given to `import_org_csv` as its format).
USER_ID_FORMAT: Final = UserIdFormat(platform=PLATFORM, pattern=re.compile(r"^F[0-9]{3,12}$"),
                                     label="Fakechat user id", example="F123", case="upper")

# Fakechat's own limits, smaller than Slack's so a test can reach them.
MAX_TEXT: Final = 2000  # characters in all of a message's lines together
MAX_BUTTONS: Final = 8
MAX_LABEL: Final = 40

_SPECIAL = re.compile(r"([\\*_`@])")


# --- the dialect ---------------------------------------------------------------------------------


def escape(value: Any) -> str:
    """Fakechat's markup characters shown literally: a name like `Ria *Star*` never turns bold, and an `@`
    in someone's text never mentions anyone. A backslash goes first, like `&` in Slack's escaping."""
    return _SPECIAL.sub(r"\\\1", str(value))


def bold(value: Any) -> str:
    """Fakechat's bold is `**x**`; the words inside are escaped, so only the template chooses markup."""
    text = escape(value)
    return f"**{text}**" if text else ""


def mention(person: PersonRef | str) -> str:
    """A person as Fakechat shows them: `@Name` (it has no id syntax in text). The outbox's contexts name
    people by their plain name, a `PersonRef` comes from the core's rich words; both read the same."""
    name = person.name if isinstance(person, PersonRef) else str(person)
    return f"@{escape(name)}"


class FakeLimitError(ValueError):
    """A rendered message does not fit Fakechat (the Block Kit limits error, for this platform)."""


def check_limits(payload: Payload, surface: str) -> None:
    """Fakechat takes only messages: lines of text and a few plain buttons, each within its size."""
    if surface != "message":
        raise FakeLimitError(f"Fakechat has no {surface!r} surface")
    if not isinstance(payload, dict) or set(payload) != {"lines", "buttons"}:
        raise FakeLimitError("a Fakechat message is an object with lines and buttons")
    lines, buttons = payload["lines"], payload["buttons"]
    if not all(isinstance(line, str) for line in lines):
        raise FakeLimitError("every line of a Fakechat message is text")
    size = sum(len(line) for line in lines) + max(len(lines) - 1, 0)
    if size > MAX_TEXT:
        raise FakeLimitError(f"the text is {size} characters; Fakechat takes at most {MAX_TEXT}")
    if len(buttons) > MAX_BUTTONS:
        raise FakeLimitError(f"{len(buttons)} buttons; Fakechat takes at most {MAX_BUTTONS}")
    for button in buttons:
        if len(button["label"]) > MAX_LABEL:
            raise FakeLimitError(f"button label {button['label']!r} is over {MAX_LABEL} characters")


FAKE: Final = Dialect(folder="fake", filters={"escape": escape, "bold": bold, "mention": mention},
                      check=check_limits, templates_dir=TEMPLATES)


# --- the sender ----------------------------------------------------------------------------------


@dataclass
class FakeMessage:
    """A message as it stands in a Fakechat DM: where it is, what it says now, and the Outgoing it came from."""

    ref: SentRef
    outgoing: Outgoing
    text: str
    buttons: list[dict[str, str]]
    edits: int = 0

    @property
    def recipient(self) -> str:
        return self.outgoing.recipient.user_id

    def button(self, label: str) -> dict[str, str]:
        return next(button for button in self.buttons if button["label"] == label)


class FakeSender:
    """The outbox's Sender for Fakechat: renders through the FAKE dialect and keeps what it sent.

    `received` is every Outgoing handed over (sends and updates), so a test can check that the core gave
    this platform neutral data, not another platform's markup."""

    def __init__(self) -> None:
        self.sent: list[FakeMessage] = []
        self.received: list[Outgoing] = []

    def render(self, outgoing: Outgoing) -> tuple[str, list[dict[str, str]]]:
        try:
            payload = render_template(FAKE, outgoing.kind, outgoing.context)
        except FakeLimitError as problem:
            raise PermanentFailure(f"Fakechat refused the message: {problem}") from problem
        assert isinstance(payload, dict)
        return "\n".join(payload["lines"]), list(payload["buttons"])

    def send(self, outgoing: Outgoing) -> SentRef:
        self.received.append(outgoing)
        text, buttons = self.render(outgoing)
        ref = SentRef(PLATFORM, conversation_id=f"DM-{outgoing.recipient.user_id}",
                      message_id=f"fm{len(self.sent) + 1}")
        self.sent.append(FakeMessage(ref, outgoing, text, buttons))
        return ref

    def find_sent(self, outgoing: Outgoing, *, since: datetime) -> SentRef | None:
        return next((message.ref for message in self.sent
                     if message.outgoing.idempotency_key == outgoing.idempotency_key), None)

    def update(self, ref: SentRef, outgoing: Outgoing) -> None:
        self.received.append(outgoing)
        message = self.message(ref)
        message.text, message.buttons = self.render(outgoing)
        message.outgoing = outgoing
        message.edits += 1

    def message(self, ref: SentRef) -> FakeMessage:
        return next(message for message in self.sent if message.ref == ref)

    def inbox(self, user_id: str) -> list[FakeMessage]:
        return [message for message in self.sent if message.recipient == user_id]


# --- the platform --------------------------------------------------------------------------------


@dataclass
class FakeDirectory:
    """What Fakechat's directory says about its users: their time zones (people are added only by import)."""

    zones: Mapping[str, str] = field(default_factory=dict)


class FakePlatform:
    """Fakechat behind the runtime's `Platform` seam. Build it with `factory(directory)`."""

    name = PLATFORM

    def __init__(self, context: PlatformContext, directory: FakeDirectory | None = None) -> None:
        self.services = context.services
        self.directory = directory or FakeDirectory()
        self.sender = FakeSender()
        self.closed = False

    @staticmethod
    def factory(directory: FakeDirectory) -> PlatformFactory:
        """What the runtime starts platforms from (`Drumbeat(platforms=[...])`), with this directory."""
        return lambda context: FakePlatform(context, directory)

    def routes(self) -> dict[str, WsgiApp]:
        return {}  # clicks arrive through `click`; Fakechat has no webhook

    def connect(self) -> bool:
        return False  # no long-lived connection: nothing to open

    def sync_directory(self, progress: object = None) -> int:
        entries = [DirectoryEntry(Address(PLATFORM, user_id), tz, None, False)
                   for user_id, tz in self.directory.zones.items()]
        with self.services.unit_of_work() as session:
            return org.apply_directory(session, entries)

    def sync_groups(self) -> list[str]:
        return []  # Fakechat has no groups

    def manifest(self, **options: Any) -> dict[str, Any]:
        return {"platform": PLATFORM, "name": "Drumbeat", **options}

    def close(self) -> None:
        self.closed = True

    def click(self, user_id: str, message: FakeMessage, button: dict[str, str]) -> None:
        """A person taps a button on a message in their DM, as a listener handles it: who (by account), one
        use case, then the message updated in place with what the core composes now."""
        if button["action"] != "answer":
            raise NotImplementedError(f"Fakechat handles only answers, not {button['action']!r}")
        ask_id, _, choice = button["value"].partition(":")
        with self.services.unit_of_work() as session:
            person, now = identify(session, Address(PLATFORM, user_id)), self.services.clock()
            outcome = quizzes.answer(session, ask_id=int(ask_id), person=person, choice=int(choice), now=now)
            outgoing = showing.ask_now(session, outcome.ask, now).outgoing
        self.sender.update(message.ref, outgoing)
