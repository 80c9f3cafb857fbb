"""Coaching nudges end to end: simulated weeks of pulse-check answers through the emulator, the manager's
daily DM in their local morning (at most one a day), its buttons, and reps' own gentle nudges.

The demo org: Marco (manager of East, Berlin) manages Aiko (Tokyo), Jonas (Berlin) and Priya (Kolkata);
Wendy (West, Los Angeles) manages Sam, Lucía and Noah; Lena is the leader. The clock starts on Tuesday
24 November 2026, 07:30 UTC (Marco's coaching window is 09:00-12:00 Berlin, 08:00-11:00 UTC).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from tests.people import slack_person
import pytest
from sqlalchemy import func, select

from bot.core.library import message_behind
from bot.demo import demo_person
from tests.people import add_person
from storage.models import (
    CoachingDigest,
    CoachingNudge,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Question,
    QuizAsk,
    Team,
)
from storage.queries.coaching import coaching_activity

from .conftest import Workspace  # noqa: TID252

EAST = ("aiko", "jonas", "priya")


@pytest.fixture
def workspace_rate_limits() -> bool:
    return False  # weeks of simulated time pass in real seconds


def broadcast_quiz(workspace: Workspace, question_key: str, handles: tuple[str, ...] = EAST,
                   message: str = "win-on-strategy") -> None:
    workspace.command("lena", "broadcast")
    view = workspace.slack.open_views("U0LEADER1")[-1]
    response = workspace.slack.submit_view("U0LEADER1", view["id"], {
        "message_pick": message, "people_input": [demo_person(h).slack_id for h in handles],
        "question_input": question_key})
    assert response.status == 200 and not (isinstance(response.body, dict) and response.body.get("errors"))
    workspace.drumbeat.tick()
    for handle in handles:  # everyone acknowledges: these tests are about answers, not "Got it"
        dm = workspace.inbox(handle)[-1]
        assert click(workspace, handle, dm, "delivery_ack").status == 200


def answer_waiting(workspace: Workspace, handle: str, *, right: bool) -> int:
    """Tap an answer on every unanswered question in the rep's DM; returns how many."""
    tapped = 0
    for dm in workspace.inbox(handle):
        buttons = [e for b in dm.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"].startswith("quiz_answer_")]
        if not buttons:
            continue
        ask_id = int(buttons[0]["value"].split(":")[0])
        with workspace.drumbeat.services.unit_of_work() as session:
            correct = session.get(Question, session.get(QuizAsk, ask_id).question_id).correct
        choice = correct if right else (correct + 1) % len(buttons)
        response = workspace.slack.click(demo_person(handle).slack_id, channel=dm["channel"], ts=dm["ts"],
                                         action_id=f"quiz_answer_{choice}")
        assert response.status == 200
        tapped += 1
    return tapped


def live(workspace: Workspace, hours: int, answers: dict[str, bool] | None = None) -> None:
    """Let hours pass as the scheduler would: each hour the jobs run, and reps answer what reached them."""
    for _ in range(hours):
        workspace.clock.advance(timedelta(hours=1))
        workspace.drumbeat.tick()
        for handle, right in (answers or {}).items():
            answer_waiting(workspace, handle, right=right)
        workspace.drumbeat.coaching_now()
        workspace.drumbeat.dispatch_now()


def coaching_dms(workspace: Workspace, handle: str = "marco") -> list[dict]:
    return [dm for dm in workspace.inbox(handle) if dm.get("text", "").startswith("Coaching nudges")]


def nudges(workspace: Workspace) -> list[CoachingNudge]:
    with workspace.drumbeat.services.unit_of_work() as session:
        return list(session.execute(select(CoachingNudge).order_by(CoachingNudge.id)).scalars())


def local(workspace: Workspace, handle: str) -> datetime:
    return workspace.clock().astimezone(ZoneInfo(demo_person(handle).tz))


def aiko_misses_twice(workspace: Workspace) -> None:
    """Tuesday: Aiko and Priya miss the question, Jonas gets it; Wednesday's re-ask: Aiko misses again."""
    broadcast_quiz(workspace, "q-on-strategy-share")
    answer_waiting(workspace, "aiko", right=False)
    answer_waiting(workspace, "priya", right=False)
    answer_waiting(workspace, "jonas", right=True)
    live(workspace, 26, {"aiko": False, "priya": True})  # to Wednesday 09:30 UTC


def click(workspace: Workspace, handle: str, dm: dict, action_id: str, value: str | None = None):  # noqa: ANN201
    return workspace.slack.click(demo_person(handle).slack_id, channel=dm["channel"], ts=dm["ts"],
                                 action_id=action_id, value=value)


def forged_click(workspace: Workspace, handle: str, dm: dict, action_id: str, value: str) -> int:
    """A click Slack would send if `handle` could see the DM (someone else's copy, or a stale one)."""
    user = demo_person(handle).slack_id
    payload = {
        "type": "block_actions", "user": {"id": user, "username": handle, "team_id": "T0DRUMBEAT"},
        "team": {"id": "T0DRUMBEAT"}, "api_app_id": "A0DRUMBEAT", "trigger_id": "1.2.3",
        "container": {"type": "message", "channel_id": dm["channel"], "message_ts": dm["ts"]},
        "channel": {"id": dm["channel"]}, "message": {"ts": dm["ts"], "blocks": dm["blocks"]},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                     "action_ts": str(time.time())}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return workspace.slack.send_signed(body, "application/x-www-form-urlencoded").status


def test_manager_gets_one_coaching_dm_in_their_morning_when_a_rep_misses_twice(workspace: Workspace) -> None:
    broadcast_quiz(workspace, "q-on-strategy-share")
    answer_waiting(workspace, "aiko", right=False)
    answer_waiting(workspace, "jonas", right=True)
    answer_waiting(workspace, "priya", right=True)
    live(workspace, 24, {"aiko": False})  # Wednesday 07:30 UTC: the re-ask is due, not yet sent
    assert coaching_dms(workspace) == []
    live(workspace, 1, {"aiko": False})  # 08:30 UTC = 09:30 Berlin: missed twice, and Marco's morning
    (dm,) = coaching_dms(workspace)
    assert local(workspace, "marco").strftime("%a %H") == "Wed 09"
    text = json.dumps(dm["blocks"])
    assert "Aiko Tanaka" in text and "missed it twice in a row" in text
    assert "Jonas" not in text and "Priya" not in text
    assert "*Goal:*" in text and "*Work products:*" in text and "*Person:*" in text  # the pack's talking points
    assert "coaching_coached_" in text and "coaching_snooze_" in text and "coaching_refresher_" in text
    assert coaching_dms(workspace, "wendy") == [] and coaching_dms(workspace, "lena") == []
    (nudge,) = nudges(workspace)
    assert (nudge.reason, nudge.status, nudge.understanding_at_nudge) == ("missed_twice", "open", 0)
    assert [a["right"] for a in nudge.detail["answers"]] == [False, False]

    live(workspace, 24 * 3, {"aiko": False})  # more misses while the nudge is open: no second DM about it
    assert len(coaching_dms(workspace)) == 1


def test_at_most_one_dm_a_day_and_later_evidence_waits_for_the_next_morning(workspace: Workspace) -> None:
    aiko_misses_twice(workspace)
    assert len(coaching_dms(workspace)) == 1
    broadcast_quiz(workspace, "q-icp-when", handles=("priya",), message="qualify-before-you-invest")
    answer_waiting(workspace, "priya", right=False)  # Wednesday 09:30 UTC: Priya misses once ...
    live(workspace, 23, {"priya": False})  # ... and again on Thursday's re-ask, before Marco's morning
    with workspace.drumbeat.services.unit_of_work() as session:
        days = session.execute(select(CoachingDigest.local_date, func.count()).group_by(CoachingDigest.local_date)
                               .where(CoachingDigest.kind == "manager")).all()
    assert all(count == 1 for _, count in days)
    live(workspace, 3, {"priya": False})  # Thursday 09:30 Berlin
    dms = coaching_dms(workspace)
    assert len(dms) == 2
    assert "Priya Shah" in json.dumps(dms[-1]["blocks"]) and "Aiko" not in json.dumps(dms[-1]["blocks"])
    assert local(workspace, "marco").strftime("%a") == "Thu"
    workspace.drumbeat.coaching_now()  # running again the same day adds nothing
    workspace.drumbeat.dispatch_now()
    assert len(coaching_dms(workspace)) == 2


def test_coached_records_cause_and_note_and_updates_the_dm_in_place(workspace: Workspace) -> None:
    aiko_misses_twice(workspace)
    (dm,) = coaching_dms(workspace)
    (nudge,) = nudges(workspace)
    assert click(workspace, "marco", dm, f"coaching_cause_{nudge.id}", "process").status == 200
    assert nudges(workspace)[0].cause == "process"
    click(workspace, "marco", coaching_dms(workspace)[0], f"coaching_coached_{nudge.id}")
    (modal,) = [v for v in workspace.slack.open_views("U0MGREAST") if v["callback_id"] == "coaching_modal"]
    assert modal["blocks"][1]["element"]["initial_option"]["value"] == "process"
    response = workspace.slack.submit_view("U0MGREAST", modal["id"], {
        "cause_input": "tasks", "note_input": "Practised the ICP questions together <!channel>"})
    assert response.status == 200 and not (isinstance(response.body, dict) and response.body.get("errors"))
    (coached,) = nudges(workspace)
    with workspace.drumbeat.services.unit_of_work() as session:
        marco = slack_person(session, "U0MGREAST")
    assert (coached.status, coached.cause, coached.coached_by_id) == ("coached", "tasks", marco.id)
    assert coached.note == "Practised the ICP questions together <!channel>"
    (updated,) = coaching_dms(workspace)  # the same message, edited
    text = json.dumps(updated["blocks"])
    assert updated["ts"] == dm["ts"] and "Coached by Marco Rossi" in text and "cause: Tasks" in text
    assert "&lt;!channel&gt;" in text and "coaching_coached_" not in text

    assert forged_click(workspace, "marco", dm, f"coaching_snooze_{nudge.id}", str(nudge.id)) == 200
    assert "already marked coached" in json.dumps(workspace.inbox("marco"))
    assert nudges(workspace)[0].status == "coached" and nudges(workspace)[0].snoozed_until is None

    live(workspace, 24 * 3, {"aiko": True})  # her next answers are right: coaching shows an improvement
    with workspace.drumbeat.services.unit_of_work() as session:
        east = session.execute(select(Team.id).where(Team.name == "East")).scalar_one()
        activity = coaching_activity(session, team_id=east, since=workspace.clock() - timedelta(days=30))
    assert (activity.nudges_sent, activity.coached, activity.improved, activity.measured) == (1, 1, 1, 1)


def test_snooze_a_week_keeps_the_rep_out_of_the_dm_for_seven_days(workspace: Workspace) -> None:
    aiko_misses_twice(workspace)
    (dm,) = coaching_dms(workspace)
    (nudge,) = nudges(workspace)
    click(workspace, "marco", dm, f"coaching_snooze_{nudge.id}")
    (snoozed,) = nudges(workspace)
    assert snoozed.status == "snoozed" and snoozed.snoozed_until == workspace.clock() + timedelta(days=7)
    assert "Snoozed by Marco Rossi" in json.dumps(coaching_dms(workspace)[0]["blocks"])
    live(workspace, 24 * 6, {"aiko": False})  # she keeps missing it; no word for a week
    assert len(coaching_dms(workspace)) == 1
    live(workspace, 24 * 2, {"aiko": False})  # the snooze is over: Marco hears about Aiko again
    assert len(coaching_dms(workspace)) == 2
    assert "Aiko Tanaka" in json.dumps(coaching_dms(workspace)[-1]["blocks"])


def test_refresher_re_sends_the_message_and_a_new_question_through_the_outbox(workspace: Workspace) -> None:
    aiko_misses_twice(workspace)
    (dm,) = coaching_dms(workspace)
    (nudge,) = nudges(workspace)
    with workspace.drumbeat.services.unit_of_work() as session:
        last = session.execute(select(QuizAsk.question_id).where(QuizAsk.person_id == nudge.rep_id)
                               .order_by(QuizAsk.asked_at.desc())).scalars().first()
    before = len(workspace.inbox("aiko"))
    workspace.clock.advance(timedelta(hours=1))  # 11:30 in Berlin, 19:30 in Tokyo
    click(workspace, "marco", dm, f"coaching_refresher_{nudge.id}")
    assert "Refresher on its way" in json.dumps(workspace.slack.response_url_posts)
    workspace.drumbeat.dispatch_now()
    assert len(workspace.inbox("aiko")) == before  # quiet hours in Tokyo: it waits for her morning
    click(workspace, "marco", coaching_dms(workspace)[0], f"coaching_cause_{nudge.id}", "goal")  # DM still usable
    assert forged_click(workspace, "marco", dm, f"coaching_refresher_{nudge.id}", str(nudge.id)) == 200
    assert "already on its way" in json.dumps(workspace.inbox("marco"))  # no response_url: told by DM
    live(workspace, 13)  # to Thursday 08:30 in Tokyo
    refreshers = workspace.inbox("aiko")[before:]
    assert len(refreshers) == 1
    text = json.dumps(refreshers[0]["blocks"])
    with workspace.drumbeat.services.unit_of_work() as session:
        canonical = message_behind(session, nudge.expectation_id)
    assert "A refresher from Marco Rossi" in text and canonical.title in text and "quiz_answer_" in text
    with workspace.drumbeat.services.unit_of_work() as session:
        delivery = session.execute(select(Delivery).where(Delivery.kind == DeliveryKind.REFRESHER)).scalar_one()
        asked = session.execute(select(QuizAsk).where(QuizAsk.delivery_id == delivery.id)).scalar_one()
    assert delivery.broadcast_id is None and asked.question_id != last
    assert delivery.due_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%a %H:%M") == "Thu 08:00"  # her morning
    assert "refresher sent" in json.dumps(coaching_dms(workspace)[0]["blocks"]).lower()


def test_only_the_reps_manager_or_a_leader_may_act_on_a_nudge(workspace: Workspace) -> None:
    aiko_misses_twice(workspace)
    (dm,) = coaching_dms(workspace)
    (nudge,) = nudges(workspace)
    for handle in ("wendy", "jonas"):
        for action in ("snooze", "refresher", "coached"):
            assert forged_click(workspace, handle, dm, f"coaching_{action}_{nudge.id}", str(nudge.id)) == 200
    refusals = [dm for handle in ("wendy", "jonas") for dm in workspace.inbox(handle)
                if "That coaching button is not one you can use" in dm["text"]]
    assert len(refusals) == 6
    # A refusal says nothing about the nudge: not whom it is about (Jonas is on Aiko's team), nor that it exists.
    assert all("Aiko" not in json.dumps(dm) for dm in refusals)
    assert forged_click(workspace, "jonas", dm, "coaching_snooze_987654", "987654") == 200
    assert [d["text"] for d in workspace.inbox("jonas")].count(refusals[-1]["text"]) == 4
    assert nudges(workspace)[0].status == "open" and nudges(workspace)[0].refresher_delivery_id is None
    assert workspace.slack.open_views("U0MGRWEST") == [] and workspace.slack.open_views("U0REPEA02") == []
    assert forged_click(workspace, "lena", dm, f"coaching_snooze_{nudge.id}", str(nudge.id)) == 200
    assert nudges(workspace)[0].status == "snoozed"


def test_rep_gets_a_gentle_nudge_when_a_message_waits_two_days_at_most_every_few_days(workspace: Workspace) -> None:
    workspace.command("lena", "send win-on-strategy to <@U0REPEA02|jonas>")
    assert "On its way" in workspace.answers_after_ack()[-1]
    workspace.drumbeat.dispatch_now()  # Tuesday 08:30 Berlin; Jonas never clicks Got it
    live(workspace, 48)  # Thursday 07:30 UTC: 47 hours
    assert not [dm for dm in workspace.inbox("jonas") if "gentle nudge" in json.dumps(dm)]
    live(workspace, 1)  # Thursday 09:30 Berlin: two days have passed, and it is his morning
    nudged = [dm for dm in workspace.inbox("jonas") if "gentle nudge" in json.dumps(dm)]
    assert len(nudged) == 1 and "1 message to acknowledge" in json.dumps(nudged[0]["blocks"])
    assert local(workspace, "jonas").strftime("%a %H") == "Thu 09"
    with workspace.drumbeat.services.unit_of_work() as session:
        nudge = session.execute(select(Delivery).where(Delivery.kind == DeliveryKind.NUDGE)).scalar_one()
    assert nudge.status == DeliveryStatus.SENT and nudge.message_id is None and nudge.broadcast_id is None
    live(workspace, 24 * 4)  # Friday, the weekend, Monday: within three days nothing more; Monday is the next
    nudged = [dm for dm in workspace.inbox("jonas") if "gentle nudge" in json.dumps(dm)]
    assert len(nudged) == 2
    with workspace.drumbeat.services.unit_of_work() as session:
        sent = [d.sent_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a")
                for d in session.execute(select(Delivery).where(Delivery.kind == DeliveryKind.NUDGE)
                                         .order_by(Delivery.id)).scalars()]
    assert sent == ["Thu", "Mon"]
    # three days after Thursday is Sunday: quiet (weekend), so Monday it is. The key message also reached
    # Marco: unacknowledged for three days.
    assert any("Key message" in json.dumps(dm["blocks"]) and "Jonas Weber" in json.dumps(dm["blocks"])
               for dm in coaching_dms(workspace))


def test_reps_away_get_no_nudge(workspace: Workspace) -> None:
    workspace.command("lena", "send win-on-strategy to <@U0REPEA02|jonas>")
    workspace.drumbeat.dispatch_now()
    workspace.command("jonas", "away until 2026-12-04")
    live(workspace, 24 * 4)
    assert not [dm for dm in workspace.inbox("jonas") if "gentle nudge" in json.dumps(dm)]


def test_a_crowded_coaching_dm_stays_within_slack_limits_and_says_how_many_more(workspace: Workspace) -> None:
    """Twenty reps who each missed two expectations twice: 40 nudges, 12 shown, the rest counted."""
    with workspace.drumbeat.services.unit_of_work() as session:
        marco = slack_person(session, "U0MGREAST")
        questions = session.execute(select(Question).order_by(Question.id)).scalars().all()
        by_expectation = {}
        for question in questions:
            by_expectation.setdefault(question.expectation_id, question)
        picked = list(by_expectation.values())[:2]
        for n in range(20):
            rep = add_person(session, f"U0EXTRA{n:02d}", name=f"Extra Rep {n:02d}", tz="Europe/Berlin", role="rep",
                         team_id=marco.team_id, manager_id=marco.id)
            session.add(rep)
            session.flush()
            for question in picked:
                for hours in (30, 20):
                    at = workspace.clock() - timedelta(hours=hours)
                    session.add(QuizAsk(question_id=question.id, expectation_id=question.expectation_id,
                                        person_id=rep.id, asked_at=at, answered_at=at,
                                        choice=(question.correct + 1) % len(question.options), correct=False))
    live(workspace, 1)  # 09:30 Berlin
    (dm,) = coaching_dms(workspace)
    assert len(dm["blocks"]) <= 50
    assert "and 28 more" in json.dumps(dm["blocks"])
    assert len(nudges(workspace)) == 40
