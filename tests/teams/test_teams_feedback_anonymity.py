"""Anonymity in Teams end to end against insiders, as tests/slack/test_feedback_anonymity.py does for Slack: the
Teams app's secrets plus the database name no anonymous author, and the logs at DEBUG, with every library's logger
on, join no author to what they wrote, nor a reply to the item or the author it reached. The emulator's own lines
are Microsoft's side and are left out (bot.emulators)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from bot.core.sealing import SealError, open_pending, open_seal, respondent_tag
from bot.core.roles import identify
from storage.address import Address
from storage.models import Feedback, FeedbackPending, FeedbackRespondent, Person

from .conftest import JO, RIA, World  # noqa: TID252
from .test_teams_feedback_lists import (  # noqa: F401, TID252
    ANA, BEN, MARCO, east, give, next_day, reply, teams_extra_settings, texts, typed,
)

LOGGERS = {"": logging.DEBUG, "microsoft_teams": logging.DEBUG, "bot": logging.DEBUG, "waitress": logging.DEBUG,
           "httpx": logging.DEBUG, "httpcore": logging.DEBUG, "urllib3": logging.DEBUG,
           "sqlalchemy.engine": logging.INFO}
EMULATOR = "bot.emulators"


def every_value(world: World) -> Iterator[object]:
    engine = world.drumbeat.engine
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                yield from row


def guesses_from_the_teams_secrets(world: World) -> list[bytes]:
    """Every key an admin holding the app registration's credentials might try."""
    secrets = [world.emu.app_password, world.emu.app_id]
    return [derived for secret in secrets for derived in (
        hashlib.sha256(b"drumbeat-feedback-v1:" + secret.encode()).digest(), hashlib.sha256(secret.encode()).digest(),
        secret.encode()[:32].ljust(32, b"\0"))]


def records_while(caplog: pytest.LogCaptureFixture, action: Callable[[], Any]) -> list[str]:
    caplog.clear()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name, level in LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    try:
        with caplog.at_level(logging.DEBUG):
            action()
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    return [f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
            if not record.name.startswith(EMULATOR)]


def traces_of(world: World, user_id: str) -> set[str]:
    """Everything that names a Teams person: their Entra id, name, email, chat and `29:` account id."""
    reference = world.emu.conversation_reference(user_id)
    with world.drumbeat.services.unit_of_work() as session:
        person = identify(session, Address("teams", user_id))
        return {user_id, person.name, person.email or user_id, reference["conversation_id"], reference["user_id"]}


def test_the_database_and_the_teams_secrets_name_no_anonymous_author(east: World) -> None:
    for user_id in (RIA, JO, ANA):
        give(east, user_id, stop=f"Stop ({user_id[:4]})", replies=True)
    next_day(east)
    give(east, BEN, stop="Pending now", replies=True)
    key = east.drumbeat.services.feedback_key
    assert key is not None
    stored = [value for value in every_value(east) if value is not None]
    assert not any(key.secret in value if isinstance(value, bytes) else key.secret.hex() in str(value)
                   for value in stored)  # the key is not in the database
    with east.drumbeat.services.unit_of_work() as session:
        people = list(session.execute(select(Person)).scalars())
        tags = set(session.execute(select(FeedbackRespondent.tag)).scalars())
        links = [row.reply_link for row in session.execute(select(Feedback)).scalars()]
        pending = list(session.execute(select(FeedbackPending.sealed)).scalars())
    assert len(tags) == 3 and len(links) == 3 and len(pending) == 1
    for guess in guesses_from_the_teams_secrets(east):
        recomputed = {respondent_tag(guess, person.id or 0, person.team_id or 0, "2026-11") for person in people}
        assert not recomputed & tags
        for link in links:
            with pytest.raises(SealError):
                open_seal(guess, link or b"")
        with pytest.raises(SealError):
            open_pending(guess, pending[0])


def test_no_log_line_at_debug_joins_an_author_to_what_they_wrote(east: World, caplog: pytest.LogCaptureFixture) -> None:
    """The submission's lines may say that someone submitted, never what or which item; the release's lines say
    what, never who; and no line of either names the item the other's lines could."""
    words = "Stop the Friday pipeline report"
    submission = records_while(caplog, lambda: give(east, RIA, stop=words, replies=True))
    assert any(line.startswith("microsoft_teams") for line in submission)  # the SDK's debug lines were on
    assert any("INSERT INTO feedbackpending" in line for line in submission)  # SQL too
    release = records_while(caplog, lambda: next_day(east))
    with east.drumbeat.services.unit_of_work() as session:
        (item,) = session.execute(select(Feedback)).scalars()
    what = {words, "Friday pipeline", str(item.id)}
    assert not [line for line in submission if any(mark in line for mark in what)]
    assert not [line for line in release if any(mark in line for mark in traces_of(east, RIA))]


def test_replying_to_an_anonymous_item_logs_neither_the_item_nor_its_author(east: World,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    for user_id in (RIA, JO, ANA):
        give(east, user_id, stop=f"Please reply {user_id[:4]}", replies=True)
    next_day(east)
    with east.drumbeat.services.unit_of_work() as session:
        item = session.execute(select(Feedback).where(Feedback.stop == f"Please reply {JO[:4]}")).scalar_one()

    def reply_from_the_list() -> None:
        message = typed(east, MARCO, "feedback list")
        reply(east, MARCO, message, item.id or 0, "Thanks, fixed")
        assert east.drumbeat.wait_for_background()

    lines = records_while(caplog, reply_from_the_list)

    assert "Thanks, fixed" in texts(east.card(JO))
    assert any("/activities" in line for line in lines)  # the sends were logged: their requests ...
    # ... but neither the list's nor the reply dialog's item id, nor the author's account or chat, nor any text
    marks = (str(item.id), "Please reply", "Thanks, fixed", *traces_of(east, JO))
    assert not [line for line in lines if any(mark in line for mark in marks)]
    assert "Thanks, fixed" not in json.dumps(lines)
