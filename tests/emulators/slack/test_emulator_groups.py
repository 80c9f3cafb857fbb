"""User groups and channel members in the emulator: shapes, cursor pagination, errors, rate tiers, and the signed
membership events it sends the bot."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import SimulatedClock
from bot.emulators.slack import SlackEmulator

from .conftest import Receiver  # noqa: TID252


def error_of(call) -> str:  # noqa: ANN001
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response["error"]


def test_usergroups_list_names_each_group_by_handle_with_users_on_request(client: WebClient, emu: SlackEmulator) -> None:
    emu.add_usergroup("S001", handle="east-sales", user_ids=["U001", "U002"])
    (plain,) = client.usergroups_list()["usergroups"]
    assert (plain["id"], plain["handle"], "users" in plain) == ("S001", "east-sales", False)
    (full,) = client.usergroups_list(include_users=True, include_count=True)["usergroups"]
    assert full["users"] == ["U001", "U002"] and full["user_count"] == 2


def test_conversations_members_pages_with_a_cursor_up_to_1000_a_page(client: WebClient, emu: SlackEmulator) -> None:
    members = [f"U{n:06d}" for n in range(2_500)]
    emu.add_channel("C001", name="everyone", members=members)
    seen, cursor, pages = [], None, 0
    while True:
        page = client.conversations_members(channel="C001", limit=5_000, **({"cursor": cursor} if cursor else {}))
        assert len(page["members"]) <= 1000
        seen += page["members"]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == members and pages == 3
    assert len(client.conversations_members(channel="C001")["members"]) == 100  # the default page


def test_conversations_members_errors(client: WebClient, emu: SlackEmulator) -> None:
    emu.add_channel("C001", name="general", members=["U001"])
    assert error_of(lambda: client.conversations_members(channel="C404")) == "channel_not_found"
    assert error_of(lambda: client.conversations_members(channel="C001", cursor="bm9wZQ==")) == "invalid_cursor"
    assert error_of(lambda: client.conversations_members(channel="C001", limit=0)) == "invalid_limit"
    assert error_of(lambda: client.conversations_members(channel=emu.dm_channel("U001"))) == (
        "method_not_supported_for_channel_type")
    assert client.conversations_info(channel="C001", include_num_members=True)["channel"]["num_members"] == 1


def rate_limited_after(call, clock: SimulatedClock) -> int:  # noqa: ANN001
    calls = 0
    while True:
        try:
            call()
        except SlackApiError as error:
            assert error.response.status_code == 429 and int(error.response.headers["Retry-After"]) >= 1
            return calls
        calls += 1
        clock.advance(0.05)


def test_rate_tiers_as_slack_publishes_them(client: WebClient, emu: SlackEmulator, clock: SimulatedClock) -> None:
    emu.add_channel("C001", name="general", members=["U001"])
    emu.add_usergroup("S001", handle="sales", user_ids=["U001"])
    assert rate_limited_after(lambda: client.conversations_members(channel="C001"), clock) == 100  # Tier 4
    assert rate_limited_after(lambda: client.usergroups_list(), clock) == 20  # Tier 2


def test_membership_changes_reach_the_bot_as_signed_events(emu: SlackEmulator, receiver: Receiver) -> None:
    emu.add_usergroup("S001", handle="sales", user_ids=["U001"])
    emu.add_channel("C001", name="general", members=["U001"])
    emu.set_usergroup_members("S001", ["U002"])
    emu.join_channel("C001", "U002")
    emu.leave_channel("C001", "U001")
    events = [request.payload["event"] for request in receiver.requests]
    assert all(request.signature_valid for request in receiver.requests)
    assert events[0]["type"] == "subteam_members_changed"
    assert (events[0]["added_users"], events[0]["removed_users"]) == (["U002"], ["U001"])
    assert [(event["type"], event["user"]) for event in events[1:]] == [
        ("member_joined_channel", "U002"), ("member_left_channel", "U001")]
    assert WebClient(base_url=emu.api_url, token=emu.bot_token).conversations_members(channel="C001")["members"] == [
        "U002"]
