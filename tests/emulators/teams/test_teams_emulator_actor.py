"""The emulator playing the people: installation with the conversation reference, messages carrying the
person's time zone, Action.Execute on the card's real actions with the answer replacing the card in place,
Action.Submit, dialogs opened and submitted, and only what the Teams client would allow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import SimulatedClock
from bot.emulators.teams import EmulatorError, TeamsEmulator, User

from .teams_emulator_kit import ADAPTIVE, Connector, StubBot, card, card_message

GOT_IT = {"type": "Action.Execute", "title": "Got it", "verb": "gotIt", "id": "got-it", "data": {"delivery": 41}}


def _post_card(emu: TeamsEmulator, user: User, content: dict) -> str:
    chat = emu.conversation_reference(user.aad_object_id)["conversation_id"]
    reply = Connector(emu).send(chat, card_message(content))
    assert reply.status == 201, reply.body
    return reply.body["id"]


def test_installation_tells_the_bot_the_conversation_reference(emu: TeamsEmulator, stub: StubBot) -> None:
    user = emu.add_user(name="Ana Silva", local_timezone="America/Sao_Paulo")
    emu.install_app(user.aad_object_id)
    installation, update = stub.received
    reference = emu.conversation_reference(user.aad_object_id)
    assert installation["type"] == "installationUpdate" and installation["action"] == "add"
    assert update["type"] == "conversationUpdate" and update["membersAdded"] == [{"id": f"28:{emu.app_id}",
                                                                                  "name": "Drumbeat"}]
    for activity in (installation, update):
        assert activity["conversation"]["id"] == reference["conversation_id"]
        assert activity["conversation"]["conversationType"] == "personal"
        assert activity["serviceUrl"] == reference["service_url"] == emu.service_url
        assert activity["channelData"]["tenant"]["id"] == emu.tenant_id
        assert activity["from"]["aadObjectId"] == user.aad_object_id
    assert all(a.startswith("Bearer ey") for a in stub.authorizations)


def test_messages_carry_the_persons_time_zone(emu: TeamsEmulator, stub: StubBot, alice: User,
                                              clock: SimulatedClock) -> None:
    clock.set(datetime(2031, 3, 4, 9, 0, tzinfo=UTC))
    emu.send_message(alice.aad_object_id, "summary")
    sent = stub.received[-1]
    assert (sent["type"], sent["text"], sent["localTimezone"]) == ("message", "summary", "Europe/Berlin")
    assert sent["localTimestamp"].startswith("2031-03-04T10:00:00.000+01:00")
    emu.set_user(alice.aad_object_id, local_timezone="Asia/Tokyo")
    emu.send_message(alice.aad_object_id, "help")
    assert stub.received[-1]["localTimezone"] == "Asia/Tokyo"


def test_acting_without_the_app_installed_is_not_possible(emu: TeamsEmulator, stub: StubBot) -> None:
    stranger = emu.add_user(name="No App")
    with pytest.raises(EmulatorError):
        emu.send_message(stranger.aad_object_id, "hi")


def test_execute_presses_the_cards_action_and_the_answer_replaces_the_card(emu: TeamsEmulator, stub: StubBot,
                                                                           alice: User) -> None:
    message_id = _post_card(emu, alice, card(actions=[GOT_IT]))
    thanks = card({"type": "TextBlock", "text": "Thanks!"})
    stub.reply = lambda activity: (200, {"statusCode": 200, "type": ADAPTIVE, "value": thanks})
    response = emu.execute(alice.aad_object_id, message_id, title="Got it")
    invoke = stub.received[-1]
    assert (invoke["type"], invoke["name"], invoke["replyToId"]) == ("invoke", "adaptiveCard/action", message_id)
    assert invoke["value"]["action"] == {"type": "Action.Execute", "id": "got-it", "verb": "gotIt",
                                         "data": {"delivery": 41}}
    assert response.in_time and response.card_problems == []
    shown = emu.inbox(alice.aad_object_id)[0]
    assert shown["attachments"][0]["content"] == thanks and shown["edits"] == 1
    with pytest.raises(EmulatorError):
        emu.execute(alice.aad_object_id, message_id, title="Got it")  # the new card has no such button


def test_execute_gathers_the_cards_inputs_and_refuses_others(emu: TeamsEmulator, stub: StubBot, alice: User) -> None:
    answer = {"type": "Action.Execute", "title": "Answer", "verb": "answer", "data": {"question": 7}}
    message_id = _post_card(emu, alice, card({"type": "Input.ChoiceSet", "id": "choice", "choices": [
        {"title": "A", "value": "a"}, {"title": "B", "value": "b"}]}, actions=[answer]))
    emu.execute(alice.aad_object_id, message_id, verb="answer", inputs={"choice": "b"})
    assert stub.received[-1]["value"]["action"]["data"] == {"question": 7, "choice": "b"}
    with pytest.raises(EmulatorError):
        emu.execute(alice.aad_object_id, message_id, verb="answer", inputs={"confidence": "high"})
    with pytest.raises(EmulatorError):
        emu.execute(alice.aad_object_id, message_id, verb="delete_everything")


def test_a_bad_replacement_card_is_reported_and_not_shown(emu: TeamsEmulator, stub: StubBot, alice: User) -> None:
    message_id = _post_card(emu, alice, card(actions=[GOT_IT]))
    stub.reply = lambda activity: (200, {"statusCode": 200, "type": ADAPTIVE, "value": card(version="1.6")})
    response = emu.execute(alice.aad_object_id, message_id, verb="gotIt")
    assert response.card_problems and "1.5" in response.card_problems[0]
    assert emu.inbox(alice.aad_object_id)[0]["attachments"][0]["content"]["actions"] == [GOT_IT]


def test_action_submit_sends_a_message_with_the_value(emu: TeamsEmulator, stub: StubBot, alice: User) -> None:
    submit = {"type": "Action.Submit", "title": "Send", "data": {"kind": "feedback"}}
    message_id = _post_card(emu, alice, card({"type": "Input.Text", "id": "stop"}, actions=[submit]))
    emu.submit(alice.aad_object_id, message_id, title="Send", inputs={"stop": "long calls"})
    sent = stub.received[-1]
    assert sent["type"] == "message" and sent["value"] == {"kind": "feedback", "stop": "long calls"}
    assert sent["replyToId"] == message_id


def test_a_dialog_opens_from_a_card_and_submits_its_inputs(emu: TeamsEmulator, stub: StubBot, alice: User) -> None:
    opener = {"type": "Action.Submit", "title": "Give feedback", "data": {"msteams": {"type": "task/fetch"},
                                                                          "dialog": "feedback"}}
    message_id = _post_card(emu, alice, card(actions=[opener]))
    form = card({"type": "Input.Text", "id": "start"}, actions=[{"type": "Action.Submit", "title": "Submit"}])

    def reply(activity: dict) -> tuple[int, object]:
        if activity["name"] == "task/fetch":
            return 200, {"task": {"type": "continue", "value": {"title": "Feedback", "card": {
                "contentType": ADAPTIVE, "content": form}}}}
        return 200, None

    stub.reply = reply
    emu.submit(alice.aad_object_id, message_id, title="Give feedback")
    fetch = stub.received[-1]
    assert fetch["name"] == "task/fetch" and fetch["value"]["data"]["dialog"] == "feedback"
    dialog = emu.dialog(alice.aad_object_id)
    assert dialog is not None and dialog.title == "Feedback" and dialog.card == form
    emu.submit_dialog(alice.aad_object_id, {"start": "demos"}, title="Submit")
    assert stub.received[-1]["name"] == "task/submit"
    assert stub.received[-1]["value"]["data"] == {"start": "demos"}
    assert emu.dialog(alice.aad_object_id) is None, "an empty answer closes the dialog"
    with pytest.raises(EmulatorError):
        emu.submit_dialog(alice.aad_object_id, {"start": "again"})
