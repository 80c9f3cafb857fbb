"""The Teams dialogs' and coaching cards' fullest forms still fit: Adaptive Cards 1.5 as the emulator checks them
(from the published schema) and Teams' 28 KB, with every person-provided text escaped or typed back as is."""

from __future__ import annotations

import json
from typing import Any

from bot.emulators.teams.cards import check_card
from bot.teams import broadcast_dialog
from bot.teams.dialogs import form_dialog
from bot.teams.render import MAX_MESSAGE_BYTES, render_card

HOSTILE = '<at>all</at> **"x"** \\ '


def card_of(task: dict[str, Any]) -> dict[str, Any]:
    return task["task"]["value"]["card"]["content"]


def size(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def test_the_fullest_broadcast_form_drops_choices_until_it_fits_and_says_so() -> None:
    many = [(f"key-{n:03d}-" + "k" * 60, f"Title {n} " + "t" * 140) for n in range(300)]
    values = {name: "<" * 3000 for name in broadcast_dialog.INPUTS}
    errors = {name: "⚠ " + "e" * 150 for name in broadcast_dialog.INPUTS}  # the core's longest are shorter
    context = {"library": many, "teams": [(f"Team {n} " + "x" * 70,) * 2 for n in range(300)], "questions": many,
               "preview": HOSTILE * 100, "preview_problem": HOSTILE, "form": "A" * 22, "values": values,
               "errors": errors, "intervals": [("2", "Every 2 weeks")],
               "groups": [(str(n), f"Entra group {n} " + "g" * 70) for n in range(300)],
               "audience_note": [HOSTILE * 4] * 3}

    card = card_of(broadcast_dialog.fitted(context))

    assert check_card(card) == [] and size(card) < MAX_MESSAGE_BYTES
    library = next(element for element in card["body"] if element.get("id") == "message")
    assert library["label"].startswith("A message from the library (the first ") and len(library["choices"]) < 100


def test_the_broadcast_form_offers_every_choice_when_they_fit() -> None:
    few = [("win-on-strategy", "Where we win")]
    card = card_of(broadcast_dialog.fitted({
        "library": few, "teams": [("East", "East")], "questions": few, "preview": None, "preview_problem": None,
        "form": "A" * 22, "values": {}, "errors": {}, "intervals": [("2", "Every 2 weeks")],
        "groups": [("1", "Teams team Sales")], "audience_note": []}))
    assert check_card(card) == []
    library = next(element for element in card["body"] if element.get("id") == "message")
    assert library["label"] == "A message from the library" and len(library["choices"]) == 1


def test_the_feedback_form_typed_back_with_every_error_fits_and_keeps_the_values_as_typed() -> None:
    values = {"stop": "<" * 1000, "start": HOSTILE * 40, "keep": "\u202e" * 1000, "about": "team", "anonymous": "true"}
    errors = {"stop": "e" * 200, "start": "e" * 200, "keep": "e" * 200, "about": "e", "anonymous": "e", "": "e"}
    card = card_of(form_dialog("Stop, start, continue", "feedback_dialog", {
        "question": HOSTILE * 100, "min_people": 5, "context": "command", "form": "A" * 22, "values": values,
        "errors": errors}))
    assert check_card(card) == [] and size(card) < MAX_MESSAGE_BYTES
    start = next(element for element in card["body"] if element.get("id") == "start")
    assert start["value"] == (HOSTILE * 40)[:1000]
    assert "‹at›all‹/at›" in card["body"][1]["text"]  # the manager's question: escaped, mentions no one


def test_the_fullest_coaching_card_fits_teams() -> None:
    answer = {"right": False, "prompt": HOSTILE * 20, "chosen": HOSTILE * 5, "on": "Tue 24 Nov"}
    nudge = {"id": 1, "rep": HOSTILE * 5, "reason": "missed it twice in a row", "answers": [answer] * 3, "sent_on": "",
             "status": "open", "cause": "Goal: clear and realistic?", "cause_value": "goal", "note": "", "by": "",
             "coached_on": "", "snoozed_until": "", "refreshed_on": "Mon 23 Nov"}
    groups = [{"title": HOSTILE * 30, "key": "k", "points": [(f"Step {n}", HOSTILE * 60) for n in range(5)],
               "nudges": [{**nudge, "id": 10 * g + n} for n in range(3 if g < 2 else 2)]} for g in range(5)]
    card = render_card("coaching", {"first_name": HOSTILE, "day": "Fri 27 Nov", "groups": groups, "more": 40,
                                    "causes": []})
    assert check_card(card) == [] and size(card) < MAX_MESSAGE_BYTES
