"""The emulator against the Teams SDK itself: the SDK's inbound token validator accepts the emulator's signed
activities and refuses bad tokens (401, handler not run); the SDK's API client creates, sends, updates,
deletes and reads members on the emulator's connector with a token from the emulator's token service."""

from __future__ import annotations

import base64
import json
import time

import pytest

from bot.emulators.teams import TeamsEmulator
from bot.emulators.teams.keys import KeyPair

from .conftest import SdkBot


def _person(emu: TeamsEmulator, sdk_bot: SdkBot) -> str:
    user = emu.add_user(name="Ana Silva", local_timezone="Europe/Lisbon")
    responses = emu.install_app(user.aad_object_id)
    assert [r.status for r in responses] == [200, 200]
    return user.aad_object_id


def test_sdk_accepts_a_signed_installation_and_answers_through_the_connector(emu: TeamsEmulator, sdk_bot: SdkBot) -> None:
    person = _person(emu, sdk_bot)
    installed = sdk_bot.received[0]
    reference = emu.conversation_reference(person)
    assert installed.type == "installationUpdate"
    assert installed.conversation.id == reference["conversation_id"]
    assert installed.service_url == emu.service_url

    assert emu.send_message(person, "ping").status == 200
    inbox = emu.wait_for(lambda: emu.inbox(person))
    assert inbox[-1]["text"] == "pong"
    sent = emu.calls_to("send_activity")[-1]
    assert sent.status == 201 and sent.conversation_id == reference["conversation_id"]
    assert emu.tokens.issued, "the SDK got its connector token from the emulator's token service"


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["aud"] = "00000000-0000-4000-8000-0000000000ff"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda emu: _tamper(emu.inbound_token()), id="tampered-payload"),
        pytest.param(lambda emu: emu.inbound_token(exp=int(time.time()) - 400), id="expired"),
        pytest.param(lambda emu: emu.inbound_token(aud="another-bot"), id="wrong-audience"),
        pytest.param(lambda emu: emu.inbound_token(iss="https://evil.example"), id="wrong-issuer"),
        pytest.param(lambda emu: emu.inbound_token(serviceurl="https://evil.example/teams/"), id="other-serviceurl"),
        pytest.param(lambda emu: emu.inbound_token(key=KeyPair.generate()), id="unpublished-key"),
        pytest.param(lambda emu: "", id="no-token"),
    ],
)
def test_sdk_refuses_a_bad_token_and_runs_no_handler(emu: TeamsEmulator, sdk_bot: SdkBot, make_token) -> None:  # noqa: ANN001
    person = _person(emu, sdk_bot)
    before = len(sdk_bot.received)
    activity = emu.activity_for(person, "message", text="ping")
    assert emu.deliver(activity, token=make_token(emu)).status == 401
    assert len(sdk_bot.received) == before
    assert emu.deliver(activity).status == 200, "the same activity with the emulator's own token is accepted"


def test_sdk_follows_a_key_rotation_announced_in_the_key_set(emu: TeamsEmulator, sdk_bot: SdkBot) -> None:
    emu.signer.publish_next()  # in the JWKS before the SDK first reads it, as Microsoft announces keys ahead
    person = _person(emu, sdk_bot)
    emu.signer.rotate(keep_old=False)
    assert emu.send_message(person, "after rotation").status == 200
    assert sdk_bot.received[-1].text == "after rotation"


def test_sdk_api_client_creates_sends_updates_deletes_and_reads_members(emu: TeamsEmulator, sdk_bot: SdkBot) -> None:
    from microsoft_teams.api import Account, CreateConversationParams, MessageActivityInput

    person = _person(emu, sdk_bot)
    user = emu.user(person)
    api = sdk_bot.app.api
    created = sdk_bot.run(api.conversations.create(CreateConversationParams(
        bot=Account(id=f"28:{emu.app_id}"), members=[Account(id=user.bot_id)], tenant_id=user.tenant_id,
        is_group=False)))
    assert created.id == emu.conversation_reference(person)["conversation_id"]
    assert emu.calls_to("create_conversation")[-1].status == 201

    sent = sdk_bot.run(sdk_bot.app.send(created.id, "Strategy of the week"))
    assert emu.inbox(person)[-1]["id"] == sent.id
    sdk_bot.run(api.conversations.update_activity(created.id, sent.id, MessageActivityInput(text="Got it")))
    assert emu.inbox(person)[-1]["text"] == "Got it" and emu.inbox(person)[-1]["edits"] == 1

    members = sdk_bot.run(api.conversations.get_members(created.id))
    assert [m.aad_object_id for m in members] == [person]
    sdk_bot.run(api.conversations.delete_activity(created.id, sent.id))
    assert emu.inbox(person) == []
    assert [c.operation for c in emu.calls][-4:] == ["send_activity", "update_activity", "get_members",
                                                     "delete_activity"]


def test_sdk_does_not_retry_a_429_and_leaves_retry_after_to_the_caller(emu: TeamsEmulator, sdk_bot: SdkBot) -> None:
    import httpx

    person = _person(emu, sdk_bot)
    chat = emu.conversation_reference(person)["conversation_id"]
    emu.inject_fault("send_activity", status=429, retry_after=9)
    with pytest.raises(httpx.HTTPStatusError) as raised:
        sdk_bot.run(sdk_bot.app.send(chat, "hello"))
    assert raised.value.response.status_code == 429 and raised.value.response.headers["Retry-After"] == "9"
    assert len(emu.calls_to("send_activity")) == 1, "one call: the SDK does not retry"


def test_sdk_card_action_answer_replaces_the_card_in_place(emu: TeamsEmulator, sdk_bot: SdkBot) -> None:
    from microsoft_teams.cards import AdaptiveCard

    from .conftest import THANKS

    person = _person(emu, sdk_bot)
    chat = emu.conversation_reference(person)["conversation_id"]
    broadcast = AdaptiveCard.model_validate({"type": "AdaptiveCard", "version": "1.5",
                                             "body": [{"type": "TextBlock", "text": "Lead with outcomes"}],
                                             "actions": [{"type": "Action.Execute", "title": "Got it", "verb": "gotIt",
                                                          "data": {"action": "got_it", "delivery": "41"}}]})
    sent = sdk_bot.run(sdk_bot.app.send(chat, broadcast))
    response = emu.execute(person, sent.id, title="Got it")
    assert response.status == 200 and response.card_problems == []
    assert sdk_bot.received[-1].value.action.data == {"action": "got_it", "delivery": "41"}
    shown = emu.inbox(person)[0]
    assert shown["id"] == sent.id and shown["attachments"][0]["content"] == THANKS


def test_sdk_dialog_opens_and_submits(emu: TeamsEmulator, sdk_bot: SdkBot) -> None:
    person = _person(emu, sdk_bot)
    opened = emu.fetch_dialog(person, {"dialog_id": "feedback"})
    assert opened.status == 200 and opened.card_problems == []
    dialog = emu.dialog(person)
    assert dialog is not None and dialog.title == "Feedback"
    submitted = emu.submit_dialog(person, {"start": "demo days"}, title="Send")
    assert submitted.status == 200 and submitted.body["task"] == {"type": "message", "value": "Thanks"}
    assert sdk_bot.received[-1].value.data == {"action": "send_feedback", "start": "demo days"}
    assert emu.dialog(person) is None
