"""The platform seam holds: a second platform reaches people through the same core and the same outbox.

Fakechat (`fake_platform.py`) shares nothing with Slack: its people are imported with its own user ids, its
messages are rendered from its own templates with its own markup, escaping and limits. The runtime is started
with no Slack credentials and only Fakechat as a platform; a broadcast, a pulse-check question (and its
answer) and a manager's coaching DM then go the way the product sends them: the core writes Delivery rows,
the dispatcher composes each into a neutral `Outgoing` and hands it to the recipient's platform's Sender.
While that runs, every Slack module is unloaded, and none may come back.

The organisation: leader Lena (New York) and manager Marco (Berlin) with reps Ria and Jo (Berlin) in East.
The clock starts on Tuesday 24 November 2026, 07:30 UTC (08:30 in Berlin: working hours).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app import Drumbeat
from bot.clock import SimulatedClock
from bot.core import broadcasts
from bot.core.broadcasts import AudienceSpec, BroadcastDraft, BroadcastQueued
from bot.core.org import import_org_csv
from bot.core.roles import identify
from bot.settings import settings_from_mapping
from messages.rich import PersonRef, Rich, Written
from storage.address import Address
from storage.models import Delivery, DeliveryKind, DeliveryStatus, Question, QuizAsk
from storage.queries import understanding

from . import fake_platform  # noqa: TID252
from .fake_platform import PLATFORM, USER_ID_FORMAT, FakeDirectory, FakeMessage, FakePlatform  # noqa: TID252

PACK = Path(__file__).resolve().parent / "content" / "fake-pack.yaml"
START = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
LENA, MARCO, RIA, JO = "F100", "F200", "F301", "F302"

# Names carry Fakechat's special characters (`*`, `_`), so what its escaping does is visible in every DM.
ORG_CSV = f"""\
platform,platform_user_id,email,name,role,team,manager_platform_user_id
fake,{LENA},lena@example.com,Lena Okafor,leader,,
fake,{MARCO},marco@example.com,Marco Rossi,manager,East,{LENA}
fake,{RIA},ria@example.com,Ria *Star* Bell,rep,East,{MARCO}
fake,{JO},jo@example.com,Jo_Ann Weber,rep,East,{MARCO}
"""
ZONES = FakeDirectory({LENA: "America/New_York", MARCO: "Europe/Berlin", RIA: "Europe/Berlin",
                       JO: "Europe/Berlin"})

# Slack's SDKs and adapter; `bot.slack.identity` (an id format, no SDK) is read by `bot.platforms` by design.
SLACK_MODULE = re.compile(r"^(slack|slack_sdk|slack_bolt|bot\.emulators\.slack)(\.|$)|^bot\.slack\.(?!identity$)")


def slack_modules_loaded() -> list[str]:
    return sorted(name for name in sys.modules if SLACK_MODULE.match(name))


@pytest.fixture
def slack_unloaded(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """Unload every Slack module other tests imported (restored afterwards), so that any import of one on
    Fakechat's path shows up in `sys.modules` again. Returns the check."""
    hidden: dict[str, ModuleType] = {name: sys.modules[name] for name in slack_modules_loaded()}
    for name in hidden:
        monkeypatch.delitem(sys.modules, name)
        parent, _, child = name.rpartition(".")
        if parent and parent not in hidden and hasattr(sys.modules.get(parent), child):
            monkeypatch.delattr(sys.modules[parent], child)  # `from bot.slack import render` must import again
    assert slack_modules_loaded() == []
    return slack_modules_loaded


@dataclass
class World:
    """A running Drumbeat whose only platform is Fakechat, on a simulated clock."""

    drumbeat: Drumbeat
    fake: FakePlatform
    clock: SimulatedClock

    def inbox(self, user_id: str) -> list[FakeMessage]:
        return self.fake.sender.inbox(user_id)

    def schedule(self, sender_id: str, draft: BroadcastDraft) -> BroadcastQueued:
        """What a leader's command does: the core schedules the broadcast (the outbox will deliver it)."""
        services = self.drumbeat.services
        with services.unit_of_work() as session:
            sender = identify(session, Address(PLATFORM, sender_id))
            return broadcasts.schedule(session, sender=sender, draft=draft, now=services.clock(), rules=services.rules)

    def delivery(self, message: FakeMessage) -> Delivery:
        """The outbox row a Fakechat message was sent for."""
        with self.drumbeat.services.unit_of_work() as session:
            delivery = session.execute(select(Delivery).where(
                Delivery.platform_message_id == message.ref.message_id)).scalar_one()
            session.expunge(delivery)
            return delivery

    def answer_open_questions(self, user_id: str, *, right: bool) -> int:
        """The rep taps an answer on every open question in their Fakechat DM; returns how many."""
        tapped = 0
        for message in self.inbox(user_id):
            buttons = [button for button in message.buttons if button["action"] == "answer"]
            if not buttons:
                continue
            ask_id = int(buttons[0]["value"].split(":")[0])
            with self.drumbeat.services.unit_of_work() as session:
                correct = session.get(Question, session.get(QuizAsk, ask_id).question_id).correct
            self.fake.click(user_id, message, buttons[correct if right else (correct + 1) % len(buttons)])
            tapped += 1
        return tapped

    def live(self, hours: int, wrong: tuple[str, ...] = ()) -> None:
        """Let hours pass as the scheduler's jobs would run them; the reps in `wrong` miss what reaches them."""
        for _ in range(hours):
            self.clock.advance(timedelta(hours=1))
            self.drumbeat.tick()
            for user_id in wrong:
                self.answer_open_questions(user_id, right=False)
            self.drumbeat.coaching_now()
            self.drumbeat.dispatch_now()


@pytest.fixture
def world(engine: Engine, database_url: str, slack_unloaded: Callable[[], list[str]], tmp_path: Path) -> Iterator[World]:
    settings = settings_from_mapping({"DATABASE_URL": database_url, "DRUMBEAT_CONTENT_PACKS": str(PACK),
                                      "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key")})
    assert not settings.has_platform_credentials  # no Slack (nor any other platform) configured
    clock = SimulatedClock(START)
    drumbeat = Drumbeat(settings, engine=engine, clock=clock, sleep=lambda seconds: None,
                        platforms=[FakePlatform.factory(ZONES)])
    try:
        with drumbeat.services.unit_of_work() as session:
            report = import_org_csv(session, ORG_CSV, formats={PLATFORM: USER_ID_FORMAT})
        assert (report.created, report.without_zone) == (4, 4)
        assert drumbeat.sync_directory() == 4  # time zones from Fakechat's directory
        fake = drumbeat.platform(PLATFORM)
        assert isinstance(fake, FakePlatform)
        yield World(drumbeat, fake, clock)
    finally:
        drumbeat.close()


# --- what every test checks at its end ----------------------------------------------------------


def slack_markup(text: str) -> list[str]:
    """Whatever in a text is Slack's dialect rather than Fakechat's."""
    found = []
    if "<@" in text or "<!" in text:
        found.append("a Slack mention")
    if re.search(r"&(amp|lt|gt);", text):
        found.append("Slack's HTML-entity escaping")
    if "*" in text.replace("\\*", "").replace("**", ""):
        found.append("Slack's single-asterisk bold")
    if re.search(r":[a-z_]+:", text):
        found.append("a Slack emoji code")
    return found


def non_neutral(value: Any, path: str = "context") -> list[str]:
    """Anything in an Outgoing's context that is not plain data or the core's neutral rich words (a
    platform's markup type, such as Slack's `SlackMarkup` str subclass, or a pre-escaped string)."""
    if isinstance(value, dict):
        return [problem for key, item in value.items() for problem in non_neutral(item, f"{path}.{key}")]
    if isinstance(value, (list, tuple)):
        return [problem for index, item in enumerate(value) for problem in non_neutral(item, f"{path}[{index}]")]
    if type(value) is str:
        return [f"{path} is escaped for Slack: {value!r}"] if re.search(r"&(amp|lt|gt);", value) else []
    if value is None or type(value) in (int, float, bool, Rich, PersonRef):
        return []
    return [f"{path} is a {type(value).__name__}: {value!r}"]


def assert_only_fakechat_was_involved(world: World, slack_unloaded: Callable[[], list[str]]) -> None:
    assert set(world.drumbeat.sender.senders) == {PLATFORM}  # the outbox's one Sender holds only Fakechat
    for outgoing in world.fake.sender.received:
        assert outgoing.recipient.platform == PLATFORM
        assert non_neutral(outgoing.context) == [], outgoing.kind
    for message in world.fake.sender.sent:
        shown = "\n".join([message.text, *(button["label"] for button in message.buttons)])
        assert slack_markup(shown) == [], shown
    assert slack_unloaded() == []


# --- the tests -----------------------------------------------------------------------------------


def test_fake_platform_receives_broadcast_rendered_from_its_own_templates(
    world: World, slack_unloaded: Callable[[], list[str]]
) -> None:
    queued = world.schedule(LENA, BroadcastDraft(audience=AudienceSpec(teams=("East",)), message_key="fake-discovery"))
    assert (queued.recipients, queued.now_count) == (2, 2)

    report = world.drumbeat.dispatch_now()

    assert (report.sent, report.failed) == (2, 0)
    (ria,) = world.inbox(RIA)
    delivery = world.delivery(ria)
    assert ria.text.splitlines() == [
        "**Discovery before proposals**",  # the title through Fakechat's bold filter
        r"Hi Ria \*Star\* Bell, run a discovery call before any proposal.",  # her name, escaped
        "From @Lena Okafor · key message · v1",  # the author through its mention filter
    ]
    assert ria.buttons == [{"label": "Got it", "action": "ack", "value": str(delivery.id)}]
    (jo,) = world.inbox(JO)
    assert r"Hi Jo\_Ann Weber," in jo.text
    assert (delivery.status, delivery.platform, delivery.conversation_id, delivery.platform_message_id) == (
        DeliveryStatus.SENT, PLATFORM, "DM-F301", ria.ref.message_id)
    # What the core handed over is neutral: the body as rendered for Ria, as rich text whose value (her name) is a
    # plain string apart from the leader's words, unescaped (escaping is each dialect's).
    assert ria.outgoing.context["body"] == Rich(Written("Hi "), "Ria *Star* Bell",
                                                Written(", run a discovery call before any proposal."))
    assert_only_fakechat_was_involved(world, slack_unloaded)


def test_quiz_question_reaches_fake_platform_and_the_answer_updates_understanding(
    world: World, slack_unloaded: Callable[[], list[str]]
) -> None:
    world.schedule(LENA, BroadcastDraft(audience=AudienceSpec(people=(Address(PLATFORM, RIA),)),
                                        question_key="q-fake-discovery-when"))
    world.drumbeat.dispatch_now()

    (question,) = world.inbox(RIA)
    assert question.outgoing.kind == "quiz" and world.delivery(question).kind == DeliveryKind.QUIZ
    assert question.text == "**Pulse check**: When do you send a proposal?"
    assert [button["label"] for button in question.buttons] == [
        "After a discovery call", "Right after the first email", "Whenever the buyer asks"]

    world.fake.click(RIA, question, question.button("After a discovery call"))

    assert question.edits == 1 and question.buttons == []  # updated in place: nothing left to tap
    assert question.text.splitlines()[1:] == [
        "**Right**: After a discovery call",
        "A proposal without discovery guesses at the buyer's problem.",
        "What we expect: Run a discovery call before you send any proposal.",
    ]
    with world.drumbeat.services.unit_of_work() as session:
        ria = identify(session, Address(PLATFORM, RIA))
        rate = understanding.for_person(session, person_id=ria.id)
    assert (rate.correct, rate.answered) == (1, 1)
    assert_only_fakechat_was_involved(world, slack_unloaded)


def test_manager_gets_coaching_dm_on_fake_platform_when_a_rep_misses_twice(
    world: World, slack_unloaded: Callable[[], list[str]]
) -> None:
    world.schedule(LENA, BroadcastDraft(audience=AudienceSpec(people=(Address(PLATFORM, RIA),)),
                                        question_key="q-fake-discovery-when"))
    world.drumbeat.dispatch_now()
    assert world.answer_open_questions(RIA, right=False) == 1
    world.live(24, wrong=(RIA,))  # Wednesday 07:30 UTC: the re-ask came (another question) and was missed
    assert [message.outgoing.kind for message in world.inbox(RIA)] == ["quiz", "quiz"]
    assert world.inbox(MARCO) == []  # 08:30 in Berlin: before Marco's coaching morning

    world.live(1)  # 09:30 in Berlin

    (dm,) = world.inbox(MARCO)
    delivery = world.delivery(dm)
    assert (dm.outgoing.kind, delivery.kind, delivery.platform) == ("coaching", DeliveryKind.COACHING, PLATFORM)
    assert delivery.sent_at.astimezone(BERLIN).strftime("%a %H:%M") == "Wed 09:30"
    lines = dm.text.splitlines()
    assert lines[:3] == ["**Coaching · Wed 25 Nov**", "Hi Marco, these reps would benefit from a conversation.",
                         "**Run a discovery call before you send any proposal.**"]
    assert r"- **Goal:** Is \*discovery first\* clear to the rep?" in lines  # the pack's talking point, escaped
    assert lines[-3:] == [
        r"**Ria \*Star\* Bell** · missed it twice in a row",
        "  wrong: Why does discovery come first? -> It fills the CRM (2026-11-25)",
        "  wrong: When do you send a proposal? -> Right after the first email (2026-11-24)",
    ]
    assert [button["label"] for button in dm.buttons] == ["Coached", "Snooze a week"]
    assert_only_fakechat_was_involved(world, slack_unloaded)


def test_a_message_over_fakechats_own_limit_fails_permanently_and_reaches_nobody(
    world: World, slack_unloaded: Callable[[], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake_platform, "MAX_TEXT", 40)
    world.schedule(LENA, BroadcastDraft(audience=AudienceSpec(people=(Address(PLATFORM, RIA),)),
                                        message_key="fake-discovery"))

    report = world.drumbeat.dispatch_now()

    assert (report.sent, report.failed) == (0, 1)
    assert world.inbox(RIA) == []
    with world.drumbeat.services.unit_of_work() as session:
        (delivery,) = session.execute(select(Delivery)).scalars()
        assert delivery.status == DeliveryStatus.FAILED
        assert "Fakechat takes at most 40" in (delivery.last_error or "")
    assert slack_unloaded() == []
