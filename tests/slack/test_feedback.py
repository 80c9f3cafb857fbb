"""Stop / start / continue feedback end to end, and anonymity proven from the database side."""

from __future__ import annotations

import json
import os
from datetime import timedelta

from tests.people import slack_person
import pytest
from sqlalchemy import func, inspect, select, text

from bot.slack.people import slack_address as slack
from bot.core.sealing import SealError, open_seal
from tests.people import add_person
from storage.models import Delivery, Feedback, FeedbackRespondent, RequestReceipt, Team

from .conftest import Workspace  # noqa: TID252

EXTRA_EAST = [("U0REPEA04", "Mia Chen"), ("U0REPEA05", "Olu Ade"), ("U0REPEA06", "Ben Cohen")]
EAST_REPS = ["U0REPEA01", "U0REPEA02", "U0REPEA03", *[slack_id for slack_id, _ in EXTRA_EAST]]


@pytest.fixture
def east(workspace: Workspace) -> Workspace:
    """Team East with six reps, so the five-people threshold can be reached."""
    with workspace.drumbeat.services.unit_of_work() as session:
        team = session.execute(select(Team).where(Team.name == "East")).scalar_one()
        manager = slack_person(session, "U0MGREAST")
        for slack_id, name in EXTRA_EAST:
            session.add(add_person(session, slack_id, name=name, role="rep", team_id=team.id, manager_id=manager.id,
                               tz="Europe/Berlin"))
            workspace.slack.add_user(slack_id, name=name.split()[0].lower(), real_name=name, tz="Europe/Berlin")
    return workspace


def open_and_submit(workspace: Workspace, user_id: str, values: dict) -> object:
    workspace.slack.slash_command(user_id, text="feedback")
    view = [v for v in workspace.slack.open_views(user_id) if v["callback_id"] == "feedback_modal"][-1]
    return workspace.slack.submit_view(user_id, view["id"], values)


def anonymous(stop: str, **extra: object) -> dict:
    return {"stop_input": stop, **extra}


def named(stop: str, **extra: object) -> dict:
    return {"stop_input": stop, "anonymous_input": [], **extra}


def next_day(workspace: Workspace) -> int:
    """After the organisation's midnight: the day's feedback is released (what the release job does)."""
    workspace.clock.advance(timedelta(days=1))
    return workspace.drumbeat.release_feedback_now()


def rows(workspace: Workspace) -> list[Feedback]:
    with workspace.drumbeat.services.unit_of_work() as session:
        return list(session.execute(select(Feedback).order_by(Feedback.id)).scalars())


def table_counts(workspace: Workspace) -> dict[str, int]:
    engine = workspace.drumbeat.engine
    with engine.connect() as connection:
        return {name: connection.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
                for name in inspect(engine).get_table_names()}


def test_anonymous_feedback_leaves_nothing_that_leads_back_to_its_authors(east: Workspace) -> None:
    before = table_counts(east)
    for slack_id in EAST_REPS[:5]:
        response = open_and_submit(east, slack_id, anonymous(f"Stop the Friday report ({slack_id[-2:]})",
                                                             replies_input=["yes"]))
        assert response.status == 200 and not (isinstance(response.body, dict) and response.body.get("errors"))
    held = table_counts(east)
    assert {name for name in held if held[name] != before[name]} - {"requestreceipt"} == {"feedbackpending"}  # sealed
    assert next_day(east) == 5
    after = table_counts(east)
    # Released: the items and the count of different people, nothing else (no audit, no other trace). Request
    # signatures (the replay cache, bot/slack/guard.py) are recorded for every request, named or not: an HMAC over
    # a body that also carries Slack's random trigger and view ids, kept minutes; they name nobody.
    changed = {name for name in after if after[name] != before[name]} - {"requestreceipt"}
    assert changed == {"feedback", "feedbackrespondent"}
    with east.drumbeat.services.unit_of_work() as session:
        receipts = list(session.execute(select(RequestReceipt.key, RequestReceipt.outcome)).all())
    assert not [row for row in receipts if any(str(value) in str(row) for value in EAST_REPS[:5])]

    with east.drumbeat.services.unit_of_work() as session:
        people = [slack_person(session, user_id) for user_id in EAST_REPS[:5]]
    identifying = {str(p.id) for p in people} | set(EAST_REPS[:5]) | {p.name for p in people} | {
        p.email for p in people if p.email}
    for row in rows(east):
        assert row.author_id is None and row.submitted_at is None and row.submission_key is None
        values = row.model_dump()
        for column, value in values.items():
            if column in ("id", "team_id", "stop"):
                continue
            rendered = value.hex() if isinstance(value, bytes) else str(value)
            assert not any(marker in rendered.split(":") or marker == rendered for marker in identifying), column
        with pytest.raises(SealError):  # without the key the reply link cannot be opened ...
            open_seal(None, row.reply_link)
        with pytest.raises(SealError):  # ... nor with another key
            open_seal(os.urandom(32), row.reply_link)
    with east.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(FeedbackRespondent)).scalar_one() == 5


def test_receipt_says_plainly_who_will_see_what_in_the_modal_not_a_dm(east: Workspace) -> None:
    inbox_before = len(east.slack.inbox("U0REPEA01"))
    response = open_and_submit(east, "U0REPEA01", anonymous("Stop it"))
    assert response.body["response_action"] == "update"
    text_ = json.dumps(response.body["view"])
    assert "Sent anonymously" in text_ and "at least 5 different people" in text_ and "cannot be withdrawn" in text_
    assert "after midnight (UTC)" in text_
    assert len(east.slack.inbox("U0REPEA01")) == inbox_before  # no DM whose time would order the authors
    response = open_and_submit(east, "U0REPEA02", named("Stop it"))
    assert "your manager and leaders will see it's from you" in json.dumps(response.body["view"])


def test_manager_sees_anonymous_comments_only_from_five_people(east: Workspace) -> None:
    for slack_id in EAST_REPS[:4]:
        open_and_submit(east, slack_id, anonymous(f"Stop {slack_id}"))
    east.command("marco", "feedback list")
    assert "Counts are shown once 3" in json.dumps(east.slack.inbox("U0MGREAST")[-1])  # nothing released yet
    next_day(east)
    east.command("marco", "feedback list")
    listing = json.dumps(east.slack.inbox("U0MGREAST")[-1])
    assert "4 answers from at least 4 people" in listing  # counts show from three people
    assert "Anonymous comments stay hidden until 5" in listing and "Stop U0REPEA01" not in listing
    open_and_submit(east, EAST_REPS[4], anonymous("Stop the fifth"))
    next_day(east)
    east.command("marco", "feedback list East")
    listing = json.dumps(east.slack.inbox("U0MGREAST")[-1])
    assert "Stop the fifth" in listing and "_anonymous_" in listing


def test_named_feedback_names_its_author_and_is_escaped(east: Workspace) -> None:
    open_and_submit(east, "U0REPEA02", named("Ping <@U0LEADER1> and <!channel> \x07 now", start_input="x & y"))
    next_day(east)
    (row,) = rows(east)
    assert "\x07" not in row.stop and "<@U0LEADER1>" in row.stop  # stored as written, minus control characters
    east.command("marco", "feedback list")
    listing = json.dumps(east.slack.inbox("U0MGREAST")[-1])
    assert "*Jonas Weber*" in listing
    assert "&lt;@U0LEADER1&gt;" in listing and "&lt;!channel&gt;" in listing and "x &amp; y" in listing


@pytest.mark.parametrize(("values", "block", "says"), [
    ({}, "stop", "Write at least one of stop, start or continue"),
    ({"keep_input": "x" * 1001}, "keep", "1001 characters; the limit is 1000"),
])
def test_bad_feedback_is_refused_next_to_the_field(east: Workspace, values: dict, block: str, says: str) -> None:
    response = open_and_submit(east, "U0REPEA01", values)
    assert response.body["response_action"] == "errors"
    assert says in response.body["errors"][block]
    assert rows(east) == []


@pytest.mark.parametrize("anonymously", [True, False])
def test_the_same_view_submitted_twice_is_stored_once(east: Workspace, anonymously: bool) -> None:
    from bot.core import feedback
    from bot.core.roles import identify

    services = east.drumbeat.services
    for _ in range(2):
        with services.unit_of_work() as session:
            receipt, new = feedback.submit(session, author=identify(session, slack("U0REPEA01")),
                                           draft=feedback.FeedbackDraft(stop="Once", anonymous=anonymously),
                                           submission_id="V0SAME", key=services.feedback_key,
                                           thresholds=services.feedback_thresholds, now=east.clock())
    assert not new and "not stored twice" in receipt
    next_day(east)
    assert len(rows(east)) == 1


def reply_to(workspace: Workspace, manager: str, feedback_id: int, message: str) -> object:
    workspace.command(manager, "feedback list")
    dm = workspace.slack.inbox({"marco": "U0MGREAST"}[manager])[-1]
    workspace.slack.click("U0MGREAST", channel=dm["channel"], ts=dm["ts"], action_id="feedback_reply",
                          value=str(feedback_id))
    view = [v for v in workspace.slack.open_views("U0MGREAST") if v["callback_id"] == "feedback_reply_modal"][-1]
    return workspace.slack.submit_view("U0MGREAST", view["id"], {"text_input": message})


def test_replies_reach_named_and_opted_in_anonymous_authors_only(east: Workspace) -> None:
    for slack_id in EAST_REPS[:4]:
        open_and_submit(east, slack_id, anonymous(f"Stop {slack_id}"))
    open_and_submit(east, EAST_REPS[4], anonymous("Please reply", replies_input=["yes"]))
    open_and_submit(east, "U0REPEA06", named("Named one"))
    next_day(east)
    by_text = {row.stop: row.id for row in rows(east)}

    reply_to(east, "marco", by_text["Please reply"], "Thanks, we will fix it")
    assert "Thanks, we will fix it" in json.dumps(east.slack.inbox(EAST_REPS[4])[-1])
    reply_to(east, "marco", by_text["Named one"], "Noted, Ben")
    assert "Noted, Ben" in json.dumps(east.slack.inbox("U0REPEA06")[-1])
    refused = reply_to(east, "marco", by_text["Stop U0REPEA01"], "Hello?")
    assert "did not allow replies" in refused.body["errors"]["text"]


def test_rep_sees_and_withdraws_named_feedback(east: Workspace) -> None:
    open_and_submit(east, "U0REPEA02", named("Withdraw me"))
    east.command("jonas", "feedback mine")
    dm = east.inbox("jonas")[-1]
    assert "Withdraw me" in json.dumps(dm)
    east.slack.click("U0REPEA02", channel=dm["channel"], ts=dm["ts"], action_id="feedback_withdraw")
    (row,) = rows(east)
    assert row.withdrawn and row.stop == ""
    assert "Withdrawn" in json.dumps(east.inbox("jonas")[-1])


def test_feedback_request_reaches_the_team_and_its_button_opens_the_modal_with_the_question(east: Workspace) -> None:
    reply = east.command("marco", "feedback request East | What should I stop, start and continue to help you hit plan?")
    assert "Sent *Your feedback, please* to 6 people" in json.dumps(reply.answer)
    east.drumbeat.tick()
    dm = east.inbox("aiko")[-1]
    assert "What should I stop, start and continue" in json.dumps(dm)
    east.slack.click("U0REPEA01", channel=dm["channel"], ts=dm["ts"], action_id="feedback_open")
    view = [v for v in east.slack.open_views("U0REPEA01") if v["callback_id"] == "feedback_modal"][-1]
    assert "help you hit plan" in json.dumps(view["blocks"])


def test_home_tab_button_opens_the_feedback_modal(east: Workspace) -> None:
    east.slack.open_home("U0REPEA03")
    home = east.slack.home_view("U0REPEA03")
    east.slack.click_in_view("U0REPEA03", view_id=home["id"], action_id="feedback_open")
    assert [v for v in east.slack.open_views("U0REPEA03") if v["callback_id"] == "feedback_modal"]


def test_you_said_we_did_note_is_delivered_like_a_broadcast(east: Workspace) -> None:
    east.command("marco", "feedback yousaid East | You said the Friday report wastes time: it is gone from next week.")
    east.drumbeat.tick()
    assert "it is gone from next week" in json.dumps(east.inbox("jonas")[-1])
    with east.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(func.count()).select_from(Delivery)).scalar_one() == 6


def test_rep_cannot_read_team_feedback_and_manager_not_another_team(east: Workspace) -> None:
    assert "only managers, leaders and admins" in json.dumps(east.command("aiko", "feedback list").answer)
    assert "not one of your teams" in json.dumps(east.command("marco", "feedback list West").answer)
