"""Each Block Kit limit: accepted exactly at the limit, rejected just over it."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.emulators.slack import SlackEmulator

from .emulator_kit import button, modal, section


def plain(n: int, ch: str = "x") -> dict[str, Any]:
    return {"type": "plain_text", "text": ch * n}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def select_with(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "pick", "placeholder": plain(4), "options": options}


def option(text_len: int = 3, value_len: int = 3, i: int = 0) -> dict[str, Any]:
    return {"text": plain(text_len), "value": f"{i:03d}".ljust(value_len, "v")}


# name -> builder(n) returning message blocks, and the limit n
MESSAGE_LIMITS: dict[str, tuple[Callable[[int], list[dict[str, Any]]], int]] = {
    "blocks per message": (lambda n: [section(str(i)) for i in range(n)], 50),
    "section text": (lambda n: [{"type": "section", "text": {"type": "mrkdwn", "text": "a" * n}}], 3000),
    "section field count": (lambda n: [{"type": "section", "fields": [plain(3)] * n}], 10),
    "section field text": (lambda n: [{"type": "section", "fields": [{"type": "mrkdwn", "text": "b" * n}]}], 2000),
    "header text": (lambda n: [{"type": "header", "text": plain(n)}], 150),
    "button text": (lambda n: [actions({**button("a"), "text": plain(n)})], 75),
    "action_id": (lambda n: [actions(button("a" * n))], 255),
    "block_id": (lambda n: [{**section(), "block_id": "b" * n}], 255),
    "button value": (lambda n: [actions(button("a", value="v" * n))], 2000),
    "button url": (lambda n: [actions({**button("a"), "url": "https://x.example/" + "u" * (n - 18)})], 3000),
    "elements per actions block": (lambda n: [actions(*[button(f"a{i}") for i in range(n)])], 25),
    "elements per context block": (lambda n: [{"type": "context", "elements": [plain(2)] * n}], 10),
    "option text": (lambda n: [actions(select_with([option(text_len=n)]))], 75),
    "option value": (lambda n: [actions(select_with([option(value_len=n)]))], 150),
    "options per select": (lambda n: [actions(select_with([option(i=i) for i in range(n)]))], 100),
}


@pytest.mark.parametrize("limit_name", sorted(MESSAGE_LIMITS))
def test_message_block_limit_accepted_at_the_limit_and_rejected_just_over(client: WebClient, limit_name: str) -> None:
    build, limit = MESSAGE_LIMITS[limit_name]
    assert client.chat_postMessage(channel="U001", text="t", blocks=build(limit))["ok"]
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="U001", text="t", blocks=build(limit + 1))
    response = info.value.response
    assert response["error"] == "invalid_blocks"
    assert response["response_metadata"]["messages"][0].startswith("[ERROR] ")
    assert "json-pointer:/blocks" in response["response_metadata"]["messages"][0]


def test_block_limits_also_apply_to_chat_update(client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U001", text="t")
    with pytest.raises(SlackApiError) as info:
        client.chat_update(channel=posted["channel"], ts=posted["ts"], text="t", blocks=[{"type": "header", "text": plain(151)}])
    assert info.value.response["error"] == "invalid_blocks"


def test_message_text_over_40000_characters_is_msg_too_long(client: WebClient) -> None:
    assert client.chat_postMessage(channel="U001", text="a" * 40_000)["ok"]
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="U001", text="a" * 40_001)
    assert info.value.response["error"] == "msg_too_long"


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "carousel"}],
        [{"type": "section"}],
        [{"type": "actions", "elements": []}],
        [{"type": "actions", "elements": [{"type": "button", "action_id": "a"}]}],  # no text
        [section(), {**section(), "block_id": "same"}, {**section(), "block_id": "same"}],
    ],
    ids=["unknown type", "section without text", "empty actions", "button without text", "duplicate block_id"],
)
def test_malformed_blocks_are_invalid_blocks(client: WebClient, blocks: list[dict[str, Any]]) -> None:
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="U001", text="t", blocks=blocks)
    assert info.value.response["error"] == "invalid_blocks"


def home(blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks if blocks is not None else [section()], **extra}


HOME_LIMITS: dict[str, tuple[Callable[[int], dict[str, Any]], int]] = {
    "blocks per home tab": (lambda n: home([section(str(i)) for i in range(n)]), 100),
    "private_metadata": (lambda n: home(private_metadata="m" * n), 3000),
    "callback_id": (lambda n: home(callback_id="c" * n), 255),
    "plain_text_input max_length": (
        lambda n: home(
            [{"type": "input", "label": plain(5), "element": {"type": "plain_text_input", "action_id": "t", "max_length": n}}]
        ),
        3000,
    ),
}


@pytest.mark.parametrize("limit_name", sorted(HOME_LIMITS))
def test_home_view_limit_accepted_at_the_limit_and_rejected_just_over(client: WebClient, limit_name: str) -> None:
    build, limit = HOME_LIMITS[limit_name]
    assert client.views_publish(user_id="U001", view=build(limit))["ok"]
    with pytest.raises(SlackApiError) as info:
        client.views_publish(user_id="U001", view=build(limit + 1))
    assert info.value.response["error"] == "invalid_arguments"
    assert info.value.response["response_metadata"]["messages"]


MODAL_LIMITS: dict[str, tuple[Callable[[int], dict[str, Any]], int]] = {
    "modal title": (lambda n: modal(title="t" * n), 24),
    "modal submit": (lambda n: modal(submit=plain(n)), 24),
    "modal close": (lambda n: modal(close=plain(n)), 24),
    "blocks per modal": (lambda n: modal(*[section(str(i)) for i in range(n)]), 100),
}


@pytest.mark.parametrize("limit_name", sorted(MODAL_LIMITS))
def test_modal_limit_accepted_at_the_limit_and_rejected_just_over(
    client: WebClient, emu: SlackEmulator, receiver: Any, limit_name: str
) -> None:
    build, limit = MODAL_LIMITS[limit_name]
    with pytest.raises(SlackApiError) as info:
        client.views_open(trigger_id=emu.slash_command("U001").trigger_id, view=build(limit + 1))
    assert info.value.response["error"] == "invalid_arguments"
    assert client.views_open(trigger_id=emu.slash_command("U001").trigger_id, view=build(limit))["ok"]


def test_modal_with_inputs_needs_a_submit_button(client: WebClient, emu: SlackEmulator, receiver: Any) -> None:
    text_input = {"type": "input", "label": plain(4), "element": {"type": "plain_text_input", "action_id": "t"}}
    with pytest.raises(SlackApiError) as info:
        client.views_open(trigger_id=emu.slash_command("U001").trigger_id, view=modal(text_input))
    assert info.value.response["error"] == "invalid_arguments"
