"""The web sandbox driven in a real headless browser (Debian's chromium through Playwright's Python API).

Each test clicks and types as a visitor would and writes a screenshot of every step to
docs/screenshots/web-sandbox/ (ignored by git; the README's picture is a copy of one). The tests skip, saying
why, where /usr/bin/chromium is absent (.ci/run installs it); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.demo import demo_person
from bot.web_sandbox.server import serving
from bot.web_sandbox.session import WebSandbox

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "web-sandbox"
WAIT_MS = 60_000  # what one step may take on a loaded 2-core machine (a clock jump walks many stops)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object, web: WebSandbox) -> Iterator[object]:
    with serving(web) as address:
        context = browser.new_context(viewport={"width": 1280, "height": 820}, base_url=address)  # type: ignore[attr-defined]
        tab = context.new_page()
        tab.set_default_timeout(WAIT_MS)
        try:
            yield tab
        finally:
            context.close()


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def be(page: object, handle: str) -> None:
    """Pick who you are in the people list."""
    page.click(f"a[data-person={handle}]")  # type: ignore[attr-defined]
    expect(page.locator(".you")).to_contain_text(demo_person(handle).name)  # type: ignore[attr-defined]


def type_command(page: object, text: str) -> None:
    page.fill("#command-text", text)  # type: ignore[attr-defined]
    page.click(".command button")  # type: ignore[attr-defined]
    expect(page.locator("#command-text")).to_have_value("")  # type: ignore[attr-defined] - the page came back


def test_a_rep_acknowledges_a_broadcast_and_answers_a_pulse_check_by_clicking(page: object) -> None:
    page.goto("/?as=lena")  # type: ignore[attr-defined]
    type_command(page, "send win-on-strategy to @aiko")
    expect(page.locator(".message.ephemeral").last).to_contain_text("On its way")  # type: ignore[attr-defined]
    be(page, "aiko")
    got_it = page.locator("button[data-action=delivery_ack]")  # type: ignore[attr-defined]
    expect(got_it).to_be_visible()
    shot(page, "rep-1-broadcast-arrives")
    got_it.click()
    expect(page.locator(".message").first).to_contain_text("You acknowledged this")  # type: ignore[attr-defined]
    expect(got_it).to_have_count(0)
    shot(page, "rep-2-acknowledged")
    type_command(page, "quiz me")
    answers = page.locator("button[data-action^=quiz_answer_]")  # type: ignore[attr-defined]
    expect(answers.first).to_be_visible()
    shot(page, "rep-3-pulse-check")
    answers.first.click()
    expect(page.locator("#dm")).to_contain_text(re.compile(r"Right:|Not quite\."))  # type: ignore[attr-defined]
    expect(answers).to_have_count(0)  # the question updated in place: it cannot be answered twice
    shot(page, "rep-4-answered")


def test_a_leader_fills_the_broadcast_modal_fixes_a_field_error_and_schedules_it(page: object) -> None:
    page.goto("/?as=lena")  # type: ignore[attr-defined]
    type_command(page, "broadcast")
    modal = page.locator(".modal")  # type: ignore[attr-defined]
    expect(modal).to_contain_text("New broadcast")
    shot(page, "leader-1-modal")
    modal.locator("[data-submit]").click()
    expect(modal.locator("[data-block=people] .field-error")).to_contain_text("Say who should get it")
    shot(page, "leader-2-field-errors")
    modal.locator("select[name='message.message_pick']").select_option("win-on-strategy")
    expect(modal).to_contain_text("Preview for you")  # the pick reached the bot, which updated the modal
    modal.locator("select[name='people.people_input']").select_option(["U0REPEA01", "U0REPEA02"])
    shot(page, "leader-3-filled")
    modal.locator("[data-submit]").click()
    expect(modal).to_have_count(0)
    expect(page.locator("#dm")).to_contain_text("Scheduled")  # type: ignore[attr-defined]
    shot(page, "leader-4-scheduled")
    be(page, "jonas")
    expect(page.locator("#dm")).to_contain_text("Where we win")  # type: ignore[attr-defined]


def test_a_manager_opens_the_summary_and_sees_the_momentum_chart(page: object, web: WebSandbox) -> None:
    lena = demo_person("lena")
    for message in ("win-on-strategy", "qualify-before-you-invest"):  # two weeks with acknowledgements
        with web.acting():
            web.sandbox.command(lena, f"send {message} to East")
            web.sandbox.fast_forward()
            for handle in ("aiko", "jonas"):
                web.sandbox.click_got_it(demo_person(handle))
        web.clock.advance(timedelta(days=7))
    page.goto("/?as=marco")  # type: ignore[attr-defined]
    type_command(page, "summary")
    chart = page.locator("img.file-image")  # type: ignore[attr-defined]
    expect(chart).to_be_visible()
    assert chart.evaluate("image => image.complete && image.naturalWidth > 100")
    assert "Acknowledgement" in (chart.get_attribute("alt") or "")
    chart.scroll_into_view_if_needed()
    shot(page, "manager-summary-chart")


def test_the_clock_moves_and_a_weekly_broadcast_arrives_at_the_reps_own_nine_oclock(page: object) -> None:
    page.goto("/?as=lena")  # type: ignore[attr-defined]
    type_command(page, "broadcast")
    modal = page.locator(".modal")  # type: ignore[attr-defined]
    modal.locator("select[name='message.message_pick']").select_option("win-on-strategy")
    expect(modal).to_contain_text("Preview for you")
    modal.locator("select[name='people.people_input']").select_option(["U0REPEA01"])
    modal.locator("input[name='when.when_input'][value=recurring]").check()
    modal.locator("select[name='kind.kind_input']").select_option("weekly")
    modal.locator("input[name='weekdays.weekdays_input'][value='0']").check()
    modal.locator("input[name='time.time_input']").fill("09:00")
    modal.locator("[data-submit]").click()
    expect(modal).to_have_count(0)
    be(page, "aiko")
    page.select_option("select[name=zone]", "Asia/Tokyo")  # type: ignore[attr-defined]
    page.click("button[name=move][value^=weekday]")  # type: ignore[attr-defined]
    expect(page.locator("#local-time")).to_have_text("Mon 08:00")  # type: ignore[attr-defined]
    broadcasts = page.locator("#dm .message:not(.ephemeral)")  # type: ignore[attr-defined]
    expect(broadcasts).to_have_count(0)  # Monday 08:00 in Tokyo: not yet
    shot(page, "clock-1-monday-0800-tokyo")
    page.click("button[name=move][value=hour]")  # type: ignore[attr-defined]
    expect(page.locator("#local-time")).to_have_text("Mon 09:00")  # type: ignore[attr-defined]
    expect(broadcasts).to_have_count(1)
    expect(broadcasts.first).to_contain_text("Where we win")
    expect(page.locator("#log")).to_contain_text("Aiko Tanaka, new DM from Drumbeat (Asia/Tokyo, Mon 09:00 local)")  # type: ignore[attr-defined]
    shot(page, "clock-2-arrives-at-0900-tokyo")
