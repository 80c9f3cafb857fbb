"""Moving the page's clock runs the scheduler's jobs on the way, so what is due happens at its own time."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.demo import demo_person
from bot.web_sandbox.clock import advance
from bot.web_sandbox.session import WebSandbox


def test_a_day_later_the_unacknowledged_key_message_gets_its_one_reminder(web: WebSandbox) -> None:
    web.command(demo_person("lena"), "send win-on-strategy to @aiko")
    assert len(web.emulator.inbox(demo_person("aiko").slack_id)) == 1
    advance(web, web.clock() + timedelta(days=1, hours=3))
    assert len(web.emulator.inbox(demo_person("aiko").slack_id)) == 2  # the one reminder of a key message


def test_days_of_silence_reach_the_manager_as_a_coaching_dm_in_his_own_morning(web: WebSandbox) -> None:
    web.command(demo_person("lena"), "send win-on-strategy to @aiko")
    start = web.clock()
    advance(web, start + timedelta(days=5))
    log = "\n".join(web.log_tail())
    arrived = re.findall(r"Marco Rossi, new DM from Drumbeat \(Europe/Berlin, \w{3} (\d\d):\d\d local\)", log)
    assert arrived, "no coaching DM reached Marco"
    assert all(9 <= int(hour) < 12 for hour in arrived)  # inside his 09:00-12:00 coaching window
    assert web.clock() == start + timedelta(days=5)


def test_a_tour_step_runs_the_demos_step_through_the_same_signed_requests(web: WebSandbox) -> None:
    from bot.web_sandbox.tour import STEPS, run_step

    for number in range(1, 4):  # broadcast, deliver, acknowledge
        assert run_step(web, number) is STEPS[number - 1]
    assert run_step(web, len(STEPS) + 1) is None
    acknowledged = [m for m in web.emulator.inbox(demo_person("aiko").slack_id) if "You acknowledged" in str(m["blocks"])]
    assert acknowledged
    assert "=== Tour 3. Reps acknowledge" in "\n".join(web.log_tail())
