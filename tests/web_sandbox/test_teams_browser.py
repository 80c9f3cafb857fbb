"""The web sandbox's Teams page driven in a real headless browser (Debian's chromium through Playwright), the
cards drawn by Microsoft's Adaptive Cards renderer the page vendors. Screenshots go to
docs/screenshots/web-sandbox/ as the Slack tests' do; the tests skip where /usr/bin/chromium is absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.web_sandbox.server import serving
from bot.web_sandbox.teams_session import TeamsWebSandbox
from bot.web_sandbox.tour import run_step
from tests.web_sandbox.test_browser import CHROMIUM, WAIT_MS, be, browser, expect, shot, type_command

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install chromium")
__all__ = ["browser"]  # the module-scoped fixture, shared with the Slack tests


@pytest.fixture
def page(browser: object, teams_web: TeamsWebSandbox) -> Iterator[object]:
    with serving(teams=teams_web) as address:
        context = browser.new_context(viewport={"width": 1280, "height": 820}, base_url=address.removesuffix("teams/"))  # type: ignore[attr-defined]
        tab = context.new_page()
        tab.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        try:
            yield tab
            assert errors == []  # the renderer and teams.js ran without a script error
        finally:
            context.close()


def button(page: object, title: str) -> object:
    """A button the Adaptive Cards renderer drew, by its title."""
    return page.locator(f"#dm .ac-pushButton[title='{title}']")  # type: ignore[attr-defined]


def test_a_teams_rep_presses_got_it_the_card_is_replaced_in_place_and_answers_a_pulse_check(page: object) -> None:
    page.goto("/teams/?as=lena")  # type: ignore[attr-defined]
    page.click("button[name=step][value='1']")  # type: ignore[attr-defined] - the tour: Lena broadcasts
    expect(page.locator("#log")).to_contain_text("Tour 1.")  # type: ignore[attr-defined]
    page.click("button[name=step][value='2']")  # type: ignore[attr-defined] - the clock moves, the outbox delivers
    expect(page.locator(".you")).to_contain_text("Aiko Tanaka")  # type: ignore[attr-defined]
    got_it = button(page, "Got it")
    expect(got_it).to_be_visible()
    card = page.locator("#dm article", has=page.locator(".ac-pushButton[title='Got it']"))  # type: ignore[attr-defined]
    message_id = card.get_attribute("data-id")
    shot(page, "teams-rep-1-broadcast-arrives")
    got_it.click()
    replaced = page.locator(f"#dm article[data-id='{message_id}']")  # type: ignore[attr-defined]
    expect(replaced).to_contain_text("(updated)")  # the same message, its card replaced in place
    expect(replaced).to_contain_text(re.compile("acknowledged", re.IGNORECASE))
    expect(got_it).to_have_count(0)
    shot(page, "teams-rep-2-acknowledged")
    type_command(page, "quiz me")
    question = page.locator("#dm article").last  # type: ignore[attr-defined]
    answers = question.locator(".ac-pushButton")
    expect(answers.first).to_be_visible()
    shot(page, "teams-rep-3-pulse-check")
    answers.first.click()
    expect(page.locator("#dm article").last).to_contain_text(re.compile(r"Right|Not quite"))  # type: ignore[attr-defined]
    shot(page, "teams-rep-4-answered")


def test_a_teams_leader_opens_the_broadcast_dialog_gets_a_field_error_and_schedules_it(page: object) -> None:
    page.goto("/teams/?as=lena")  # type: ignore[attr-defined]
    type_command(page, "broadcast")
    button(page, "Open the broadcast form").click()
    dialog = page.locator(".teams-dialog")  # type: ignore[attr-defined]
    expect(dialog).to_contain_text("New broadcast")
    shot(page, "teams-leader-1-dialog")
    dialog.locator(".ac-pushButton[title='Schedule']").click()
    expect(dialog).to_contain_text("Say who should get it")  # the bot's field error, in the dialog it sent back
    shot(page, "teams-leader-2-field-errors")
    dialog.get_by_label("A message from the library").select_option("win-on-strategy")
    dialog.locator("input[name=teams][aria-label=East]").check()  # not "Teams to leave out"
    shot(page, "teams-leader-3-filled")
    dialog.locator(".ac-pushButton[title='Schedule']").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#dm")).to_contain_text(re.compile("East"))  # type: ignore[attr-defined]
    shot(page, "teams-leader-4-scheduled")
    be(page, "aiko")
    expect(page.locator("#dm")).to_contain_text("Where we win")  # type: ignore[attr-defined]


def test_a_card_that_arrives_while_the_clock_moves_elsewhere_shows_up_without_reloading(
        page: object, teams_web: TeamsWebSandbox) -> None:
    page.goto("/teams/?as=aiko")  # type: ignore[attr-defined]
    expect(page.locator("#dm")).to_contain_text("No messages from Drumbeat yet")  # type: ignore[attr-defined]
    page.evaluate("window.loadedOnce = true")  # type: ignore[attr-defined] - gone if the page were reloaded
    run_step(teams_web, 1)  # elsewhere (another tab, the terminal): Lena broadcasts, the clock moves, it is delivered
    run_step(teams_web, 2)
    expect(button(page, "Got it")).to_be_visible()  # the page polled, saw the change and refreshed itself
    assert page.evaluate("window.loadedOnce") is True  # type: ignore[attr-defined]
    shot(page, "teams-live-card-arrives")
