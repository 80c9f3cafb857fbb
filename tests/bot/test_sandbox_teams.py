"""`drumbeat sandbox --teams`: the demo through the Teams emulator (signed activities, Graph directory sync,
cards in place), the prompt acting as anyone, and the end hint naming the command that was run."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.demo import demo_person
from bot.sandbox import run_sandbox
from bot.sandbox_teams import TeamsSandbox, card_lines, teams_id
from bot.settings import settings_from_mapping

TUESDAY_MORNING_UTC = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # East is at work; New York is asleep


@pytest.fixture
def sandbox(tmp_path: Path) -> TeamsSandbox:
    box = TeamsSandbox(settings_from_mapping({}), database=str(tmp_path / "sandbox.db"), out=io.StringIO(),
                       start=TUESDAY_MORNING_UTC)
    yield box
    box.close()


def text_of(sandbox: TeamsSandbox) -> str:
    return sandbox.printer.out.getvalue()  # type: ignore[attr-defined]


def test_the_demo_plays_in_teams_with_zones_from_graph_cards_in_place_and_refusals(sandbox: TeamsSandbox) -> None:
    sandbox.demo()

    text = text_of(sandbox)
    assert "Teams: 9 people read from Microsoft Graph, 9 known to Drumbeat, 9 time zones read, 9 changed" in text
    assert "Drumbeat installed in Teams for 9 people" in text
    assert "Lena Okafor (leader) types in Teams: send win-on-strategy to East, West" in text
    assert "(v1) for 6 people in team East, team West: now." in text
    assert "Sam Carter, new card from Drumbeat (America/New_York, Tue 08:00 local)" in text  # Graph's zone, mapped
    assert text.count("new card from Drumbeat") == 11  # what was queued, six broadcasts, two summaries, a question,
    # a refusal
    assert text.count("You acknowledged this") == 4 and text.count("card updated in place") == 5
    assert "Priya Shah (rep) taps: [Most of it: on-strategy deals come first]" in text and "**Right**" in text
    assert "3 of 3 reps got a message" in text
    assert "West is not one of your teams" in text


def test_the_prompt_acts_as_anyone_in_teams(sandbox: TeamsSandbox) -> None:
    sandbox.drumbeat.sync_directory(wait=True)
    for person in ("lena", "sam", "aiko"):
        sandbox.teams.install_app(teams_id(demo_person(person)))
    sandbox.clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))  # 10:00 in New York
    sandbox.broadcast(demo_person("lena"), "qualify-before-you-invest", ("West",))
    lines = iter(["dispatch", "sam got-it", "sam got-it", "aiko help", "lena broadcast", "lena schedules",
                  "nobody help", "quit"])

    sandbox.interact(lambda prompt: next(lines))

    text = text_of(sandbox)
    assert "Sam Carter (rep) presses: [Got it]" in text and "Sam Carter has nothing to acknowledge." in text
    assert "Aiko Tanaka (rep) types in Teams: help" in text and "drumbeat summary" in text
    assert "Open the broadcast form" in text  # a leader's broadcast opens its dialog from a card
    assert "Your broadcasts" in text and "[Send again now] [Edit]" in text  # schedules: the list as a card
    assert "Unknown person 'nobody'" in text


def test_the_end_hint_names_the_teams_sandbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_sandbox(settings_from_mapping({}), database=str(tmp_path / "s.db"), interactive=False, teams=True) == 0

    out = capsys.readouterr().out
    assert " sandbox --teams` in a terminal" in out


def test_a_card_reads_as_its_texts_facts_inputs_and_buttons() -> None:
    card = {"type": "AdaptiveCard", "body": [
        {"type": "TextBlock", "text": "Title\nsecond line"},
        {"type": "Container", "items": [{"type": "FactSet", "facts": [{"title": "Reach", "value": "3 of 3"}]}]},
        {"type": "ColumnSet", "columns": [{"type": "Column", "items": [{"type": "TextBlock", "text": "left"}]}]},
        {"type": "Input.Text", "id": "why", "label": "Why?"},
        {"type": "Image", "url": "https://example.invalid/x.png", "altText": "chart"},
    ], "actions": [{"type": "Action.Execute", "title": "Got it"}, {"type": "Action.Submit", "title": "Later"}]}

    assert card_lines(card) == ["Title", "second line", "  Reach 3 of 3", "left", "(Why?: an input)",
                                "(image: chart)", "[Got it] [Later]"]
