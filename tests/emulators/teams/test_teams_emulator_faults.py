"""Injected faults: the statuses a Teams sender must retry (429 with Retry-After, 412, 502, 504), a dropped
connection, a slow answer that still takes effect, and a failing token service."""

from __future__ import annotations

import http.client as httplib
import time
import urllib.error

import pytest

from bot.emulators.teams import TeamsEmulator, User

from .teams_emulator_kit import Connector, bot_token, http


def _chat(emu: TeamsEmulator, user: User) -> str:
    return emu.conversation_reference(user.aad_object_id)["conversation_id"]


@pytest.mark.parametrize(("status", "code"), [(412, "PreconditionFailed"), (502, "BadGateway"),
                                              (504, "GatewayTimeout"), (500, "InternalServerError")])
def test_an_injected_status_answers_with_the_connector_error_body(emu: TeamsEmulator, alice: User, status: int,
                                                                   code: str) -> None:
    connector = Connector(emu)
    emu.inject_fault("send_activity", status=status)
    failed = connector.send(_chat(emu, alice))
    assert failed.status == status and failed.body["error"]["code"] == code
    assert emu.inbox(alice.aad_object_id) == []
    assert connector.send(_chat(emu, alice)).status == 201, "one fault, one call"


def test_an_injected_429_carries_retry_after(emu: TeamsEmulator, alice: User) -> None:
    emu.inject_fault("send_activity", status=429, retry_after=7, times=2)
    connector = Connector(emu)
    replies = [connector.send(_chat(emu, alice)) for _ in range(3)]
    assert [r.status for r in replies] == [429, 429, 201]
    assert replies[0].headers["Retry-After"] == "7" and replies[0].body["error"]["code"] == "Throttled"


def test_a_dropped_connection_gives_no_answer(emu: TeamsEmulator, alice: User) -> None:
    emu.inject_fault("update_activity", reset=True)
    connector = Connector(emu)
    chat = _chat(emu, alice)
    message_id = connector.send(chat, text="v1").body["id"]
    with pytest.raises((urllib.error.URLError, httplib.HTTPException, ConnectionError)):
        connector.update(chat, message_id, {"type": "message", "text": "v2"})
    assert emu.inbox(alice.aad_object_id)[0]["text"] == "v1"
    assert emu.calls_to("update_activity")[-1].status == 0


def test_a_slow_answer_still_takes_effect(emu: TeamsEmulator, alice: User) -> None:
    emu.inject_fault("send_activity", delay=0.3)
    connector = Connector(emu)
    started = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        http("POST", connector.url(f"/v3/conversations/{_chat(emu, alice)}/activities"),
             {"type": "message", "text": "late"}, token=connector.token, timeout=0.1)
    emu.wait_for(lambda: emu.inbox(alice.aad_object_id))
    assert time.monotonic() - started >= 0.3
    assert emu.inbox(alice.aad_object_id)[0]["text"] == "late", "the client gave up, the message arrived"


def test_the_token_service_can_fail_too(emu: TeamsEmulator) -> None:
    emu.inject_fault("token", status=503, retry_after=2)
    failed = bot_token(emu)
    assert failed.status == 503 and failed.headers["Retry-After"] == "2"
    assert bot_token(emu).status == 200


def test_faults_name_a_known_operation(emu: TeamsEmulator) -> None:
    with pytest.raises(ValueError):
        emu.inject_fault("chat.postMessage", status=500)
