"""Feedback read, withdrawn, asked for and replied to in Teams, end to end through the emulator with signed
activities, on the same core as Slack (tests/slack/test_feedback.py): `feedback list` within the anonymity rules,
`feedback mine` with Withdraw in place, `feedback request` / `yousaid` delivered to the team, Reply to named and
opted-in anonymous authors only; refusals by role, tampered button data and bad input change nothing.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.core.org import import_org_csv
from bot.platforms import USER_ID_FORMATS
from storage.models import Delivery, Feedback, FeedbackReply

from .conftest import JO, LENA, RIA, World, card_texts  # noqa: TID252
from .test_teams_feedback_dialog import count, rows  # noqa: TID252
from .test_teams_slice import installed  # noqa: TID252

MARCO = "2c3d4e5f-6071-4c8d-8e9f-0a1b2c3d4e5f"
ANA = "3d4e5f60-7182-4d9e-9f0a-1b2c3d4e5f60"
BEN = "4e5f6071-8293-4eaf-8a1b-2c3d4e5f6071"
WIM = "5f607182-93a4-4fb0-9b2c-3d4e5f607182"
STRANGER = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"
EXTRA_CSV = f"""\
platform,platform_user_id,email,name,role,team,manager_platform_user_id
teams,{MARCO},marco@example.com,Marco Rossi,manager,East,{LENA}
teams,{ANA},ana@example.com,Ana Lima,rep,East,{MARCO}
teams,{BEN},ben@example.com,Ben Cohen,rep,East,{MARCO}
teams,{WIM},wim@example.com,Wim Vries,manager,West,{LENA}
"""
EAST_REPS = (RIA, JO, ANA, BEN)


@pytest.fixture
def teams_extra_settings() -> dict[str, str]:
    return {"DRUMBEAT_FEEDBACK_MIN_PEOPLE": "3"}  # the lowest the setting takes: East has four reps


@pytest.fixture
def east(world: World) -> World:
    """Team East: Marco its manager, four reps; Wim manages West. Everyone has the app."""
    with world.drumbeat.services.unit_of_work() as session:
        assert import_org_csv(session, EXTRA_CSV, formats=USER_ID_FORMATS).created == 4
    for user_id, name in ((MARCO, "Marco Rossi"), (ANA, "Ana Lima"), (BEN, "Ben Cohen"), (WIM, "Wim Vries")):
        world.emu.add_user(user_id, name=name, local_timezone="Europe/Berlin")
    installed(world, LENA, MARCO, WIM, *EAST_REPS)
    return world


def texts(card: dict[str, Any]) -> str:
    return "\n".join(card_texts(card))


def give(world: World, user_id: str, *, anonymous: bool = True, replies: bool = False, **words: str) -> None:
    """Typed `feedback`, its button, the dialog submitted; stored after the receipt."""
    assert world.emu.send_message(user_id, "feedback").status == 200
    world.emu.wait_for(lambda: world.emu.inbox(user_id) and "Share feedback" in json.dumps(world.emu.inbox(user_id)[-1]))
    assert world.emu.submit(user_id, world.emu.inbox(user_id)[-1]["id"], title="Share feedback").status == 200
    inputs = {"about": "strategy", "anonymous": str(anonymous).lower(), "replies": str(replies).lower(), **words}
    assert world.emu.submit_dialog(user_id, inputs, title="Send feedback").status == 200
    assert world.drumbeat.wait_for_background()


def next_day(world: World) -> int:
    world.clock.advance(timedelta(days=1))
    return world.drumbeat.release_feedback_now()


def typed(world: World, user_id: str, text: str) -> dict[str, Any]:
    """The (last) card answering what the person typed."""
    before = len(world.emu.inbox(user_id))
    assert world.emu.send_message(user_id, text).status == 200
    assert world.drumbeat.wait_for_background()
    world.emu.wait_for(lambda: len(world.emu.inbox(user_id)) > before)
    return world.emu.inbox(user_id)[-1]


def items(world: World) -> dict[str, Feedback]:
    return {row.stop or row.start or row.keep: row for row in rows(world, Feedback)}


@pytest.fixture
def answered(east: World) -> World:
    """Three anonymous items (one allowing replies) and a named one, released the next day."""
    give(east, RIA, stop="Stop the Friday report")
    give(east, JO, stop="Please reply to me", replies=True)
    give(east, ANA, keep="demo days")
    give(east, BEN, anonymous=False, start="**Pairing** on <at>renewals</at>")
    assert next_day(east) == 3
    return east


def reply(world: World, user_id: str, message: dict[str, Any], feedback_id: int, text: str) -> Any:
    opened = world.emu.submit(user_id, message["id"], action_id=f"reply_{feedback_id}")
    assert opened.status == 200 and opened.card_problems == []
    return world.emu.submit_dialog(user_id, {"text": text}, title="Send reply")


def test_feedback_list_shows_counts_named_and_anonymous_items_within_the_rules(answered: World) -> None:
    message = typed(answered, MARCO, "feedback list")

    card = message["attachments"][0]["content"]
    shown = texts(card)
    assert shown.startswith("Feedback · East · 2026-11")
    assert "**4 answers from at least 3 people**" in shown
    assert "**Ben Cohen** · about strategy" in shown
    assert "\\*\\*Pairing\\*\\* on ‹at›renewals‹/at›" in shown  # shown as typed: no bold, no mention
    assert "_anonymous_ · about strategy · 2026-11-24\n\n**Stop:** Stop the Friday report" in shown
    assert "Anonymous comments: dates only, no names." in shown
    replies = sorted(action["id"] for element in card["body"] if element["type"] == "ActionSet"
                     for action in element["actions"])
    ids = items(answered)
    assert replies == sorted([f"reply_{ids['Please reply to me'].id}", f"reply_{ids['**Pairing** on <at>renewals</at>'].id}"])


def test_anonymous_comments_stay_hidden_below_the_threshold(east: World) -> None:
    give(east, RIA, stop="Alone and anonymous")
    give(east, JO, stop="Second")
    next_day(east)

    shown = texts(typed(east, MARCO, "feedback list East")["attachments"][0]["content"])

    assert "Counts are shown once 3 different people" in shown
    assert "Anonymous comments stay hidden until 3" in shown and "Alone and anonymous" not in shown


def test_a_rep_cannot_read_team_feedback_nor_a_manager_another_team(answered: World) -> None:
    assert "only managers, leaders and admins" in texts(typed(answered, RIA, "feedback list")["attachments"][0]["content"])
    refused = texts(typed(answered, WIM, "feedback list East")["attachments"][0]["content"])
    assert "not one of your teams" in refused and "Friday report" not in refused
    assert "no team called 'Nowhere'" in texts(typed(answered, LENA, "feedback list Nowhere")["attachments"][0]["content"])
    assert "is not a month" in texts(typed(answered, LENA, "feedback list East 2026-13")["attachments"][0]["content"])


def test_replies_reach_named_and_opted_in_anonymous_authors_only(answered: World) -> None:
    ids = {words: row.id or 0 for words, row in items(answered).items()}
    message = typed(answered, MARCO, "feedback list")

    sent = reply(answered, MARCO, message, ids["Please reply to me"], "Thanks, we will fix it")

    assert sent.status == 200 and answered.emu.dialog(MARCO) is None  # closed
    assert answered.drumbeat.wait_for_background()
    assert "Marco Rossi replied to your feedback:\n\nThanks, we will fix it" in texts(answered.card(JO))
    assert "Your reply was delivered." in texts(answered.card(MARCO))
    reply(answered, MARCO, message, ids["**Pairing** on <at>renewals</at>"], "Noted, Ben")
    assert answered.drumbeat.wait_for_background()
    assert "Noted, Ben" in texts(answered.card(BEN))

    assert answered.emu.deliver(sent.activity).status == 200  # the same submission again: delivered once
    assert answered.drumbeat.wait_for_background()
    assert sum("Thanks, we will fix it" in json.dumps(m) for m in answered.emu.inbox(JO)) == 1
    assert count(answered, FeedbackReply) == 2

    forged = answered.emu.fetch_dialog(MARCO, {"dialog_id": "feedback_reply", "feedback": str(ids["Stop the Friday report"])})
    assert forged.status == 200  # an item whose author did not allow replies: the form opens, sending is refused
    refused = answered.emu.submit_dialog(MARCO, {"text": "Hello?"}, title="Send reply")
    assert "did not allow replies" in texts(refused.body["task"]["value"]["card"]["content"])
    assert answered.drumbeat.wait_for_background()
    assert count(answered, FeedbackReply) == 2


def test_reply_problems_come_back_in_the_dialog_and_forged_replies_are_refused(answered: World) -> None:
    ids = {words: row.id or 0 for words, row in items(answered).items()}
    message = typed(answered, MARCO, "feedback list")
    opened = answered.emu.submit(MARCO, message["id"], action_id=f"reply_{ids['Please reply to me']}")
    assert "without you learning who they are" in texts(answered.emu.dialog(MARCO).card) and opened.card_problems == []

    empty = answered.emu.submit_dialog(MARCO, {"text": "   "}, title="Send reply")
    assert empty.status == 200 and "⚠️ Write your reply." in texts(answered.emu.dialog(MARCO).card)
    answered.emu.submit_dialog(MARCO, {"text": "y" * 2001}, title="Send reply")
    assert "⚠️ 2001 characters; the limit is 2000." in texts(answered.emu.dialog(MARCO).card)

    for user_id, data in ((RIA, {"feedback": str(ids["Please reply to me"])}),  # a rep
                          (WIM, {"feedback": str(ids["Please reply to me"])}),  # another team's manager
                          (MARCO, {"feedback": "1; DROP TABLE feedback"}), (MARCO, {"feedback": "999999"})):
        answered.emu.fetch_dialog(user_id, {"dialog_id": "feedback_reply", **data})
        shown = texts(answered.emu.dialog(user_id).card)
        assert "only managers, leaders and admins" in shown or "not one of your teams" in shown \
            or "no longer there" in shown, (user_id, shown)
        submit = answered.emu.activity_for(user_id, "invoke", name="task/submit", value={"data": {
            "action": "feedback_reply_send", "form": "A" * 22, "text": "sneaky", **data}})
        refused = answered.emu.deliver(submit)
        assert refused.status == 200 and "Send reply" not in json.dumps(refused.body)  # a refusal, not the form
    assert answered.drumbeat.wait_for_background()
    assert count(answered, FeedbackReply) == 0
    assert not any("sneaky" in json.dumps(m) for m in answered.emu.inbox(JO))


def test_feedback_mine_lists_named_feedback_and_withdraw_replaces_the_card_in_place(east: World) -> None:
    give(east, BEN, anonymous=False, stop="Withdraw me")
    give(east, BEN, stop="anonymous, not listed")
    message = typed(east, BEN, "feedback mine")
    assert "Withdraw me" in texts(message["attachments"][0]["content"]) and "not listed" not in json.dumps(message)
    (mine,) = [row for row in items_now(east) if row.stop == "Withdraw me"]

    pressed = east.emu.execute(BEN, message["id"], action_id=f"withdraw_{mine.id}")

    assert pressed.status == 200 and pressed.card_problems == []
    card = east.emu.inbox(BEN)[[m["id"] for m in east.emu.inbox(BEN)].index(message["id"])]["attachments"][0]["content"]
    assert "✅ Withdrawn: it is no longer shown to anyone" in texts(card)
    assert "You have no named feedback to withdraw." in texts(card)
    (row,) = [row for row in items_now(east) if row.id == mine.id]
    assert row.withdrawn and row.stop == ""


def items_now(world: World) -> list[Feedback]:
    """Named feedback is stored at once (released with the day's batch): read it before the release."""
    return rows(world, Feedback)


def test_a_tampered_withdraw_is_refused_in_the_card_and_changes_nothing(east: World) -> None:
    give(east, BEN, anonymous=False, stop="Ben's own")
    give(east, ANA, anonymous=False, stop="Ana's, not Ben's")
    message = typed(east, BEN, "feedback mine")
    (anas,) = [row for row in items_now(east) if row.stop == "Ana's, not Ben's"]

    for claimed in (str(anas.id), "not-an-id", "9" * 30, None):
        press = east.emu.activity_for(BEN, "invoke", name="adaptiveCard/action", replyToId=message["id"], value={
            "action": {"type": "Action.Execute", "verb": "feedback_withdraw",
                       "data": {"action": "feedback_withdraw", "feedback": claimed}}})
        refused = east.emu.deliver(press)
        assert refused.status == 200 and refused.body["type"] == "application/vnd.microsoft.card.adaptive"
        shown = texts(refused.body["value"])
        assert "🚫 That is not feedback of yours that I can find." in shown and "Ben's own" in shown
    east.emu.add_user(STRANGER, name="Sam Stranger", local_timezone="Europe/Berlin")  # in the tenant, not in Drumbeat
    installed(east, STRANGER)
    press = east.emu.activity_for(STRANGER, "invoke", name="adaptiveCard/action", value={
        "action": {"type": "Action.Execute", "data": {"action": "feedback_withdraw", "feedback": str(anas.id)}}})
    assert "I don't know you yet" in texts(east.emu.deliver(press).body["value"])
    assert "I don't know you yet" in texts(typed(east, STRANGER, "feedback mine")["attachments"][0]["content"])
    assert east.emu.deliver(press, token="").status == 401
    assert all(not row.withdrawn for row in items_now(east))


def test_feedback_request_reaches_the_team_and_its_button_opens_the_dialog_with_the_question(east: World) -> None:
    told = typed(east, MARCO, "feedback request East | What should I stop, start and continue to help you hit plan?")
    assert "Sent **Your feedback, please** to 4 people in team East." in texts(told["attachments"][0]["content"])
    east.drumbeat.dispatch_now()
    card = east.card(ANA)
    assert "What should I stop, start and continue" in texts(card)

    opened = east.emu.submit(ANA, east.emu.inbox(ANA)[-1]["id"], title="Stop / start / continue feedback")

    assert opened.status == 200 and "help you hit plan" in texts(east.emu.dialog(ANA).card)


def test_you_said_we_did_is_delivered_like_a_broadcast_and_reps_cannot_post(east: World) -> None:
    typed(east, MARCO, "feedback yousaid East | You said the Friday report wastes time: it is gone from next week.")
    east.drumbeat.dispatch_now()
    assert "it is gone from next week" in texts(east.card(BEN))
    assert count(east, Delivery) == 4

    refused = texts(typed(east, RIA, "feedback request East | Tell me")["attachments"][0]["content"])
    assert "only managers, leaders and admins" in refused
    no_text = texts(typed(east, MARCO, "feedback request East")["attachments"][0]["content"])
    assert "Write the text after a" in no_text
    assert "not one of your teams" in texts(typed(east, WIM, "feedback yousaid East | x")["attachments"][0]["content"])
    assert count(east, Delivery) == 4
