"""Block Kit limits check.

Written independently of slack_sdk's Block Kit model classes on purpose: if the bot
builds blocks with those classes, validating with the same code would let the same
mistake pass on both sides. The limits are the ones Slack's Block Kit reference
documents; problems are reported the way Slack's validator reports them, a message
followed by a JSON pointer, e.g. ``must be less than 3001 characters
[json-pointer:/blocks/0/text/text]``.

This is deliberately a limits check, not a full schema: unknown block and element
types, missing required fields, lengths, counts and duplicate ids.
"""

from __future__ import annotations

from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: dict[str, int] = {"message": 50, "modal": 100, "home": 100}

BLOCK_TYPES = frozenset(
    {
        "actions", "context", "divider", "file", "header", "image", "input",
        "markdown", "rich_text", "section", "video", "table", "context_actions",
    }
)
SELECTS = frozenset(
    {
        "static_select", "external_select", "users_select", "conversations_select",
        "channels_select", "multi_static_select", "multi_external_select",
        "multi_users_select", "multi_conversations_select", "multi_channels_select",
    }
)
PICKERS = frozenset({"datepicker", "timepicker", "datetimepicker"})
TEXT_INPUTS = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input", "file_input"}
)
ACTION_ELEMENTS = (
    frozenset({"button", "checkboxes", "overflow", "radio_buttons", "workflow_button", "rich_text_input"})
    | SELECTS
    | PICKERS
)
ACCESSORY_ELEMENTS = ACTION_ELEMENTS - {"rich_text_input"} | {"image"}
INPUT_ELEMENTS = (
    frozenset({"checkboxes", "radio_buttons"}) | SELECTS | PICKERS | TEXT_INPUTS
)
#: Elements whose current value Slack reports in ``state.values``.
STATEFUL_ELEMENTS = INPUT_ELEMENTS


class _Checker:
    """Collects problems while walking one payload."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, pointer: str, message: str) -> None:
        self.problems.append(f"{message} [json-pointer:{pointer}]")

    # -- primitives -------------------------------------------------------
    def string(self, value: Any, pointer: str, max_len: int, *, required: bool = False, min_len: int = 0) -> None:
        if value is None:
            if required:
                self.add(pointer, "missing required field")
            return
        if not isinstance(value, str):
            self.add(pointer, "must be a string")
            return
        if len(value) > max_len:
            self.add(pointer, f"must be less than {max_len + 1} characters")
        elif len(value) < min_len:
            self.add(pointer, f"must be more than {min_len - 1} characters")

    def text(
        self,
        obj: Any,
        pointer: str,
        max_len: int,
        *,
        required: bool = True,
        plain_only: bool = False,
    ) -> None:
        if obj is None:
            if required:
                self.add(pointer, "missing required field")
            return
        if not isinstance(obj, dict):
            self.add(pointer, "must provide an object")
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.add(f"{pointer}/type", "must be a valid enum value")
        self.string(obj.get("text"), f"{pointer}/text", max_len, required=True, min_len=1)

    def ident(self, value: Any, pointer: str) -> None:
        self.string(value, pointer, 255, min_len=1)

    def items(self, value: Any, pointer: str, *, max_items: int, min_items: int = 0, required: bool = True) -> list[Any]:
        if value is None:
            if required:
                self.add(pointer, "missing required field")
            return []
        if not isinstance(value, list):
            self.add(pointer, "must provide an array")
            return []
        if len(value) > max_items:
            self.add(pointer, f"must be less than {max_items + 1} items")
        elif len(value) < min_items:
            self.add(pointer, f"must provide at least {min_items} items" if min_items > 1 else "must provide at least one item")
        return value

    # -- composition objects ----------------------------------------------
    def option(self, obj: Any, pointer: str, *, plain_only: bool) -> None:
        if not isinstance(obj, dict):
            self.add(pointer, "must provide an object")
            return
        self.text(obj.get("text"), f"{pointer}/text", 75, plain_only=plain_only)
        self.string(obj.get("value"), f"{pointer}/value", 150, required=True, min_len=1)
        self.text(obj.get("description"), f"{pointer}/description", 75, required=False, plain_only=plain_only)
        self.string(obj.get("url"), f"{pointer}/url", 3000)

    def options(self, value: Any, pointer: str, *, max_items: int, min_items: int = 1, plain_only: bool = True) -> None:
        for i, opt in enumerate(self.items(value, pointer, max_items=max_items, min_items=min_items)):
            self.option(opt, f"{pointer}/{i}", plain_only=plain_only)

    def confirm(self, obj: Any, pointer: str) -> None:
        if obj is None:
            return
        if not isinstance(obj, dict):
            self.add(pointer, "must provide an object")
            return
        self.text(obj.get("title"), f"{pointer}/title", 100, plain_only=True)
        self.text(obj.get("text"), f"{pointer}/text", 300)
        self.text(obj.get("confirm"), f"{pointer}/confirm", 30, plain_only=True)
        self.text(obj.get("deny"), f"{pointer}/deny", 30, plain_only=True)

    # -- elements ---------------------------------------------------------
    def element(self, el: Any, pointer: str, allowed: frozenset[str]) -> None:
        if not isinstance(el, dict):
            self.add(pointer, "must provide an object")
            return
        kind = el.get("type")
        if kind not in allowed:
            self.add(f"{pointer}/type", f"unsupported type: {kind}" if kind else "missing required field")
            return
        if "action_id" in el:
            self.ident(el.get("action_id"), f"{pointer}/action_id")
        self.confirm(el.get("confirm"), f"{pointer}/confirm")
        if kind == "button":
            self.text(el.get("text"), f"{pointer}/text", 75, plain_only=True)
            self.string(el.get("value"), f"{pointer}/value", 2000)
            self.string(el.get("url"), f"{pointer}/url", 3000)
            style = el.get("style")
            if style is not None and style not in ("primary", "danger"):
                self.add(f"{pointer}/style", "must be a valid enum value")
        elif kind == "image":
            self.string(el.get("image_url"), f"{pointer}/image_url", 3000, required="slack_file" not in el)
            self.string(el.get("alt_text"), f"{pointer}/alt_text", 2000, required=True)
        elif kind in SELECTS:
            self.text(el.get("placeholder"), f"{pointer}/placeholder", 150, required=False, plain_only=True)
            if kind in ("static_select", "multi_static_select"):
                if "option_groups" in el:
                    groups = self.items(el.get("option_groups"), f"{pointer}/option_groups", max_items=100, min_items=1)
                    for g, group in enumerate(groups):
                        gp = f"{pointer}/option_groups/{g}"
                        if not isinstance(group, dict):
                            self.add(gp, "must provide an object")
                            continue
                        self.text(group.get("label"), f"{gp}/label", 75, plain_only=True)
                        self.options(group.get("options"), f"{gp}/options", max_items=100)
                else:
                    self.options(el.get("options"), f"{pointer}/options", max_items=100)
        elif kind == "overflow":
            self.options(el.get("options"), f"{pointer}/options", max_items=5)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(el.get("options"), f"{pointer}/options", max_items=10, plain_only=False)
        elif kind in PICKERS:
            self.text(el.get("placeholder"), f"{pointer}/placeholder", 150, required=False, plain_only=True)
        elif kind in TEXT_INPUTS:
            self.text(el.get("placeholder"), f"{pointer}/placeholder", 150, required=False, plain_only=True)
            if kind == "plain_text_input":
                for key in ("max_length", "min_length"):
                    value = el.get(key)
                    if value is None:
                        continue
                    if not isinstance(value, int) or isinstance(value, bool):
                        self.add(f"{pointer}/{key}", "must be an integer")
                    elif value > 3000:
                        self.add(f"{pointer}/{key}", "must be less than 3001")
                    elif value < (1 if key == "max_length" else 0):
                        self.add(f"{pointer}/{key}", "must be greater than 0" if key == "max_length" else "must be at least 0")
                self.string(el.get("initial_value"), f"{pointer}/initial_value", 3000)

    def elements_unique(self, elements: list[Any], pointer: str) -> None:
        seen: set[str] = set()
        for i, el in enumerate(elements):
            if isinstance(el, dict) and isinstance(el.get("action_id"), str):
                if el["action_id"] in seen:
                    self.add(f"{pointer}/{i}/action_id", "action_id already exists")
                seen.add(el["action_id"])

    # -- blocks -----------------------------------------------------------
    def block(self, block: Any, pointer: str, surface: Surface) -> None:
        if not isinstance(block, dict):
            self.add(pointer, "must provide an object")
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.add(f"{pointer}/type", f"unsupported type: {kind}" if kind else "missing required field")
            return
        if "block_id" in block:
            self.ident(block.get("block_id"), f"{pointer}/block_id")
        if kind == "section":
            if block.get("text") is None and block.get("fields") is None:
                self.add(pointer, "must provide either text or fields")
            self.text(block.get("text"), f"{pointer}/text", 3000, required=False)
            if block.get("fields") is not None:
                for i, f in enumerate(self.items(block.get("fields"), f"{pointer}/fields", max_items=10, min_items=1)):
                    self.text(f, f"{pointer}/fields/{i}", 2000)
            if block.get("accessory") is not None:
                self.element(block["accessory"], f"{pointer}/accessory", ACCESSORY_ELEMENTS)
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", 150, plain_only=True)
        elif kind == "actions":
            elements = self.items(block.get("elements"), f"{pointer}/elements", max_items=25, min_items=1)
            for i, el in enumerate(elements):
                self.element(el, f"{pointer}/elements/{i}", ACTION_ELEMENTS)
            self.elements_unique(elements, f"{pointer}/elements")
        elif kind == "context":
            for i, el in enumerate(self.items(block.get("elements"), f"{pointer}/elements", max_items=10, min_items=1)):
                ep = f"{pointer}/elements/{i}"
                if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                    self.text(el, ep, 3000)
                else:
                    self.element(el, ep, frozenset({"image"}))
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", 2000, plain_only=True)
            self.text(block.get("hint"), f"{pointer}/hint", 2000, required=False, plain_only=True)
            if block.get("element") is None:
                self.add(f"{pointer}/element", "missing required field")
            else:
                self.element(block["element"], f"{pointer}/element", INPUT_ELEMENTS)
        elif kind == "image":
            self.string(block.get("image_url"), f"{pointer}/image_url", 3000, required="slack_file" not in block)
            self.string(block.get("alt_text"), f"{pointer}/alt_text", 2000, required=True)
            self.text(block.get("title"), f"{pointer}/title", 2000, required=False, plain_only=True)
        elif kind == "markdown":
            self.string(block.get("text"), f"{pointer}/text", 12000, required=True, min_len=1)
        elif kind == "rich_text":
            self.items(block.get("elements"), f"{pointer}/elements", max_items=10_000)
        elif kind == "file" and surface != "message":
            self.add(f"{pointer}/type", f"unsupported type: {kind}")

    def blocks(self, blocks: Any, pointer: str, surface: Surface) -> None:
        items = self.items(blocks, pointer, max_items=MAX_BLOCKS[surface])
        seen: set[str] = set()
        for i, block in enumerate(items):
            self.block(block, f"{pointer}/{i}", surface)
            if isinstance(block, dict) and isinstance(block.get("block_id"), str):
                if block["block_id"] in seen:
                    self.add(f"{pointer}/{i}/block_id", "block_id already exists")
                seen.add(block["block_id"])


def check_message_blocks(blocks: Any) -> list[str]:
    """Problems with a message's ``blocks`` (empty list when acceptable)."""
    checker = _Checker()
    checker.blocks(blocks, "/blocks", "message")
    return checker.problems


def check_view(view: Any) -> list[str]:
    """Problems with a modal or Home tab ``view`` payload (empty when acceptable)."""
    checker = _Checker()
    if not isinstance(view, dict):
        checker.add("/view", "must provide an object")
        return checker.problems
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.add("/view/type", "must be a valid enum value" if kind else "missing required field")
        return checker.problems
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", 24, plain_only=True)
        checker.text(view.get("submit"), "/view/submit", 24, required=False, plain_only=True)
        checker.text(view.get("close"), "/view/close", 24, required=False, plain_only=True)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            checker.add("/view/submit", "submit is required when an input block is within the blocks array")
    checker.string(view.get("private_metadata"), "/view/private_metadata", 3000)
    checker.string(view.get("callback_id"), "/view/callback_id", 255)
    checker.string(view.get("external_id"), "/view/external_id", 255)
    checker.blocks(view.get("blocks"), "/view/blocks", "modal" if kind == "modal" else "home")
    return checker.problems


def iter_elements(blocks: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every interactive element in ``blocks`` as ``(block, element)`` pairs, in
    display order: actions elements, section accessories and input elements."""
    found: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "actions":
            found.extend((block, el) for el in block.get("elements") or [] if isinstance(el, dict))
        elif kind == "section" and isinstance(block.get("accessory"), dict):
            found.append((block, block["accessory"]))
        elif kind == "input" and isinstance(block.get("element"), dict):
            found.append((block, block["element"]))
    return found
