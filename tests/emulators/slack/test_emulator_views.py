"""Modals and the Home tab: trigger_id rules, view hashes, the modal stack."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import SimulatedClock
from bot.emulators.slack import SlackEmulator

from .emulator_kit import modal, section


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response["error"]


@pytest.fixture
def trigger(emu: SlackEmulator, receiver: Any) -> str:
    """A fresh trigger_id, as the bot receives it with a slash command."""
    return emu.slash_command("U001").trigger_id


def test_views_open_shows_the_modal_to_the_triggering_user(client: WebClient, emu: SlackEmulator, trigger: str) -> None:
    view = client.views_open(trigger_id=trigger, view=modal(section("hi"), callback_id="checkin", private_metadata="42"))["view"]
    assert view["id"].startswith("V") and view["hash"]
    (shown,) = emu.open_views("U001")
    assert (shown["id"], shown["callback_id"], shown["private_metadata"]) == (view["id"], "checkin", "42")
    assert emu.open_views("U002") == []


def test_trigger_id_is_single_use(client: WebClient, trigger: str) -> None:
    client.views_open(trigger_id=trigger, view=modal())
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=modal())) == "exchanged_trigger_id"


def test_trigger_id_expires_after_three_seconds(client: WebClient, emu: SlackEmulator, clock: SimulatedClock, receiver: Any) -> None:
    just_in_time = emu.slash_command("U001").trigger_id
    clock.advance(3.0)
    assert client.views_open(trigger_id=just_in_time, view=modal())["ok"]
    late = emu.slash_command("U001").trigger_id
    clock.advance(3.01)
    assert error_of(lambda: client.views_open(trigger_id=late, view=modal())) == "expired_trigger_id"


def test_unknown_trigger_id_is_invalid(client: WebClient) -> None:
    assert error_of(lambda: client.views_open(trigger_id="123.456.abc", view=modal())) == "invalid_trigger_id"


def test_invalid_view_does_not_use_up_the_trigger(client: WebClient, trigger: str) -> None:
    assert error_of(lambda: client.views_open(trigger_id=trigger, view={"type": "modal", "blocks": []})) == "invalid_arguments"
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


def test_views_update_with_a_stale_hash_is_hash_conflict(client: WebClient, emu: SlackEmulator, trigger: str) -> None:
    opened = client.views_open(trigger_id=trigger, view=modal(section("v1")))["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(section("v2")))["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert emu.open_views("U001")[0]["blocks"][0]["text"]["text"] == "v2"
    stale = lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(section("v3")))  # noqa: E731
    assert error_of(stale) == "hash_conflict"
    assert client.views_update(view_id=opened["id"], view=modal(section("v3")))["ok"]  # no hash: last write wins


def test_views_update_unknown_view_is_not_found(client: WebClient) -> None:
    assert error_of(lambda: client.views_update(view_id="V404", view=modal())) == "not_found"


def test_views_update_by_external_id(client: WebClient, emu: SlackEmulator, trigger: str) -> None:
    client.views_open(trigger_id=trigger, view=modal(section("a"), external_id="checkin-U001"))
    client.views_update(external_id="checkin-U001", view=modal(section("b"), external_id="checkin-U001"))
    assert emu.open_views("U001")[0]["blocks"][0]["text"]["text"] == "b"


def test_views_push_stacks_up_to_three(client: WebClient, emu: SlackEmulator, receiver: Any) -> None:
    client.views_open(trigger_id=emu.slash_command("U001").trigger_id, view=modal(title="one"))
    client.views_push(trigger_id=emu.slash_command("U001").trigger_id, view=modal(title="two"))
    client.views_push(trigger_id=emu.slash_command("U001").trigger_id, view=modal(title="three"))
    assert [v["title"]["text"] for v in emu.open_views("U001")] == ["one", "two", "three"]
    fourth = lambda: client.views_push(trigger_id=emu.slash_command("U001").trigger_id, view=modal(title="four"))  # noqa: E731
    assert error_of(fourth) == "push_limit_reached"


def test_views_publish_keeps_one_home_per_user_with_hash_checks(client: WebClient, emu: SlackEmulator) -> None:
    first = client.views_publish(user_id="U001", view={"type": "home", "blocks": [section("a")]})["view"]
    second = client.views_publish(user_id="U001", view={"type": "home", "blocks": [section("b")]}, hash=first["hash"])["view"]
    assert second["id"] == first["id"]
    home = emu.home_view("U001")
    assert home is not None and home["blocks"][0]["text"]["text"] == "b"
    stale = lambda: client.views_publish(user_id="U001", view={"type": "home", "blocks": []}, hash=first["hash"])  # noqa: E731
    assert error_of(stale) == "hash_conflict"
    assert emu.home_view("U002") is None
    assert error_of(lambda: client.views_publish(user_id="U404", view={"type": "home", "blocks": []})) == "user_not_found"
    assert error_of(lambda: client.views_publish(user_id="U001", view=modal())) == "invalid_arguments"
