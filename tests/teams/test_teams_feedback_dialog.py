"""Stop / start / continue feedback in a Teams dialog, end to end through the emulator with signed activities:
typed `feedback` answers with a card whose button opens the dialog; a submission is answered with the receipt
in the dialog and stored once, anonymous items with nothing joining them to their author; bad input comes back
as the same dialog with the problem under its field; a forged or expired token is refused 401 and stores
nothing. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import Feedback, FeedbackPending

from .conftest import RIA, World, card_texts  # noqa: TID252
from .test_teams_slice import installed  # noqa: TID252


def open_from_typed_feedback(world: World, user_id: str) -> dict[str, Any]:
    assert world.emu.send_message(user_id, "feedback").status == 200
    world.emu.wait_for(lambda: world.emu.inbox(user_id))
    message = world.emu.inbox(user_id)[-1]
    opened = world.emu.submit(user_id, message["id"], title="Share feedback")
    assert opened.status == 200 and opened.card_problems == []
    dialog = world.emu.dialog(user_id)
    assert dialog is not None and dialog.title == "Stop, start, continue"
    return dialog.card


def rows(world: World, model: type) -> list[Any]:
    with world.drumbeat.services.unit_of_work() as session:
        found = list(session.execute(select(model)).scalars())
        for row in found:
            session.expunge(row)
        return found


def pending(world: World) -> list[FeedbackPending]:
    return rows(world, FeedbackPending)


def count(world: World, model: type) -> int:
    with world.drumbeat.services.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_typed_feedback_opens_the_dialog_and_an_anonymous_item_is_stored_once_without_its_author(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    installed(world, RIA)
    caplog.set_level(logging.DEBUG)
    open_from_typed_feedback(world, RIA)

    sent = world.emu.submit_dialog(RIA, {"stop": "Friday status calls", "start": "", "keep": "demo days",
                                         "about": "team", "anonymous": "true", "replies": "false"},
                                   title="Send feedback")

    assert sent.status == 200 and sent.in_time and sent.card_problems == []
    receipt = "\n".join(card_texts(world.emu.dialog(RIA).card))
    assert "Sent anonymously: it is stored without your name or exact time." in receipt
    assert world.drumbeat.wait_for_background()
    (row,) = pending(world)
    stored = json.dumps({column: str(getattr(row, column)) for column in type(row).model_fields})
    for trace in (RIA, RIA.lower(), "Ria", sent.activity["id"], sent.activity["conversation"]["id"]):
        assert trace not in stored  # the sealed row names neither the account, the person, nor the activity
    assert count(world, Feedback) == 0
    assert len(world.emu.inbox(RIA)) == 1  # no chat message is timed by the submission
    assert "Received activity: (not logged)" in caplog.text  # the SDK's debug line, without the activity
    assert "Friday status calls" not in caplog.text and RIA not in caplog.text

    again = world.emu.deliver(sent.activity)  # Teams (or the person) sends the same submission again

    assert again.status == 200
    assert "I already have this feedback" in "\n".join(card_texts(again.body["task"]["value"]["card"]["content"]))
    assert world.drumbeat.wait_for_background()
    assert len(pending(world)) == 1


def test_named_feedback_from_the_broadcast_card_is_stored_with_its_author(world: World) -> None:
    installed(world, RIA)
    world.broadcast_to(RIA)
    world.drumbeat.dispatch_now()
    (message,) = world.emu.inbox(RIA)

    assert world.emu.submit(RIA, message["id"], title="Stop / start / continue feedback").status == 200
    sent = world.emu.submit_dialog(RIA, {"start": "pairing on renewals", "about": "strategy", "anonymous": "false"},
                                   title="Send feedback")

    assert sent.status == 200
    assert "Sent with your name" in "\n".join(card_texts(world.emu.dialog(RIA).card))
    assert world.drumbeat.wait_for_background()
    with world.drumbeat.services.unit_of_work() as session:
        (item,) = session.execute(select(Feedback)).scalars()
        assert (item.start, item.anonymous, item.author_id is not None) == ("pairing on renewals", False, True)


def test_bad_input_comes_back_as_the_same_dialog_with_the_problem_under_its_field(world: World) -> None:
    installed(world, RIA)
    form = open_from_typed_feedback(world, RIA)
    name = form["actions"][0]["data"]["form"]

    empty = world.emu.submit_dialog(RIA, {"stop": "  ", "about": "strategy", "anonymous": "true"}, title="Send feedback")

    card = world.emu.dialog(RIA).card
    assert empty.status == 200 and empty.card_problems == []
    assert "⚠️ Write at least one of stop, start or continue." in card_texts(card)
    assert card["actions"][0]["data"]["form"] == name  # still the same form: a fixed resubmission is one item

    oversized = world.emu.submit_dialog(RIA, {"stop": "x" * 1204, "keep": "<at>Boss</at> **loud**",
                                              "about": "strategy", "anonymous": "true"}, title="Send feedback")

    card = world.emu.dialog(RIA).card
    assert oversized.status == 200 and oversized.card_problems == []
    assert "⚠️ 1204 characters; the limit is 1000." in card_texts(card)
    kept = next(element for element in card["body"] if element.get("id") == "keep")
    assert kept["value"] == "<at>Boss</at> **loud**"  # put back as typed (an input's value is not markdown)

    forged_about = world.emu.deliver(world.emu.activity_for(RIA, "invoke", name="task/submit", value={
        "data": {"action": "feedback_send", "form": name, "stop": "ok", "about": "payroll", "anonymous": "true"}}))
    assert "⚠️ Say what it is about" in "\n".join(card_texts(forged_about.body["task"]["value"]["card"]["content"]))
    assert world.drumbeat.wait_for_background()
    assert (count(world, FeedbackPending), count(world, Feedback)) == (0, 0)


def test_a_submission_with_a_forged_form_name_or_a_bad_token_stores_nothing(world: World) -> None:
    installed(world, RIA)
    submit = world.emu.activity_for(RIA, "invoke", name="task/submit", value={
        "data": {"action": "feedback_send", "form": "x", "stop": "s", "about": "strategy", "anonymous": "true"}})

    refused = world.emu.deliver(submit)

    assert refused.status == 200
    assert "did not come from Drumbeat" in "\n".join(card_texts(refused.body["task"]["value"]["card"]["content"]))
    submit["value"]["data"]["form"] = "A" * 22
    now = int(time.time())  # the bot checks a token's lifetime against its own wall clock
    expired = world.emu.inbound_token(exp=now - 3600, iat=now - 7200, nbf=now - 7200)
    assert world.emu.deliver(submit, token=expired).status == 401
    assert world.emu.deliver(submit, token="").status == 401
    assert world.drumbeat.wait_for_background()
    assert (count(world, FeedbackPending), count(world, Feedback)) == (0, 0)
