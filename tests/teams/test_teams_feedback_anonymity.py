"""Anonymity in Teams end to end against insiders, as tests/slack/test_feedback_anonymity.py does for Slack: the
Teams app's secrets plus the database name no anonymous author, and the logs at DEBUG, with every library's logger
on, join no author to what they wrote, nor a reply to the item or the author it reached. The emulator's own lines
are Microsoft's side and are left out (bot.emulators)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.roles import identify
from storage.address import Address
from storage.models import Feedback
from tests import anonymity
from tests.anonymity import assert_no_guess_names_an_author, derived_keys

from .conftest import JO, RIA, World  # noqa: TID252
from .test_teams_feedback_lists import (  # noqa: F401, TID252
    ANA, BEN, MARCO, east, give, next_day, reply, teams_extra_settings, texts, typed,
)

LOGGERS = {"": logging.DEBUG, "microsoft_teams": logging.DEBUG, "bot": logging.DEBUG, "waitress": logging.DEBUG,
           "httpx": logging.DEBUG, "httpcore": logging.DEBUG, "urllib3": logging.DEBUG,
           "sqlalchemy.engine": logging.INFO}
EMULATOR = "bot.emulators"


def records_while(caplog: pytest.LogCaptureFixture, action: Callable[[], Any]) -> list[str]:
    return anonymity.records_while(caplog, LOGGERS, action, leave_out=EMULATOR)


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
    guesses = derived_keys([east.emu.app_password, east.emu.app_id])  # the app registration's credentials
    assert_no_guess_names_an_author(east.drumbeat.engine, key, guesses, tags=3, links=3, pending=1)


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
