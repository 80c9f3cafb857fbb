"""Rate limits on the injectable clock: HTTP 429 with Retry-After, no effect, recovery."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import SimulatedClock
from bot.emulators.slack import SlackEmulator


def rate_limited(call: Any) -> int:
    """Assert the call is rejected as Slack does; return its Retry-After seconds."""
    with pytest.raises(SlackApiError) as info:
        call()
    response = info.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    return retry_after


def test_post_message_over_channel_rate_returns_429_with_retry_after(client: WebClient, emu: SlackEmulator, clock: SimulatedClock) -> None:
    for i in range(3):  # a short burst is allowed
        client.chat_postMessage(channel="U001", text=str(i))
    assert rate_limited(lambda: client.chat_postMessage(channel="U001", text="too fast")) == 1
    assert len(emu.inbox("U001")) == 3  # the rejected call had no effect
    assert emu.calls_named("chat.postMessage")[-1].http_status == 429
    client.chat_postMessage(channel="U002", text="another channel has its own budget")
    clock.advance(1)
    client.chat_postMessage(channel="U001", text="after waiting")
    assert len(emu.inbox("U001")) == 4


def test_post_message_to_user_id_and_dm_id_share_the_channel_budget(client: WebClient, emu: SlackEmulator) -> None:
    client.chat_postMessage(channel="U001", text="1")
    client.chat_postMessage(channel=emu.dm_channel("U001"), text="2")
    client.chat_postMessage(channel="U001", text="3")
    rate_limited(lambda: client.chat_postMessage(channel=emu.dm_channel("U001"), text="4"))


@pytest.fixture
def fanout() -> Iterator[tuple[SlackEmulator, WebClient, SimulatedClock]]:
    clock = SimulatedClock()
    with SlackEmulator("s", clock=clock, post_message_per_minute=60) as emu:
        for i in range(40):
            emu.add_user(f"UF{i:02d}", name=f"rep{i}")
        yield emu, WebClient(base_url=emu.api_url, token=emu.bot_token, retry_handlers=[]), clock


def test_workspace_post_budget_paces_a_fan_out(fanout: tuple[SlackEmulator, WebClient, SimulatedClock]) -> None:
    emu, client, clock = fanout
    sent = 0
    while True:  # distinct channels: only the workspace budget applies
        try:
            client.chat_postMessage(channel=f"UF{sent:02d}", text="nudge")
        except SlackApiError as exc:
            assert exc.response.status_code == 429
            break
        sent += 1
    assert 1 <= sent <= 5  # a modest burst, not a minute's worth
    clock.advance(1)
    client.chat_postMessage(channel=f"UF{sent:02d}", text="nudge")  # refills every second
    # Over a simulated minute, about post_message_per_minute get through.
    delivered = sent + 1
    for _ in range(60):
        clock.advance(1)
        try:
            client.chat_postMessage(channel=f"UF{delivered % 40:02d}", text="nudge")
            delivered += 1
        except SlackApiError:
            pass
    assert 55 <= delivered <= 70


@pytest.mark.parametrize(
    ("method", "kwargs", "limit"),
    [
        ("users_list", {}, 20),
        ("users_info", {"user": "U001"}, 100),
        ("conversations_open", {"users": "U001"}, 50),
    ],
)
def test_tiered_method_over_its_minute_budget_is_rate_limited_then_recovers(
    client: WebClient, clock: SimulatedClock, method: str, kwargs: dict[str, Any], limit: int
) -> None:
    call = getattr(client, method)
    for _ in range(limit):
        call(**kwargs)
        clock.advance(0.1)
    retry_after = rate_limited(lambda: call(**kwargs))
    assert retry_after <= 60
    clock.advance(retry_after)
    assert call(**kwargs)["ok"]


def test_rate_limits_can_be_turned_off(clock: SimulatedClock) -> None:
    with SlackEmulator("s", clock=clock, rate_limits=False) as emu:
        emu.add_user("U1", name="a")
        client = WebClient(base_url=emu.api_url, token=emu.bot_token)
        for i in range(30):
            client.chat_postMessage(channel="U1", text=str(i))
        assert len(emu.inbox("U1")) == 30
