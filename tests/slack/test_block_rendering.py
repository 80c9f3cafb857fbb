"""Our JSON Block Kit templates: safe embedding of user text, clear errors, limits enforced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.slack.blockkit import BlockKitLimitError
from bot.slack.render import render_blocks
from messages.render import BlockTemplateError

TEMPLATES = Path(__file__).resolve().parent / "templates"

NASTY_TEXT = 'She said "hi" \\ then\nleft; </script> <!channel> émoji 🎯 \u2028 \'quoted\' & {{ not a tag }}'


def test_tojson_embeds_quotes_newlines_unicode_and_markup_safely() -> None:
    message = render_blocks("echo_message", {"text": NASTY_TEXT}, templates_dir=TEMPLATES)

    assert isinstance(message, dict)
    assert message["text"] == NASTY_TEXT
    section_text = message["blocks"][0]["text"]["text"]
    assert "<!channel>" not in section_text
    assert "&lt;!channel&gt;" in section_text


def test_tojson_output_contains_no_raw_html_or_line_breaks(tmp_path: Path) -> None:
    from messages.sandbox import make_environment

    literal = make_environment(TEMPLATES).from_string("{{ text | tojson }}").render(text=NASTY_TEXT)

    assert "<" not in literal and ">" not in literal and "\n" not in literal and "\u2028" not in literal
    assert json.loads(literal) == NASTY_TEXT


def test_a_template_may_render_a_bare_list_of_blocks() -> None:
    blocks = render_blocks("block_list", {"titles": ["One", "Two"]}, templates_dir=TEMPLATES)

    assert [block["text"]["text"] for block in blocks] == ["One", "Two"]  # type: ignore[index]


def test_a_template_may_render_a_modal_view() -> None:
    view = render_blocks(
        "title_modal", {"title": "Pulse check", "body": "Q1"}, surface="modal", templates_dir=TEMPLATES
    )

    assert isinstance(view, dict) and view["type"] == "modal"


def test_limits_are_checked_for_the_surface() -> None:
    with pytest.raises(BlockKitLimitError) as caught:
        render_blocks("title_modal", {"title": "x" * 25, "body": "Q1"}, surface="modal", templates_dir=TEMPLATES)

    assert caught.value.path == "title.text"
    assert (caught.value.limit, caught.value.actual) == (24, 25)


def test_fifty_blocks_fit_a_message_but_fifty_one_do_not() -> None:
    render_blocks("block_list", {"titles": ["t"] * 50}, templates_dir=TEMPLATES)

    with pytest.raises(BlockKitLimitError, match="51 blocks"):
        render_blocks("block_list", {"titles": ["t"] * 51}, templates_dir=TEMPLATES)


def test_invalid_json_names_the_template_and_the_output_line() -> None:
    with pytest.raises(BlockTemplateError) as caught:
        render_blocks("broken_json", {"text": 'a "quoted" word'}, templates_dir=TEMPLATES)

    error = caught.value
    assert error.template == "slack/broken_json.json.j2"
    assert error.output_line == 3
    assert "slack/broken_json.json.j2" in str(error) and "output line 3" in str(error)


def test_undefined_variable_in_our_template_names_template_and_line() -> None:
    with pytest.raises(BlockTemplateError) as caught:
        render_blocks("undefined_name", {}, templates_dir=TEMPLATES)

    assert caught.value.line == 3
    assert str(caught.value).startswith("slack/undefined_name.json.j2:3: 'missing_variable' is undefined")


def test_missing_template_is_a_clear_error() -> None:
    with pytest.raises(BlockTemplateError, match="slack/nope.json.j2: template not found"):
        render_blocks("nope", {}, templates_dir=TEMPLATES)


@pytest.mark.parametrize("name", ["../secrets", "a/../../b", "with space", ""])
def test_template_names_cannot_escape_the_templates_folder(name: str) -> None:
    with pytest.raises(ValueError):
        render_blocks(name, {}, templates_dir=TEMPLATES)


def test_unknown_surface_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown surface"):
        render_blocks("block_list", {"titles": []}, surface="dialog", templates_dir=TEMPLATES)  # type: ignore[arg-type]
