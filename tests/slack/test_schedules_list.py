"""`/drumbeat schedules`: the list, and its pause / resume / edit / send now / cancel buttons."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.people import add_person
from storage.models import Broadcast, Delivery, DeliveryStatus, Message

from .conftest import Workspace  # noqa: TID252

LENA = "U0LEADER1"


def schedule_weekly(workspace: Workspace) -> int:
    workspace.command("lena", "broadcast")
    view = workspace.slack.open_views(LENA)[-1]
    workspace.slack.submit_view(LENA, view["id"], {
        "message_pick": "win-on-strategy", "teams_input": ["East"], "when_input": "recurring",
        "kind_input": "workdays", "time_input": "09:00"})
    with workspace.drumbeat.services.unit_of_work() as session:
        return session.execute(select(Broadcast.id)).scalar_one()


def schedules_dm(workspace: Workspace) -> dict:
    return [m for m in workspace.slack.inbox(LENA) if "Your broadcasts" in json.dumps(m)][-1]


def click(workspace: Workspace, action_id: str) -> None:
    dm = schedules_dm(workspace)
    response = workspace.slack.click(LENA, channel=dm["channel"], ts=dm["ts"], action_id=action_id)
    assert response.status == 200


def status(workspace: Workspace, broadcast_id: int) -> str:
    with workspace.drumbeat.services.unit_of_work() as session:
        return session.get(Broadcast, broadcast_id).status


def test_schedules_list_shows_next_run_and_buttons(workspace: Workspace) -> None:
    schedule_weekly(workspace)
    reply = workspace.command("lena", "schedules")
    assert "in our DM" in json.dumps(reply.answer)
    text = json.dumps(schedules_dm(workspace))
    assert "every weekday at 09:00" in text and "next: Tue 24 Nov, 09:00" in text
    assert "schedule_pause" in text and "schedule_cancel" in text


def test_pause_resume_and_cancel_change_the_broadcast_and_the_list(workspace: Workspace) -> None:
    broadcast_id = schedule_weekly(workspace)
    workspace.command("lena", "schedules")
    click(workspace, "schedule_pause")
    assert status(workspace, broadcast_id) == "paused"
    assert "Paused the broadcast" in json.dumps(schedules_dm(workspace))
    click(workspace, "schedule_resume")
    assert status(workspace, broadcast_id) == "active"
    click(workspace, "schedule_cancel")
    assert status(workspace, broadcast_id) == "cancelled"


def test_send_now_delivers_to_the_audience(workspace: Workspace) -> None:
    schedule_weekly(workspace)
    workspace.command("lena", "schedules")
    click(workspace, "schedule_send_now")
    assert "Sending it now to 3 people" in json.dumps(schedules_dm(workspace))
    workspace.drumbeat.dispatch_now()
    assert len(workspace.inbox("aiko")) == 1


def test_edit_creates_a_new_version_and_sent_messages_keep_theirs(workspace: Workspace) -> None:
    schedule_weekly(workspace)
    workspace.command("lena", "schedules")
    click(workspace, "schedule_send_now")
    workspace.drumbeat.dispatch_now()
    click(workspace, "schedule_edit")
    (editor,) = [v for v in workspace.slack.open_views(LENA) if v["callback_id"] == "edit_message_modal"]
    response = workspace.slack.submit_view(LENA, editor["id"], {"title_input": "Where we win, sharpened",
                                                                 "body_input": "Hi {{ person.first_name }}, v2."})
    assert response.status == 200 and not (isinstance(response.body, dict) and response.body.get("errors"))
    assert "Saved v2" in json.dumps(workspace.slack.inbox(LENA)[-1])
    with workspace.drumbeat.services.unit_of_work() as session:
        versions = sorted(session.execute(select(Message.version).where(Message.key == "win-on-strategy")).scalars())
        sent = session.execute(select(Message.version).join(Delivery, Delivery.message_id == Message.id)
                               .where(Delivery.status == DeliveryStatus.SENT)).scalars().all()
    assert versions == [1, 2]
    assert set(sent) == {1}


def test_edit_with_a_broken_template_is_refused_in_the_modal(workspace: Workspace) -> None:
    schedule_weekly(workspace)
    workspace.command("lena", "schedules")
    click(workspace, "schedule_edit")
    (editor,) = [v for v in workspace.slack.open_views(LENA) if v["callback_id"] == "edit_message_modal"]
    response = workspace.slack.submit_view(LENA, editor["id"], {"body_input": "{% if %}"})
    assert response.body["response_action"] == "errors"
    assert "Template error" in response.body["errors"]["body"]


def test_another_leaders_broadcast_cannot_be_steered(workspace: Workspace) -> None:
    broadcast_id = schedule_weekly(workspace)
    with workspace.drumbeat.services.unit_of_work() as session:
        from bot.core import manage
        from bot.core.errors import PermissionDenied

        other = add_person(session, "U0LEADER2", name="Omar Other", role="leader")
        session.add(other)
        session.flush()
        try:
            manage.pause(session, caller=other, broadcast_id=broadcast_id, now=workspace.clock())
            raise AssertionError("should have been refused")
        except PermissionDenied as refused:
            assert "belongs to another leader" in str(refused)


def progress_lines(workspace: Workspace) -> list[str]:
    """The per-occurrence lines of the list in Lena's DM (as Slack shows them)."""
    dm = schedules_dm(workspace)
    texts = [block["text"]["text"] for block in dm["blocks"] if block["type"] == "section"]
    return [line for text in texts for line in text.split("\n") if line.startswith("• ")]


def test_a_send_now_shows_its_progress_per_occurrence_and_refresh_counts_again(workspace: Workspace) -> None:
    schedule_weekly(workspace)
    workspace.command("lena", "schedules")
    click(workspace, "schedule_send_now")  # 3 people in East, queued in the outbox
    (line,) = progress_lines(workspace)
    assert line.endswith(": 0 sent · 3 waiting · 0 failed (in progress)")
    workspace.slack.inject_fault("chat.postMessage", error="channel_not_found", times=1)  # one rep cannot be reached
    workspace.drumbeat.dispatch_now()
    assert progress_lines(workspace) == [line], "the list is only counted again when shown"
    click(workspace, "schedules_refresh")
    (refreshed,) = progress_lines(workspace)
    assert refreshed.endswith(": 2 sent · 0 waiting · 1 failed")
    assert refreshed.split(": ")[0] == line.split(": ")[0]  # the same occurrence, labelled in Lena's time zone

