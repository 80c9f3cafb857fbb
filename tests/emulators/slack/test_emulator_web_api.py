"""Web API behaviour of the emulator, driven through the real slack_sdk WebClient."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from .emulator_kit import button, section
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.emulators.slack import SlackEmulator


def raw_post(emu: SlackEmulator, method: str, body: bytes, content_type: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(emu.api_url + method, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response["error"]


def test_auth_test_identifies_the_bot(client: WebClient, emu: SlackEmulator) -> None:
    answer = client.auth_test()
    assert answer["user_id"] == emu.bot_user_id
    assert answer["team_id"] == emu.team_id
    assert answer["bot_id"]


def test_wrong_token_is_invalid_auth_and_no_token_is_not_authed(emu: SlackEmulator) -> None:
    assert error_of(lambda: WebClient(base_url=emu.api_url, token="xoxb-wrong").auth_test()) == "invalid_auth"
    status, body = raw_post(emu, "auth.test", b"", "application/x-www-form-urlencoded")
    assert (status, body["error"]) == (200, "not_authed")


def test_token_is_accepted_as_a_form_field(emu: SlackEmulator) -> None:
    status, body = raw_post(emu, "auth.test", f"token={emu.bot_token}".encode(), "application/x-www-form-urlencoded")
    assert status == 200 and body["ok"] is True


def test_token_inside_a_json_body_is_not_authentication(emu: SlackEmulator) -> None:
    body = json.dumps({"token": emu.bot_token, "channel": "U001", "text": "hi"}).encode()
    assert raw_post(emu, "chat.postMessage", body, "application/json")[1]["error"] == "not_authed"


def test_unknown_method_is_http_404_unknown_method(emu: SlackEmulator) -> None:
    status, body = raw_post(emu, "chat.postMessageX", b"", "application/x-www-form-urlencoded", emu.bot_token)
    assert status == 404
    assert body == {"ok": False, "error": "unknown_method", "req_method": "chat.postMessageX"}
    assert emu.calls_named("chat.postMessageX")[0].http_status == 404


def test_posting_to_a_user_id_lands_in_one_reused_dm(client: WebClient, emu: SlackEmulator) -> None:
    first = client.chat_postMessage(channel="U001", text="one")
    second = client.chat_postMessage(channel="U001", text="two")
    assert first["channel"] == second["channel"] == emu.dm_channel("U001")
    assert first["channel"].startswith("D")
    assert [m["text"] for m in emu.inbox("U001")] == ["one", "two"]
    assert emu.inbox("U002") == []
    opened = client.conversations_open(users="U001")
    assert opened["channel"]["id"] == first["channel"]
    assert opened["already_open"] is True


def test_message_ts_values_are_unique_and_increasing(client: WebClient, emu: SlackEmulator) -> None:
    stamps = [client.chat_postMessage(channel="U001", text=str(i))["ts"] for i in range(3)]
    assert len(set(stamps)) == 3
    assert [float(s) for s in stamps] == sorted(float(s) for s in stamps)
    assert all(len(s.split(".")[1]) == 6 for s in stamps)


def test_post_message_returns_slack_shape(client: WebClient) -> None:
    answer = client.chat_postMessage(channel="U001", text="hi", blocks=[section("hi")])
    message = answer["message"]
    assert message["ts"] == answer["ts"] and message["text"] == "hi" and message["type"] == "message"
    assert message["blocks"][0]["block_id"]  # Slack fills in missing block ids


def test_chat_update_changes_the_stored_message(client: WebClient, emu: SlackEmulator) -> None:
    posted = client.chat_postMessage(channel="U001", text="draft", blocks=[section("draft")])
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="final", blocks=[section("final")])
    (message,) = emu.inbox("U001")
    assert message["text"] == "final"
    assert message["blocks"][0]["text"]["text"] == "final"
    assert message["edited"] is True
    assert message["ts"] == posted["ts"]


def test_chat_update_keeps_blocks_left_out_and_clears_them_with_an_empty_list(client: WebClient, emu: SlackEmulator) -> None:
    posted = client.chat_postMessage(channel="U001", text="a", blocks=[section("a")])
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="b")
    assert emu.inbox("U001")[0]["blocks"]
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="c", blocks=[])
    assert emu.inbox("U001")[0]["blocks"] == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_chat_update_errors(client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U001", text="a")
    assert error_of(lambda: client.chat_update(channel=posted["channel"], ts="1.000001", text="x")) == "message_not_found"
    assert error_of(lambda: client.chat_update(channel="U001", ts=posted["ts"], text="x")) == "channel_not_found"
    assert error_of(lambda: client.chat_update(channel=posted["channel"], ts=posted["ts"])) == "no_text"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_required_argument_errors(client: WebClient) -> None:
    assert error_of(lambda: client.chat_postMessage(channel="U001")) == "no_text"
    assert error_of(lambda: client.api_call("chat.postMessage", params={"text": "x"})) == "channel_not_found"
    assert error_of(lambda: client.chat_postMessage(channel="U404", text="x")) == "channel_not_found"
    assert error_of(lambda: client.chat_postMessage(channel="C404", text="x")) == "channel_not_found"


def test_generic_missing_argument_is_invalid_arguments_with_an_explanation(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as info:
        client.api_call("views.publish", json={"view": {"type": "home", "blocks": []}})
    assert info.value.response["error"] == "invalid_arguments"
    assert "user_id" in info.value.response["response_metadata"]["messages"][0]


def test_malformed_blocks_json_is_invalid_blocks_format(emu: SlackEmulator) -> None:
    body = b"channel=U001&text=hi&blocks=%5B%7Bnot-json"
    assert raw_post(emu, "chat.postMessage", body, "application/x-www-form-urlencoded", emu.bot_token)[1]["error"] == "invalid_blocks_format"


def test_malformed_json_body_is_invalid_json(emu: SlackEmulator) -> None:
    assert raw_post(emu, "chat.postMessage", b"{oops", "application/json", emu.bot_token)[1]["error"] == "invalid_json"


def test_blocks_and_metadata_arrive_as_json_strings_in_form_bodies(emu: SlackEmulator) -> None:
    form = {
        "channel": "U001",
        "text": "hi",
        "blocks": json.dumps([section("hi")]),
        "metadata": json.dumps({"event_type": "nudge", "event_payload": {"id": 7}}),
        "unknown_arg": "kept",
    }
    from urllib.parse import urlencode

    status, body = raw_post(emu, "chat.postMessage", urlencode(form).encode(), "application/x-www-form-urlencoded", emu.bot_token)
    assert status == 200 and body["ok"]
    assert emu.inbox("U001")[0]["metadata"] == {"event_type": "nudge", "event_payload": {"id": 7}}
    call = emu.calls_named("chat.postMessage")[-1]
    assert call.args["unknown_arg"] == "kept"
    assert call.args["blocks"][0]["type"] == "section"


def test_bad_metadata_is_rejected(client: WebClient) -> None:
    assert error_of(lambda: client.chat_postMessage(channel="U001", text="x", metadata={"event_payload": {}})) == "invalid_metadata_schema"


def test_history_finds_own_messages_by_metadata_only_when_asked(client: WebClient, emu: SlackEmulator) -> None:
    meta = {"event_type": "drumbeat_nudge", "event_payload": {"run": "r1"}}
    posted = client.chat_postMessage(channel="U001", text="nudge", metadata=meta)
    plain = client.conversations_history(channel=posted["channel"])
    assert "metadata" not in plain["messages"][0]
    full = client.conversations_history(channel=posted["channel"], include_all_metadata=True)
    assert full["messages"][0]["metadata"] == meta


def test_history_is_newest_first_with_cursor_pagination_and_bounds(client: WebClient, emu: SlackEmulator, clock: Any) -> None:
    stamps = []
    for i in range(5):
        stamps.append(client.chat_postMessage(channel="U001", text=str(i))["ts"])
        clock.advance(1)
    channel = emu.dm_channel("U001")
    seen: list[str] = []
    cursor = None
    while True:
        page = client.conversations_history(channel=channel, limit=2, cursor=cursor)
        seen.extend(m["ts"] for m in page["messages"])
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            assert cursor == ""
            break
    assert seen == list(reversed(stamps))
    window = client.conversations_history(channel=channel, oldest=stamps[1], latest=stamps[3])
    assert [m["ts"] for m in window["messages"]] == [stamps[2]]
    inclusive = client.conversations_history(channel=channel, oldest=stamps[1], latest=stamps[3], inclusive=True)
    assert len(inclusive["messages"]) == 3
    assert error_of(lambda: client.conversations_history(channel=channel, cursor="garbage!")) == "invalid_cursor"
    assert error_of(lambda: client.conversations_history(channel="D404")) == "channel_not_found"


def test_users_list_pagination_covers_everyone_exactly_once(emu: SlackEmulator) -> None:
    for i in range(23):
        emu.add_user(f"UX{i:03d}", name=f"user{i}")
    client = WebClient(base_url=emu.api_url, token=emu.bot_token)
    ids: list[str] = []
    pages = 0
    for page in client.users_list(limit=5):  # slack_sdk follows next_cursor
        ids.extend(m["id"] for m in page["members"])
        pages += 1
    assert len(ids) == len(set(ids))
    assert set(ids) >= {f"UX{i:03d}" for i in range(23)} | {"U001", "U002"}
    assert "USLACKBOT" in ids and emu.bot_user_id in ids  # as in a real workspace
    assert pages == -(-len(ids) // 5)


def test_users_list_never_returns_more_than_the_page_size(clock: Any) -> None:
    with SlackEmulator("s", clock=clock, users_list_page_size=3) as emu:
        for i in range(5):
            emu.add_user(f"U{i}", name=f"u{i}")
        page = WebClient(base_url=emu.api_url, token=emu.bot_token).users_list(limit=100)
        assert len(page["members"]) == 3 and page["response_metadata"]["next_cursor"]


def test_users_info_and_unknown_user(client: WebClient) -> None:
    user = client.users_info(user="U002")["user"]
    assert user["name"] == "bob" and user["tz"] == "Europe/Paris" and isinstance(user["tz_offset"], int)
    assert client.users_info(user="U001")["user"]["profile"]["email"] == "alice@example.com"
    assert error_of(lambda: client.users_info(user="U404")) == "user_not_found"


def test_usergroup_members_and_unknown_group(client: WebClient, emu: SlackEmulator) -> None:
    emu.add_usergroup("S001", handle="sales", user_ids=["U001", "U002"])
    assert client.usergroups_users_list(usergroup="S001")["users"] == ["U001", "U002"]
    assert error_of(lambda: client.usergroups_users_list(usergroup="S404")) == "no_such_subteam"


def test_conversations_open_errors(client: WebClient) -> None:
    assert error_of(lambda: client.conversations_open(users="U404")) == "user_not_found"
    assert error_of(lambda: client.api_call("conversations.open", params={})) == "users_list_not_supplied"


def test_post_ephemeral_goes_only_to_that_user(client: WebClient, emu: SlackEmulator) -> None:
    channel = emu.dm_channel("U001")
    answer = client.chat_postEphemeral(channel=channel, user="U001", text="psst", blocks=[section("psst")])
    assert answer["message_ts"]
    (shown,) = emu.ephemerals("U001")
    assert shown["text"] == "psst" and shown["channel"] == channel
    assert emu.ephemerals("U002") == [] and emu.inbox("U001") == []
    assert error_of(lambda: client.chat_postEphemeral(channel=channel, user="U002", text="x")) == "user_not_in_channel"


def test_messages_to_a_channel_are_stored_there(client: WebClient, emu: SlackEmulator) -> None:
    emu.add_channel("C0SALES", name="sales")
    client.chat_postMessage(channel="C0SALES", text="standup")
    assert client.chat_postMessage(channel="#sales", text="by name")["channel"] == "C0SALES"
    assert [m["text"] for m in emu.messages_in("C0SALES")] == ["standup", "by name"]


def test_view_arrives_as_a_json_string_in_form_bodies(emu: SlackEmulator) -> None:
    from urllib.parse import urlencode

    form = urlencode({"user_id": "U001", "view": json.dumps({"type": "home", "blocks": [section("hi")]})}).encode()
    status, body = raw_post(emu, "views.publish", form, "application/x-www-form-urlencoded", emu.bot_token)
    assert status == 200 and body["ok"], body
    bad = urlencode({"user_id": "U001", "view": "{nope"}).encode()
    assert raw_post(emu, "views.publish", bad, "application/x-www-form-urlencoded", emu.bot_token)[1]["error"] == "invalid_arguments"


def test_methods_without_json_support_ignore_json_bodies(emu: SlackEmulator) -> None:
    # users.info's reference says JSON bodies are not accepted, so Slack never sees `user`.
    status, body = raw_post(emu, "users.info", json.dumps({"user": "U001"}).encode(), "application/json", emu.bot_token)
    assert (status, body["error"]) == (200, "user_not_found")


def test_every_call_is_recorded_with_status_and_response(client: WebClient, emu: SlackEmulator) -> None:
    client.chat_postMessage(channel="U001", text="hi")
    with pytest.raises(SlackApiError):
        client.users_info(user="U404")
    posted, failed = emu.calls[-2:]
    assert (posted.method, posted.http_status, posted.response["ok"], posted.args["text"]) == ("chat.postMessage", 200, True, "hi")
    assert (failed.method, failed.error) == ("users.info", "user_not_found")
    assert posted.at <= failed.at


def test_on_post_sees_stored_posts(client: WebClient, emu: SlackEmulator) -> None:
    seen: list[dict[str, Any]] = []
    emu.on_post(seen.append)
    posted = client.chat_postMessage(channel="U001", text="hi", blocks=[section("hi"), {"type": "actions", "elements": [button("a")]}])
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="bye")
    assert [(n["kind"], n["user_id"], n["text"]) for n in seen] == [
        ("chat.postMessage", "U001", "hi"),
        ("chat.update", "U001", "bye"),
    ]
