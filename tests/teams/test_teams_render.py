"""Teams' dialect: every plain string escaped for an Adaptive Card's markdown in one place, a leader's mrkdwn body
markup translated, the core's spans as Teams markup, and cards over Teams' limits refused before any call."""

from __future__ import annotations

import pytest

from bot.teams.answers import parse, tokenise
from bot.core import commands
from bot.teams.render import TeamsLimitError, check_limits, escape, from_mrkdwn, markdown, render_card
from messages.rich import Code, Link, Mention, PersonRef, Rich, Strong, Written


@pytest.mark.parametrize(("typed", "shown"), [
    ("**Boss**", "\\*\\*Boss\\*\\*"),
    ("_Ria_", "\\_Ria\\_"),
    ("[win](https://evil.example)", "\\[win\\](https://evil.example)"),
    ("<at>Everyone</at>", "‹at›Everyone‹/at›"),
    ("# Heading", "\\# Heading"),
    ("- not a list", "\\- not a list"),
    ("1. not a list", "\\1. not a list"),
    ("Jo-Ann O'Neil", "Jo-Ann O'Neil"),
    ("back\\slash `code`", "back\\\\slash \\`code\\`"),
])
def test_plain_strings_are_shown_as_typed(typed: str, shown: str) -> None:
    assert escape(typed) == shown


def test_spans_become_teams_markup_and_the_values_in_them_are_escaped() -> None:
    words = Rich("Hi ", Mention(PersonRef("*Lena*")), ", type ", Code("drumbeat help"), " or read ",
                 Link("https://example.com/a b", "the [guide]"), ". ", Strong("Done_"))

    assert markdown(words) == ("Hi **\\*Lena\\***, type `drumbeat help` or read "
                               "[the \\[guide\\]](https://example.com/a%20b). **Done\\_**")


def test_a_leaders_mrkdwn_is_translated_and_the_readers_name_in_it_stays_escaped() -> None:
    body = Rich(Written("Hi *"), "*Star*", Written("*, read <https://example.com/x|this> &amp; ~that~ <!here>"))

    assert markdown(body) == "Hi **\\*Star\\***, read [this](https://example.com/x) & that "
    assert from_mrkdwn("<@U123> see <https://a.example>") == " see https://a.example"


def test_a_card_over_28_kb_or_of_another_version_is_refused() -> None:
    card = render_card("notice", {"text": "x" * 100, "icon": "info"})
    check_limits(card, "message")
    with pytest.raises(TeamsLimitError, match="28672"):
        check_limits({**card, "body": [{"type": "TextBlock", "text": "x" * 30_000}]}, "message")
    with pytest.raises(TeamsLimitError, match="1.5"):
        check_limits({**card, "version": "1.6"}, "message")


def test_typed_text_loses_the_bot_mention_and_a_leading_drumbeat() -> None:
    assert tokenise("<at>Drumbeat</at> summary") == ["", " summary"]
    assert isinstance(parse("Drumbeat summary"), commands.Summary)
    assert isinstance(parse("  SUMMARY  "), commands.Summary)
    assert parse("drumbeats").problem is not None  # a word starting with "drumbeat" is not the name
    assert tokenise("summary <at>Ria</at>")[1] == commands.Unreadable("@Ria")
