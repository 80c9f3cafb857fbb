"""Teams' feedback lists at their fullest still fit one card: Adaptive Cards 1.5 as the emulator checks them and
Teams' 28 KB, texts cut or items left out (and said so) only when they would not fit, every text escaped."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.core.feedback import Thresholds, TeamFeedback
from bot.emulators.teams.cards import check_card
from bot.teams.feedback_lists import CUT, own_card, team_card
from bot.teams.render import MAX_MESSAGE_BYTES
from storage.models import Feedback
from storage.queries.feedback import FeedbackCounts

HOSTILE = "<at>all</at> **x** 🎯"


def item(number: int, text: str, *, anonymous: bool) -> Feedback:
    return Feedback(id=10_000 + number, team_id=1, about="team", anonymous=anonymous, month="2026-11",
                    submitted_on=date(2026, 11, 2), stop=text, start=text, keep=text, author_id=None if anonymous else 7,
                    reply_link=b"sealed" if number % 2 else None)


def view(texts: str, count: int) -> TeamFeedback:
    return TeamFeedback(
        team="East", month="2026-11", people=30, thresholds=Thresholds(),
        counts=FeedbackCounts(items=2 * count, people=30, stop=count, start=count, keep=count, by_about={"team": count}),
        named=[item(n, texts, anonymous=False) for n in range(count)], authors={7: "**Ben**"},
        anonymous=[item(100 + n, texts, anonymous=True) for n in range(count)])


def size(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def test_a_short_team_list_is_shown_whole_and_escaped() -> None:
    card = team_card(view(HOSTILE, 3))

    shown = json.dumps(card, ensure_ascii=False)
    assert check_card(card) == [] and CUT not in shown
    assert "\\\\*\\\\*Ben\\\\*\\\\*" in shown and "‹at›all‹/at›" in shown and "<at>" not in shown
    replies = [action["id"] for element in card["body"] if element["type"] == "ActionSet" for action in element["actions"]]
    assert replies == ["reply_10000", "reply_10001", "reply_10002", "reply_10101"]  # named, and opted-in anonymous


def test_the_fullest_team_list_cuts_its_texts_to_fit_and_says_so() -> None:
    card = team_card(view("🎯" * 1000, 20))

    assert check_card(card) == [] and size(card) < MAX_MESSAGE_BYTES
    assert CUT in json.dumps(card, ensure_ascii=False)


def test_the_fullest_own_list_fits_with_its_notice() -> None:
    card = own_card([item(n, "🎯" * 1000, anonymous=False) for n in range(40)], HOSTILE, "refused")

    assert check_card(card) == [] and size(card) < MAX_MESSAGE_BYTES
    shown = json.dumps(card, ensure_ascii=False)
    assert CUT in shown and "🚫 ‹at›all‹/at›" in shown
