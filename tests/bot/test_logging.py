"""What an operator's log holds: JSON lines on request, no per-run chatter from APScheduler, no Bolt warning on
every start, and never a token or a Slack request body, in either format."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import Drumbeat
from bot.emulators.slack import SlackEmulator
from bot.logs import CHATTY_AT_INFO, quiet_library_loggers, root_handler
from bot.settings import SettingsError, settings_from_mapping
from bot.slack.logs import keep_bodies_out_of_logs
from schedules.scheduler import FixedJob, build_scheduler


@pytest.fixture
def library_levels() -> Iterator[None]:
    """Put the libraries' logger levels back as they were (they are process-wide)."""
    before = {name: logging.getLogger(name).level for name in CHATTY_AT_INFO}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def lines_through(handler: logging.StreamHandler, logger_name: str, emit: Callable[[logging.Logger], None]) -> list[str]:
    stream = io.StringIO()
    handler.setStream(stream)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue().splitlines()


def test_log_format_json_writes_one_object_per_line_with_time_level_logger_message() -> None:
    def emit(logger: logging.Logger) -> None:
        logger.warning("outbox: %s sent", 3)
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("a job failed\nwith a second line")

    lines = lines_through(root_handler("json"), "test.json.lines", emit)
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "WARNING" and first["logger"] == "test.json.lines" and first["message"] == "outbox: 3 sent"
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert second["message"] == "a job failed\nwith a second line"
    assert "ValueError: boom" in second["exception"]


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_no_format_ever_shows_a_token_or_a_slack_request_body(log_format: str) -> None:
    keep_bodies_out_of_logs()
    token = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"

    def emit(logger: logging.Logger) -> None:
        logger.setLevel(logging.DEBUG)
        try:
            logger.debug("Sending a request - url: https://slack.com/api/chat.postMessage, query_params: {}, "
                         "json_body: {'channel': 'U0REPEA01', 'text': 'my anonymous words'}, headers: "
                         f"{{'Authorization': '(redacted)'}} token={token}")
            logging.getLogger("test.token").warning("refused %s and xapp-1-A0123-456789-abcdef", token)
        finally:
            logger.setLevel(logging.NOTSET)

    handler = root_handler(log_format)
    stream = io.StringIO()
    handler.setStream(stream)
    for name in ("slack_sdk.web.base_client", "test.token"):
        logging.getLogger(name).addHandler(handler)
    try:
        emit(logging.getLogger("slack_sdk.web.base_client"))
    finally:
        for name in ("slack_sdk.web.base_client", "test.token"):
            logging.getLogger(name).removeHandler(handler)
    text = stream.getvalue()
    assert len(text.splitlines()) == 2
    assert "AbCdEf" not in text and "abcdef" not in text and "my anonymous words" not in text
    assert "xoxb-(hidden)" in text and "xapp-(hidden)" in text
    assert "chat.postMessage (body not logged)" in text


def test_log_format_is_text_or_json() -> None:
    assert settings_from_mapping({}).log_format == "text"
    assert settings_from_mapping({"LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(SettingsError, match="LOG_FORMAT must be text or json, got 'xml'"):
        settings_from_mapping({"LOG_FORMAT": "xml"})


def test_at_info_apscheduler_says_nothing_per_run_but_a_failing_job_is_still_logged(
        library_levels: None, caplog: pytest.LogCaptureFixture) -> None:
    quiet_library_loggers("INFO")
    ran = threading.Event()
    runs: list[int] = []

    def works() -> None:
        runs.append(1)
        if len(runs) >= 3:
            ran.set()

    def fails() -> None:
        raise RuntimeError("a bug in a job")

    with caplog.at_level(logging.INFO):
        scheduler = build_scheduler([FixedJob("works", works, 0.05, at_start=True),
                                     FixedJob("fails", fails, 60, at_start=True)])
        scheduler.start()
        try:
            assert ran.wait(10)
        finally:
            scheduler.shutdown(wait=True)
    chatter = [record for record in caplog.records
               if record.name.startswith("apscheduler") and record.levelno < logging.WARNING]
    assert chatter == []  # no "Running job" / "executed successfully", no "Added job" (its warnings may show)
    failures = [record for record in caplog.records if "scheduled job fails failed" in record.getMessage()]
    assert len(failures) == 1 and failures[0].levelno == logging.ERROR and failures[0].exc_info


def test_at_debug_apscheduler_narrates_again(library_levels: None) -> None:
    quiet_library_loggers("DEBUG")
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
    quiet_library_loggers("INFO")
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.WARNING)


def test_starting_with_slack_bot_token_in_the_environment_logs_no_token_unused_warning(
        engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    with SlackEmulator("a-signing-secret") as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)  # Bolt reads it by itself, whatever it is given
        settings = settings_from_mapping({"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": "a-signing-secret",
                                          "SLACK_API_URL": slack.api_url, "DATABASE_URL": database_url,
                                          "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key")})
        with caplog.at_level(logging.INFO):
            drumbeat = Drumbeat(settings, engine=engine)
        drumbeat.close()
        assert slack.calls_named("auth.test")  # the app was built, and checked its token
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert warnings == []
