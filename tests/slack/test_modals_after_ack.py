"""Every modal acknowledges first and writes after (issue 13): its field errors in the acknowledgement, nothing
written until the acknowledgement is given, the same view delivered twice written once, and a write refused
because the world changed after the acknowledgement told to the person in a DM."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.core import coaching, feedback, manage
from bot.slack.people import slack_address
from bot.core.roles import identify
from storage.models import Broadcast, CoachingNudge, Feedback, FeedbackPending, FeedbackReply, Message, Person, Question

from .conftest import Workspace  # noqa: TID252
from .held_work import work_held  # noqa: TID252
from .test_coaching import aiko_misses_twice, click, coaching_dms, nudges  # noqa: TID252
from .test_feedback import EAST_REPS, anonymous, east, named, next_day, rows  # noqa: F401, TID252
from .test_quizzes import GOOD_QUESTION, open_question_editor  # noqa: TID252
from .test_schedules_list import schedule_weekly, schedules_dm  # noqa: TID252

LENA, MARCO = "U0LEADER1", "U0MGREAST"


@pytest.fixture
def workspace_rate_limits() -> bool:
    return False  # the coaching set-up lives through a simulated day in real milliseconds


def acked_plainly(response: object) -> bool:
    """Acknowledged, with no field errors: the modal closes."""
    body = response.body  # type: ignore[attr-defined]
    return response.status == 200 and not (isinstance(body, dict) and body.get("response_action") == "errors")  # type: ignore[attr-defined]


def said(workspace: Workspace, user_id: str, words: str) -> int:
    """How many of the DMs to `user_id` say `words`."""
    return sum(words in json.dumps(message) for message in workspace.slack.inbox(user_id))


def count(workspace: Workspace, model: type, *where: object) -> int:
    with workspace.drumbeat.services.unit_of_work() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def set_person(workspace: Workspace, user_id: str, **changes: object) -> None:
    with workspace.drumbeat.services.unit_of_work() as session:
        person = session.get(Person, identify(session, slack_address(user_id)).id)
        for name, value in changes.items():
            setattr(person, name, value)


# --- quiz new --------------------------------------------------------------------------------------------

NEW_QUESTION = Question.key.like("q-a-deal%")


def test_a_new_question_is_acknowledged_before_it_is_written(workspace: Workspace) -> None:
    view = open_question_editor(workspace)
    with work_held(workspace):
        assert acked_plainly(workspace.slack.submit_view(LENA, view["id"], GOOD_QUESTION))
        assert count(workspace, Question, NEW_QUESTION) == 0 and said(workspace, LENA, "Added the question") == 0
    assert count(workspace, Question, NEW_QUESTION) == 1 and said(workspace, LENA, "Added the question") == 1


def test_the_same_question_view_delivered_twice_adds_one_question(workspace: Workspace) -> None:
    view = open_question_editor(workspace)
    with work_held(workspace):  # the second delivery arrives while the first is still to be written
        first = workspace.slack.submit_view(LENA, view["id"], GOOD_QUESTION)
        assert acked_plainly(workspace.slack.redeliver(first))
    assert acked_plainly(workspace.slack.redeliver(first))  # and once more, after it was written
    assert count(workspace, Question, NEW_QUESTION) == 1 and said(workspace, LENA, "Added the question") == 1


def test_a_question_refused_after_its_acknowledgement_is_told_in_a_dm(workspace: Workspace) -> None:
    view = open_question_editor(workspace)
    with work_held(workspace):
        assert acked_plainly(workspace.slack.submit_view(LENA, view["id"], GOOD_QUESTION))
        set_person(workspace, LENA, role="rep")  # demoted between the acknowledgement and the write
    assert count(workspace, Question, NEW_QUESTION) == 0
    assert said(workspace, LENA, "Your question was not saved") == 1 and said(workspace, LENA, "only leaders") == 1


# --- coached ---------------------------------------------------------------------------------------------

def open_coached(workspace: Workspace) -> tuple[dict, CoachingNudge]:
    aiko_misses_twice(workspace)
    (nudge,) = nudges(workspace)
    click(workspace, "marco", coaching_dms(workspace)[0], f"coaching_coached_{nudge.id}")
    (modal,) = [v for v in workspace.slack.open_views(MARCO) if v["callback_id"] == "coaching_modal"]
    return modal, nudge


def test_coached_shows_its_field_errors_in_the_acknowledgement(workspace: Workspace) -> None:
    modal, _ = open_coached(workspace)
    response = workspace.slack.submit_view(MARCO, modal["id"], {"note_input": "x" * 1001})
    assert response.body["response_action"] == "errors" and "1001 characters" in response.body["errors"]["note"]
    assert nudges(workspace)[0].status == "open"


def test_coached_is_acknowledged_before_it_is_written_and_written_once(workspace: Workspace) -> None:
    modal, _ = open_coached(workspace)
    with work_held(workspace):
        first = workspace.slack.submit_view(MARCO, modal["id"], {"cause_input": "tasks", "note_input": "Talked"})
        assert acked_plainly(first)
        assert nudges(workspace)[0].status == "open" and said(workspace, MARCO, "Noted: you coached") == 0
        assert acked_plainly(workspace.slack.redeliver(first))
    (coached,) = nudges(workspace)
    assert (coached.status, coached.cause, coached.note) == ("coached", "tasks", "Talked")
    assert said(workspace, MARCO, "Noted: you coached") == 1
    assert "Coached by Marco Rossi" in json.dumps(coaching_dms(workspace)[0]["blocks"])  # updated in place


def test_a_nudge_coached_by_someone_else_after_the_acknowledgement_is_told_in_a_dm(workspace: Workspace) -> None:
    modal, nudge = open_coached(workspace)
    with work_held(workspace):
        assert acked_plainly(workspace.slack.submit_view(MARCO, modal["id"], {"note_input": "Mine"}))
        with workspace.drumbeat.services.unit_of_work() as session:  # Lena, a leader, got there first
            coaching.mark_coached(session, nudge_id=nudge.id, caller=identify(session, slack_address(LENA)),
                                  cause=None, note="Hers", now=workspace.clock())
    (settled,) = nudges(workspace)
    assert settled.note == "Hers"
    assert said(workspace, MARCO, "already marked coached by Lena") == 1
    assert said(workspace, MARCO, "Noted: you coached") == 0


# --- schedule edit ---------------------------------------------------------------------------------------

def open_edit(workspace: Workspace) -> tuple[dict, int]:
    broadcast_id = schedule_weekly(workspace)
    workspace.command("lena", "schedules")
    dm = schedules_dm(workspace)
    workspace.slack.click(LENA, channel=dm["channel"], ts=dm["ts"], action_id="schedule_edit")
    (editor,) = [v for v in workspace.slack.open_views(LENA) if v["callback_id"] == "edit_message_modal"]
    return editor, broadcast_id


EDIT = {"title_input": "Where we win, sharpened", "body_input": "Hi {{ person.first_name }}, v2."}
VERSIONS = Message.key == "win-on-strategy"


def test_an_edit_is_acknowledged_before_it_is_written_and_written_once(workspace: Workspace) -> None:
    editor, _ = open_edit(workspace)
    with work_held(workspace):
        first = workspace.slack.submit_view(LENA, editor["id"], EDIT)
        assert acked_plainly(first)
        assert count(workspace, Message, VERSIONS) == 1 and said(workspace, LENA, "Saved v2") == 0
        assert acked_plainly(workspace.slack.redeliver(first))
    assert count(workspace, Message, VERSIONS) == 2 and said(workspace, LENA, "Saved v2") == 1


def test_an_edit_of_a_broadcast_cancelled_after_the_acknowledgement_is_told_in_a_dm(workspace: Workspace) -> None:
    editor, broadcast_id = open_edit(workspace)
    with work_held(workspace):
        assert acked_plainly(workspace.slack.submit_view(LENA, editor["id"], EDIT))
        with workspace.drumbeat.services.unit_of_work() as session:
            manage.cancel(session, caller=identify(session, slack_address(LENA)), broadcast_id=broadcast_id,
                          now=workspace.clock())
    assert count(workspace, Message, VERSIONS) == 1
    assert said(workspace, LENA, "Your edit was not saved") == 1 and said(workspace, LENA, "was cancelled") == 1


def test_an_edit_of_a_cancelled_broadcast_is_refused_in_the_modal(workspace: Workspace) -> None:
    editor, broadcast_id = open_edit(workspace)
    with workspace.drumbeat.services.unit_of_work() as session:
        manage.cancel(session, caller=identify(session, slack_address(LENA)), broadcast_id=broadcast_id,
                      now=workspace.clock())
    response = workspace.slack.submit_view(LENA, editor["id"], EDIT)
    assert response.body["response_action"] == "errors" and "was cancelled" in response.body["errors"]["title"]


# --- feedback reply --------------------------------------------------------------------------------------

def open_reply(workspace: Workspace, feedback_id: int) -> dict:
    workspace.command("marco", "feedback list")
    dm = workspace.slack.inbox(MARCO)[-1]
    workspace.slack.click(MARCO, channel=dm["channel"], ts=dm["ts"], action_id="feedback_reply",
                          value=str(feedback_id))
    return [v for v in workspace.slack.open_views(MARCO) if v["callback_id"] == "feedback_reply_modal"][-1]


def named_item(workspace: Workspace) -> int:
    workspace.slack.slash_command("U0REPEA02", text="feedback")
    view = [v for v in workspace.slack.open_views("U0REPEA02") if v["callback_id"] == "feedback_modal"][-1]
    workspace.slack.submit_view("U0REPEA02", view["id"], named("Stop the Friday report"))
    next_day(workspace)
    (item,) = rows(workspace)
    return item.id or 0


def test_a_reply_is_acknowledged_before_it_is_sent_and_sent_once(east: Workspace) -> None:
    view = open_reply(east, named_item(east))
    with work_held(east):
        first = east.slack.submit_view(MARCO, view["id"], {"text_input": "Gone from next week"})
        assert acked_plainly(first)
        assert count(east, FeedbackReply) == 0 and said(east, "U0REPEA02", "Gone from next week") == 0
        assert acked_plainly(east.slack.redeliver(first))
    assert count(east, FeedbackReply) == 1 and said(east, "U0REPEA02", "Gone from next week") == 1
    assert said(east, MARCO, "Your reply was delivered") == 1


def test_a_reply_to_feedback_withdrawn_after_the_acknowledgement_is_told_in_a_dm(east: Workspace) -> None:
    item_id = named_item(east)
    view = open_reply(east, item_id)
    with work_held(east):
        assert acked_plainly(east.slack.submit_view(MARCO, view["id"], {"text_input": "Too late"}))
        with east.drumbeat.services.unit_of_work() as session:
            feedback.withdraw(session, person=identify(session, slack_address("U0REPEA02")), feedback_id=item_id)
    assert count(east, FeedbackReply) == 0 and said(east, "U0REPEA02", "Too late") == 0
    assert said(east, MARCO, "Your reply was not saved") == 1 and said(east, MARCO, "no longer there") == 1


# --- feedback (the receipt stays in the modal) -----------------------------------------------------------

def feedback_form(workspace: Workspace, user_id: str) -> dict:
    workspace.slack.slash_command(user_id, text="feedback")
    return [v for v in workspace.slack.open_views(user_id) if v["callback_id"] == "feedback_modal"][-1]


@pytest.mark.parametrize("anonymously", [True, False])
def test_feedback_is_answered_with_its_receipt_in_the_modal_before_it_is_stored(east: Workspace,
                                                                                anonymously: bool) -> None:
    values = anonymous("Stop the Friday report") if anonymously else named("Stop the Friday report")
    stored = FeedbackPending if anonymously else Feedback
    inbox_before, form = len(east.slack.inbox(EAST_REPS[0])), feedback_form(east, EAST_REPS[0])
    with work_held(east):
        response = east.slack.submit_view(EAST_REPS[0], form["id"], values)
        assert response.body["response_action"] == "update"  # the receipt replaces the form
        assert "Sent anonymously" in json.dumps(response.body["view"]) or not anonymously
        assert count(east, stored) == 0
    assert count(east, stored) == 1
    assert len(east.slack.inbox(EAST_REPS[0])) == inbox_before  # and still no DM to the author


@pytest.mark.parametrize("anonymously", [True, False])
def test_the_same_feedback_view_delivered_twice_is_stored_once(east: Workspace, anonymously: bool) -> None:
    values = anonymous("Once only") if anonymously else named("Once only")
    form = feedback_form(east, EAST_REPS[0])
    with work_held(east):  # the second delivery arrives while the first is still to be stored
        first = east.slack.submit_view(EAST_REPS[0], form["id"], values)
        east.slack.redeliver(first)
    later = east.slack.redeliver(first)  # and once more, after it was stored
    assert "not stored twice" in json.dumps(later.body["view"])
    next_day(east)
    assert [row.stop for row in rows(east)] == ["Once only"]


def test_feedback_its_author_cannot_send_after_the_receipt_is_told_in_a_dm(east: Workspace) -> None:
    form = feedback_form(east, EAST_REPS[0])
    with work_held(east):
        assert east.slack.submit_view(EAST_REPS[0], form["id"], anonymous("Stop it")).body["response_action"] == "update"
        set_person(east, EAST_REPS[0], active=False)  # left the directory in between
    assert count(east, FeedbackPending) == 0
    assert said(east, EAST_REPS[0], "Your feedback was not saved") == 1


# --- broadcast (the pattern the others follow) ------------------------------------------------------------

def test_a_broadcast_refused_after_its_acknowledgement_is_told_in_a_dm(workspace: Workspace) -> None:
    workspace.command("lena", "broadcast")
    view = workspace.slack.open_views(LENA)[-1]
    with work_held(workspace):
        assert acked_plainly(workspace.slack.submit_view(LENA, view["id"], {
            "message_pick": "win-on-strategy", "teams_input": ["East"]}))
        set_person(workspace, LENA, role="rep")
    assert count(workspace, Broadcast) == 0
    assert said(workspace, LENA, "Your broadcast was not saved") == 1
