"""The core decides what is said as neutral view models: words and references, never a platform's markup."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.core.errors import BadInput, DrumbeatError
from bot.core.home import HomeView, Waiting, unknown_person
from bot.core.people import person_ref
from bot.core.summaries import PersonSummary
from bot.core.words.home import home_screen
from bot.core.words.screen import GIVE_FEEDBACK, Field, Screen
from bot.core.words.summary import person_summary_screen
from bot.core.words.usage import usage_screen
from messages.rich import Code, Icon, Mention, PersonRef, Rich, Strong
from storage.address import Address
from storage.queries.overview import TeamLine
from storage.queries.reach import MessageReach
from storage.queries.understanding import Rate, RepNeed

NOW = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)


def lines(screen: Screen) -> list[str | Rich]:
    return [line for section in screen.sections for line in section.lines]


def test_a_rep_s_home_names_what_waits_in_plain_words_with_icons_and_commands_as_spans() -> None:
    view = HomeView(name="Aiko", role="rep", unacknowledged=2, note=None, command="/drumbeat",
                    waiting=[Waiting("Where we <win>", datetime(2026, 11, 23, tzinfo=UTC)), Waiting("ICP", None)],
                    own=Rate("U0REPEA01", 1, 3), own_expectations=[Rate("icp-first", 0, 1), Rate("m3", 1, 1)])

    screen = home_screen(view)

    assert screen.title == "Hi Aiko!"
    assert Rich(Icon("waiting"), " You have 2 strategy messages to acknowledge in your DMs:") in lines(screen)
    assert "• Where we <win> (Nov 23)" in lines(screen)  # unescaped: escaping is each platform's job
    assert Rich(Icon("questions"), " No open questions. ", Code("/drumbeat quiz me"), " practises one now.") \
        in lines(screen)
    assert Rich("To look at again: ", Code("icp-first")) in lines(screen)
    (button,) = [button for section in screen.sections for button in section.buttons]
    assert (button.action, button.value) == (GIVE_FEEDBACK, "home")


def test_a_leader_s_home_lists_every_team_in_short_sections() -> None:
    teams = [TeamLine(f"Team {n:03}", reps=3, delivered=0, acknowledged=0, answered=0, correct=0) for n in range(45)]
    view = HomeView(name="Lena", role="leader", unacknowledged=0, note=None, command="/drumbeat", organisation=teams)

    organisation = [section for section in home_screen(view).sections
                    if section.lines and str(section.lines[0]).startswith("• Team")]

    assert [len(section.lines) for section in organisation] == [20, 20, 5]
    assert organisation[0].title == "The organisation · last 30 days" and organisation[0].rule
    assert not organisation[1].title
    assert organisation[0].lines[0] == Rich("• ", Strong("Team 000"),
                                            ": 3 reps · acknowledged nothing sent · understanding no answers")


def test_someone_not_in_the_directory_sees_only_the_note() -> None:
    screen = home_screen(unknown_person(Rich("Ask your admin."), "/drumbeat"))

    assert screen.title == "Welcome to Drumbeat"
    assert lines(screen) == [Rich("Ask your admin.")]


def test_a_person_s_summary_is_fields_and_lines() -> None:
    summary = PersonSummary(name="Jonas Weber", address=Address("slack", "U0REPEA02"), days=30, since=NOW, now=NOW,
                            messages=[MessageReach("win", "Win *big*", 1, 1, 2, 1)], waiting=1, open_questions=0,
                            understanding=Rate("U0REPEA02", 1, 3), expectations=[Rate("on-strategy-first", 0, 1)])

    screen = person_summary_screen(summary, command="/drumbeat")

    assert (screen.title, screen.summary) == ("Jonas Weber · last 30 days", "Drumbeat figures for Jonas Weber, last 30 days")
    assert Field("Acknowledged", "1 of 2 (50%)") in screen.sections[0].fields
    assert Rich("• ", Strong("Win *big*"), ": 2 received, 1 acknowledged") in lines(screen)
    assert Rich("• ", Code("on-strategy-first"), ": missed on the latest answer") in lines(screen)


def test_usage_leads_with_the_problem_and_lists_commands_as_code() -> None:
    screen = usage_screen("/drumbeat", Rich("I don't know ", Code("dance"), "."))

    assert screen.summary == "Drumbeat commands: /drumbeat help"
    assert screen.sections[0].lines == (Rich(Icon("puzzled"), " ", "I don't know ", Code("dance"), "."),)
    assert Rich(Code("/drumbeat quiz me"), ": ", "practise a pulse-check question now (missed ones come back first)") \
        in lines(screen)


def test_errors_carry_references_and_read_as_plain_text() -> None:
    ghost = PersonRef("U0GHOST", Address("slack", "U0GHOST"))
    error = BadInput(Rich(Mention(ghost), " is not here; try ", Code("summary"), "."))

    assert str(error) == "U0GHOST is not here; try summary."
    assert Mention(ghost) in error.text.spans
    assert DrumbeatError("plain words").text == Rich("plain words")


def test_a_person_is_referred_to_by_their_account_or_else_by_name() -> None:
    need = RepNeed(person_id=7, name="Ria", manager_id=None, correct=0, answered=1, missed=[])
    teams = Address("teams", "29:ria")

    assert person_ref(need) == PersonRef("Ria")
    assert person_ref(replace(need, address=teams)) == PersonRef("Ria", teams)
