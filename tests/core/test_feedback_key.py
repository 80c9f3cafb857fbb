"""The anonymity key: made once, at random, in a 0600 file; shared by instances that start at the same moment."""

from __future__ import annotations

import logging
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import Drumbeat
from bot.core.feedback_key import FeedbackKey, FeedbackKeyError, load_or_create
from bot.settings import settings_from_mapping


def test_the_first_start_makes_a_random_key_only_its_owner_can_read(tmp_path: Path) -> None:
    path = tmp_path / "data" / "drumbeat-feedback.key"
    made = load_or_create(path)
    assert made.created and len(made.secret) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create(path)
    assert not again.created and again.secret == made.secret
    assert load_or_create(tmp_path / "elsewhere.key").secret != made.secret  # random, not derived from anything


def test_instances_starting_at_the_same_moment_share_one_key(tmp_path: Path) -> None:
    path, start, keys = tmp_path / "drumbeat-feedback.key", threading.Barrier(8), []

    def boot() -> None:
        start.wait()
        keys.append(load_or_create(path))

    threads = [threading.Thread(target=boot) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({key.secret for key in keys}) == 1
    assert sum(key.created for key in keys) == 1  # exactly one wrote it; the others read the winner's


def test_a_damaged_key_file_stops_the_start_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "drumbeat-feedback.key"
    path.write_text("not a key\n")
    with pytest.raises(FeedbackKeyError, match=str(path)):
        load_or_create(path)


def test_start_says_in_one_line_where_the_key_is_and_that_it_was_made(
        engine: Engine, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "keys" / "feedback.key"
    settings = settings_from_mapping({"DATABASE_URL": database_url, "DRUMBEAT_FEEDBACK_KEY_FILE": str(path),
                                      "SLACK_SIGNING_SECRET": "a-signing-secret-nobody-should-use"})
    for created in (True, False):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bot.app"):
            drumbeat = Drumbeat(settings, engine=engine, platforms=[])
        drumbeat.close()
        lines = [record.getMessage() for record in caplog.records if "Feedback key" in record.getMessage()]
        assert len(lines) == 1 and str(path) in lines[0]
        assert ("created now: back this file up" in lines[0]) is created
        assert drumbeat.services.feedback_key is not None
        assert drumbeat.services.feedback_key.secret == bytes.fromhex(path.read_text())


def test_the_key_from_the_environment_replaces_the_file(engine: Engine, database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "feedback.key"
    settings = settings_from_mapping({"DATABASE_URL": database_url, "DRUMBEAT_FEEDBACK_KEY_FILE": str(path),
                                      "DRUMBEAT_FEEDBACK_KEY": "0123456789abcdef0123456789abcdef"})
    drumbeat = Drumbeat(settings, engine=engine, platforms=[])
    drumbeat.close()
    assert not path.exists()
    key = drumbeat.services.feedback_key
    assert isinstance(key, FeedbackKey) and key.source == "DRUMBEAT_FEEDBACK_KEY"


def test_the_key_file_defaults_to_beside_the_sqlite_database(tmp_path: Path) -> None:
    settings = settings_from_mapping({"DATABASE_URL": f"sqlite:///{tmp_path}/drumbeat.db"})
    assert settings.feedback_key_file == tmp_path / "drumbeat-feedback.key"
    assert settings_from_mapping({"DATABASE_URL": "postgresql://db/x"}).feedback_key_file == Path("drumbeat-feedback.key")


def test_socket_mode_without_a_signing_secret_or_a_configured_key_makes_one_and_takes_anonymous_feedback(
        engine: Engine, database_url: str, tmp_path: Path) -> None:
    """Issue 16: anonymous feedback (the default) used to be refused at the first submission when Socket Mode had
    no signing secret to derive a key from; the key file made on the first start means nothing is missing."""
    import os
    from datetime import UTC, datetime

    from bot.core import feedback
    from storage.db import session_scope
    from storage.models import Role, Team
    from tests.people import add_person

    path = tmp_path / "feedback.key"
    settings = settings_from_mapping({"DATABASE_URL": database_url, "DRUMBEAT_FEEDBACK_KEY_FILE": str(path),
                                      "SLACK_BOT_TOKEN": "xoxb-socket", "SLACK_APP_TOKEN": "xapp-1-socket"})
    assert settings.slack.socket_mode and not settings.slack.signing_secret and not settings.feedback_key
    drumbeat = Drumbeat(settings, engine=engine, platforms=[])
    drumbeat.close()
    key = drumbeat.services.feedback_key
    assert key is not None and key.created and path.is_file()
    with session_scope(engine) as session:
        east = Team(name="East")
        session.add(east)
        session.flush()
        rep = add_person(session, "U0REP01", name="Rep", role=Role.REP, team_id=east.id, tz="UTC")
        _, stored = feedback.submit(session, author=rep, draft=feedback.FeedbackDraft(stop="Long calls"),
                                    submission_id=os.urandom(8).hex(), key=key,
                                    thresholds=feedback.Thresholds(people_for_comments=3, people_for_scores=3),
                                    now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert stored
