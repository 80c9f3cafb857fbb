"""File uploads through the loopback upload_url, and injected faults."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.emulators.slack import SlackEmulator


def test_files_upload_v2_works_end_to_end_against_the_loopback_upload_url(client: WebClient, emu: SlackEmulator) -> None:
    channel = emu.dm_channel("U001")
    answer = client.files_upload_v2(
        channel=channel, filename="summary.csv", content=b"rep,calls\nalice,12\n", title="Weekly summary", initial_comment="Here you go"
    )
    assert answer["file"]["name"] == "summary.csv"
    (upload,) = emu.uploaded_files
    assert upload["bytes"] == b"rep,calls\nalice,12\n"
    assert (upload["filename"], upload["title"], upload["channel_id"], upload["initial_comment"]) == (
        "summary.csv",
        "Weekly summary",
        channel,
        "Here you go",
    )
    (url_call,) = emu.calls_named("files.getUploadURLExternal")
    assert url_call.response["upload_url"].startswith(emu.base_url + "/upload/")
    (message,) = emu.inbox("U001")
    assert message["text"] == "Here you go" and message["files"][0]["id"] == upload["file_id"]


def test_completing_an_upload_that_was_never_sent_is_file_not_found(client: WebClient) -> None:
    ticket = client.files_getUploadURLExternal(filename="a.txt", length=3)
    with pytest.raises(SlackApiError) as info:
        client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}])
    assert info.value.response["error"] == "file_not_found"


def test_zero_length_upload_is_missing_argument(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as info:
        client.files_getUploadURLExternal(filename="a.txt", length=0)
    assert info.value.response["error"] == "missing_argument"


@pytest.mark.parametrize("status", [500, 503])
def test_injected_http_error_answers_that_status_and_has_no_effect(client: WebClient, emu: SlackEmulator, status: int) -> None:
    emu.inject_fault("chat.postMessage", status=status)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="U001", text="lost")
    assert info.value.response.status_code == status
    assert info.value.response["ok"] is False
    assert emu.inbox("U001") == []
    client.chat_postMessage(channel="U001", text="next one works")
    assert [c.http_status for c in emu.calls_named("chat.postMessage")] == [status, 200]


def test_injected_error_code_applies_to_the_next_n_calls(client: WebClient, emu: SlackEmulator) -> None:
    emu.inject_fault("users.info", error="fatal_error", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            client.users_info(user="U001")
        assert info.value.response.status_code == 200 and info.value.response["error"] == "fatal_error"
    assert client.users_info(user="U001")["ok"]


def test_injected_reset_drops_the_connection_without_an_answer(emu: SlackEmulator) -> None:
    emu.inject_fault("chat.postMessage", reset=True)
    no_retry = WebClient(base_url=emu.api_url, token=emu.bot_token, retry_handlers=[])
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        no_retry.chat_postMessage(channel="U001", text="lost")
    assert emu.inbox("U001") == []
    assert emu.calls_named("chat.postMessage")[0].http_status == 0


def test_default_client_retries_once_after_a_reset(emu: SlackEmulator) -> None:
    emu.inject_fault("chat.postMessage", reset=True)
    WebClient(base_url=emu.api_url, token=emu.bot_token).chat_postMessage(channel="U001", text="second try")
    assert [c.http_status for c in emu.calls_named("chat.postMessage")] == [0, 200]
    assert len(emu.inbox("U001")) == 1


def test_injected_delay_answers_late_but_still_takes_effect(emu: SlackEmulator) -> None:
    emu.inject_fault("chat.postMessage", delay=0.4)
    impatient = WebClient(base_url=emu.api_url, token=emu.bot_token, timeout=0.1, retry_handlers=[])
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        impatient.chat_postMessage(channel="U001", text="slow")
    deadline = time.monotonic() + 2
    while not emu.inbox("U001") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [m["text"] for m in emu.inbox("U001")] == ["slow"]  # the client gave up, Slack did not


def test_a_client_that_gave_up_before_the_late_answer_is_not_a_server_error(
    emu: SlackEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emu.inject_fault("chat.postMessage", delay=0.3)
    impatient = WebClient(base_url=emu.api_url, token=emu.bot_token, timeout=0.05, retry_handlers=[])
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        impatient.chat_postMessage(channel="U001", text="slow")
    time.sleep(0.5)  # the emulator answers a socket nobody reads any more
    assert [m["text"] for m in emu.inbox("U001")] == ["slow"]
    assert "Traceback" not in capsys.readouterr().err


def test_injected_random_delay_holds_each_call_for_a_different_time_within_the_range(
    client: WebClient, emu: SlackEmulator
) -> None:
    fault = emu.inject_fault("chat.postMessage", delay=0.1, delay_max=0.3, times=4)
    for n in range(4):  # two users: each DM allows a burst of 3 posts on the emulator's (frozen) clock
        started = time.monotonic()
        client.chat_postMessage(channel=("U001", "U002")[n % 2], text=f"slow {n}")
        assert time.monotonic() - started >= 0.1  # held at least the range's floor (a delay is never shorter)
    assert len(fault.waits) == 4 and all(0.1 <= wait <= 0.3 for wait in fault.waits), fault.waits
    assert len(set(fault.waits)) == 4, fault.waits  # random, not one fixed delay
    assert len(emu.inbox("U001")) == len(emu.inbox("U002")) == 2  # slow, but every call took effect
    assert emu.pending_faults("chat.postMessage") == 0  # the fault is used up: the next call is not held
    client.chat_postMessage(channel="U001", text="fast again")
    assert len(fault.waits) == 4  # that call met no fault


def test_a_random_delay_range_must_not_be_upside_down(emu: SlackEmulator) -> None:
    with pytest.raises(ValueError, match="delay_max"):
        emu.inject_fault("chat.postMessage", delay=1.0, delay_max=0.5)


def test_unknown_paths_are_404(emu: SlackEmulator) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(emu.base_url + "/nothing", timeout=2)
    assert info.value.code == 404
