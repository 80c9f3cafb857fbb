"""Each Slack Block Kit limit: accepted exactly at the limit, rejected one over, with path and sizes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.slack.blockkit import (
    BlockKitError,
    BlockKitLimitError,
    check_blocks,
    check_message,
    check_payload,
    check_view,
)

Check = Callable[[int], None]


def text(n: int) -> str:
    return "x" * n


def plain(n: int) -> dict[str, str]:
    return {"type": "plain_text", "text": text(n)}


def option(text_size: int = 5, value_size: int = 5) -> dict[str, Any]:
    return {"text": plain(text_size), "value": text(value_size)}


def button(**fields: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain(4), "action_id": "go", **fields}


def in_actions(element: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "actions", "elements": [element]}]


def modal(**fields: Any) -> dict[str, Any]:
    return {"type": "modal", "title": plain(5), "blocks": [], **fields}


def message_blocks(build: Callable[[int], list[dict[str, Any]]]) -> Check:
    return lambda n: check_blocks(build(n), surface="message")


def modal_view(build: Callable[[int], dict[str, Any]]) -> Check:
    return lambda n: check_view(build(n), surface="modal")


DIVIDER = {"type": "divider"}

LIMITS = [
    # (check, limit, path)
    pytest.param(message_blocks(lambda n: [DIVIDER] * n), 50, "blocks", id="blocks-per-message"),
    pytest.param(modal_view(lambda n: modal(blocks=[DIVIDER] * n)), 100, "blocks", id="blocks-per-modal"),
    pytest.param(lambda n: check_blocks([DIVIDER] * n, surface="home"), 100, "blocks", id="blocks-per-home-tab"),
    pytest.param(
        message_blocks(lambda n: [{"type": "section", "text": {"type": "mrkdwn", "text": text(n)}}]),
        3000,
        "blocks[0].text.text",
        id="section-text",
    ),
    pytest.param(
        message_blocks(lambda n: [{"type": "section", "fields": [plain(1)] * n}]),
        10,
        "blocks[0].fields",
        id="section-fields-count",
    ),
    pytest.param(
        message_blocks(lambda n: [{"type": "section", "fields": [plain(1), {"type": "mrkdwn", "text": text(n)}]}]),
        2000,
        "blocks[0].fields[1].text",
        id="section-field-text",
    ),
    pytest.param(
        message_blocks(lambda n: [{"type": "header", "text": plain(n)}]), 150, "blocks[0].text.text", id="header-text"
    ),
    pytest.param(
        message_blocks(lambda n: in_actions(button(text=plain(n)))),
        75,
        "blocks[0].elements[0].text.text",
        id="button-text",
    ),
    pytest.param(
        message_blocks(lambda n: in_actions(button(action_id=text(n)))),
        255,
        "blocks[0].elements[0].action_id",
        id="action-id",
    ),
    pytest.param(
        message_blocks(lambda n: [{"type": "divider", "block_id": text(n)}]), 255, "blocks[0].block_id", id="block-id"
    ),
    pytest.param(
        message_blocks(lambda n: in_actions(button(value=text(n)))),
        2000,
        "blocks[0].elements[0].value",
        id="button-value",
    ),
    pytest.param(
        message_blocks(lambda n: in_actions(button(url=text(n)))), 3000, "blocks[0].elements[0].url", id="button-url"
    ),
    pytest.param(
        message_blocks(lambda n: [{"type": "actions", "elements": [button()] * n}]),
        25,
        "blocks[0].elements",
        id="actions-elements",
    ),
    pytest.param(
        message_blocks(lambda n: [{"type": "context", "elements": [plain(3)] * n}]),
        10,
        "blocks[0].elements",
        id="context-elements",
    ),
    pytest.param(modal_view(lambda n: modal(title=plain(n))), 24, "title.text", id="modal-title"),
    pytest.param(modal_view(lambda n: modal(submit=plain(n))), 24, "submit.text", id="modal-submit"),
    pytest.param(modal_view(lambda n: modal(close=plain(n))), 24, "close.text", id="modal-close"),
    pytest.param(modal_view(lambda n: modal(private_metadata=text(n))), 3000, "private_metadata", id="private-metadata"),
    pytest.param(modal_view(lambda n: modal(callback_id=text(n))), 255, "callback_id", id="callback-id"),
    pytest.param(
        lambda n: check_view({"type": "home", "blocks": [], "private_metadata": text(n)}, surface="home"),
        3000,
        "private_metadata",
        id="home-private-metadata",
    ),
    pytest.param(
        modal_view(
            lambda n: modal(
                blocks=[
                    {
                        "type": "input",
                        "label": plain(5),
                        "element": {"type": "plain_text_input", "action_id": "answer", "max_length": n},
                    }
                ]
            )
        ),
        3000,
        "blocks[0].element.max_length",
        id="plain-text-input-max-length",
    ),
    pytest.param(
        message_blocks(lambda n: in_actions({"type": "static_select", "options": [option(text_size=n)]})),
        75,
        "blocks[0].elements[0].options[0].text.text",
        id="option-text",
    ),
    pytest.param(
        message_blocks(lambda n: in_actions({"type": "static_select", "options": [option(value_size=n)]})),
        150,
        "blocks[0].elements[0].options[0].value",
        id="option-value",
    ),
    pytest.param(
        message_blocks(lambda n: in_actions({"type": "static_select", "options": [option()] * n})),
        100,
        "blocks[0].elements[0].options",
        id="options-per-select",
    ),
    pytest.param(lambda n: check_message({"text": text(n), "blocks": []}), 40000, "text", id="message-text"),
    # Further limits from the same reference, checked the same way.
    pytest.param(
        message_blocks(lambda n: in_actions({"type": "radio_buttons", "options": [option()] * n})),
        10,
        "blocks[0].elements[0].options",
        id="radio-buttons-options",
    ),
    pytest.param(
        message_blocks(lambda n: in_actions({"type": "overflow", "options": [option()] * n})),
        5,
        "blocks[0].elements[0].options",
        id="overflow-options",
    ),
    pytest.param(
        message_blocks(
            lambda n: in_actions(
                button(confirm={"title": plain(n), "text": plain(5), "confirm": plain(3), "deny": plain(3)})
            )
        ),
        100,
        "blocks[0].elements[0].confirm.title.text",
        id="confirm-title",
    ),
    pytest.param(
        message_blocks(
            lambda n: [{"type": "section", "text": plain(5), "accessory": button(text=plain(n))}]
        ),
        75,
        "blocks[0].accessory.text.text",
        id="section-accessory-button-text",
    ),
    pytest.param(
        modal_view(lambda n: modal(blocks=[{"type": "input", "label": plain(n), "element": {"type": "plain_text_input"}}])),
        2000,
        "blocks[0].label.text",
        id="input-label",
    ),
    pytest.param(
        message_blocks(lambda n: in_actions({"type": "static_select", "placeholder": plain(n), "options": [option()]})),
        150,
        "blocks[0].elements[0].placeholder.text",
        id="select-placeholder",
    ),
    pytest.param(
        message_blocks(lambda n: [{"type": "image", "image_url": "https://x", "alt_text": text(n)}]),
        2000,
        "blocks[0].alt_text",
        id="image-alt-text",
    ),
]


@pytest.mark.parametrize(("check", "limit", "path"), LIMITS)
def test_limit_is_accepted_at_the_limit(check: Check, limit: int, path: str) -> None:
    check(limit)


@pytest.mark.parametrize(("check", "limit", "path"), LIMITS)
def test_limit_is_rejected_one_over_naming_path_limit_and_size(check: Check, limit: int, path: str) -> None:
    with pytest.raises(BlockKitLimitError) as caught:
        check(limit + 1)

    error = caught.value
    assert (error.path, error.limit, error.actual) == (path, limit, limit + 1)
    assert str(error).startswith(f"{path}: {limit + 1}")
    assert f"at most {limit}" in str(error)


def test_limit_error_is_a_value_error_with_a_readable_message() -> None:
    blocks = [DIVIDER] * 3 + [{"type": "section", "text": {"type": "mrkdwn", "text": text(3001)}}]

    with pytest.raises(ValueError) as caught:
        check_blocks(blocks, surface="message")

    assert str(caught.value) == "blocks[3].text.text: 3001 characters; Slack allows at most 3000 for section text"


def test_check_payload_finds_blocks_inside_a_message_object() -> None:
    with pytest.raises(BlockKitLimitError) as caught:
        check_payload({"text": "fallback", "blocks": [{"type": "header", "text": plain(151)}]}, surface="message")

    assert caught.value.path == "blocks[0].text.text"


def test_check_payload_checks_a_view_for_modal_surfaces() -> None:
    with pytest.raises(BlockKitLimitError) as caught:
        check_payload(modal(title=plain(30)), surface="modal")

    assert caught.value.path == "title.text"


def test_a_block_that_is_not_an_object_is_reported_with_its_path() -> None:
    with pytest.raises(BlockKitError, match=r"^blocks\[1\]: a block should be an object"):
        check_blocks([DIVIDER, "divider"], surface="message")


def test_check_view_refuses_the_message_surface() -> None:
    with pytest.raises(ValueError):
        check_view(modal(), surface="message")
