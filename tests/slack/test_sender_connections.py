"""The outbox's Slack client keeps its connection: many posts, one TCP connection, Slack's answers unchanged."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.emulators.slack import SlackEmulator
from bot.slack.sender import SlackSender, no_retry_client
from schedules.sending import Outgoing, PermanentFailure, RateLimited, TemporaryFailure
from storage.address import Address

USERS = [f"U0REP{n:04d}" for n in range(12)]


@pytest.fixture
def slack() -> SlackEmulator:
    emulator = SlackEmulator("secret", rate_limits=False).start()
    for user_id in USERS:
        emulator.add_user(user_id, name=user_id.lower(), tz="Europe/Berlin")
    yield emulator
    emulator.stop()


def dm(user_id: str, key: str = "k") -> Outgoing:
    context = {"delivery_id": 1, "title": "Plan", "body": "Hello", "from_name": "Lena", "message_key": "plan",
               "message_version": 1, "key_message": False, "acknowledged": None, "reminder": False,
               "refresher_from": None, "late_since": None, "quiz": None}
    return Outgoing(Address("slack", user_id), "broadcast", context, "Plan (from Lena)", key)


def test_many_posts_travel_over_one_kept_alive_connection(slack: SlackEmulator) -> None:
    sender = SlackSender(no_retry_client(slack.bot_token, slack.api_url))
    for number, user_id in enumerate(USERS):
        sender.send(dm(user_id, f"key-{number}"))
    assert all(len(slack.inbox(user_id)) == 1 for user_id in USERS)
    assert slack.connections_accepted == 1


def test_a_plain_webclient_opens_a_connection_per_call(slack: SlackEmulator) -> None:
    """The peer the kept-alive client is measured against (and why it exists)."""
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    for user_id in USERS[:3]:
        client.chat_postMessage(channel=user_id, text="hi")
    assert slack.connections_accepted == 3


def test_a_connection_the_server_closed_while_idle_is_replaced_without_failing_a_send(slack: SlackEmulator) -> None:
    sender = SlackSender(no_retry_client(slack.bot_token, slack.api_url))
    sender.send(dm(USERS[0]))
    slack.close_idle_connections()
    sender.send(dm(USERS[1]))  # no TemporaryFailure: the closed connection was noticed before reuse
    assert [len(slack.inbox(user_id)) for user_id in USERS[:2]] == [1, 1]
    assert slack.connections_accepted == 2


def test_slacks_errors_read_the_same_over_a_kept_connection(slack: SlackEmulator) -> None:
    sender = SlackSender(no_retry_client(slack.bot_token, slack.api_url))
    with pytest.raises(PermanentFailure, match="channel_not_found|user_not_found"):
        sender.send(dm("U0NOBODY"))
    slack.inject_fault("chat.postMessage", status=429)
    with pytest.raises(RateLimited) as limited:
        sender.send(dm(USERS[0]))
    assert limited.value.retry_after == 1  # the emulator's fault says Retry-After: 1
    slack.clear_faults()
    sender.send(dm(USERS[0]))
    assert len(slack.inbox(USERS[0])) == 1
    assert slack.connections_accepted == 1


def test_a_stopped_slack_is_a_failed_connection_not_a_hang(slack: SlackEmulator) -> None:
    sender = SlackSender(no_retry_client(slack.bot_token, slack.api_url, timeout=2))
    sender.send(dm(USERS[0]))
    slack.stop()
    with pytest.raises(TemporaryFailure) as failure:
        sender.send(dm(USERS[1]))
    assert failure.value.ambiguous
