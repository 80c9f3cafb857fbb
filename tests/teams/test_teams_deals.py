"""Deliberate off-strategy deals in Teams, end to end through the Teams emulator (signed activities), on SQLite and
PostgreSQL: typed `deal deliberate <id> <reason>` and `deal clear <id>`, the card button that opens the dialog
(from a bare `deal deliberate <id>` and from the deals in `summary pipeline`), the dialog's field error and its
one write, and the refusals (another rep, a forged deal id in a dialog or its submission).

Ria and Jo are Lena's reps (Lena leads and manages them); the strategy is tests/pipeline/strategy.yaml. Ria owns
R1 (on strategy) and R2 (off it), Jo owns J1 (off it).
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.content import sync_pack
from bot.core.pipeline_import import ImportOptions, import_pipeline
from bot.emulators.teams.cards import check_card
from messages.library import load_pack
from storage.deals import Deal
from tests.pipeline.org import STRATEGY

from .conftest import JO, LENA, RIA, World  # noqa: TID252
from .test_teams_summary import installed, typed  # noqa: TID252

EXPORT = textwrap.dedent("""\
    Opportunity ID,Opportunity Name,Owner Email,Account Name,Segment,Industry,Region,Product Family,Amount,Stage,Created Date
    R1,Acme analytics,ria@example.com,Acme Bank,Enterprise,Financial Services,EMEA,Analytics Cloud,100000,Proposal,2026-11-01
    R2,Kiosk core,ria@example.com,Kiosk Ltd,SMB,Retail,APAC,Core Suite,20000,Prospecting,2026-11-10
    J1,Mart core,jo@example.com,Mart Inc,Enterprise,Retail,NA,Core Suite,80000,Needs Analysis,2026-11-15
""")
REASON = "Reference customer for the APAC launch"


@pytest.fixture
def deals(world: World) -> World:
    with world.drumbeat.services.unit_of_work() as session:
        sync_pack(session, load_pack(STRATEGY))
        import_pipeline(session, EXPORT, ImportOptions(preset="salesforce"))
    installed(world, LENA, RIA, JO)
    return world


def reason_of(world: World, record: str) -> str | None:
    with world.drumbeat.services.unit_of_work() as session:
        return session.execute(select(Deal.deliberate_reason).where(Deal.record_id == record)).scalar_one()


def deal_id(world: World, record: str) -> str:
    with world.drumbeat.services.unit_of_work() as session:
        return str(session.execute(select(Deal.id).where(Deal.record_id == record)).scalar_one())


def text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def test_typed_with_a_reason_marks_the_deal_and_clear_takes_it_back(deals: World) -> None:
    (card,) = typed(deals, RIA, f"deal deliberate R2 {REASON}", 1)
    assert f"**Kiosk core** is marked deliberate: “{REASON}”" in text(card)
    assert reason_of(deals, "R2") == REASON
    (summary, *_) = typed(deals, RIA, "summary pipeline", 2)
    assert f"deliberate: {REASON}" in text(summary)
    (cleared,) = typed(deals, RIA, "deal clear R2", 1)
    assert "no longer marked deliberate" in text(cleared) and reason_of(deals, "R2") is None


def test_the_summary_button_opens_the_dialog_which_writes_once_and_tells_the_rep(deals: World) -> None:
    (summary, _) = typed(deals, RIA, "summary pipeline", 2)
    assert check_card(summary) == []
    message = next(m for m in reversed(deals.emu.inbox(RIA)) if "Kiosk core" in text(m))
    opened = deals.emu.submit(RIA, message["id"], title="Mark deliberate")
    assert opened.status == 200 and opened.card_problems == []
    assert "**Kiosk core** (salesforce R2) is off strategy" in text(deals.emu.dialog(RIA).card)

    too_long = deals.emu.submit_dialog(RIA, {"reason": "x" * 301}, title="Save")
    assert too_long.status == 200 and "Keep the reason to 300 characters" in text(deals.emu.dialog(RIA).card)
    assert reason_of(deals, "R2") is None

    saved = deals.emu.submit_dialog(RIA, {"reason": REASON}, title="Save")
    assert saved.status == 200 and deals.emu.dialog(RIA) is None
    assert deals.drumbeat.wait_for_background()
    assert reason_of(deals, "R2") == REASON
    assert "is marked deliberate" in text(deals.emu.inbox(RIA)[-1])
    told = len(deals.emu.inbox(RIA))
    assert deals.emu.deliver(saved.activity).status == 200  # the same submission again: written once
    assert deals.drumbeat.wait_for_background()
    assert len(deals.emu.inbox(RIA)) == told


def test_the_manager_marks_from_a_bare_command_through_the_dialog(deals: World) -> None:
    (card,) = typed(deals, LENA, "deal deliberate J1", 1)
    assert "Why pursue Mart core off strategy?" in text(card)
    message = deals.emu.inbox(LENA)[-1]
    assert deals.emu.submit(LENA, message["id"], title="Give the reason").status == 200
    deals.emu.submit_dialog(LENA, {"reason": "Opens the retail vertical next year"}, title="Save")
    assert deals.drumbeat.wait_for_background()
    assert reason_of(deals, "J1") == "Opens the retail vertical next year"


def test_another_rep_is_refused_typed_in_the_dialog_and_on_submission(deals: World) -> None:
    (card,) = typed(deals, JO, f"deal deliberate R2 {REASON}", 1)
    assert "I know no deal `R2` of yours or of your reps'" in text(card)
    (on_strategy,) = typed(deals, RIA, f"deal deliberate R1 {REASON}", 1)
    assert "is on strategy" in text(on_strategy)

    opened = deals.emu.fetch_dialog(JO, {"dialog_id": "deal", "deal": deal_id(deals, "R2")})
    assert opened.status == 200 and "I know no deal" in text(deals.emu.dialog(JO).card)
    forged = deals.emu.activity_for(JO, "invoke", name="task/submit", value={"data": {
        "action": "deal_save", "form": "A" * 22, "deal": deal_id(deals, "R2"), "reason": REASON}})
    answer = deals.emu.deliver(forged)
    assert "I know no deal" in text(answer.body["task"]["value"]["card"]["content"])
    for bad in ("0", "x", "9" * 30):
        deals.emu.fetch_dialog(JO, {"dialog_id": "deal", "deal": bad})
        assert "does not point at a deal" in text(deals.emu.dialog(JO).card)
    assert deals.drumbeat.wait_for_background()
    assert reason_of(deals, "R2") is None
