"""Issue 14, item 11: every action checks the caller's role and that what the payload names is the caller's.

Each request here is signed as Slack signs (a forger who holds the signing secret, or a replayed capture edited
in flight): the payload's user, channel, message, view, value and response_url are claims, and each test checks
one that must not be believed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.slack.ids import ActionId, CallbackId
from storage.models import Broadcast, BroadcastStatus, Delivery

from .conftest import Workspace  # noqa: TID252
from .test_schedules_list import schedule_weekly  # noqa: TID252

FORM = "application/x-www-form-urlencoded"


def forge(workspace: Workspace, handle: str, action_id: str, value: str | None = None, *,
          message: dict | None = None, view: dict | None = None, response_url: str | None = None) -> int:
    """A signed block_actions request from `handle`, naming whatever message or view the forger chose."""
    payload: dict[str, Any] = {
        "type": "block_actions", "user": {"id": workspace.person(handle).slack_id, "username": handle},
        "team": {"id": "T0DRUMBEAT"}, "api_app_id": "A0DRUMBEAT",
        "trigger_id": workspace.slack.issue_trigger(workspace.person(handle).slack_id),
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                     "action_ts": str(time.time())}],
    }
    if message is not None:
        payload["container"] = {"type": "message", "channel_id": message["channel"], "message_ts": message["ts"]}
        payload["channel"] = {"id": message["channel"]}
        payload["message"] = {"ts": message["ts"], "blocks": message["blocks"]}
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view["id"]}
    if response_url is not None:
        payload["response_url"] = response_url
    status = workspace.slack.send_signed(urlencode({"payload": json.dumps(payload)}).encode(), FORM).status
    workspace.drumbeat.wait_for_background()
    return status


def updates_in(workspace: Workspace, channel: str) -> list[dict]:
    return [call.args for call in workspace.slack.calls_named("chat.update") if call.args.get("channel") == channel]


def got_it(message: dict) -> str:
    return next(element["value"] for block in message["blocks"] if block.get("type") == "actions"
                for element in block["elements"] if element.get("action_id") == ActionId.ACKNOWLEDGE)


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that is not Slack: the URL a forger would put in `response_url`."""
    hits: list[str] = []

    class Record(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            hits.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Record)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks", hits
    finally:
        server.shutdown()
        server.server_close()


def test_got_it_aimed_at_another_reps_dm_changes_only_the_clickers_own_message(workspace: Workspace) -> None:
    workspace.command("lena", "send win-on-strategy to <@U0REPEA01|aiko> <@U0REPEA02|jonas>")
    workspace.dispatch()
    aikos, jonass = workspace.inbox("aiko")[-1], workspace.inbox("jonas")[-1]

    assert forge(workspace, "aiko", ActionId.ACKNOWLEDGE.value, got_it(aikos), message=jonass) == 200

    assert updates_in(workspace, jonass["channel"]) == []
    assert workspace.inbox("jonas")[-1]["blocks"] == jonass["blocks"]
    (update,) = updates_in(workspace, aikos["channel"])
    assert update["ts"] == aikos["ts"]  # where Drumbeat recorded sending Aiko's message
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.get(Delivery, int(got_it(aikos))).acknowledged_at is not None
        assert session.get(Delivery, int(got_it(jonass))).acknowledged_at is None


def test_a_practice_answer_aimed_at_another_dm_is_shown_to_the_clicker_instead(workspace: Workspace) -> None:
    workspace.command("aiko", "quiz me")
    workspace.command("lena", "send win-on-strategy to <@U0REPEA02|jonas>")
    workspace.dispatch()
    question, jonass = workspace.inbox("aiko")[-1], workspace.inbox("jonas")[-1]
    answer = next(element for block in question["blocks"] if block.get("type") == "actions"
                  for element in block["elements"] if element["action_id"].startswith("quiz_answer_"))

    assert forge(workspace, "aiko", answer["action_id"], answer["value"], message=jonass) == 200

    assert updates_in(workspace, jonass["channel"]) == []
    assert workspace.inbox("jonas")[-1]["blocks"] == jonass["blocks"]
    assert len(workspace.inbox("aiko")) == 2  # the answered question, posted anew in her own DM


def test_a_practice_answer_in_the_clickers_own_dm_is_updated_in_place(workspace: Workspace) -> None:
    workspace.command("aiko", "quiz me")
    question = workspace.inbox("aiko")[-1]
    answer = next(element for block in question["blocks"] if block.get("type") == "actions"
                  for element in block["elements"] if element["action_id"].startswith("quiz_answer_"))

    workspace.slack.click("U0REPEA01", channel=question["channel"], ts=question["ts"],
                          action_id=answer["action_id"], value=answer["value"])

    assert [update["ts"] for update in updates_in(workspace, question["channel"])] == [question["ts"]]
    assert len(workspace.inbox("aiko")) == 1


def test_rep_cannot_pick_a_message_in_a_broadcast_form(workspace: Workspace) -> None:
    workspace.command("lena", "broadcast")
    (form,) = workspace.slack.open_views("U0LEADER1")
    forged_view = {"id": form["id"], "hash": form.get("hash"), "callback_id": CallbackId.BROADCAST_MODAL.value,
                   "type": "modal"}

    payload_value = {"selected_option": {"value": "win-on-strategy"}}
    assert forge_pick(workspace, "jonas", forged_view, payload_value) == 200

    assert workspace.slack.calls_named("views.update") == []
    assert "only leaders and admins" in json.dumps(workspace.inbox("jonas"))


def forge_pick(workspace: Workspace, handle: str, view: dict, action: dict) -> int:
    payload = {"type": "block_actions", "user": {"id": workspace.person(handle).slack_id}, "team": {"id": "T1"},
               "trigger_id": "1.2.pick", "view": view, "container": {"type": "view", "view_id": view["id"]},
               "actions": [{"type": "static_select", "action_id": ActionId.MESSAGE_PICK.value, "block_id": "b",
                            **action}]}
    status = workspace.slack.send_signed(urlencode({"payload": json.dumps(payload)}).encode(), FORM).status
    workspace.drumbeat.wait_for_background()
    return status


def test_a_pick_from_a_view_that_is_not_a_broadcast_form_updates_nothing(workspace: Workspace) -> None:
    workspace.slack.open_home("U0LEADER1")
    home = workspace.slack.home_view("U0LEADER1")
    assert home is not None
    view = {"id": home["id"], "callback_id": home.get("callback_id") or "", "type": "home"}

    assert forge_pick(workspace, "lena", view, {"selected_option": {"value": "win-on-strategy"}}) == 200

    assert workspace.slack.calls_named("views.update") == []


def test_feedback_form_opened_from_another_persons_request_does_not_show_its_question(
        workspace: Workspace) -> None:
    workspace.command("marco", "feedback request East | What should Team East stop doing before the offsite?")
    workspace.drumbeat.tick()
    aikos = workspace.inbox("aiko")[-1]
    button = next(element for block in aikos["blocks"] if block.get("type") == "actions"
                  for element in block["elements"] if element.get("action_id") == "feedback_open")

    assert forge(workspace, "sam", "feedback_open", button["value"], message=aikos) == 200

    (form,) = workspace.slack.open_views("U0REPWE01")
    assert form["callback_id"] == "feedback_modal"
    assert "before the offsite" not in json.dumps(form)
    workspace.slack.click("U0REPEA01", channel=aikos["channel"], ts=aikos["ts"], action_id="feedback_open")
    assert "before the offsite" in json.dumps(workspace.slack.open_views("U0REPEA01"))


def test_a_response_url_outside_slack_is_refused_and_never_posted_to(
        workspace: Workspace, listener: tuple[str, list[str]]) -> None:
    url, hits = listener
    fields = {"command": "/drumbeat", "text": "summary", "user_id": "U0MGREAST", "user_name": "marco",
              "team_id": "T0DRUMBEAT", "channel_id": "C0GENERAL", "trigger_id": "1.2.evil", "response_url": url}

    response = workspace.slack.send_signed(urlencode(fields).encode(), FORM)
    workspace.drumbeat.wait_for_background()

    assert response.status == 400
    assert hits == []
    aikos_click = forge(workspace, "aiko", ActionId.ACKNOWLEDGE.value, "1", response_url=url)
    assert aikos_click == 400 and hits == []


def test_rep_clicking_a_leaders_schedule_buttons_changes_nothing_and_hears_why_privately(
        workspace: Workspace) -> None:
    schedule_weekly(workspace)
    workspace.command("lena", "schedules")
    listing = workspace.inbox("lena")[-1]
    with workspace.drumbeat.services.unit_of_work() as session:
        broadcast = session.execute(select(Broadcast)).scalars().one()
        broadcast_id, status = broadcast.id, broadcast.status

    for action in (ActionId.SCHEDULE_PAUSE, ActionId.SCHEDULE_CANCEL, ActionId.SCHEDULE_SEND_NOW,
                   ActionId.SCHEDULES_REFRESH):
        assert forge(workspace, "jonas", action.value, str(broadcast_id), message=listing) == 200

    assert updates_in(workspace, listing["channel"]) == []
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.get(Broadcast, broadcast_id).status == status == BroadcastStatus.ACTIVE
    refusals = [dm["text"] for dm in workspace.inbox("jonas")]
    assert len(refusals) == 4 and all("only leaders and admins can manage broadcasts" in text for text in refusals)
    assert all("win-on-strategy" not in text and "East" not in text for text in refusals)


def test_leaders_schedule_click_aimed_at_a_reps_dm_posts_the_list_to_the_leader(workspace: Workspace) -> None:
    broadcast_id = schedule_weekly(workspace)
    workspace.command("lena", "send win-on-strategy to <@U0REPEA01|aiko>")
    workspace.dispatch()
    aikos = workspace.inbox("aiko")[-1]
    before = len(workspace.inbox("lena"))

    assert forge(workspace, "lena", ActionId.SCHEDULE_PAUSE.value, str(broadcast_id), message=aikos) == 200

    assert updates_in(workspace, aikos["channel"]) == []
    assert len(workspace.inbox("lena")) == before + 1
    assert "paused" in json.dumps(workspace.inbox("lena")[-1]).lower()


def test_the_clickers_dm_is_learned_once_per_person(workspace: Workspace) -> None:
    from bot.slack.clicked import OWN_DMS

    OWN_DMS._known.clear()  # other tests in this process may have taught it already
    opened = len(workspace.slack.calls_named("conversations.open"))
    for _ in range(2):
        workspace.command("aiko", "quiz me")
        question = workspace.inbox("aiko")[-1]
        answer = next(element for block in question["blocks"] if block.get("type") == "actions"
                      for element in block["elements"] if element["action_id"].startswith("quiz_answer_"))
        workspace.slack.click("U0REPEA01", channel=question["channel"], ts=question["ts"],
                              action_id=answer["action_id"], value=answer["value"])

    assert len(workspace.slack.calls_named("conversations.open")) - opened == 1
