"""Slack Block Kit size limits, checked before anything is sent.

Slack answers an over-long field with a bare ``invalid_blocks`` and no hint of
which of fifty blocks was at fault, and it does so at send time, in front of a
rep. Checking here turns that into an error that names the exact path
(``blocks[3].text.text``), the limit and the actual size, raised in tests and
before the API call.

Only sizes and counts are checked, not the full schema: Slack stays the
authority on shape, we only catch the mistakes that content length causes.
The numbers come from Slack's Block Kit reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

Surface = Literal["message", "modal", "home"]
SURFACES: Final[tuple[str, ...]] = ("message", "modal", "home")

MAX_BLOCKS: Final[Mapping[str, int]] = {"message": 50, "modal": 100, "home": 100}
MESSAGE_TEXT_MAX: Final = 40_000

TEXT_OBJECT_MAX: Final = 3000  # any text object without a tighter limit
SECTION_TEXT_MAX: Final = 3000
SECTION_FIELDS_MAX: Final = 10
SECTION_FIELD_TEXT_MAX: Final = 2000
HEADER_TEXT_MAX: Final = 150
ACTIONS_ELEMENTS_MAX: Final = 25
CONTEXT_ELEMENTS_MAX: Final = 10
INPUT_LABEL_MAX: Final = 2000
INPUT_HINT_MAX: Final = 2000
IMAGE_ALT_TEXT_MAX: Final = 2000
IMAGE_URL_MAX: Final = 3000
IMAGE_TITLE_MAX: Final = 2000
BLOCK_ID_MAX: Final = 255

ACTION_ID_MAX: Final = 255
BUTTON_TEXT_MAX: Final = 75
BUTTON_VALUE_MAX: Final = 2000
BUTTON_URL_MAX: Final = 3000
ACCESSIBILITY_LABEL_MAX: Final = 75
PLACEHOLDER_MAX: Final = 150
PLAIN_TEXT_INPUT_LENGTH_MAX: Final = 3000

OPTION_TEXT_MAX: Final = 75
OPTION_VALUE_MAX: Final = 150
OPTION_DESCRIPTION_MAX: Final = 75
OPTION_URL_MAX: Final = 3000
OPTION_GROUP_LABEL_MAX: Final = 75
SELECT_OPTIONS_MAX: Final = 100
SELECT_OPTION_GROUPS_MAX: Final = 100
OVERFLOW_OPTIONS_MAX: Final = 5
CHOICE_OPTIONS_MAX: Final = 10  # checkboxes and radio buttons

CONFIRM_TITLE_MAX: Final = 100
CONFIRM_TEXT_MAX: Final = 300
CONFIRM_BUTTON_MAX: Final = 30

VIEW_TITLE_MAX: Final = 24
VIEW_BUTTON_MAX: Final = 24  # submit and close
PRIVATE_METADATA_MAX: Final = 3000
CALLBACK_ID_MAX: Final = 255
EXTERNAL_ID_MAX: Final = 255

_OPTION_LIMITS: Final[Mapping[str, int]] = {
    "overflow": OVERFLOW_OPTIONS_MAX,
    "checkboxes": CHOICE_OPTIONS_MAX,
    "radio_buttons": CHOICE_OPTIONS_MAX,
}


class BlockKitError(ValueError):
    """A payload Slack would reject; ``path`` says where, e.g. ``blocks[2].element``."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class BlockKitLimitError(BlockKitError):
    """A field is longer, or a list has more items, than Slack accepts."""

    def __init__(self, path: str, *, what: str, limit: int, actual: int, unit: str) -> None:
        self.what = what
        self.limit = limit
        self.actual = actual
        self.unit = unit
        size = f"{actual} {unit}" if unit else str(actual)
        super().__init__(path, f"{size}; Slack allows at most {limit} for {what}")


def check_blocks(blocks: Any, *, surface: Surface = "message") -> None:
    """Raise BlockKitLimitError if ``blocks`` would break a Slack limit on ``surface``."""
    _check_block_list(blocks, "blocks", _surface(surface))


def check_view(view: Mapping[str, Any], *, surface: Surface = "modal") -> None:
    """Check a modal or Home tab view: its own fields, then its blocks."""
    surface = _surface(surface)
    if surface == "message":
        raise ValueError("check_view is for 'modal' or 'home' views; use check_message for messages")
    if not isinstance(view, Mapping):
        raise BlockKitError("view", f"should be an object, not {type(view).__name__}")
    for field in ("title", "submit", "close"):
        limit = VIEW_TITLE_MAX if field == "title" else VIEW_BUTTON_MAX
        _text_object(view.get(field), field, limit, f"a {surface} {field}")
    _chars(view.get("private_metadata"), "private_metadata", PRIVATE_METADATA_MAX, "private_metadata")
    _chars(view.get("callback_id"), "callback_id", CALLBACK_ID_MAX, "callback_id")
    _chars(view.get("external_id"), "external_id", EXTERNAL_ID_MAX, "external_id")
    _check_block_list(view.get("blocks", []), "blocks", surface)


def check_message(message: Mapping[str, Any]) -> None:
    """Check a message payload (``{"text": ..., "blocks": [...]}``)."""
    if not isinstance(message, Mapping):
        raise BlockKitError("message", f"should be an object, not {type(message).__name__}")
    _chars(message.get("text"), "text", MESSAGE_TEXT_MAX, "message text")
    if "blocks" in message:
        _check_block_list(message["blocks"], "blocks", "message")


def check_payload(payload: Any, *, surface: Surface = "message") -> None:
    """Check whatever a template produced: a bare block list, a message or a view.

    Templates may render any of the three; this picks the right check so
    callers do not have to know which shape a template chose.
    """
    surface = _surface(surface)
    if isinstance(payload, list):
        check_blocks(payload, surface=surface)
    elif isinstance(payload, Mapping):
        if surface == "message":
            check_message(payload)
        else:
            check_view(payload, surface=surface)
    else:
        raise BlockKitError("payload", f"should be a list of blocks or an object, not {type(payload).__name__}")


# -- blocks -----------------------------------------------------------------


def _check_block_list(blocks: Any, path: str, surface: str) -> None:
    if not isinstance(blocks, Sequence) or isinstance(blocks, str):
        raise BlockKitError(path, f"should be a list of blocks, not {type(blocks).__name__}")
    _count(blocks, path, MAX_BLOCKS[surface], f"a {surface}", "blocks")
    for index, block in enumerate(blocks):
        _check_block(block, f"{path}[{index}]")


def _check_block(block: Any, path: str) -> None:
    if not isinstance(block, Mapping):
        raise BlockKitError(path, f"a block should be an object, not {type(block).__name__}")
    kind = block.get("type")
    _chars(block.get("block_id"), f"{path}.block_id", BLOCK_ID_MAX, "block_id")
    if kind == "section":
        _text_object(block.get("text"), f"{path}.text", SECTION_TEXT_MAX, "section text")
        fields = block.get("fields")
        if fields is not None:
            _count(fields, f"{path}.fields", SECTION_FIELDS_MAX, "section fields", "fields")
            for index, field in enumerate(fields):
                _text_object(field, f"{path}.fields[{index}]", SECTION_FIELD_TEXT_MAX, "a section field")
        if block.get("accessory") is not None:
            _check_element(block["accessory"], f"{path}.accessory")
    elif kind == "header":
        _text_object(block.get("text"), f"{path}.text", HEADER_TEXT_MAX, "header text")
    elif kind == "actions":
        elements = block.get("elements", [])
        _count(elements, f"{path}.elements", ACTIONS_ELEMENTS_MAX, "an actions block", "elements")
        for index, element in enumerate(elements):
            _check_element(element, f"{path}.elements[{index}]")
    elif kind == "context":
        elements = block.get("elements", [])
        _count(elements, f"{path}.elements", CONTEXT_ELEMENTS_MAX, "a context block", "elements")
        for index, element in enumerate(elements):
            _check_element(element, f"{path}.elements[{index}]")
    elif kind == "input":
        _text_object(block.get("label"), f"{path}.label", INPUT_LABEL_MAX, "an input label")
        _text_object(block.get("hint"), f"{path}.hint", INPUT_HINT_MAX, "an input hint")
        if block.get("element") is not None:
            _check_element(block["element"], f"{path}.element")
    elif kind == "image":
        _check_image(block, path)
        _text_object(block.get("title"), f"{path}.title", IMAGE_TITLE_MAX, "an image title")


# -- elements ---------------------------------------------------------------


def _check_element(element: Any, path: str) -> None:
    if not isinstance(element, Mapping):
        raise BlockKitError(path, f"an element should be an object, not {type(element).__name__}")
    kind = element.get("type")
    if kind in ("plain_text", "mrkdwn"):  # text objects appear directly in context blocks
        _text_object(element, path, TEXT_OBJECT_MAX, "a text object")
        return
    _chars(element.get("action_id"), f"{path}.action_id", ACTION_ID_MAX, "action_id")
    _text_object(element.get("placeholder"), f"{path}.placeholder", PLACEHOLDER_MAX, "a placeholder")
    if element.get("confirm") is not None:
        _check_confirm(element["confirm"], f"{path}.confirm")
    if kind == "button":
        _text_object(element.get("text"), f"{path}.text", BUTTON_TEXT_MAX, "button text")
        _chars(element.get("value"), f"{path}.value", BUTTON_VALUE_MAX, "a button value")
        _chars(element.get("url"), f"{path}.url", BUTTON_URL_MAX, "a button url")
        _chars(
            element.get("accessibility_label"),
            f"{path}.accessibility_label",
            ACCESSIBILITY_LABEL_MAX,
            "an accessibility_label",
        )
    elif kind == "plain_text_input":
        for field in ("max_length", "min_length"):
            value = element.get(field)
            if isinstance(value, int) and value > PLAIN_TEXT_INPUT_LENGTH_MAX:
                raise BlockKitLimitError(
                    f"{path}.{field}",
                    what=f"plain_text_input {field}",
                    limit=PLAIN_TEXT_INPUT_LENGTH_MAX,
                    actual=value,
                    unit="",
                )
    elif kind == "image":
        _check_image(element, path)
    if "options" in element:
        limit = _OPTION_LIMITS.get(str(kind), SELECT_OPTIONS_MAX)
        _check_options(element["options"], f"{path}.options", limit, f"a {kind or 'select'}")
    if "option_groups" in element:
        _check_option_groups(element["option_groups"], f"{path}.option_groups")
    if isinstance(element.get("initial_option"), Mapping):
        _check_option(element["initial_option"], f"{path}.initial_option")
    for index, option in enumerate(element.get("initial_options") or []):
        _check_option(option, f"{path}.initial_options[{index}]")


def _check_image(image: Mapping[str, Any], path: str) -> None:
    _chars(image.get("alt_text"), f"{path}.alt_text", IMAGE_ALT_TEXT_MAX, "image alt_text")
    _chars(image.get("image_url"), f"{path}.image_url", IMAGE_URL_MAX, "an image_url")


def _check_options(options: Any, path: str, limit: int, what: str) -> None:
    _count(options, path, limit, what, "options")
    for index, option in enumerate(options):
        _check_option(option, f"{path}[{index}]")


def _check_option_groups(groups: Any, path: str) -> None:
    _count(groups, path, SELECT_OPTION_GROUPS_MAX, "a select", "option groups")
    for index, group in enumerate(groups):
        group_path = f"{path}[{index}]"
        if not isinstance(group, Mapping):
            raise BlockKitError(group_path, "an option group should be an object")
        _text_object(group.get("label"), f"{group_path}.label", OPTION_GROUP_LABEL_MAX, "an option group label")
        _check_options(group.get("options", []), f"{group_path}.options", SELECT_OPTIONS_MAX, "an option group")


def _check_option(option: Any, path: str) -> None:
    if not isinstance(option, Mapping):
        raise BlockKitError(path, f"an option should be an object, not {type(option).__name__}")
    _text_object(option.get("text"), f"{path}.text", OPTION_TEXT_MAX, "option text")
    _chars(option.get("value"), f"{path}.value", OPTION_VALUE_MAX, "an option value")
    _text_object(option.get("description"), f"{path}.description", OPTION_DESCRIPTION_MAX, "an option description")
    _chars(option.get("url"), f"{path}.url", OPTION_URL_MAX, "an option url")


def _check_confirm(confirm: Any, path: str) -> None:
    if not isinstance(confirm, Mapping):
        raise BlockKitError(path, "a confirm dialog should be an object")
    _text_object(confirm.get("title"), f"{path}.title", CONFIRM_TITLE_MAX, "a confirm dialog title")
    _text_object(confirm.get("text"), f"{path}.text", CONFIRM_TEXT_MAX, "confirm dialog text")
    _text_object(confirm.get("confirm"), f"{path}.confirm", CONFIRM_BUTTON_MAX, "a confirm button")
    _text_object(confirm.get("deny"), f"{path}.deny", CONFIRM_BUTTON_MAX, "a deny button")


# -- primitives -------------------------------------------------------------


def _surface(surface: str) -> str:
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; expected one of {', '.join(SURFACES)}")
    return surface


def _text_object(obj: Any, path: str, limit: int, what: str) -> None:
    """Check a text object's ``text``; a bare string is measured as is."""
    if obj is None:
        return
    if isinstance(obj, str):
        _chars(obj, path, limit, what)
    elif isinstance(obj, Mapping):
        _chars(obj.get("text"), f"{path}.text", limit, what)
    else:
        raise BlockKitError(path, f"a text object should be an object, not {type(obj).__name__}")


def _chars(value: Any, path: str, limit: int, what: str) -> None:
    if isinstance(value, str) and len(value) > limit:
        raise BlockKitLimitError(path, what=what, limit=limit, actual=len(value), unit="characters")


def _count(items: Any, path: str, limit: int, what: str, unit: str) -> None:
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise BlockKitError(path, f"should be a list, not {type(items).__name__}")
    if len(items) > limit:
        raise BlockKitLimitError(path, what=what, limit=limit, actual=len(items), unit=unit)
