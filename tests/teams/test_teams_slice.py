"""The first Teams slice end to end, through the Teams emulator over real HTTP with signed activities: the app is
installed for reps (their conversation references stored), a leader's broadcast reaches them through the outbox
as an Adaptive Card, Got it acknowledges the delivery and replaces the card in place, a forged activity is
refused 401, a 429 is retried after its Retry-After without a duplicate, and typed `help` / `summary` are
answered as cards. Runs on SQLite and PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from sqlalchemy import select

from bot.emulators.teams.keys import KeyPair
from storage.models import ConversationRef, DeliveryStatus, Person

from .conftest import JO, LENA, RIA, World, card_texts  # noqa: TID252


def installed(world: World, *user_ids: str) -> None:
    for user_id in user_ids:
        assert [response.status for response in world.emu.install_app(user_id)] == [200, 200]


def test_installation_stores_the_conversation_reference_and_the_time_zone(world: World) -> None:
    installed(world, RIA)

    expected = world.emu.conversation_reference(RIA)
    with world.drumbeat.services.unit_of_work() as session:
        (row,) = session.execute(select(ConversationRef)).scalars()
        assert (row.platform, row.user_id, row.conversation_id, row.service_url, row.tenant_id, row.usable) == (
            "teams", RIA, expected["conversation_id"], expected["service_url"], expected["tenant_id"], True)
        assert row.platform_user_id == expected["user_id"]
        ria = session.execute(select(Person).where(Person.email == "ria@example.com")).scalar_one()
        assert ria.tz == "Europe/Berlin"

    assert world.emu.uninstall_app(RIA).status == 200
    with world.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(ConversationRef.usable)).scalar_one() is False


def test_broadcast_reaches_a_teams_rep_as_an_adaptive_card_and_got_it_replaces_it_in_place(world: World) -> None:
    installed(world, RIA)
    world.broadcast_to(RIA)

    report = world.drumbeat.dispatch_now()

    assert (report.sent, report.failed) == (1, 0)
    (message,) = world.emu.inbox(RIA)
    (delivery,) = world.deliveries()
    assert (delivery.status, delivery.platform, delivery.platform_message_id) == (
        DeliveryStatus.SENT, "teams", message["id"])
    card = world.card(RIA)
    texts = card_texts(card)
    assert card["version"] == "1.5" and texts[0] == "Where we win: on-strategy business first"
    # Her name escaped for Teams' markdown; the leader's mrkdwn bold became Teams' bold.
    assert texts[1].startswith("Hi \\_Ria\\_,\n\nIf you take one thing from our strategy, take this: **spend most")
    assert texts[2] == "From **Lena Okafor** · key message · v1"
    assert card["actions"] == [
        {"type": "Action.Execute", "title": "Got it", "verb": "got_it", "style": "positive",
         "data": {"action": "got_it", "delivery": str(delivery.id)}},
        {"type": "Action.Submit", "title": "Stop / start / continue feedback", "mode": "secondary",
         "data": {"msteams": {"type": "task/fetch"}, "dialog_id": "feedback", "context": f"delivery:{delivery.id}"}}]

    pressed = world.emu.execute(RIA, message["id"], title="Got it")

    assert pressed.status == 200 and pressed.in_time and pressed.card_problems == []
    (acknowledged,) = world.deliveries()
    assert acknowledged.acknowledged_at == world.drumbeat.services.clock()
    (after,) = world.emu.inbox(RIA)  # the same message, its card replaced: no new message
    assert after["id"] == message["id"]
    assert [action["title"] for action in world.card(RIA)["actions"]] == ["Stop / start / continue feedback"]
    assert card_texts(world.card(RIA))[-1] == "✅ You acknowledged this on Tue 24 Nov, 10:30. Thank you!"
    assert world.emu.calls_to("update_activity") == []  # Teams replaced it from the invoke's answer


def test_forged_or_unsigned_activities_are_refused_and_change_nothing(world: World) -> None:
    installed(world, RIA)
    world.broadcast_to(RIA)
    world.drumbeat.dispatch_now()
    (message,) = world.emu.inbox(RIA)
    (delivery,) = world.deliveries()
    press = world.emu.activity_for(RIA, "invoke", name="adaptiveCard/action", replyToId=message["id"], value={
        "action": {"type": "Action.Execute", "verb": "got_it", "data": {"action": "got_it", "delivery": str(delivery.id)}}})

    assert world.emu.deliver(press, token="").status == 401
    assert world.emu.deliver(press, token=world.emu.inbound_token(key=KeyPair.generate())).status == 401
    assert world.emu.deliver(press, token=world.emu.inbound_token(aud="another-bot")).status == 401

    (unchanged,) = world.deliveries()
    assert unchanged.acknowledged_at is None
    assert "Got it" in [action["title"] for action in world.card(RIA)["actions"]]


def test_someone_elses_got_it_is_refused(world: World) -> None:
    installed(world, RIA, JO)
    world.broadcast_to(RIA)
    world.drumbeat.dispatch_now()
    (delivery,) = world.deliveries()
    press = world.emu.activity_for(JO, "invoke", name="adaptiveCard/action", value={
        "action": {"type": "Action.Execute", "verb": "got_it", "data": {"action": "got_it", "delivery": str(delivery.id)}}})

    answer = world.emu.deliver(press)

    assert answer.status == 200 and answer.body["type"] == "application/vnd.microsoft.activity.message"
    assert "someone else" in answer.body["value"]
    (unchanged,) = world.deliveries()
    assert unchanged.acknowledged_at is None


def test_a_429_is_retried_after_its_retry_after_and_arrives_once(world: World) -> None:
    installed(world, RIA)
    world.broadcast_to(RIA)
    world.emu.inject_fault("send_activity", status=429, retry_after=3)

    report = world.drumbeat.dispatch_now()

    assert (report.rate_limited, report.sent, report.failed) == (1, 1, 0)
    assert 3.0 in world.slept
    assert [call.status for call in world.emu.calls_to("send_activity")] == [429, 201]
    assert len(world.emu.inbox(RIA)) == 1
    (delivery,) = world.deliveries()
    assert delivery.status == DeliveryStatus.SENT


def test_a_rep_who_blocked_the_bot_or_never_installed_it_fails_permanently_with_a_clear_error(world: World) -> None:
    installed(world, RIA)
    world.emu.set_user(RIA, blocked=True)
    world.broadcast_to(RIA, JO)

    report = world.drumbeat.dispatch_now()

    assert (report.sent, report.failed) == (0, 2)
    errors = {delivery.person_id: delivery.last_error or "" for delivery in world.deliveries()}
    assert all(delivery.status == DeliveryStatus.FAILED for delivery in world.deliveries())
    assert any("HTTP 403" in error and "blocked" in error for error in errors.values())
    assert any("not installed in Teams for this person" in error for error in errors.values())
    assert len(world.emu.calls_to("send_activity")) == 1  # Jo, without a conversation, costs no call


def test_typed_help_and_summary_are_answered_as_cards(world: World) -> None:
    installed(world, LENA, RIA)
    world.broadcast_to(RIA)
    world.drumbeat.dispatch_now()

    assert world.emu.send_message(LENA, "help").status == 200
    world.emu.wait_for(lambda: world.emu.inbox(LENA))
    help_text = "\n".join(card_texts(world.card(LENA)))
    assert "What you can do with drumbeat" in help_text and "`drumbeat summary" in help_text

    assert world.emu.send_message(LENA, "<at>Drumbeat</at> summary East").status == 200
    world.emu.wait_for(lambda: len(world.emu.inbox(LENA)) == 3, timeout=30)  # the figures, then chart and CSV
    summary = world.card(LENA, 1)
    assert summary["version"] == "1.5"
    assert any(element.get("type") == "FactSet" for element in summary["body"])

    assert world.emu.send_message(RIA, "frobnicate").status == 200
    world.emu.wait_for(lambda: len(world.emu.inbox(RIA)) == 2)
    assert "I don't know `frobnicate`" in "\n".join(card_texts(world.card(RIA)))


def test_the_time_zone_teams_reports_with_a_message_becomes_the_persons(world: World) -> None:
    installed(world, RIA)
    world.emu.set_user(RIA, local_timezone="Asia/Tokyo")

    assert world.emu.send_message(RIA, "help").status == 200
    world.emu.wait_for(lambda: world.emu.inbox(RIA))
    assert world.drumbeat.wait_for_background()

    with world.drumbeat.services.unit_of_work() as session:
        ria = session.execute(select(Person).where(Person.email == "ria@example.com")).scalar_one()
        assert ria.tz == "Asia/Tokyo"
