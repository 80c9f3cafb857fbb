"""`/drumbeat broadcast` end to end: views.open, signed view_submission, errors next to the right field."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.models import Broadcast, Delivery, Message

from .conftest import Workspace  # noqa: TID252

LENA = "U0LEADER1"


def open_modal(workspace: Workspace) -> dict:
    response = workspace.command("lena", "broadcast")
    assert response.status == 200, response
    (view,) = workspace.slack.open_views(LENA)
    assert view["callback_id"] == "broadcast_modal"
    assert workspace.slack.calls_named("views.open")[-1].ok
    return view


def broadcasts_stored(workspace: Workspace) -> int:
    with workspace.drumbeat.services.unit_of_work() as session:
        return session.execute(select(func.count()).select_from(Broadcast)).scalar_one()


def test_leader_schedules_a_weekly_broadcast_that_reaches_each_rep_at_nine_local(workspace: Workspace) -> None:
    view = open_modal(workspace)
    response = workspace.slack.submit_view(LENA, view["id"], {
        "message_pick": "win-on-strategy", "teams_input": ["East"], "when_input": "recurring",
        "kind_input": "weekly", "weekdays_input": ["0"], "time_input": "09:00",
    })
    assert response.status == 200
    assert not (isinstance(response.body, dict) and response.body.get("response_action") == "errors"), response.body
    assert workspace.slack.open_views(LENA) == []
    confirmation = json.dumps(workspace.slack.inbox(LENA))
    assert "Scheduled" in confirmation and "every Mon at 09:00" in confirmation and "3 people" in confirmation

    workspace.drumbeat.tick()
    assert workspace.inbox("aiko") == []  # Tuesday: the first Monday is next week
    workspace.clock.advance(timedelta(days=6, hours=-7, minutes=-25))  # Monday 00:05 UTC = 09:05 in Tokyo
    workspace.drumbeat.tick()
    assert len(workspace.inbox("aiko")) == 1
    assert workspace.inbox("jonas") == []  # 09:00 in Berlin is 08:00 UTC
    workspace.clock.advance(timedelta(hours=8))
    workspace.drumbeat.tick()
    assert len(workspace.inbox("jonas")) == 1 and len(workspace.inbox("aiko")) == 1


def test_usergroup_members_become_the_audience(workspace: Workspace) -> None:
    workspace.slack.add_usergroup("S0FIELD", handle="field", user_ids=["U0REPEA01", "U0REPWE03"])
    view = open_modal(workspace)
    workspace.slack.submit_view(LENA, view["id"], {"message_pick": "win-on-strategy", "usergroups_input": ["S0FIELD"]})
    assert "for 2 people in user group @field" in json.dumps(workspace.slack.inbox(LENA))


def test_choosing_a_library_message_shows_a_preview(workspace: Workspace) -> None:
    view = open_modal(workspace)
    workspace.slack.click_in_view(LENA, view_id=view["id"], action_id="message_pick", value="win-on-strategy")
    workspace.slack.wait_for(lambda: workspace.slack.calls_named("views.update"))
    assert workspace.slack.calls_named("views.update")[-1].ok
    (updated,) = workspace.slack.open_views(LENA)
    assert "Preview for you" in json.dumps(updated) and "Hi Lena" in json.dumps(updated)


@pytest.mark.parametrize(("values", "block", "says"), [
    ({"message_pick": "win-on-strategy"}, "people", "Say who should get it"),
    ({"message_pick": "win-on-strategy", "teams_input": ["East"], "when_input": "once",
      "date_input": "2026-01-05", "time_input": "09:00"}, "date", "in the past"),
    ({"message_pick": "win-on-strategy", "teams_input": ["East"], "when_input": "recurring", "kind_input": "workdays",
      "date_input": "2026-12-10", "end_date_input": "2026-12-01", "time_input": "09:00"}, "end_date", "is before the start"),
    ({"message_pick": "win-on-strategy", "teams_input": ["East"], "when_input": "recurring", "kind_input": "cron",
      "cron_input": "0 9 * *"}, "cron", "has 5 fields"),
    ({"title_input": "Broken", "body_input": "Hi {{ person.first_name ", "teams_input": ["East"]}, "body", "Template error"),
    ({"title_input": "Too long", "body_input": "x" * 3001, "teams_input": ["East"]}, "body", "3001 characters"),
    ({"teams_input": ["East"]}, "body", "Pick a message from the library or write a new one"),
    ({"message_pick": "win-on-strategy", "teams_input": ["East"], "when_input": "recurring", "kind_input": "weekly",
      "time_input": "09:00"}, "weekdays", "at least one day"),
    ({"message_pick": "win-on-strategy", "teams_input": ["East"], "when_input": "recurring", "kind_input": "monthly",
      "day_of_month_input": "32", "time_input": "09:00"}, "day_of_month", "1 to 31"),
])
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(
    workspace: Workspace, values: dict, block: str, says: str
) -> None:
    view = open_modal(workspace)
    response = workspace.slack.submit_view(LENA, view["id"], values)
    assert response.body["response_action"] == "errors", response.body
    assert block in response.body["errors"], response.body
    assert says in response.body["errors"][block]
    assert broadcasts_stored(workspace) == 0
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Message).where(Message.source == "slack")).scalar_one() == 0


def test_a_new_message_written_in_the_modal_becomes_a_library_version(workspace: Workspace) -> None:
    view = open_modal(workspace)
    workspace.slack.submit_view(LENA, view["id"], {
        "title_input": "Q4 push", "body_input": "Hi {{ person.first_name }}, three on-strategy deals by Friday.",
        "people_input": ["U0REPEA02"]})
    workspace.drumbeat.tick()
    (dm,) = workspace.inbox("jonas")
    assert "Hi Jonas, three on-strategy deals" in json.dumps(dm["blocks"])
    with workspace.drumbeat.services.unit_of_work() as session:
        message = session.execute(select(Message).where(Message.key == "q4-push")).scalar_one()
    assert (message.version, message.source) == (1, "chat")  # written in the chat, not a pack


def test_rep_cannot_open_the_broadcast_modal(workspace: Workspace) -> None:
    response = workspace.command("jonas", "broadcast")
    assert "only leaders and admins" in json.dumps(response.answer)
    assert not workspace.slack.calls_named("views.open")


def test_two_versions_in_flight_warn_the_editor(workspace: Workspace) -> None:
    for _ in range(2):
        view = open_modal(workspace)
        workspace.slack.submit_view(LENA, view["id"], {
            "title_input": "Pipeline", "body_input": "v-text {{ person.first_name }}" + "!" * _,
            "teams_input": ["East"], "when_input": "recurring", "kind_input": "workdays", "time_input": "09:00"})
    assert "still sends v1" in json.dumps(workspace.slack.inbox(LENA)[-1])
    assert broadcasts_stored(workspace) == 2
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Delivery)).scalar_one() == 0
