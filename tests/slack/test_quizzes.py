"""Pulse checks end to end: asked with a message, answered with one tap, updated in place, re-asked
after growing intervals with a different question, mastered after two right answers in a row."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from zoneinfo import ZoneInfo
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from storage.models import Delivery, ExpectationProgress, Question, QuizAsk

from .conftest import Workspace  # noqa: TID252

AIKO = "U0REPEA01"


@pytest.fixture
def workspace_rate_limits() -> bool:
    return False  # days of simulated time pass in real milliseconds


def question(workspace: Workspace, key: str) -> Question:
    with workspace.drumbeat.services.unit_of_work() as session:
        return session.execute(select(Question).where(Question.key == key)).scalar_one()


def broadcast_with_question(workspace: Workspace, question_key: str, mode: str | None = None) -> None:
    workspace.command("lena", "broadcast")
    view = workspace.slack.open_views("U0LEADER1")[-1]
    response = workspace.slack.submit_view("U0LEADER1", view["id"], {
        "message_pick": "win-on-strategy", "people_input": [AIKO], "question_input": question_key})
    assert response.status == 200 and not (isinstance(response.body, dict) and response.body.get("errors"))
    workspace.drumbeat.tick()


def latest_dm(workspace: Workspace) -> dict:
    return workspace.inbox("aiko")[-1]


def tap(workspace: Workspace, action_id: str) -> None:
    dm = latest_dm(workspace)
    assert workspace.slack.click(AIKO, channel=dm["channel"], ts=dm["ts"], action_id=action_id).status == 200


def asks(workspace: Workspace) -> list[QuizAsk]:
    with workspace.drumbeat.services.unit_of_work() as session:
        return list(session.execute(select(QuizAsk).order_by(QuizAsk.id)).scalars())


def test_question_with_a_message_is_answered_with_one_tap_and_updated_in_place(workspace: Workspace) -> None:
    q = question(workspace, "q-on-strategy-share")
    broadcast_with_question(workspace, q.key)
    (dm,) = workspace.inbox("aiko")
    text = json.dumps(dm["blocks"])
    assert "Pulse check" in text and "Got it" in text and f"quiz_answer_{q.correct}" in text

    tap(workspace, f"quiz_answer_{q.correct}")
    (updated,) = workspace.inbox("aiko")
    text = json.dumps(updated["blocks"])
    assert "Right:" in text and q.explanation[:40] in text and "What we expect" in text
    assert "quiz_answer_" not in text and "How sure were you" in text
    tap(workspace, "quiz_sure_5")
    assert "5/5 sure" in json.dumps(latest_dm(workspace)["blocks"])
    (ask,) = asks(workspace)
    assert (ask.correct, ask.confidence) == (True, 5)


def stale_click(workspace: Workspace, dm: dict, action_id: str, value: str) -> int:
    payload = {
        "type": "block_actions", "user": {"id": AIKO, "username": "aiko", "team_id": "T0DRUMBEAT"},
        "team": {"id": "T0DRUMBEAT"}, "api_app_id": "A0DRUMBEAT",
        "container": {"type": "message", "channel_id": dm["channel"], "message_ts": dm["ts"]},
        "channel": {"id": dm["channel"]}, "message": {"ts": dm["ts"], "blocks": dm["blocks"]},
        "trigger_id": "1.2.stale",  # Slack sends a trigger with every block action, stale copies too
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                     "action_ts": str(time.time())}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return workspace.slack.send_signed(body, "application/x-www-form-urlencoded").status


def test_second_click_and_old_buttons_change_nothing(workspace: Workspace) -> None:
    q = question(workspace, "q-on-strategy-share")
    broadcast_with_question(workspace, q.key)
    before = latest_dm(workspace)
    tap(workspace, f"quiz_answer_{q.correct}")
    (ask,) = asks(workspace)
    wrong = (q.correct + 1) % len(q.options)
    assert stale_click(workspace, before, f"quiz_answer_{wrong}", f"{ask.id}:{wrong}") == 200
    (again,) = asks(workspace)
    assert (again.choice, again.correct, again.answered_at) == (ask.choice, True, ask.answered_at)
    assert "already answered" in json.dumps(workspace.inbox("aiko"))


def test_withdrawn_question_gets_a_friendly_answer(workspace: Workspace) -> None:
    q = question(workspace, "q-on-strategy-share")
    broadcast_with_question(workspace, q.key)
    with workspace.drumbeat.services.unit_of_work() as session:
        session.get(Question, q.id).active = False
    tap(workspace, "quiz_answer_0")
    assert "withdrawn" in json.dumps(workspace.inbox("aiko"))
    assert asks(workspace)[0].answered_at is None


def test_missed_expectation_comes_back_with_another_question_until_mastered(workspace: Workspace) -> None:
    first = question(workspace, "q-on-strategy-share")
    broadcast_with_question(workspace, first.key)
    tap(workspace, f"quiz_answer_{(first.correct + 1) % len(first.options)}")  # wrong
    assert "Not quite" in json.dumps(latest_dm(workspace)["blocks"])

    def run_for(hours: int, *, every: int = 1) -> None:
        """The scheduler's jobs every `every` simulated hours: hourly where the test reads when an ask arrives;
        coarser where it checks that none comes (one that fell due would still be sent at the next run)."""
        for _ in range(hours // every):
            workspace.clock.advance(timedelta(hours=every))
            workspace.drumbeat.tick()

    run_for(20)
    assert len(asks(workspace)) == 1  # not yet: the first interval is one day
    run_for(8)
    second = asks(workspace)[-1]
    assert len(asks(workspace)) == 2 and second.question_id != first.id  # a different question, same expectation
    assert second.expectation_id == first.expectation_id
    q2 = question(workspace, "q-on-strategy-why")
    assert second.question_id == q2.id
    tap(workspace, f"quiz_answer_{q2.correct}")  # right: up a box, back in three days

    run_for(24 * 2, every=6)
    assert len(asks(workspace)) == 2
    run_for(24 * 4)  # due on Saturday: the weekend is quiet, so it arrives Monday morning in Tokyo
    third = asks(workspace)[-1]
    local = third.asked_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.strftime("%a"), local.hour) == ("Mon", 8)
    assert len(asks(workspace)) == 3
    q3 = question(workspace, "q-on-strategy-share" if third.question_id == first.id else "q-on-strategy-why")
    tap(workspace, f"quiz_answer_{q3.correct}")  # two right in a row at spaced intervals: mastered

    with workspace.drumbeat.services.unit_of_work() as session:
        progress = session.execute(select(ExpectationProgress)).scalar_one()
    assert progress.mastered_at is not None and progress.next_ask_at is None
    run_for(24 * 40, every=24)
    assert len(asks(workspace)) == 3


def test_right_first_time_in_missed_only_mode_is_not_repeated(workspace: Workspace) -> None:
    q = question(workspace, "q-on-strategy-share")
    broadcast_with_question(workspace, q.key)
    tap(workspace, f"quiz_answer_{q.correct}")
    for _ in range(10 * 8):  # ten days, the jobs every 3 hours: a re-ask that fell due would be sent at the next
        workspace.clock.advance(timedelta(hours=3))
        workspace.drumbeat.tick()
    assert len(asks(workspace)) == 1


def test_quiz_me_sends_a_question_to_practise_now(workspace: Workspace) -> None:
    reply = workspace.command("jonas", "quiz me")
    assert "waiting in our DM" in json.dumps(reply.answer)
    (dm,) = workspace.inbox("jonas")
    button = next(e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"])
    workspace.slack.click("U0REPEA02", channel=dm["channel"], ts=dm["ts"], action_id=button["action_id"])
    assert any(word in json.dumps(workspace.inbox("jonas")[-1]) for word in ("Right:", "Not quite"))
    with workspace.drumbeat.services.unit_of_work() as session:
        ask = session.execute(select(QuizAsk)).scalar_one()
        assert ask.delivery_id is None and ask.answered_at is not None
        assert session.execute(select(Delivery)).first() is None


def test_quiz_with_bad_words_gets_usage(workspace: Workspace) -> None:
    assert "quiz me" in json.dumps(workspace.command("jonas", "quiz everyone").answer)


def test_a_quiz_can_be_broadcast_on_its_own_and_repeat_all_asks_again(workspace: Workspace) -> None:
    q = question(workspace, "q-on-strategy-share")
    workspace.command("lena", "broadcast")
    view = workspace.slack.open_views("U0LEADER1")[-1]
    response = workspace.slack.submit_view("U0LEADER1", view["id"], {
        "people_input": [AIKO], "question_input": q.key, "question_mode_input": "all"})
    assert response.status == 200 and not (isinstance(response.body, dict) and response.body.get("errors"))
    workspace.drumbeat.tick()
    (dm,) = workspace.inbox("aiko")
    text = json.dumps(dm["blocks"])
    assert "Pulse check" in text and "Got it" not in text  # the question alone
    tap(workspace, f"quiz_answer_{q.correct}")
    for _ in range(24 * 2):  # right, but "everything until mastered": back after the first box's 3 days
        workspace.clock.advance(timedelta(hours=1))
        workspace.drumbeat.tick()
    assert len(asks(workspace)) == 1
    for _ in range(24 * 2):
        workspace.clock.advance(timedelta(hours=1))
        workspace.drumbeat.tick()
    assert len(asks(workspace)) == 2


def open_question_editor(workspace: Workspace) -> dict:
    workspace.command("lena", "quiz new")
    (view,) = [v for v in workspace.slack.open_views("U0LEADER1") if v["callback_id"] == "quiz_new_modal"]
    return view


GOOD_QUESTION = {
    "expectation_input": "qualify-against-icp", "prompt_input": "A deal fails two ICP criteria. What now?",
    "option_1_input": "Push harder", "option_2_input": "Review it with your manager first",
    "option_3_input": "Drop every such deal", "correct_input": "1",
    "explanation_input": "Two misses against the ICP make it off-strategy: an exception you review first.",
}


def test_leader_adds_a_question_in_slack_and_can_ask_it(workspace: Workspace) -> None:
    view = open_question_editor(workspace)
    response = workspace.slack.submit_view("U0LEADER1", view["id"], GOOD_QUESTION)
    assert response.status == 200 and not (isinstance(response.body, dict) and response.body.get("errors"))
    added = question(workspace, "q-a-deal-fails-two-icp-criteria-what-now")
    assert (added.options, added.correct) == (["Push harder", "Review it with your manager first", "Drop every such deal"], 1)
    assert "Added the question" in json.dumps(workspace.slack.inbox("U0LEADER1"))


@pytest.mark.parametrize(("change", "block", "says"), [
    ({"option_2_input": "push harder"}, "option_1", "say the same thing"),
    ({"correct_input": "4"}, "correct", "Option 5 is empty"),
    ({"explanation_input": ""}, "explanation", "Explain the right answer"),
    ({"prompt_input": "x" * 301}, "prompt", "301 characters"),
])
def test_bad_questions_are_refused_next_to_the_field(workspace: Workspace, change: dict, block: str, says: str) -> None:
    view = open_question_editor(workspace)
    response = workspace.slack.submit_view("U0LEADER1", view["id"], {**GOOD_QUESTION, **change})
    assert response.body["response_action"] == "errors"
    assert says in response.body["errors"][block]
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(Question).where(Question.key.like("q-a-deal%"))).first() is None


def test_rep_cannot_add_questions(workspace: Workspace) -> None:
    assert "only leaders and admins can add quiz questions" in json.dumps(workspace.command("jonas", "quiz new").answer)


def test_manager_summary_shows_understanding_and_what_is_least_understood(workspace: Workspace) -> None:
    q = question(workspace, "q-on-strategy-share")
    broadcast_with_question(workspace, q.key)
    tap(workspace, f"quiz_answer_{(q.correct + 1) % len(q.options)}")
    text = json.dumps(workspace.command("marco", "summary").answer)
    assert "0% of expectations answered right on each rep's latest pulse check (1 answers)" in text
    assert "least understood first*\\n\\u2022 `on-strategy-first`: 0% (0 of 1)" in text
