"""Coaching in Teams, end to end through the emulator with signed activities: a key message left without Got it
for three days puts the rep in their manager's coaching card (an Adaptive Card, no longer a permanent failure)
and gives the rep a gentle nudge card; Snooze and Send a refresher replace the card in place; Coached opens a
dialog whose submission marks the nudge once, updates the card where it was sent and tells the manager. Only
the rep's manager or a leader can use them: a rep's forged press or dialog changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import CoachingNudge, Delivery, DeliveryKind, DeliveryStatus, NudgeStatus, Person

from .conftest import JO, LENA, RIA, World, card_texts  # noqa: TID252
from .test_teams_slice import installed  # noqa: TID252


@pytest.fixture
def coached(world: World) -> World:
    """Tuesday: Ria and Jo get a key message and leave it; Friday morning in Berlin: the coaching job runs."""
    installed(world, LENA, RIA, JO)
    world.broadcast_to(RIA, JO)
    assert world.drumbeat.dispatch_now().sent == 2
    world.clock.advance(timedelta(days=3, hours=0.5))  # Friday 10:00 UTC, 11:00 in Berlin: three days later
    world.drumbeat.coaching_now()
    world.drumbeat.dispatch_now()
    return world


def nudges(world: World) -> dict[str, CoachingNudge]:
    with world.drumbeat.services.unit_of_work() as session:
        rows = session.execute(select(CoachingNudge, Person.name).join(Person, Person.id == CoachingNudge.rep_id)).all()
        for nudge, _ in rows:
            session.expunge(nudge)
        return {name.split()[-1]: nudge for nudge, name in rows}


def coaching_message(world: World) -> dict[str, Any]:
    (message,) = [m for m in world.emu.inbox(LENA) if "Coaching ·" in m["attachments"][0]["content"]["body"][0]["text"]]
    return message


def texts(card: dict[str, Any]) -> str:
    return "\n".join(card_texts(card))


def test_the_manager_gets_a_coaching_card_and_the_rep_a_nudge_card(coached: World) -> None:
    with coached.drumbeat.services.unit_of_work() as session:
        kinds = {row.kind: row.status for row in session.execute(select(Delivery)).scalars()
                 if row.kind in (DeliveryKind.COACHING, DeliveryKind.NUDGE)}
    assert kinds == {DeliveryKind.COACHING: DeliveryStatus.SENT, DeliveryKind.NUDGE: DeliveryStatus.SENT}
    card = coaching_message(coached)["attachments"][0]["content"]
    assert "Key message: Where we win: on-strategy business first" in texts(card)
    assert "**\\_Ria\\_ \\*Star\\* Bell** · has not acknowledged it" in texts(card)  # her name escaped
    titles = [action["title"] for element in card["body"] if element["type"] == "ActionSet"
              for action in element["actions"]]
    assert titles == ["Coached", "Snooze a week", "Send the rep a refresher"] * 2
    nudge_cards = [m["attachments"][0]["content"] for m in coached.emu.inbox(RIA)[1:]]
    assert any("a gentle nudge: 1 message to acknowledge with **Got it**" in texts(c) for c in nudge_cards)


def test_snooze_and_refresher_replace_the_card_in_place(coached: World) -> None:
    message, ids = coaching_message(coached), {name: n.id for name, n in nudges(coached).items()}

    snoozed = coached.emu.execute(LENA, message["id"], action_id=f"snooze_{ids['Weber']}")
    refreshed = coached.emu.execute(LENA, message["id"], action_id=f"refresher_{ids['Bell']}")

    assert snoozed.status == refreshed.status == 200 and snoozed.card_problems == refreshed.card_problems == []
    state = nudges(coached)
    assert state["Weber"].status == NudgeStatus.SNOOZED and state["Bell"].refreshed_at is not None
    card = coached.emu.inbox(LENA)[[m["id"] for m in coached.emu.inbox(LENA)].index(message["id"])]
    shown = texts(card["attachments"][0]["content"])
    assert "💤 Snoozed by **Lena Okafor**" not in shown and "💤 Snoozed by Lena Okafor until" in shown
    assert "🔁 Refresher sent" in shown
    assert coached.drumbeat.wait_for_background()
    told = texts(coached.emu.inbox(LENA)[-1]["attachments"][0]["content"])
    assert "Refresher on its way" in told
    with coached.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(Delivery).where(Delivery.kind == DeliveryKind.REFRESHER)).first() is not None


def test_coached_opens_a_dialog_marks_the_nudge_once_and_updates_the_card(coached: World) -> None:
    message, ids = coaching_message(coached), {name: n.id for name, n in nudges(coached).items()}

    opened = coached.emu.submit(LENA, message["id"], action_id=f"coached_{ids['Bell']}")
    assert opened.status == 200 and opened.card_problems == []
    assert "**\\_Ria\\_ \\*Star\\* Bell** · key message" in texts(coached.emu.dialog(LENA).card)

    too_long = coached.emu.submit_dialog(LENA, {"cause": "goal", "note": "n" * 1001}, title="Save")
    assert too_long.status == 200 and "⚠️ The note is 1001 characters" in texts(coached.emu.dialog(LENA).card)

    saved = coached.emu.submit_dialog(LENA, {"cause": "goal", "note": "We walked through the plan."}, title="Save")

    assert saved.status == 200 and coached.emu.dialog(LENA) is None
    assert coached.drumbeat.wait_for_background()
    bell = nudges(coached)["Bell"]
    assert (bell.status, bell.cause, bell.note) == (NudgeStatus.COACHED, "goal", "We walked through the plan.")
    (update,) = coached.emu.calls_to("update_activity")
    assert update.activity_id == message["id"]
    assert "✅ Coached by Lena Okafor" in texts(coaching_message(coached)["attachments"][0]["content"])
    assert "Noted: you coached" in texts(coached.emu.inbox(LENA)[-1]["attachments"][0]["content"])

    assert coached.emu.deliver(saved.activity).status == 200  # the same submission again
    assert coached.drumbeat.wait_for_background()
    assert len(coached.emu.calls_to("update_activity")) == 1


def test_a_reps_forged_coaching_press_or_dialog_is_refused_and_changes_nothing(coached: World) -> None:
    ids = {name: n.id for name, n in nudges(coached).items()}
    press = coached.emu.activity_for(JO, "invoke", name="adaptiveCard/action", value={"action": {
        "type": "Action.Execute", "data": {"action": "coaching_snooze", "nudge": str(ids["Bell"])}}})

    refused = coached.emu.deliver(press)

    assert refused.status == 200 and "only a rep's own manager" in refused.body["value"]
    opened = coached.emu.fetch_dialog(JO, {"dialog_id": "coached", "nudge": str(ids["Bell"])})
    assert "only a rep's own manager" in texts(coached.emu.dialog(JO).card) and opened.card_problems == []
    submit = coached.emu.activity_for(JO, "invoke", name="task/submit", value={"data": {
        "action": "coached_save", "form": "A" * 22, "nudge": str(ids["Bell"]), "cause": "goal"}})
    assert "only a rep's own manager" in texts(coached.emu.deliver(submit).body["task"]["value"]["card"]["content"])
    assert coached.drumbeat.wait_for_background()
    assert all(nudge.status == NudgeStatus.OPEN for nudge in nudges(coached).values())
