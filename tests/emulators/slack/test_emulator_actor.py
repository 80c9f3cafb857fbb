"""The emulator as the Slack users: signed requests in Slack's formats, and only the
interactions Slack's UI allows."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.clock import SimulatedClock
from bot.emulators.slack import EmulatorError, SlackEmulator

from .conftest import SIGNING_SECRET, Receiver
from .emulator_kit import button, modal, section


def respond(url: str, body: dict[str, Any]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def post_with_button(client: WebClient, user: str = "U001") -> dict[str, Any]:
    blocks = [section("Did you log your calls?"), {"type": "actions", "block_id": "ack", "elements": [button("got_it", value="run-7", text="Got it")]}]
    return client.chat_postMessage(channel=user, text="Did you log your calls?", blocks=blocks).data


def test_every_request_is_signed_as_slack_signs_it(emu: SlackEmulator, receiver: Receiver, client: WebClient) -> None:
    emu.slash_command("U001", text="status")
    posted = post_with_button(client)
    emu.click("U001", channel=posted["channel"], ts=posted["ts"], action_id="got_it")
    emu.open_home("U001")
    assert len(receiver.requests) == 3
    assert all(r.signature_valid for r in receiver.requests)
    request = receiver.requests[0]
    assert int(request.headers["x-slack-request-timestamp"]) == int(emu.clock())
    assert request.headers["x-slack-signature"].startswith("v0=")


def test_bad_or_stale_signatures_can_be_sent_on_purpose(emu: SlackEmulator, receiver: Receiver) -> None:
    body = b'{"type":"event_callback"}'
    assert emu.send_signed(body, "application/json", signature="v0=deadbeef").status == 401
    assert emu.send_signed(body, "application/json", timestamp=int(emu.clock()) - 600).status == 401
    assert emu.send_signed(body, "application/json").status == 200
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(receiver.requests[-1].body, receiver.requests[-1].headers)


def test_slash_command_is_form_encoded_with_slack_fields(emu: SlackEmulator, receiver: Receiver) -> None:
    answer = emu.slash_command("U001", text="report weekly")
    form = receiver.requests[0].form
    assert form["command"] == "/drumbeat" and form["text"] == "report weekly"
    assert (form["user_id"], form["user_name"], form["team_id"]) == ("U001", "alice", emu.team_id)
    assert form["channel_id"] == emu.dm_channel("U001")
    assert form["response_url"].startswith(emu.base_url + "/response/")
    assert form["trigger_id"] == answer.trigger_id
    assert {"token", "team_domain", "channel_name", "api_app_id"} <= form.keys()


def test_slash_command_answer_is_shown_to_the_user_as_an_ephemeral(emu: SlackEmulator, receiver: Receiver) -> None:
    receiver.reply = lambda r: (200, {"text": "You have 3 nudges"})
    answer = emu.slash_command("U001")
    assert answer.status == 200 and answer.body == {"text": "You have 3 nudges"}
    assert [e["text"] for e in emu.ephemerals("U001")] == ["You have 3 nudges"]


def test_click_sends_block_actions_for_a_button_the_bot_posted(emu: SlackEmulator, receiver: Receiver, client: WebClient) -> None:
    posted = post_with_button(client)
    emu.click("U001", channel=posted["channel"], ts=posted["ts"], action_id="got_it")
    payload = receiver.requests[0].payload
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U001" and payload["team"]["id"] == emu.team_id
    assert payload["container"] == {"type": "message", "message_ts": posted["ts"], "channel_id": posted["channel"], "is_ephemeral": False}
    assert payload["channel"]["id"] == posted["channel"]
    assert payload["message"]["ts"] == posted["ts"]
    (action,) = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == ("got_it", "ack", "run-7", "button")
    assert payload["trigger_id"] and payload["response_url"].startswith(emu.base_url)


def test_click_refuses_a_button_the_bot_never_posted(emu: SlackEmulator, receiver: Receiver, client: WebClient) -> None:
    posted = post_with_button(client)
    with pytest.raises(EmulatorError, match="no element with action_id 'forged'"):
        emu.click("U001", channel=posted["channel"], ts=posted["ts"], action_id="forged")
    with pytest.raises(EmulatorError):
        emu.click("U001", channel=posted["channel"], ts="1.000001", action_id="got_it")
    with pytest.raises(EmulatorError):  # bob cannot see alice's DM
        emu.click("U002", channel=posted["channel"], ts=posted["ts"], action_id="got_it")
    assert receiver.requests == []


def test_click_sees_the_message_as_it_is_now(emu: SlackEmulator, receiver: Receiver, client: WebClient) -> None:
    posted = post_with_button(client)
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Thanks!", blocks=[section("Thanks!")])
    with pytest.raises(EmulatorError):
        emu.click("U001", channel=posted["channel"], ts=posted["ts"], action_id="got_it")


def test_response_url_replace_and_delete_original(emu: SlackEmulator, receiver: Receiver, client: WebClient) -> None:
    posted = post_with_button(client)
    url = emu.click("U001", channel=posted["channel"], ts=posted["ts"], action_id="got_it").response_url
    assert url is not None
    assert respond(url, {"replace_original": True, "text": "Logged, thanks"}) == (200, "ok")
    (message,) = emu.inbox("U001")
    assert message["text"] == "Logged, thanks" and message["blocks"] == []
    assert respond(url, {"delete_original": True}) == (200, "ok")
    assert emu.inbox("U001") == []
    assert [p["body"] for p in emu.response_url_posts] == [
        {"replace_original": True, "text": "Logged, thanks"},
        {"delete_original": True},
    ]
    assert all(p["user_id"] == "U001" for p in emu.response_url_posts)


def test_buttons_in_ephemeral_messages_can_be_clicked_and_replaced(emu: SlackEmulator, receiver: Receiver, client: WebClient) -> None:
    channel = emu.dm_channel("U001")
    blocks = [{"type": "actions", "elements": [button("confirm", value="yes")]}]
    shown = client.chat_postEphemeral(channel=channel, user="U001", text="Sure?", blocks=blocks)
    answer = emu.click("U001", channel=channel, ts=shown["message_ts"], action_id="confirm")
    payload = receiver.requests[-1].payload
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload
    assert answer.response_url is not None
    respond(answer.response_url, {"replace_original": True, "text": "Done"})
    assert [e["text"] for e in emu.ephemerals("U001")] == ["Done"]


def test_response_url_default_is_an_ephemeral_for_the_user(emu: SlackEmulator, receiver: Receiver) -> None:
    url = emu.slash_command("U001").response_url
    assert url is not None
    respond(url, {"text": "only you can see this"})
    respond(url, {"text": "everyone sees this", "response_type": "in_channel"})
    assert [e["text"] for e in emu.ephemerals("U001")] == ["only you can see this"]
    assert [m["text"] for m in emu.inbox("U001")] == ["everyone sees this"]


def test_response_url_accepts_five_posts_within_thirty_minutes(emu: SlackEmulator, receiver: Receiver, clock: SimulatedClock) -> None:
    url = emu.slash_command("U001").response_url
    assert url is not None
    for i in range(5):
        assert respond(url, {"text": str(i)})[0] == 200
    assert respond(url, {"text": "sixth"})[0] == 404
    later = emu.slash_command("U001").response_url
    assert later is not None
    clock.advance(30 * 60 + 1)
    assert respond(later, {"text": "too late"})[0] == 404


def test_submit_view_builds_state_values_per_element_type(emu: SlackEmulator, receiver: Receiver, client: WebClient) -> None:
    def field(block_id: str, element: dict[str, Any], optional: bool = False) -> dict[str, Any]:
        return {"type": "input", "block_id": block_id, "optional": optional, "label": {"type": "plain_text", "text": block_id}, "element": element}

    opts = [{"text": {"type": "plain_text", "text": t}, "value": t.lower()} for t in ("Red", "Green")]
    view = modal(
        field("note", {"type": "plain_text_input", "action_id": "note"}),
        field("color", {"type": "static_select", "action_id": "color", "options": opts}),
        field("people", {"type": "multi_users_select", "action_id": "people"}),
        field("owner", {"type": "users_select", "action_id": "owner"}),
        field("flags", {"type": "checkboxes", "action_id": "flags", "options": opts}),
        field("day", {"type": "datepicker", "action_id": "day"}),
        field("at", {"type": "timepicker", "action_id": "at"}),
        field("where", {"type": "conversations_select", "action_id": "where"}),
        field("pick", {"type": "radio_buttons", "action_id": "pick", "options": opts}),
        field("empty", {"type": "plain_text_input", "action_id": "empty"}, optional=True),
        submit={"type": "plain_text", "text": "Save"},
        callback_id="checkin",
    )
    opened = client.views_open(trigger_id=emu.slash_command("U001").trigger_id, view=view)["view"]
    values = {
        "note": "12 calls",
        "color": "green",
        "people": ["U001", "U002"],
        "owner": "U002",
        "flags": ["red"],
        "day": "2025-01-31",
        "at": "09:30",
        "where": "C0SALES",
        "pick": "red",
    }
    emu.submit_view("U001", opened["id"], values)
    submitted = receiver.requests[-1].payload
    assert submitted["type"] == "view_submission"
    assert submitted["view"]["callback_id"] == "checkin" and submitted["view"]["id"] == opened["id"]
    state = submitted["view"]["state"]["values"]
    assert state["note"]["note"] == {"type": "plain_text_input", "value": "12 calls"}
    assert state["color"]["color"]["selected_option"]["value"] == "green"
    assert state["people"]["people"]["selected_users"] == ["U001", "U002"]
    assert state["owner"]["owner"]["selected_user"] == "U002"
    assert [o["value"] for o in state["flags"]["flags"]["selected_options"]] == ["red"]
    assert state["day"]["day"]["selected_date"] == "2025-01-31"
    assert state["at"]["at"]["selected_time"] == "09:30"
    assert state["where"]["where"]["selected_conversation"] == "C0SALES"
    assert state["pick"]["pick"]["selected_option"]["value"] == "red"
    assert state["empty"]["empty"] == {"type": "plain_text_input", "value": None}
    assert emu.open_views("U001") == []  # an empty ack closes the modal


def test_submit_view_rejects_unknown_inputs_and_options(emu: SlackEmulator, receiver: Receiver, client: WebClient) -> None:
    text_input = {"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "x"}, "element": {"type": "static_select", "action_id": "s", "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}]}}
    opened = client.views_open(trigger_id=emu.slash_command("U001").trigger_id, view=modal(text_input, submit={"type": "plain_text", "text": "Go"}))["view"]
    with pytest.raises(EmulatorError):
        emu.submit_view("U001", opened["id"], {"nope": "x"})
    with pytest.raises(EmulatorError):
        emu.submit_view("U001", opened["id"], {"s": "zzz"})
    with pytest.raises(EmulatorError):
        emu.submit_view("U002", opened["id"], {"s": "a"})


def test_view_submission_errors_keep_the_modal_open_and_update_replaces_it(emu: SlackEmulator, receiver: Receiver, client: WebClient) -> None:
    text_input = {"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "x"}, "element": {"type": "plain_text_input", "action_id": "t"}}
    opened = client.views_open(trigger_id=emu.slash_command("U001").trigger_id, view=modal(text_input, submit={"type": "plain_text", "text": "Go"}))["view"]
    receiver.reply = lambda r: (200, {"response_action": "errors", "errors": {"b": "Say more"}})
    emu.submit_view("U001", opened["id"], {"t": ""})
    assert [v["id"] for v in emu.open_views("U001")] == [opened["id"]]
    receiver.reply = lambda r: (200, {"response_action": "update", "view": modal(section("Saved"), title="Done")})
    emu.submit_view("U001", opened["id"], {"t": "enough"})
    (shown,) = emu.open_views("U001")
    assert shown["title"]["text"] == "Done"


def test_click_in_view_sends_block_actions_with_the_view(emu: SlackEmulator, receiver: Receiver, client: WebClient) -> None:
    client.views_publish(user_id="U001", view={"type": "home", "blocks": [{"type": "actions", "elements": [button("refresh")]}]})
    home = emu.home_view("U001")
    assert home is not None
    emu.click_in_view("U001", view_id=home["id"], action_id="refresh")
    payload = receiver.requests[-1].payload
    assert payload["container"] == {"type": "view", "view_id": home["id"]}
    assert payload["view"]["id"] == home["id"] and payload["actions"][0]["action_id"] == "refresh"
    assert "response_url" not in payload
    with pytest.raises(EmulatorError):
        emu.click_in_view("U002", view_id=home["id"], action_id="refresh")


def test_open_home_and_send_event_are_event_callbacks(emu: SlackEmulator, receiver: Receiver) -> None:
    emu.open_home("U001")
    emu.send_event({"type": "user_change", "user": emu.user_object("U002")})
    home_event, change_event = (r.payload for r in receiver.requests)
    assert receiver.requests[0].headers["content-type"] == "application/json"
    assert home_event["type"] == "event_callback" and home_event["team_id"] == emu.team_id
    assert home_event["event"]["type"] == "app_home_opened" and home_event["event"]["tab"] == "home"
    assert home_event["event"]["user"] == "U001"
    assert home_event["event_id"] != change_event["event_id"]
    assert change_event["event"]["user"]["id"] == "U002"


def test_a_retried_event_is_the_same_envelope_with_slacks_retry_headers(emu: SlackEmulator, receiver: Receiver) -> None:
    first = emu.send_event({"type": "user_change", "user": emu.user_object("U002")})
    assert first.event_id is not None
    again = emu.retry_event(first.event_id, retry_num=1)
    assert again.status == 200 and again.event_id == first.event_id
    original, retried = receiver.requests
    assert retried.body == original.body and retried.signature_valid
    assert "x-slack-retry-num" not in original.headers
    assert (retried.headers["x-slack-retry-num"], retried.headers["x-slack-retry-reason"]) == ("1", "http_timeout")
    with pytest.raises(EmulatorError, match="at most 3 times"):
        emu.retry_event(first.event_id, retry_num=4)
    with pytest.raises(EmulatorError, match="nothing to retry"):
        emu.retry_event("Ev404", retry_num=1)


def test_an_event_redelivered_as_slack_retries_it_keeps_its_event_id_and_says_which_retry(
    emu: SlackEmulator, receiver: Receiver
) -> None:
    first = emu.open_home("U001")
    emu.redeliver(first, retry_num=1)
    emu.redeliver(first, retry_num=2, retry_reason="http_error")
    original, retry_one, retry_two = receiver.requests
    assert all(r.signature_valid for r in receiver.requests)
    assert original.payload["event_id"] == retry_one.payload["event_id"] == retry_two.payload["event_id"]
    assert original.body == retry_one.body == retry_two.body
    assert "x-slack-retry-num" not in original.headers
    assert (retry_one.headers["x-slack-retry-num"], retry_one.headers["x-slack-retry-reason"]) == ("1", "http_timeout")
    assert (retry_two.headers["x-slack-retry-num"], retry_two.headers["x-slack-retry-reason"]) == ("2", "http_error")


def test_a_command_delivered_again_is_the_same_request_with_the_same_trigger(emu: SlackEmulator, receiver: Receiver) -> None:
    command = emu.slash_command("U001", text="send now")
    again = emu.redeliver(command)
    assert again.status == 200 and again.trigger_id == command.trigger_id
    first, second = receiver.requests
    assert first.form == second.form and "x-slack-retry-num" not in second.headers
    assert second.signature_valid


def test_actor_without_a_connected_bot_says_so(clock: SimulatedClock) -> None:
    with SlackEmulator("s", clock=clock) as emu:
        emu.add_user("U1", name="a")
        with pytest.raises(EmulatorError, match="connect_bot"):
            emu.slash_command("U1")
