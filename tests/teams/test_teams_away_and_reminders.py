"""Time away and reminders for Teams people, end to end through the emulator: a typed `away ...` holds a rep's
messages (only the newest of each broadcast arrives on return, through the outbox, as a card); a key message
left without Got it for a day is reminded once, as a card saying so; bad dates get a clear answer."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from storage.models import Delivery, DeliveryKind, DeliveryStatus, Person

from .conftest import RIA, World, card_texts  # noqa: TID252
from .test_teams_slice import installed  # noqa: TID252


def typed(world: World, user_id: str, text: str) -> str:
    before = len(world.emu.inbox(user_id))
    assert world.emu.send_message(user_id, text).status == 200
    world.emu.wait_for(lambda: len(world.emu.inbox(user_id)) > before)
    assert world.drumbeat.wait_for_background()
    return "\n".join(card_texts(world.card(user_id)))


def ria(world: World) -> Person:
    with world.drumbeat.services.unit_of_work() as session:
        person = session.execute(select(Person).where(Person.email == "ria@example.com")).scalar_one()
        session.expunge(person)
        return person


def test_typed_away_holds_messages_and_on_return_only_the_newest_arrives(world: World) -> None:
    installed(world, RIA)

    said = typed(world, RIA, "away until 2026-12-01")

    assert said.startswith("🌴 Enjoy the time away. From today through Tue 01 Dec 2026")
    assert (ria(world).away_from, ria(world).away_until) == (date(2026, 11, 24), date(2026, 12, 1))
    world.broadcast_to(RIA)
    world.clock.advance(timedelta(minutes=5))
    world.broadcast_to(RIA)
    world.drumbeat.tick()
    assert [m for m in world.emu.inbox(RIA) if "Where we win" in str(m)] == []  # held while away

    assert typed(world, RIA, "away off").startswith("🌴 Welcome back!")
    world.drumbeat.tick()

    arrived = [m for m in world.emu.inbox(RIA) if "Where we win" in str(m)]
    assert len(arrived) == 2  # one per broadcast: the two are different broadcasts of the same message
    assert ria(world).away_until is None


def test_a_bad_away_date_gets_a_clear_answer_and_changes_nothing(world: World) -> None:
    installed(world, RIA)

    said = typed(world, RIA, "away until someday")

    assert said.startswith("🤔 Say `away until 2026-12-01`, `away 2026-12-20 to 2027-01-04`, or `away off`.")
    assert ria(world).away_until is None


def test_an_unacknowledged_key_message_is_reminded_once_as_a_card(world: World) -> None:
    installed(world, RIA)
    world.broadcast_to(RIA)
    world.drumbeat.tick()

    world.clock.advance(timedelta(hours=25))
    world.drumbeat.tick()
    world.clock.advance(timedelta(hours=25))
    world.drumbeat.tick()

    with world.drumbeat.services.unit_of_work() as session:
        reminders = list(session.execute(select(Delivery).where(Delivery.kind == DeliveryKind.REMINDER)).scalars())
        assert [row.status for row in reminders] == [DeliveryStatus.SENT]
    (_, reminder) = world.emu.inbox(RIA)
    texts = card_texts(reminder["attachments"][0]["content"])
    assert texts[0] == "🔔 A reminder: this key message is still waiting for your **Got it**."
    assert world.emu.execute(RIA, reminder["id"], title="Got it").status == 200
