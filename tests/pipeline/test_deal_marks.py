"""Marking an off-strategy deal deliberate: who may (the owner, their manager), what is refused, how the summary
counts it, and how a CSV re-import treats a mark given in chat (kept unless the file says otherwise).

The organisation and exports of tests/pipeline/org.py: Aiko (East, Maria's) owns 006A1-006A5, Ben 006B1-006B3,
Chen (West, Wendy's) 9001-9003; 006A4 (Kiosk core, 20k) and 006B1 are off strategy, 006A1 is on it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.core import deal_marks
from bot.core.errors import BadInput, PermissionDenied
from bot.core.pipeline import PipelineRules, person_pipeline
from bot.core.pipeline_import import ImportOptions, import_pipeline
from storage.db import session_scope
from storage.deals import Deal
from storage.models import AuditEvent, Person
from tests.pipeline.org import HUBSPOT_CSV, NOW, RATES, SALESFORCE_CSV, Org, import_both, make_org

REASON = "Reference customer for the APAC launch"


@pytest.fixture
def org(engine: Engine) -> Org:
    made = make_org(engine)
    import_both(engine)
    return made


def mark(engine: Engine, caller_id: int, record: str, reason: str | None) -> deal_marks.MarkOutcome:
    with session_scope(engine) as session:
        caller = session.get(Person, caller_id)
        assert caller is not None
        return deal_marks.mark_deliberate(session, caller=caller, now=NOW, record=record, reason=reason)


def stored(engine: Engine, record: str) -> Deal:
    with session_scope(engine) as session:
        deal = session.execute(select(Deal).where(Deal.record_id == record)).scalar_one()
        session.expunge(deal)
    return deal


def test_the_owner_marks_an_off_strategy_deal_and_the_summary_counts_it_apart(engine: Engine, org: Org) -> None:
    before = stored(engine, "006A4")
    outcome = mark(engine, org.aiko, "006A4", f"  {REASON}\n")
    assert outcome.changed and "Kiosk core" in str(outcome.note) and REASON in str(outcome.note)
    after = stored(engine, "006A4")
    assert after.deliberate_reason == REASON
    assert after.updated_at == before.updated_at  # the CRM's evidence for coaching, untouched by the rep's word
    with session_scope(engine) as session:
        aiko = session.get(Person, org.aiko)
        assert aiko is not None
        figures = person_pipeline(session, person=aiko, since=NOW - timedelta(days=30), now=NOW,
                                  rules=PipelineRules()).figures.open
        (event,) = session.execute(select(AuditEvent).where(AuditEvent.action == "deal.deliberate")).scalars()
        assert (event.actor_id, event.detail["record_id"], event.detail["source"]) == (org.aiko, "006A4", "salesforce")
    assert (figures.counts["neither"], figures.deliberate, figures.deliberate_value) == (1, 1, 2_000_000)
    assert figures.share_value == 0.9  # still off strategy in every share


def test_the_owners_manager_may_mark_and_clear_and_a_repeat_changes_nothing(engine: Engine, org: Org) -> None:
    assert mark(engine, org.maria, "006B1", "Opens the retail vertical next year").changed
    assert not mark(engine, org.maria, "006B1", "Opens the retail vertical next year").changed
    cleared = mark(engine, org.ben, "006B1", None)
    assert cleared.changed and "no longer marked" in str(cleared.note)
    assert stored(engine, "006B1").deliberate_reason is None
    assert "is not marked deliberate" in str(mark(engine, org.ben, "006B1", None).note)


@pytest.mark.parametrize("who", ["ben", "chen", "wendy", "lena"])
def test_nobody_else_may_mark_and_hears_the_same_as_for_a_deal_that_does_not_exist(
        engine: Engine, org: Org, who: str) -> None:
    with pytest.raises(PermissionDenied) as refused:
        mark(engine, getattr(org, who), "006A4", REASON)
    with pytest.raises(PermissionDenied) as unknown:
        mark(engine, getattr(org, who), "006XX", REASON)
    assert str(refused.value).replace("006A4", "ID") == str(unknown.value).replace("006XX", "ID")
    assert stored(engine, "006A4").deliberate_reason is None


def test_a_forged_deal_id_is_checked_like_a_typed_record_id(engine: Engine, org: Org) -> None:
    with session_scope(engine) as session:
        chen = session.get(Person, org.chen)
        assert chen is not None
        target = stored(engine, "006A4").id
        for deal_id in (target, 987654, -1):
            with pytest.raises(PermissionDenied):
                deal_marks.mark_deliberate(session, caller=chen, now=NOW, deal_id=deal_id or 0, reason=REASON)
    assert stored(engine, "006A4").deliberate_reason is None


def test_an_on_strategy_deal_needs_no_reason_and_reasons_are_length_limited(engine: Engine, org: Org) -> None:
    with pytest.raises(BadInput, match="is on strategy \\(by profile and offering\\)"):
        mark(engine, org.aiko, "006A1", REASON)
    with pytest.raises(BadInput, match="Say why"):
        mark(engine, org.aiko, "006A4", " ok ")
    with pytest.raises(BadInput, match="Keep the reason to 300 characters; this one has 301"):
        mark(engine, org.aiko, "006A4", "x" * 301)
    assert mark(engine, org.aiko, "006A4", "y" * 300).changed


def test_a_record_id_two_crms_share_is_named_with_its_source(engine: Engine, org: Org) -> None:
    twin = "Record ID,Deal Name,Deal owner,Segment,Amount,Currency,Deal Stage,Close Date,Create Date\n" \
           "006A4,Kiosk twin,aiko@example.com,SMB,5000,USD,Appointment Scheduled,2027-01-20,2026-11-05\n"
    with session_scope(engine) as session:
        import_pipeline(session, twin, ImportOptions(preset="hubspot"))
    with pytest.raises(BadInput, match="is in hubspot and salesforce: say which"):
        mark(engine, org.aiko, "006A4", REASON)
    assert "Kiosk twin" in str(mark(engine, org.aiko, "hubspot:006A4", REASON).note)
    assert stored_in(engine, "salesforce", "006A4").deliberate_reason is None


def stored_in(engine: Engine, source: str, record: str) -> Deal:
    with session_scope(engine) as session:
        deal = session.execute(select(Deal).where(Deal.source == source, Deal.record_id == record)).scalar_one()
        session.expunge(deal)
    return deal


def test_a_re_import_keeps_a_chat_mark_unless_the_file_says_otherwise(engine: Engine, org: Org) -> None:
    """No column or an empty cell keeps the mark; a reason in the cell replaces it; `-` clears it."""
    mark(engine, org.chen, "9002", "Chosen in chat")

    def reimport(csv_text: str, preset: str = "hubspot") -> None:
        with session_scope(engine) as session:
            import_pipeline(session, csv_text, ImportOptions(preset=preset, rates=RATES))

    reimport(HUBSPOT_CSV.replace(",Reference customer for the APAC launch\n", ",\n"))  # the cell now empty
    assert stored(engine, "9002").deliberate_reason == "Chosen in chat"
    reimport(SALESFORCE_CSV, "salesforce")  # another source altogether
    assert stored(engine, "9002").deliberate_reason == "Chosen in chat"
    reimport(HUBSPOT_CSV)  # the CRM gives a reason: it replaces the chat's
    assert stored(engine, "9002").deliberate_reason == REASON
    reimport(HUBSPOT_CSV.replace(",Reference customer for the APAC launch\n", ",-\n"))
    assert stored(engine, "9002").deliberate_reason is None
