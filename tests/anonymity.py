"""What the anonymity tests of every platform check the same way (tests/slack/, tests/teams/
test_*feedback_anonymity.py): whether anything in the database, or any key an admin could derive from the
platform's secrets, names an anonymous author; and what was logged, at DEBUG, while something happened."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine

from bot.core.feedback_key import FeedbackKey
from bot.core.sealing import SealError, open_pending, open_seal, respondent_tag
from storage.db import session_scope
from storage.models import Feedback, FeedbackPending, FeedbackRespondent, Person


def every_value(engine: Engine) -> Iterator[object]:
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                yield from row


def derived_keys(secrets: list[str]) -> list[bytes]:
    """Every key an admin holding a platform's secrets might try (Drumbeat's old default among them)."""
    return [derived for secret in secrets for derived in (
        hashlib.sha256(b"drumbeat-feedback-v1:" + secret.encode()).digest(), hashlib.sha256(secret.encode()).digest(),
        secret.encode()[:32].ljust(32, b"\0"))]


def assert_no_guess_names_an_author(engine: Engine, key: FeedbackKey, guesses: list[bytes], *, tags: int, links: int,
                                    pending: int) -> None:
    """The key is nowhere in the database; no guessed key recomputes a respondent tag or opens a reply link or a
    pending item (how many of each the database holds is checked first, so the test tests something)."""
    stored = [value for value in every_value(engine) if value is not None]
    assert not any(key.secret in value if isinstance(value, bytes) else key.secret.hex() in str(value)
                   for value in stored)
    with session_scope(engine) as session:
        people = list(session.execute(select(Person)).scalars())
        found_tags = set(session.execute(select(FeedbackRespondent.tag)).scalars())
        found_links = [row.reply_link for row in session.execute(select(Feedback)).scalars()]
        found_pending = list(session.execute(select(FeedbackPending.sealed)).scalars())
        assert (len(found_tags), len(found_links), len(found_pending)) == (tags, links, pending)
        for guess in guesses:
            recomputed = {respondent_tag(guess, person.id or 0, person.team_id or 0, "2026-11") for person in people}
            assert not recomputed & found_tags
            for link in found_links:
                with pytest.raises(SealError):
                    open_seal(guess, link or b"")
            for sealed in found_pending:
                with pytest.raises(SealError):
                    open_pending(guess, sealed)


def records_while(caplog: pytest.LogCaptureFixture, loggers: Mapping[str, int], action: Callable[[], Any], *,
                  leave_out: str | None = None) -> list[str]:
    """Every line logged while `action` runs with `loggers` at their levels (each put back after); `leave_out`
    names loggers that are not Drumbeat's side (an emulator playing the platform)."""
    caplog.clear()
    levels = {name: logging.getLogger(name).level for name in loggers}
    for name, level in loggers.items():
        logging.getLogger(name).setLevel(level)
    try:
        with caplog.at_level(logging.DEBUG):
            action()
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    return [f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
            if not (leave_out and record.name.startswith(leave_out))]
