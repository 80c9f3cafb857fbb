"""The work after Slack's answers, in a process of its own (bot.slack.work_process): what a person sees is the
same, the answering process does none of that work, and a worker that dies loses nothing more."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from slack_sdk.socket_mode.request import SocketModeRequest
from sqlalchemy.engine import Engine

from bot.app import Drumbeat
from bot.core.org import import_org_csv
from bot.demo import DEMO_PEOPLE, demo_org_csv, demo_person
from bot.emulators.slack import SlackEmulator
from bot.platforms import USER_ID_FORMATS
from bot.settings import settings_from_mapping
from bot.slack.platform import SLACK_EVENTS_PATH, SlackPlatform
from bot.slack.socket import CheckedSocketModeHandler
from bot.slack.work_process import WorkProcess, remember, resolve
from storage.models import QuizAsk

SECRET = "work-process-secret"


@pytest.fixture
def running(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[tuple[SlackEmulator, Drumbeat]]:
    """Drumbeat on the real clock (the worker has no other), with its work process started as `drumbeat run`
    starts it, answering the emulator over HTTP."""
    with SlackEmulator(SECRET) as slack:
        for person in DEMO_PEOPLE:
            slack.add_user(person.slack_id, name=person.handle, real_name=person.name, tz=person.tz, email=person.email)
        settings = settings_from_mapping({
            "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url, "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key")})
        drumbeat = Drumbeat(settings, engine=engine)
        with drumbeat.services.unit_of_work() as session:
            import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
        drumbeat.start_work_process(wait=True)
        port = drumbeat.serve_http(host="127.0.0.1", port=0, background=True)
        slack.connect_bot(f"http://127.0.0.1:{port}{SLACK_EVENTS_PATH}")
        slack.after_each_answer(lambda: drumbeat.wait_for_background(timeout=30))
        try:
            yield slack, drumbeat
        finally:
            drumbeat.close()


def worker_of(drumbeat: Drumbeat) -> WorkProcess:
    (slack_platform,) = [platform for platform in drumbeat.platforms if isinstance(platform, SlackPlatform)]
    assert slack_platform.work_process is not None and slack_platform.work_process.alive
    return slack_platform.work_process


def test_quiz_me_and_its_answer_run_in_the_work_process(running: tuple[SlackEmulator, Drumbeat]) -> None:
    slack, drumbeat = running
    jonas = demo_person("jonas").slack_id
    worker = worker_of(drumbeat)
    reply = slack.slash_command(jonas, text="quiz me")
    assert reply.status == 200 and "waiting in our DM" in json.dumps(reply.answer)
    (dm,) = slack.inbox(jonas)  # posted by the work process, before the emulator's next request
    button = next(e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"])
    slack.click(jonas, channel=dm["channel"], ts=dm["ts"], action_id=button["action_id"])
    assert any(word in json.dumps(slack.inbox(jonas)[-1]) for word in ("Right:", "Not quite"))
    assert worker.completed == 2, "the command's work and the answer's work both ran in the worker"
    assert drumbeat._background.wait_idle(0)  # nothing ran here
    with drumbeat.services.unit_of_work() as session:
        assert session.execute(select(QuizAsk.answered_at)).scalar_one() is not None


def test_manager_summary_is_answered_through_response_url_by_the_worker(running: tuple[SlackEmulator, Drumbeat]) -> None:
    slack, drumbeat = running
    reply = slack.slash_command(demo_person("marco").slack_id, text="summary")
    assert reply.status == 200
    assert any("Message" in json.dumps(post["body"]) for post in slack.response_url_posts)
    assert worker_of(drumbeat).completed == 1


def test_a_worker_that_dies_hands_the_work_back_to_the_answering_process(running: tuple[SlackEmulator, Drumbeat]) -> None:
    slack, drumbeat = running
    worker = worker_of(drumbeat)
    worker._process.kill()
    deadline = time.monotonic() + 10
    while worker.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not worker.alive
    reply = slack.slash_command(demo_person("marco").slack_id, text="summary")
    assert reply.status == 200
    assert any("Message" in json.dumps(post["body"]) for post in slack.response_url_posts)


def test_a_closure_must_be_remembered_to_run_in_the_worker() -> None:
    def forgotten() -> None: ...

    with pytest.raises(LookupError, match="remember"):
        resolve(f"{forgotten.__module__}:{forgotten.__qualname__}")

    def kept() -> None: ...

    remember(kept)
    assert resolve(f"{kept.__module__}:{kept.__qualname__}") is kept
    assert resolve("bot.slack.listeners.actions:acknowledge_delivery").__name__ == "acknowledge_delivery"


def test_a_socket_mode_command_is_worked_in_the_work_process(running: tuple[SlackEmulator, Drumbeat]) -> None:
    """Socket Mode hands Bolt a parsed body, not a signed text: the worker gets that body as it is."""
    slack, drumbeat = running
    handler = CheckedSocketModeHandler(drumbeat.platform("slack").app, app_token="xapp-1-test")
    answered: list[str] = []

    class Connection:  # what the handler answers on: the socket client's send
        logger = logging.getLogger("test")

        def send_socket_mode_response(self, response: Any) -> None:
            answered.append(response.envelope_id)

    marco = demo_person("marco").slack_id
    response_url = slack.issue_response_url(marco)
    try:
        handler.handle(Connection(), SocketModeRequest(  # type: ignore[arg-type]
            type="slash_commands", envelope_id="summary", payload={
                "command": "/drumbeat", "text": "summary", "user_id": marco, "user_name": "marco",
                "channel_id": slack.dm_channel(marco), "team_id": "T1", "response_url": response_url,
                "trigger_id": "1.2.socket"}))
    finally:
        handler.client.close()
    assert answered == ["summary"]
    assert drumbeat.wait_for_background(timeout=30)
    assert any("Message" in json.dumps(post["body"]) for post in slack.response_url_posts)
    assert worker_of(drumbeat).completed == 1


def start_when_allowed(settings: Any, inbox: Any, outbox: Any) -> None:
    """The worker's main, held until the test creates the file named by HOLD_FILE (a worker slow to import)."""
    import os

    from bot.slack.work_process import serve_work

    while not Path(os.environ["DRUMBEAT_TEST_HOLD_FILE"]).exists():
        time.sleep(0.02)
    serve_work(settings, inbox, outbox)


def test_drumbeat_answers_before_its_work_process_is_ready_and_does_that_work_itself(
    running: tuple[SlackEmulator, Drumbeat], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`drumbeat run` does not wait for the worker to import and build the app (as long as its own start): it
    answers at once, and until the worker is ready the work after each answer runs in the answering process."""
    slack, drumbeat = running
    platform = drumbeat.platform("slack")
    platform.work_process.close()
    hold = tmp_path / "let-the-worker-start"
    monkeypatch.setenv("DRUMBEAT_TEST_HOLD_FILE", str(hold))
    platform.work_process = WorkProcess(drumbeat.settings, database_url=getattr(drumbeat.engine, "url_for_processes", None),
                                        target=start_when_allowed)
    assert not platform.work_process.wait_ready(timeout=0.5), "the worker is held: it cannot be ready"
    reply = slack.slash_command(demo_person("marco").slack_id, text="summary")
    assert reply.status == 200
    assert any("Message" in json.dumps(post["body"]) for post in slack.response_url_posts)  # done here
    assert platform.work_process.completed == 0
    hold.touch()
    assert platform.work_process.wait_ready(timeout=90)
    slack.slash_command(demo_person("marco").slack_id, text="summary")
    assert platform.work_process.completed == 1, "once ready, the work goes to the worker"
