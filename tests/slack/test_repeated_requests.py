"""What Slack or a leader repeats is acted on once: the same slash command request delivered four times (as a
proxy or Slack's retry would, same trigger id) makes one broadcast and one DM per rep."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlencode

from sqlalchemy import func, select

from storage.models import Broadcast

from .conftest import Workspace  # noqa: TID252

EAST_REPS = ("aiko", "jonas", "priya")


def replay_command(workspace: Workspace, user_id: str, text: str, trigger_id: str, response_url: str) -> int:
    fields = {
        "token": "verification", "team_id": "T0DRUMBEAT", "user_id": user_id, "command": "/drumbeat",
        "text": text, "trigger_id": trigger_id, "response_url": response_url, "channel_id": "D0LENA",
    }
    return workspace.slack.send_signed(urlencode(fields).encode(), "application/x-www-form-urlencoded").status


def test_the_same_send_request_four_times_makes_one_broadcast_and_one_dm_each(workspace: Workspace) -> None:
    lena = workspace.person("lena").slack_id
    first = workspace.command("lena", "send win-on-strategy to East")
    assert first.status == 200
    for _ in range(3):
        assert replay_command(workspace, lena, "send win-on-strategy to East", first.trigger_id,
                              first.response_url) == 200
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Broadcast)).scalar_one() == 1
    workspace.dispatch()
    assert Counter(len(workspace.inbox(rep)) for rep in EAST_REPS) == Counter({1: 3})
    answers = workspace.answers_after_ack()
    assert len(answers) == 4 and all("On its way" in answer for answer in answers)
    assert sum("You sent this request before" in answer for answer in answers) == 3


def test_a_new_send_of_the_same_message_is_a_new_broadcast(workspace: Workspace) -> None:
    workspace.command("lena", "send win-on-strategy to East")
    workspace.command("lena", "send win-on-strategy to East")  # typed again: a new trigger id, a deliberate resend
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Broadcast)).scalar_one() == 2
    assert not any("before" in json.loads(answer).get("text", "") for answer in workspace.answers_after_ack())
