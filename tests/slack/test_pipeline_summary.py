"""The summary's Pipeline section end to end through the Slack emulator (signed slash commands).

The demo organisation (East: Marco manages Aiko, Jonas, Priya; West: Wendy manages Sam, Lucía, Noah; Lena
leads), the strategy of tests/pipeline/strategy.yaml, and the Salesforce and HubSpot exports of
tests/pipeline/org.py (Ben's deals are Jonas's here, Chen's Sam's). The clock stands at 2026-12-03 12:00 UTC,
so the 30-day period's won business is what closed from 2026-11-03.

Hand-computed, East (profile = Enterprise/Mid-Market + Financial Services/Healthcare + EMEA + 20,000 up;
offering = Analytics Cloud):
  open    006A1 both 100k, 006A2 profile 50k, 006A3 offering 30k, 006A4 neither 20k (Aiko);
          006B1 neither 80k (Jonas) -> on strategy 180k of 280k = 64% by value, 3 of 5 = 60% by count.
  won     006A5 neither 10k (under the minimum), 006B2 both 40k -> 40k of 50k = 80%, 1 of 2 = 50%.
  reps    Jonas open 0 of 80k (0%, under the 30% flag), won 40k of 40k; Aiko open 180k of 200k (90%),
          3 of 4 (75%), won 0 of 10k (0%, flagged too).
  missed  priority-offering 3 deals (110k); icp-industry 2 (100k); icp-region 2 (100k); icp-segment 1
          (20k); deal-size 1 (10k).
West (EUR at 1.10): open 9001 both 22k, 9002 neither 55k (deliberate) -> 22k of 77k = 29%, under the flag;
  won 9003 profile 40k -> 100%. Organisation: open 202k of 357k = 57%, 4 of 7 = 57%; won 80k of 90k = 89%.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from bot.core.content import sync_pack
from bot.core.pipeline_import import ImportOptions, import_pipeline
from messages.library import load_pack
from tests.pipeline.org import HUBSPOT_CSV, NOW, RATES, SALESFORCE_CSV, STRATEGY
from tests.slack.conftest import Workspace
from tests.slack.test_summaries import body_text


@pytest.fixture
def workspace_start() -> datetime:
    return NOW


@pytest.fixture
def pipeline(workspace: Workspace) -> Workspace:
    with workspace.drumbeat.services.unit_of_work() as session:
        sync_pack(session, load_pack(STRATEGY))
        import_pipeline(session, SALESFORCE_CSV.replace("ben@example.com", "jonas@example.com"),
                        ImportOptions(preset="salesforce"))
        import_pipeline(session, HUBSPOT_CSV.replace("Chen Wu (chen@example.com)", "Sam Carter (sam@example.com)"),
                        ImportOptions(preset="hubspot", rates=RATES))
    return workspace


def test_the_team_summary_has_a_pipeline_section_with_hand_computed_figures(pipeline: Workspace) -> None:
    text = body_text(pipeline.command("marco", "summary"))
    assert ("*Open pipeline*: 64% by value (USD 180,000 of 280,000), 60% by count (3 of 5 deals)" in text)
    assert ("On strategy by profile and offering 1 · by profile only 1 · by offering only 1 · off strategy 2"
            in text)
    assert "*Won in the period*: 80% by value (USD 40,000 of 50,000), 50% by count (1 of 2 deals)" in text
    assert ("• <@U0REPEA02>: open 0% by value (USD 0 of 80,000), 0% by count (0 of 1 deal) :warning: *under 30%*"
            " · won 100% by value (USD 40,000 of 40,000), 100% by count (1 of 1 deal)\n"
            "• <@U0REPEA01>: open 90% by value (USD 180,000 of 200,000), 75% by count (3 of 4 deals) · won 0% by "
            "value (USD 0 of 10,000), 0% by count (0 of 1 deal) :warning: *under 30%*") in text
    assert ("• `priority-offering` (3 deals, USD 110,000): Analytics Cloud is the new offer the strategy invests in."
            "\n• `icp-industry` (2 deals, USD 100,000)") in text
    assert "• `deal-size` (1 deal, USD 10,000): Below 20,000" in text
    assert "open pipeline 64% on strategy (5 deals)" in text  # Momentum's newest week, beside understanding


def test_a_leader_sees_the_organisation_by_team_with_the_red_flag(pipeline: Workspace) -> None:
    text = body_text(pipeline.command("lena", "summary pipeline"))
    assert "Pipeline · organisation · last 30 days" in text
    assert ("*Organisation*: open 57% by value (USD 202,000 of 357,000), 57% by count (4 of 7 deals) · won 89% by "
            "value (USD 80,000 of 90,000)") in text
    assert "off strategy 3; 1 deliberate (USD 55,000), each with the rep's reason" in text
    assert ("• *West*: open 29% by value (USD 22,000 of 77,000), 50% by count (1 of 2 deals) :warning: *under 30%*"
            in text)
    assert "• *East*: open 64% by value" in text


def test_a_rep_sees_their_own_deals_and_why_they_miss_and_is_refused_a_teams_pipeline(pipeline: Workspace) -> None:
    own = body_text(pipeline.command("aiko", "summary pipeline"))
    assert "Pipeline · Aiko Tanaka · last 30 days" in own
    assert "Open: 90% by value (USD 180,000 of 200,000), 75% by count (3 of 4 deals)" in own
    assert ("• *Kiosk core* (Kiosk Ltd, USD 20,000, `006A4`): misses `icp-industry`, `icp-region`, `icp-segment`, "
            "`priority-offering`") in own
    assert "Jonas" not in own and "Mart" not in own
    refused = body_text(pipeline.command("aiko", "summary pipeline East"))
    assert "Sorry, a team's pipeline is for its managers and leaders." in refused
    assert "USD" not in refused
    assert "not in your teams" in body_text(pipeline.command("aiko", "summary pipeline <@U0REPEA02>"))


def test_a_manager_sees_a_deliberate_deal_with_its_reason_and_not_another_managers_team(pipeline: Workspace) -> None:
    text = body_text(pipeline.command("wendy", "summary pipeline <@U0REPWE01>"))
    assert ("• *Sydney pilot* (Harbour Retail, USD 55,000, `9002`): misses `icp-industry`, `icp-region`, `icp-segment`, "
            "`priority-offering`; deliberate: Reference customer for the APAC launch") in text
    assert "is not one of your teams" in body_text(pipeline.command("wendy", "summary pipeline East"))


def test_the_pipeline_export_is_a_csv_of_the_same_figures(pipeline: Workspace) -> None:
    assert "is on its way to our DM" in body_text(pipeline.command("marco", "summary export pipeline"))
    files = pipeline.slack.wait_for(lambda: [f for f in pipeline.slack.uploaded_files if f["filename"].endswith(".csv")])
    assert files[0]["filename"] == "drumbeat-east-30d-2026-12-03.csv"
    rows = list(csv.reader(io.StringIO(files[0]["bytes"].decode("utf-8"))))
    figures = {(section, item, measure): value for section, item, measure, value, *_ in rows[1:]}
    assert figures[("pipeline", "all", "open_value_usd")] == "280000.00"
    assert figures[("pipeline", "all", "open_on_strategy_share_value")] == "0.6429"
    assert figures[("pipeline", "rep: Jonas Weber", "open_on_strategy_share_value")] == "0.0000"
    assert figures[("pipeline", "missed rule: priority-offering", "off_strategy_deals")] == "3"
    assert figures[("momentum", "week of 2026-11-26", "open_deals")] == "5"
