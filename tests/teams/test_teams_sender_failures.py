"""How the Teams Sender's failures reach the outbox, through the emulator's injected faults: 412/502/504 are
retried with back-off and land once, a dropped connection is retried as uncertain (after the settle time) and
lands once, a 400 fails at once; the bot's token is fetched once and reused; Got it pressed on a message other
than the one recorded updates the recorded message, never the pressed one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.models import DeliveryStatus

from .conftest import RIA, World, card_texts  # noqa: TID252
from .test_teams_slice import installed  # noqa: TID252


@pytest.mark.parametrize("status", [412, 502, 504])
def test_a_passing_connector_failure_is_retried_later_and_lands_once(world: World, status: int) -> None:
    installed(world, RIA)
    world.broadcast_to(RIA)
    world.emu.inject_fault("send_activity", status=status)

    first = world.drumbeat.dispatch_now()

    assert (first.sent, first.retried, first.failed) == (0, 1, 0)
    (waiting,) = world.deliveries()
    assert waiting.status == DeliveryStatus.PENDING and f"HTTP {status}" in (waiting.last_error or "")
    assert waiting.uncertain_since is None  # Teams answered: it did not take the message

    world.clock.advance(timedelta(minutes=1))
    second = world.drumbeat.dispatch_now()

    assert second.sent == 1 and len(world.emu.inbox(RIA)) == 1
    assert [call.status for call in world.emu.calls_to("send_activity")] == [status, 201]


def test_a_dropped_connection_is_uncertain_and_is_sent_again_only_after_the_settle_time(world: World) -> None:
    installed(world, RIA)
    world.broadcast_to(RIA)
    world.emu.inject_fault("send_activity", reset=True)

    world.drumbeat.dispatch_now()

    (uncertain,) = world.deliveries()
    assert uncertain.status == DeliveryStatus.PENDING and uncertain.uncertain_since is not None
    assert "Teams did not answer" in (uncertain.last_error or "")
    world.clock.advance(timedelta(seconds=10))
    assert world.drumbeat.dispatch_now().sent == 0  # not before the settle time

    world.clock.advance(timedelta(minutes=2))
    assert world.drumbeat.dispatch_now().sent == 1
    assert len(world.emu.inbox(RIA)) == 1


def test_a_refused_message_fails_at_once(world: World) -> None:
    installed(world, RIA)
    world.broadcast_to(RIA)
    world.emu.inject_fault("send_activity", status=400, code="BadArgument")

    report = world.drumbeat.dispatch_now()

    assert (report.sent, report.failed) == (0, 1)
    (failed,) = world.deliveries()
    assert failed.status == DeliveryStatus.FAILED and "HTTP 400" in (failed.last_error or "")


def test_the_bots_token_is_fetched_once_for_many_sends(world: World) -> None:
    from .conftest import JO, LENA  # noqa: TID252

    installed(world, RIA, JO, LENA)
    world.broadcast_to(RIA, JO, LENA)

    assert world.drumbeat.dispatch_now().sent == 3
    assert len(world.emu.tokens.issued) == 1


def test_got_it_on_another_message_updates_the_recorded_one(world: World) -> None:
    installed(world, RIA)
    world.broadcast_to(RIA)
    world.drumbeat.dispatch_now()
    (recorded,) = world.emu.inbox(RIA)
    (delivery,) = world.deliveries()
    press = world.emu.activity_for(RIA, "invoke", name="adaptiveCard/action", replyToId="1700000000000", value={
        "action": {"type": "Action.Execute", "verb": "got_it", "data": {"action": "got_it", "delivery": str(delivery.id)}}})

    answer = world.emu.deliver(press)

    assert answer.status == 200 and answer.body["type"] == "application/vnd.microsoft.activity.message"
    (update,) = world.emu.calls_to("update_activity")
    assert (update.conversation_id, update.activity_id, update.status) == (
        delivery.conversation_id, recorded["id"], 200)
    assert [action["title"] for action in world.card(RIA)["actions"]] == ["Stop / start / continue feedback"]
    assert card_texts(world.card(RIA))[-1].startswith("✅ You acknowledged this on")
