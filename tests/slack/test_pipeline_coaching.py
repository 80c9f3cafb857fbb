"""A rep whose pipeline is off strategy appears in their manager's coaching DM, end to end through the emulator.

The organisation, strategy and exports are those of tests/slack/test_pipeline_summary.py (Ben's deals are
Jonas's, Chen's Sam's). The clock starts on Thursday 3 December 2026, 07:30 UTC; Marco's coaching window is
09:00-12:00 Berlin (08:00-11:00 UTC), Wendy's 09:00-12:00 Los Angeles (17:00-20:00 UTC).

Hand-computed open pipelines (value on strategy / value), two weeks ago (11-19), a week ago (11-26), today:
  Jonas  40k/180k = 22%, 0/140k = 0%, 0/80k = 0%: under the 30% flag for two weeks -> Marco hears of him;
         the deal that misses: Mart core (80k) misses icp-industry, icp-region, priority-offering.
  Aiko   180k/190k = 95%, 180k/210k = 86%, 180k/200k = 90%: nothing to say.
  Sam    62k/117k = 53%, 53%, 22k/77k = 29%: fell 24 points (at least DRUMBEAT_COACHING_DROP_POINTS, 20) ->
         Wendy hears of him; Sydney pilot (55k) misses four rules, marked deliberate with its reason.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.slack.conftest import Workspace
from tests.slack.test_coaching import click, coaching_dms, nudges
from tests.slack.test_pipeline_summary import pipeline  # noqa: F401  (the fixture)


@pytest.fixture
def workspace_start() -> datetime:
    return datetime(2026, 12, 3, 7, 30, tzinfo=UTC)


@pytest.fixture
def workspace_rate_limits() -> bool:
    return False


def morning(workspace: Workspace, hours: int) -> None:
    for _ in range(hours):
        workspace.clock.advance(timedelta(hours=1))
        workspace.drumbeat.coaching_now()
        workspace.drumbeat.dispatch_now()


def test_a_rep_under_the_flag_for_two_weeks_is_in_the_managers_dm_with_numbers_deals_and_talking_points(
        pipeline: Workspace) -> None:  # noqa: F811
    morning(pipeline, 1)  # 08:30 UTC: Marco's morning
    (dm,) = coaching_dms(pipeline)
    text = json.dumps(dm["blocks"], ensure_ascii=False)
    assert "Pipeline: is the business they pursue on strategy?" in text
    assert "*Jonas Weber* · on-strategy share of their open pipeline under 30% for two weeks" in text
    assert ("Open pipeline now: USD 0 of USD 80,000 on strategy, 0 of 1 deals; two weeks ago 22%, a week ago 0%, "
            "now 0%") in text
    assert ("• *Mart core* (Mart Inc, USD 80,000): icp-industry: Our references and compliance story are in "
            "financial services and healthcare.; icp-region: Delivery and support are staffed for EMEA.; "
            "priority-offering: Analytics Cloud is the new offer the strategy invests in.") in text
    points = [text.index(f"*{step}:*") for step in ("Goal", "Work products", "Process", "Tasks", "Person")]
    assert points == sorted(points)  # the diagnostic in a leader's order
    assert "Aiko" not in text and "Sam" not in text
    (nudge,) = nudges(pipeline)
    assert (nudge.reason, nudge.message_key, nudge.understanding_at_nudge) == ("off_strategy", "pipeline", 0)

    assert click(pipeline, "marco", dm, f"coaching_snooze_{nudge.id}", str(nudge.id)).status == 200
    assert nudges(pipeline)[0].status == "snoozed"
    assert "Snoozed by Marco Rossi" in json.dumps(coaching_dms(pipeline)[0]["blocks"])
    morning(pipeline, 24)  # the next morning: snoozed, so no DM about him
    assert len(coaching_dms(pipeline)) == 1


def test_a_falling_share_puts_the_rep_in_the_dm_with_the_deliberate_deal_and_its_reason(
        pipeline: Workspace) -> None:  # noqa: F811
    morning(pipeline, 10)  # 17:30 UTC: Wendy's morning
    (dm,) = coaching_dms(pipeline, "wendy")
    text = json.dumps(dm["blocks"], ensure_ascii=False)
    assert "*Sam Carter* · on-strategy share of their open pipeline fell from 53% to 29% in two weeks" in text
    assert "• *Sydney pilot* (Harbour Retail, USD 55,000): icp-industry:" in text
    assert "_deliberate: Reference customer for the APAC launch_" in text
    assert "coaching_coached_" in text and "coaching_refresher_" in text
