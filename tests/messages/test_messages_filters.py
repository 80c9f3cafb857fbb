"""User text is made safe for Slack: no surprise mentions, no over-long fields."""

from __future__ import annotations

import pytest

from messages.filters import mrkdwn_escape, truncate_chars
from messages.render import render_text


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("<@U123>", "&lt;@U123&gt;"),
        ("<!channel> please read", "&lt;!channel&gt; please read"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("R&D", "R&amp;D"),
        ("&lt; already", "&amp;lt; already"),
        ("plain *bold* text", "plain *bold* text"),
    ],
)
def test_mrkdwn_escape_makes_mentions_show_literally(text: str, escaped: str) -> None:
    assert mrkdwn_escape(text) == escaped


def test_mrkdwn_escape_is_available_in_templates() -> None:
    assert render_text("{{ name | mrkdwn_escape }}", {"name": "<!channel>"}) == "&lt;!channel&gt;"


def test_truncate_chars_leaves_short_text_alone() -> None:
    assert truncate_chars("exactly ten", 11) == "exactly ten"


def test_truncate_chars_cuts_to_the_exact_length_with_an_ellipsis() -> None:
    cut = truncate_chars("a" * 200, 150)

    assert len(cut) == 150
    assert cut.endswith("…")


def test_truncate_chars_never_leaves_half_an_escape() -> None:
    escaped = mrkdwn_escape("ab<c")  # "ab&lt;c"

    assert truncate_chars(escaped, 5) == "ab…"


def test_truncate_chars_rejects_a_useless_length() -> None:
    with pytest.raises(ValueError):
        truncate_chars("text", 0)


def test_truncate_chars_is_available_in_templates() -> None:
    assert render_text("{{ title | truncate_chars(5) }}", {"title": "Pipeline"}) == "Pipe…"
