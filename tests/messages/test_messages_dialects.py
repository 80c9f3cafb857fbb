"""Any platform renders its own templates in the one sandbox: its folder, its filters, its limits check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from messages.render import BlockTemplateError, Dialect, Payload, TemplateProblem, render_template, render_text

TEMPLATES = Path(__file__).resolve().parent / "templates"


def shout(value: Any) -> str:
    return str(value).upper()


def test_a_dialect_renders_its_own_folder_with_its_own_filters() -> None:
    plain = Dialect(folder="plain", filters={"shout": shout}, templates_dir=TEMPLATES)

    card = render_template(plain, "card", {"title": "Pulse check", "lines": ["one", "two"]})

    assert card == {"title": "PULSE CHECK", "lines": ["ONE", "TWO"]}


def test_the_dialect_s_limits_check_sees_the_payload_and_the_surface() -> None:
    seen: list[tuple[Payload, str]] = []

    def too_long(payload: Payload, surface: str) -> None:
        seen.append((payload, surface))
        if isinstance(payload, dict) and len(payload["title"]) > 5:
            raise ValueError("title too long for this platform")

    strict = Dialect(folder="plain", filters={"shout": shout}, check=too_long, templates_dir=TEMPLATES)

    render_template(strict, "card", {"title": "Hi", "lines": []}, surface="dialog")
    with pytest.raises(ValueError, match="too long"):
        render_template(strict, "card", {"title": "Pulse check", "lines": []})
    assert [surface for _, surface in seen] == ["dialog", "message"]


def test_templates_dir_can_be_injected_per_call() -> None:
    plain = Dialect(folder="plain", filters={"shout": shout})  # the package folder has no "plain" templates

    with pytest.raises(BlockTemplateError, match="plain/card.json.j2: template not found"):
        render_template(plain, "card", {"title": "x", "lines": []})
    card = render_template(plain, "card", {"title": "x", "lines": []}, templates_dir=TEMPLATES)
    assert card == {"title": "X", "lines": []}


def test_another_dialect_s_filters_are_not_available() -> None:
    bare = Dialect(folder="plain", templates_dir=TEMPLATES)

    with pytest.raises(BlockTemplateError, match="shout"):
        render_template(bare, "card", {"title": "x", "lines": []})


def test_platform_filters_stay_out_of_leaders_bodies() -> None:
    render_template(Dialect(folder="plain", filters={"shout": shout}, templates_dir=TEMPLATES), "card",
                    {"title": "x", "lines": []})

    with pytest.raises(TemplateProblem):
        render_text("{{ name | shout }}", {"name": "Aiko"})
