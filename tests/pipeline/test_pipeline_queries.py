"""The on-strategy figures are SQL aggregates over the deals and the packs' rules; each worked out by hand.

Strategy: profile = segment Enterprise/Mid-Market + industry Financial Services/Healthcare + region EMEA + at
least 20,000; offering = Analytics Cloud. Period: the 30 days to 2026-12-03 (won deals closing 11-03..12-03).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from storage.db import session_scope
from storage.deals import Deal
from storage.queries import pipeline as queries
from storage.queries.summary_scope import is_team_rep
from tests.pipeline.org import import_both, make_org

SINCE, UNTIL = date(2026, 11, 3), date(2026, 12, 3)


def test_each_deal_falls_in_one_category_and_team_shares_count_open_and_won_apart(engine: Engine) -> None:
    """East (Aiko, Ben). Open: 006A1 both 100k, 006A2 profile 50k, 006A3 offering 30k, 006A4 neither 20k,
    006B1 neither 80k -> 5 deals, 280k; on strategy 3 deals (60%), 180k (180/280 = 64.3%).
    Won in the period: 006A5 (10k, under the 20k minimum and not Analytics Cloud: neither) and 006B2 (40k,
    both) -> 2 deals, 50k; on strategy 1 (50%), 40k (80%). 006B3 is lost: in neither figure."""
    org = make_org(engine)
    import_both(engine)
    with session_scope(engine) as session:
        rules = queries.active_rules(session)
        east = queries.figures_by(session, rules=rules, group=Deal.owner_id.is_not(None),
                                  where=is_team_rep(Deal.owner_id, org.east), since=SINCE, until=UNTIL)[True]
    assert (east.open.deals, east.open.value, east.open.on_count, east.open.on_value) == (5, 28_000_000, 3, 18_000_000)
    assert east.open.counts == {"both": 1, "profile": 1, "offering": 1, "neither": 2}
    assert round(east.open.share_value * 100, 1) == 64.3 and east.open.share_count == 0.6
    assert (east.won.deals, east.won.value, east.won.on_count, east.won.on_value) == (2, 5_000_000, 1, 4_000_000)


def test_the_organisation_by_team_counts_deliberate_off_strategy_apart(engine: Engine) -> None:
    """West (Chen, amounts in EUR at 1.10). Open: 9001 both 22k, 9002 neither 55k, marked deliberate -> 77k,
    on strategy 22k (28.6%); deliberate 1 deal, 55k. Won: 9003 (40k, profile)."""
    org = make_org(engine)
    import_both(engine)
    with session_scope(engine) as session:
        by_team = queries.org_by_team(session, rules=queries.active_rules(session), since=SINCE, until=UNTIL)
    west = by_team[org.west]
    assert (west.open.value, west.open.on_value, west.open.deliberate, west.open.deliberate_value) == (
        7_700_000, 2_200_000, 1, 5_500_000)
    assert round(west.open.flag_share * 100, 1) == 28.6
    assert (west.won.deals, west.won.counts["profile"]) == (1, 1)
    assert set(by_team) == {org.east, org.west}


def test_the_missed_rules_are_counted_over_off_strategy_deals_most_missed_first(engine: Engine) -> None:
    """East's off-strategy deals in scope: 006A4 (SMB, Retail, APAC, Core Suite, 20k), 006A5 (10k, Core Suite),
    006B1 (Retail, NA, Core Suite, 80k). priority-offering: all 3 (110k); icp-industry and icp-region: A4 and
    B1 (100k each, by key); icp-segment: A4 (20k); deal-size: A5 (10k)."""
    org = make_org(engine)
    import_both(engine)
    with session_scope(engine) as session:
        missed = queries.missed_rules(session, rules=queries.active_rules(session),
                                      where=is_team_rep(Deal.owner_id, org.east), since=SINCE, until=UNTIL)
    assert [(miss.key, miss.deals, miss.value) for miss in missed] == [
        ("priority-offering", 3, 11_000_000), ("icp-industry", 2, 10_000_000), ("icp-region", 2, 10_000_000),
        ("icp-segment", 1, 2_000_000), ("deal-size", 1, 1_000_000)]


def test_the_open_pipeline_is_re_read_as_it_stood_at_each_week_end(engine: Engine) -> None:
    """Ben: on 11-19, 006B1 (created 11-15, neither 80k), 006B2 (closed 11-25: still open, both 40k) and
    006B3 (closed lost 11-28: still open, neither 60k) -> 40k of 180k (22%); on 11-26 006B2 has closed ->
    0 of 140k; on 12-03 only 006B1 -> 0 of 80k. A deal created after a day is not in that day's pipeline."""
    org = make_org(engine)
    import_both(engine)
    with session_scope(engine) as session:
        shares = queries.open_shares_at(session, rules=queries.active_rules(session), group=Deal.owner_id,
                                        where=Deal.owner_id.in_([org.ben, org.aiko]),
                                        ends=[date(2026, 11, 19), date(2026, 11, 26), date(2026, 12, 3)])
    assert [(shares[(org.ben, week)].on_value, shares[(org.ben, week)].value) for week in range(3)] == [
        (4_000_000, 18_000_000), (0, 14_000_000), (0, 8_000_000)]
    assert shares[(org.aiko, 0)].deals == 4  # 006A4 was created on 11-25


def test_a_size_rule_matches_bands_by_name_and_head_counts_by_range(engine: Engine) -> None:
    """Bands 1000-4999 and 5000+, or the band named Enterprise: 1,500 and 7,000 people and "enterprise" pass
    (3 deals on strategy by profile); 800 people and no size at all miss."""
    org = make_org(engine)
    rule = queries.Rule("icp-size", "size", "Big companies.", ("1000-4999", "5000+", "enterprise"), None)
    sizes = [(1500, None), (7000, None), (None, "enterprise"), (800, None), (None, None)]
    with session_scope(engine) as session:
        for number, (employees, band) in enumerate(sizes):
            session.add(Deal(source="csv", record_id=f"S{number}", owner_id=org.aiko, employees=employees,
                             size_band=band, size_band_key=band, created_on=SINCE))
        session.flush()
        figures = queries.figures_by(session, rules=[rule], group=Deal.owner_id, where=Deal.owner_id == org.aiko,
                                     since=SINCE, until=UNTIL)[org.aiko]
    assert figures.open.counts == {"both": 0, "profile": 3, "offering": 0, "neither": 2}
