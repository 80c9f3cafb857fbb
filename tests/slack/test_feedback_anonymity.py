"""Anonymity end to end against insiders (issue 14, items 6 and 8): the Slack secrets plus the database, and
the logs at DEBUG with every library's logger on."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from bot.settings import configure_logging, settings_from_mapping
from bot.core.sealing import SealError, open_seal
from storage.models import Account, Feedback, Person
from tests import anonymity
from tests.anonymity import assert_no_guess_names_an_author, derived_keys

from .conftest import SIGNING_SECRET, Workspace  # noqa: TID252
from .test_feedback import EAST_REPS, anonymous, east, next_day, open_and_submit, reply_to  # noqa: F401, TID252

# Everything at DEBUG, and SQL statements too (their values are hidden: storage.db); SQL's result rows, which
# LOG_LEVEL=DEBUG never turns on (test below), are what an operator would have to ask for by hand.
LOGGERS = {"": logging.DEBUG, "slack_sdk": logging.DEBUG, "slack_bolt": logging.DEBUG, "bot": logging.DEBUG,
           "waitress": logging.DEBUG, "urllib3": logging.DEBUG, "sqlalchemy.engine": logging.INFO}


def guesses_from_the_slack_secrets(workspace: Workspace) -> list[bytes]:
    """Every key an admin holding the app's Slack credentials might try (the old default among them)."""
    return derived_keys([SIGNING_SECRET, workspace.slack.bot_token])


def test_the_database_and_the_slack_secrets_name_no_anonymous_author(east: Workspace) -> None:
    for slack_id in EAST_REPS[:5]:
        open_and_submit(east, slack_id, anonymous(f"Stop ({slack_id[-2:]})", replies_input=["yes"]))
    open_and_submit(east, EAST_REPS[5], anonymous("Still pending tomorrow", replies_input=["yes"]))
    next_day(east)
    open_and_submit(east, EAST_REPS[5], anonymous("Pending now", replies_input=["yes"]))
    key = east.drumbeat.services.feedback_key
    assert key is not None
    assert_no_guess_names_an_author(east.drumbeat.engine, key, guesses_from_the_slack_secrets(east), tags=6, links=6,
                                    pending=1)


def records_while(caplog: pytest.LogCaptureFixture, action: object) -> list[str]:
    return anonymity.records_while(caplog, LOGGERS, action)  # type: ignore[arg-type]


def test_no_log_line_at_debug_joins_an_author_to_what_they_wrote(east: Workspace,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """The submission's lines may say that someone submitted (the request is theirs), never what or which item;
    the release's lines say what, never who; and no line of either names the item the other's lines could."""
    author = EAST_REPS[0]
    east.slack.slash_command(author, text="feedback")
    view = [v for v in east.slack.open_views(author) if v["callback_id"] == "feedback_modal"][-1]
    words = "Stop the Friday pipeline report"
    submission = records_while(caplog, lambda: east.slack.submit_view(author, view["id"],
                                                                      anonymous(words, replies_input=["yes"])))
    assert any("slack_sdk" in line or "bolt" in line for line in submission)  # the debug logs were on
    assert any("INSERT INTO feedbackpending" in line for line in submission)  # SQL too
    release = records_while(caplog, lambda: next_day(east))
    with east.drumbeat.services.unit_of_work() as session:
        (item,) = session.execute(select(Feedback)).scalars()
        person = session.execute(select(Person).join(Account, Account.person_id == Person.id)
                                 .where(Account.user_id == author)).scalar_one()
    who = {author, "U0REPEA", person.name, *([person.email] if person.email else [])}
    what = {words, "Friday pipeline", str(item.id)}
    assert not [line for line in submission if any(mark in line for mark in what)]
    assert not [line for line in release if any(mark in line for mark in who)]
    assert "chat.postMessage" not in json.dumps(submission)  # the receipt is in the modal, not a DM to the author


def test_replying_to_an_anonymous_item_logs_neither_the_item_nor_its_author(east: Workspace,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    for slack_id in EAST_REPS[:5]:
        open_and_submit(east, slack_id, anonymous(f"Please reply {slack_id}", replies_input=["yes"]))
    next_day(east)
    with east.drumbeat.services.unit_of_work() as session:
        item = session.execute(select(Feedback).where(Feedback.stop == f"Please reply {EAST_REPS[2]}")).scalar_one()
    lines = records_while(caplog, lambda: reply_to(east, "marco", item.id or 0, "Thanks, fixed"))
    assert "Thanks, fixed" in json.dumps(east.slack.inbox(EAST_REPS[2])[-1])
    assert any("chat.postMessage" in line for line in lines)  # the DM to the author was logged: its URL ...
    # ... but neither the listing's nor the reply modal's item id, nor the author's id, nor any text
    assert not [line for line in lines if any(mark in line for mark in (
        str(item.id), EAST_REPS[2], "Please reply", "Thanks, fixed"))]


def test_log_level_debug_never_logs_sql_result_rows() -> None:
    engine_logger = logging.getLogger("sqlalchemy.engine")
    before = (logging.getLogger().level, engine_logger.level)
    try:
        configure_logging(settings_from_mapping({"LOG_LEVEL": "DEBUG"}))
        assert not engine_logger.isEnabledFor(logging.DEBUG) and not engine_logger.isEnabledFor(logging.INFO)
    finally:
        logging.getLogger().setLevel(before[0])
        engine_logger.setLevel(before[1])



def test_reply_links_sealed_with_the_old_signing_secret_key_are_resealed_at_start(east: Workspace) -> None:
    """Links from before the key file opened with a key anyone with the signing secret could derive; after a
    start, that key opens none of them, and the reply still reaches its author."""
    from bot.core.sealing import seal

    for slack_id in EAST_REPS[:5]:
        open_and_submit(east, slack_id, anonymous(f"Reply to {slack_id}", replies_input=["yes"]))
    next_day(east)
    old_key = guesses_from_the_slack_secrets(east)[0]  # the old default: sha256("drumbeat-feedback-v1:" + secret)
    with east.drumbeat.services.unit_of_work() as session:
        items = list(session.execute(select(Feedback)).scalars())
        people = {p.id: p for p in session.execute(select(Person)).scalars()}
        for item in items:
            person_id = int(open_seal(east.drumbeat.services.feedback_key.secret, item.reply_link).split(":")[1])
            item.reply_link = seal(old_key, f"person:{person_id}")  # as the old version stored it
        target = items[0]
        author = people[int(open_seal(old_key, target.reply_link).split(":")[1])]
    east.drumbeat.load_feedback_key()  # what every start does
    with east.drumbeat.services.unit_of_work() as session:
        for item in session.execute(select(Feedback)).scalars():
            with pytest.raises(SealError):
                open_seal(old_key, item.reply_link or b"")
    reply_to(east, "marco", target.id or 0, "Resealed and delivered")
    with east.drumbeat.services.unit_of_work() as session:
        user_id = session.execute(select(Account.user_id).where(Account.person_id == author.id)).scalar_one()
    assert "Resealed and delivered" in json.dumps(east.slack.inbox(user_id)[-1])
