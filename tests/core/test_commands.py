"""The one command grammar: what a platform tokenised comes back as a typed command, or a clear problem."""

from __future__ import annotations

import pytest

from bot.core import commands
from bot.core.broadcasts import AudienceSpec
from bot.core.commands import Syntax, Unreadable, parse_command
from bot.core.errors import BadInput
from bot.core.teams import Group
from storage.address import Address

AIKO, JONAS = Address("fake", "aiko"), Address("fake", "jonas")
EAST_GROUP = Group("fake", "G-EAST")
SYNTAX = Syntax("Fakechat", group_from_text=lambda text: Group("fake", text) if text.startswith("G-") else None)


def parse(*fragments: commands.Fragment) -> commands.Command:
    return parse_command(fragments, syntax=SYNTAX)


def test_send_names_people_by_reference_and_teams_by_name() -> None:
    command = parse("send win-on-strategy to ", AIKO, " ", JONAS, ", Team East and West")
    assert command == commands.Send("win-on-strategy", AudienceSpec(people=(AIKO, JONAS), teams=("Team East", "West")))


@pytest.mark.parametrize(("fragments", "problem"), [
    (("send win-on-strategy",), "Say which message and to whom"),
    (("send Win_On to East",), "'win_on' is not a message key"),
    (("send win to @aiko",), "I couldn't tell who @aiko is: pick the person from Fakechat's autocomplete"),
    (("send win to ", Unreadable("#general")), "I can't use #general yet"),
    (("send win to ", EAST_GROUP), "I can't use G-EAST yet"),
])
def test_send_explains_what_it_could_not_read(fragments: tuple[commands.Fragment, ...], problem: str) -> None:
    with pytest.raises(BadInput, match=problem):
        parse(*fragments)


def test_summary_takes_a_team_a_person_or_me_with_a_period() -> None:
    assert parse("summary East 90d") == commands.Summary(commands.SummaryRequest(team_name="East", days=90))
    assert parse("summary ", AIKO, " quarter").request.person == AIKO  # type: ignore[union-attr]
    assert parse("summary export me 7d").request == commands.SummaryRequest(person="me", days=7, export=True)  # type: ignore[union-attr]
    with pytest.raises(BadInput, match="One person at a time"):
        parse("summary ", AIKO, " ", JONAS)
    with pytest.raises(BadInput, match="pick the person from Fakechat's autocomplete"):
        parse("summary @aiko")


def test_team_link_takes_a_group_reference_or_a_group_id_typed_as_text() -> None:
    assert parse("team link East Sales ", EAST_GROUP) == commands.LinkTeam("East Sales", EAST_GROUP)
    assert parse("team link East G-EAST") == commands.LinkTeam("East", Group("fake", "G-EAST"))
    assert parse("team unlink East") == commands.UnlinkTeam("East")
    assert parse("team") == commands.ListLinkedTeams()
    with pytest.raises(BadInput, match="Say the team and the user group"):
        parse("team link East")
    with pytest.raises(BadInput, match="I couldn't tell which user group sales is"):
        parse("team link East sales")


def test_feedback_verbs() -> None:
    assert parse("feedback") == commands.OpenFeedback()
    assert parse("feedback list East 2026-11") == commands.ListFeedback("East", "2026-11")
    assert parse("feedback list") == commands.ListFeedback(None, None)
    assert parse("feedback mine") == commands.MyFeedback()
    assert parse("feedback request East | What should we stop?") == commands.PostToTeam(
        "request", "East", "What should we stop?")
    with pytest.raises(BadInput, match="'2026-13' is not a month"):
        parse("feedback list East 2026-13")
    with pytest.raises(BadInput, match="feedback mine"):
        parse("feedback please")


def test_quiz_away_help_and_unknown_words() -> None:
    assert parse("quiz me") == commands.QuizMe()
    assert parse("quiz new") == commands.NewQuestion()
    assert parse("away until 2026-12-01") == commands.SetAway("until 2026-12-01")
    assert parse("") == commands.Help()
    unknown = parse("dance")
    assert isinstance(unknown, commands.Help) and str(unknown.problem) == "I don't know dance."
    with pytest.raises(BadInput, match="quiz me"):
        parse("quiz later")
