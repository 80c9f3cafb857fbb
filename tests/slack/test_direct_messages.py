"""Someone who writes to the bot in its DM gets one short answer pointing at help: once per message, never to
the bot's own messages or another bot's, never to edits, and not again when Slack retries the event."""

from __future__ import annotations

import json

from bot.slack.manifest import BOT_EVENTS
from tests.slack.conftest import Workspace

REP = "U0REPEA02"


def answers(workspace: Workspace, user_id: str = REP) -> list[dict]:
    return workspace.slack.inbox(user_id)


def test_a_rep_who_writes_to_the_bot_is_pointed_at_help(workspace: Workspace) -> None:
    response = workspace.slack.write_dm(REP, "hi, how do I see my quiz results?")
    assert response.status == 200 and response.acked_in_time
    inbox = answers(workspace)
    assert len(inbox) == 1
    said = json.dumps(inbox[0]["blocks"]) + inbox[0]["text"]
    assert "/drumbeat help" in said and "I don't read messages written here" in said
    assert inbox[0]["channel"] == workspace.slack.dm_channel(REP)
    workspace.slack.write_dm(REP, "thanks")
    assert len(answers(workspace)) == 2  # one answer per message


def test_slacks_retries_of_the_same_message_get_no_second_answer(workspace: Workspace) -> None:
    first = workspace.slack.write_dm(REP, "hello?")
    assert first.event_id is not None
    for n in (1, 2, 3):
        assert workspace.slack.retry_event(first.event_id, retry_num=n, reason="http_timeout").status == 200
    assert len(answers(workspace)) == 1


def test_bots_messages_and_edits_get_no_answer(workspace: Workspace) -> None:
    channel = workspace.slack.dm_channel(REP)
    events = [
        # the bot's own post in the DM (Slack sends message.im for those too)
        {"type": "message", "channel_type": "im", "channel": channel, "user": "U0DRUMBOT", "bot_id": "B0DRUMBOT",
         "text": "Got it?", "ts": "1.000001"},
        # another app posting in the conversation
        {"type": "message", "subtype": "bot_message", "channel_type": "im", "channel": channel, "bot_id": "B0OTHER",
         "text": "beep", "ts": "1.000002"},
        {"type": "message", "channel_type": "im", "channel": channel, "user": "U0OTHERBOT", "bot_id": "B0OTHER",
         "text": "beep", "ts": "1.000003"},
        # the rep edits or deletes a message
        {"type": "message", "subtype": "message_changed", "channel_type": "im", "channel": channel,
         "message": {"user": REP, "text": "edited"}, "ts": "1.000004"},
        {"type": "message", "subtype": "message_deleted", "channel_type": "im", "channel": channel, "ts": "1.000005"},
        # a message in a channel the bot is in: not its DM
        {"type": "message", "channel_type": "channel", "channel": "C0SALES", "user": REP, "text": "hi all",
         "ts": "1.000006"},
    ]
    for event in events:
        response = workspace.slack.send_event(event)
        assert response.status == 200 and response.acked_in_time
    assert answers(workspace) == []
    assert workspace.slack.calls_named("chat.postMessage") == []


def test_the_manifest_subscribes_to_messages_in_the_bots_dm() -> None:
    assert "message.im" in BOT_EVENTS
