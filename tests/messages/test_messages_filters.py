"""Neutral filters: over-long user text is cut to a platform's hard limits, in any template."""

from __future__ import annotations

import pytest

from messages.filters import truncate_chars
from messages.render import render_text


def test_truncate_chars_leaves_short_text_alone() -> None:
    assert truncate_chars("exactly ten", 11) == "exactly ten"


def test_truncate_chars_cuts_to_the_exact_length_with_an_ellipsis() -> None:
    cut = truncate_chars("a" * 200, 150)

    assert len(cut) == 150
    assert cut.endswith("…")


def test_truncate_chars_rejects_a_useless_length() -> None:
    with pytest.raises(ValueError):
        truncate_chars("text", 0)


def test_truncate_chars_is_available_in_templates() -> None:
    assert render_text("{{ title | truncate_chars(5) }}", {"title": "Pipeline"}) == "Pipe…"
