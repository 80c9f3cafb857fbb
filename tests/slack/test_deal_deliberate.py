"""Deliberate off-strategy deals end to end through the Slack emulator (signed slash commands, clicks and modal
submissions), on SQLite and PostgreSQL: the typed command, the button beside a deal in `summary pipeline` with its
modal, and every refusal (another rep, another manager, a leader, a forged deal id, an on-strategy deal, a reason
too short or too long). The organisation and exports are tests/slack/test_pipeline_summary.py's: Aiko (East,
Marco's) owns 006A1-006A5 (006A4 Kiosk core is off strategy, 006A1 on it), Jonas 006B1-006B3, Sam (West,
Wendy's) 9001-9003.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from storage.deals import Deal
from tests.slack.conftest import Workspace
from tests.slack.test_coaching import forged_click
from tests.slack.test_pipeline_summary import pipeline, workspace_start  # noqa: F401 - fixtures
from tests.slack.test_summaries import body_text

REASON = "Reference customer for the APAC launch"


def reason_of(workspace: Workspace, record: str) -> str | None:
    with workspace.drumbeat.services.unit_of_work() as session:
        return session.execute(select(Deal.deliberate_reason).where(Deal.record_id == record)).scalar_one()


def deal_id(workspace: Workspace, record: str) -> int:
    with workspace.drumbeat.services.unit_of_work() as session:
        return session.execute(select(Deal.id).where(Deal.record_id == record)).scalar_one()


def summary_with_buttons(workspace: Workspace, handle: str, text: str = "summary pipeline") -> dict[str, Any]:
    """The ephemeral answer (with its channel and ts, so its buttons can be clicked)."""
    response = workspace.command(handle, text)
    assert response.status == 200
    return workspace.slack.ephemerals(workspace.person(handle).slack_id)[-1]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [element for block in message["blocks"] if block.get("type") == "actions"
            for element in block["elements"] if element["action_id"] == "deal_deliberate"]


def modals(workspace: Workspace, handle: str) -> list[dict[str, Any]]:
    return [view for view in workspace.slack.open_views(workspace.person(handle).slack_id)
            if view["callback_id"] == "deal_modal"]


def test_a_rep_marks_a_deal_deliberate_by_command_and_the_summary_shows_it_apart(pipeline: Workspace) -> None:
    answer = body_text(pipeline.command("aiko", f"deal deliberate 006A4 {REASON}"))
    assert f"*Kiosk core* is marked deliberate: “{REASON}”" in answer
    assert reason_of(pipeline, "006A4") == REASON
    team = body_text(pipeline.command("marco", "summary pipeline"))
    assert "off strategy 2; 1 deliberate (USD 20,000), each with the rep's reason" in team
    own = body_text(pipeline.command("aiko", "summary pipeline"))
    assert f"`priority-offering`; deliberate: {REASON}" in own
    assert "no longer marked deliberate" in body_text(pipeline.command("aiko", "deal clear 006A4"))
    assert reason_of(pipeline, "006A4") is None


def test_the_button_opens_a_modal_and_its_submission_marks_the_deal_once(pipeline: Workspace) -> None:
    listing = summary_with_buttons(pipeline, "aiko")
    (kiosk,) = [button for button in buttons(listing) if button["value"] == str(deal_id(pipeline, "006A4"))]
    assert kiosk["text"]["text"] == "Mark deliberate"
    pipeline.slack.click("U0REPEA01", channel=listing["channel"], ts=listing["ts"], action_id="deal_deliberate",
                         value=kiosk["value"])
    (modal,) = modals(pipeline, "aiko")
    assert "*Kiosk core* (salesforce 006A4) is off strategy" in json.dumps(modal)

    too_long = pipeline.slack.submit_view("U0REPEA01", modal["id"], {"reason_input": "x" * 301})
    assert too_long.status == 200 and isinstance(too_long.body, dict)
    assert too_long.body["errors"] == {"reason": "Keep the reason to 300 characters; this one has 301."}
    assert reason_of(pipeline, "006A4") is None

    done = pipeline.slack.submit_view("U0REPEA01", modal["id"], {"reason_input": f"{REASON} <!channel>"})
    assert done.status == 200 and not (isinstance(done.body, dict) and done.body.get("errors"))
    assert reason_of(pipeline, "006A4") == f"{REASON} <!channel>"
    told = json.dumps(pipeline.inbox("aiko")[-1])
    assert "is marked deliberate" in told and "&lt;!channel&gt;" in told
    again = summary_with_buttons(pipeline, "aiko")
    assert "Change the reason" in [button["text"]["text"] for button in buttons(again)]


def test_the_command_without_a_reason_opens_the_modal_with_the_stored_reason(pipeline: Workspace) -> None:
    pipeline.command("sam", "deal deliberate 9002")
    (modal,) = modals(pipeline, "sam")
    assert modal["blocks"][1]["element"]["initial_value"] == REASON  # from the HubSpot export
    assert modal["blocks"][1]["element"]["max_length"] == 300


def test_a_manager_marks_their_reps_deal_but_not_another_managers(pipeline: Workspace) -> None:
    listing = summary_with_buttons(pipeline, "marco", "summary pipeline <@U0REPEA02>")  # Jonas's deals
    assert buttons(listing), "the rep's own manager gets the buttons"
    assert "marked deliberate" in body_text(pipeline.command("marco", "deal deliberate 006B1 Opens retail next year"))
    refused = body_text(pipeline.command("wendy", "deal deliberate 006A4 Not my call"))
    assert "I know no deal `006A4` of yours or of your reps'" in refused
    unknown = body_text(pipeline.command("wendy", "deal deliberate 006ZZ Not my call"))
    assert unknown.replace("006ZZ", "X") == refused.replace("006A4", "X")
    assert reason_of(pipeline, "006A4") is None


def test_a_leader_sees_the_deals_without_buttons_and_may_not_mark_them(pipeline: Workspace) -> None:
    listing = summary_with_buttons(pipeline, "lena", "summary pipeline <@U0REPEA01>")
    assert "Kiosk core" in json.dumps(listing) and buttons(listing) == []
    assert "I know no deal" in body_text(pipeline.command("lena", f"deal deliberate 006A4 {REASON}"))


def test_forged_clicks_and_submissions_naming_someone_elses_deal_change_nothing(pipeline: Workspace) -> None:
    listing = summary_with_buttons(pipeline, "aiko")
    kiosk = str(deal_id(pipeline, "006A4"))
    for forged in (kiosk, "987654", "²", "1" * 40):
        assert forged_click(pipeline, "jonas", listing, "deal_deliberate", forged) == 200
    assert modals(pipeline, "jonas") == []
    assert "I know no deal" in json.dumps(pipeline.inbox("jonas")) or "I know no deal" in json.dumps(
        pipeline.slack.response_url_posts)

    pipeline.command("jonas", "deal deliberate 006B1")  # Jonas's own form, submitted naming Aiko's deal
    (modal,) = modals(pipeline, "jonas")
    forged = forged_submission(pipeline, "U0REPEA02", {**modal, "private_metadata": kiosk})
    assert forged.status == 200 and "I know no deal" in forged.body["errors"]["reason"]
    assert reason_of(pipeline, "006A4") is None and reason_of(pipeline, "006B1") is None


def forged_submission(workspace: Workspace, user_id: str, view: dict[str, Any]) -> Any:
    """A signed view_submission whose view (its private_metadata) the submitter chose."""
    view = {**view, "state": {"values": {"reason": {"reason_input": {"type": "plain_text_input", "value": REASON}}}}}
    payload = {"type": "view_submission", "user": {"id": user_id}, "team": {"id": "T0DRUMBEAT"},
               "api_app_id": "A0DRUMBEAT", "trigger_id": "1.2.forged", "view": view}
    response = workspace.slack.send_signed(urlencode({"payload": json.dumps(payload)}).encode(),
                                           "application/x-www-form-urlencoded")
    workspace.drumbeat.wait_for_background()
    return response


def test_an_on_strategy_deal_and_a_bad_command_are_explained(pipeline: Workspace) -> None:
    assert "is on strategy (by profile and offering): only an off-strategy deal needs a reason" in body_text(
        pipeline.command("aiko", f"deal deliberate 006A1 {REASON}"))
    assert "Say why this deal is worth pursuing" in body_text(pipeline.command("aiko", "deal deliberate 006A4 ok"))
    assert "deal deliberate &lt;CRM id&gt; &lt;reason&gt;" in body_text(pipeline.command("aiko", "deal"))
    assert "Only the id, please" in body_text(pipeline.command("aiko", "deal clear 006A4 now"))
