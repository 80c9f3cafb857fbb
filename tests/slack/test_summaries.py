"""`/drumbeat summary` end to end: a seeded month for team East, every figure worked out by hand below.

Seeded (days before the clock's now, all within the default 30 days unless said):
  messages   win-on-strategy (a key message) v1 by Lena: Aiko at -20 (acked), -13 (acked), -6; Jonas at -6.
             win-on-strategy v2 by Omar (a second leader): Aiko at -2 (acked).
             qualify-before-you-invest v1 by Lena at -1: Aiko (acked), Jonas (acked), Priya (still pending).
             Priya also got qualify-before-you-invest at -40 (outside 30 days).
  answers    Aiko: on-strategy-first wrong -20, right -5; qualify-against-icp right -12.
             Jonas: on-strategy-first wrong -3; qualify-against-icp wrong -10; m3-rhythm right -2.
             Priya: on-strategy-first right -1; qualify-against-icp wrong -40 (outside 30 days).
  feedback   named: Aiko (strategy, stop), Jonas (team, start, with a would-be ping), Priya (leaders, continue);
             anonymous: three more people (strategy, stop), released the next day. Only anonymous authors count:
             at least 3 people (were named ones counted, their items would let the anonymous ones be worked out).
Hand-computed for East, 30 days:
  reach      3 reps, 2 reached (Priya's only delivery is pending), 2 acknowledging; 7 delivered, 5 acknowledged.
  per msg    win-on-strategy: 2 versions, 2 recipients, 5 delivered, 3 acked; qualify: 3 recipients, 2 / 2.
  frequency  win-on-strategy heard 4, 1, 0 times by Aiko, Jonas, Priya: median 1 (2 of 3 reps heard it).
  versions   win-on-strategy v1 from Lena (4), v2 from Omar (1): more than one version reached the team.
  measure    latest answers: Aiko osf right, icp right; Jonas osf wrong, icp wrong, m3 right; Priya osf right:
             4 of 6 (67%); qualify-against-icp 1 of 2 (50%), on-strategy-first 2 of 3 (67%), m3-rhythm 1 of 1.
             Jonas 1 of 3 (under 60%): needs coaching, missed on-strategy-first and qualify-against-icp.
  momentum   weeks start at -35, -28, -21, -14, -7: answers 0, 0, 1 (0 right), 2 (1 right), 4 (3 right);
             delivered 0, 0, 1 (1 acked), 1 (1 acked), 5 (3 acked).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.slack.people import slack_address as slack
from bot.core.feedback import FeedbackDraft, submit
from bot.core.roles import identify
from tests.people import add_person
from storage.models import (
    Broadcast,
    Delivery,
    DeliveryStatus,
    Expectation,
    Message,
    Person,
    Question,
    QuizAsk,
    Role,
)
from tests.slack.conftest import Workspace


def block_texts(blocks: list[dict]) -> str:
    """Every text of some blocks, one per line, as people read them."""
    texts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(texts)


def body_text(response) -> str:  # noqa: ANN001
    """The texts of a reply's blocks."""
    assert response.status == 200, response
    return block_texts(response.answer.get("blocks", []))


def seed_month(workspace: Workspace) -> None:
    now = workspace.clock()
    services = workspace.drumbeat.services
    with services.unit_of_work() as session:
        lena = identify(session, slack("U0LEADER1"))
        omar = add_person(session, "U0LEADER2", name="Omar Haddad", role=Role.LEADER, tz="Europe/London")
        session.add(omar)
        session.flush()
        people = {handle: identify(session, slack(workspace.person(handle).slack_id)) for handle in ("aiko", "jonas", "priya")}
        win_v1 = session.execute(select(Message).where(Message.key == "win-on-strategy", Message.version == 1)).scalar_one()
        win_v2 = Message(key="win-on-strategy", version=2, title=win_v1.title, body="Say it again",
                         key_message=True, expectation_keys=list(win_v1.expectation_keys))
        session.add(win_v2)
        qualify = session.execute(select(Message).where(Message.key == "qualify-before-you-invest")).scalar_one()
        session.flush()

        broadcasts: dict[tuple[int, int], Broadcast] = {}

        def deliver(handle: str, message: Message, by: Person, days_ago: int, *, acked: bool = False,
                    status: str = DeliveryStatus.SENT) -> None:
            broadcast = broadcasts.get((message.id, by.id))
            if broadcast is None:
                broadcast = Broadcast(message_id=message.id, created_by_id=by.id, starts_at=now - timedelta(days=60))
                session.add(broadcast)
                session.flush()
                broadcasts[(message.id, by.id)] = broadcast
            at = now - timedelta(days=days_ago)
            session.add(Delivery(broadcast_id=broadcast.id, occurrence=f"d{days_ago}", person_id=people[handle].id,
                                 message_id=message.id, due_at=at, status=status,
                                 sent_at=at if status == DeliveryStatus.SENT else None,
                                 acknowledged_at=at + timedelta(hours=1) if acked else None))

        deliver("aiko", win_v1, lena, 20, acked=True)
        deliver("aiko", win_v1, lena, 13, acked=True)
        deliver("aiko", win_v1, lena, 6)
        deliver("jonas", win_v1, lena, 6)
        deliver("aiko", win_v2, omar, 2, acked=True)
        deliver("aiko", qualify, lena, 1, acked=True)
        deliver("jonas", qualify, lena, 1, acked=True)
        deliver("priya", qualify, lena, 1, status=DeliveryStatus.PENDING)
        deliver("priya", qualify, lena, 40)

        questions = {e_key: session.execute(
            select(Question).join(Expectation, Expectation.id == Question.expectation_id)
            .where(Expectation.key == e_key).order_by(Question.key)).scalars().first()
            for e_key in ("on-strategy-first", "qualify-against-icp", "m3-rhythm")}

        def answer(handle: str, expectation: str, correct: bool, days_ago: int) -> None:
            question = questions[expectation]
            at = now - timedelta(days=days_ago)
            session.add(QuizAsk(question_id=question.id, expectation_id=question.expectation_id,
                                person_id=people[handle].id, asked_at=at, answered_at=at,
                                choice=question.correct if correct else (question.correct + 1) % len(question.options),
                                correct=correct))

        answer("aiko", "on-strategy-first", False, 20)
        answer("aiko", "on-strategy-first", True, 5)
        answer("aiko", "qualify-against-icp", True, 12)
        answer("jonas", "on-strategy-first", False, 3)
        answer("jonas", "qualify-against-icp", False, 10)
        answer("jonas", "m3-rhythm", True, 2)
        answer("priya", "on-strategy-first", True, 1)
        answer("priya", "qualify-against-icp", False, 40)

        def feedback(person: Person, draft: FeedbackDraft, view: str) -> None:
            submit(session, author=person, draft=draft, submission_id=view, key=services.feedback_key,
                   thresholds=services.feedback_thresholds, now=now - timedelta(days=1))

        feedback(people["aiko"], FeedbackDraft(stop="Discounting to close", about="strategy", anonymous=False), "v1")
        feedback(people["jonas"], FeedbackDraft(start="<!channel> more call reviews", about="team", anonymous=False), "v2")
        feedback(people["priya"], FeedbackDraft(keep="Monday pipeline calls", about="leaders", anonymous=False), "v3")
        for index in range(3):
            stranger = add_person(session, f"U0ANON{index}", name=f"Rep {index}", role=Role.REP,
                              team_id=people["aiko"].team_id, active=False)
            session.add(stranger)
            session.flush()
            feedback(stranger, FeedbackDraft(stop=f"secret words {index}", about="strategy"), f"anon{index}")


@pytest.fixture
def seeded(workspace: Workspace) -> Workspace:
    seed_month(workspace)
    workspace.drumbeat.release_feedback_now()  # yesterday's feedback, as the release job does after midnight
    return workspace


def test_team_summary_sections_match_hand_computed_figures(seeded: Workspace) -> None:
    text = body_text(seeded.command("marco", "summary"))
    assert "Team East · last 30 days" in text
    # Message
    assert "*Reach*\n2 of 3 reps got a message" in text
    assert "*Acknowledged*\n5 of 7 messages (71%)" in text
    assert "*Reps who acknowledged*\n2 of 3" in text
    assert "*Still on the way*\n1 queued, 0 failed" in text
    assert "(`win-on-strategy`): delivered 5 to 2 people · 3 acknowledged (60%)" in text
    assert "(`qualify-before-you-invest`): delivered 2 to 3 people · 2 acknowledged (100%)" in text
    assert ": 1 time (2 of 3 reps heard it)" in text
    assert ("`win-on-strategy`: v1 from Lena Okafor (4), v2 from Omar Haddad (1) :warning: more than one version"
            in text)
    assert "`qualify-before-you-invest`: v1 from Lena Okafor (2)" in text
    # Measure
    assert "67% of expectations answered right on each rep's latest pulse check (6 answers)" in text
    assert ("• `qualify-against-icp`: 50% (1 of 2)\n• `on-strategy-first`: 67% (2 of 3)\n"
            "• `m3-rhythm`: 100% (1 of 1)") in text
    assert "• <@U0REPEA02>: 1 of 3 right; missed `on-strategy-first`, `qualify-against-icp`" in text
    assert "<@U0REPEA01>" not in text and "<@U0REPEA03>" not in text
    # Feedback: counts from 3 people; named items grouped; anonymous words hidden below 5 people
    assert "4 stop · 1 start · 1 continue, from at least 3 people (about: leaders 1, strategy 4, team 1)" in text
    assert "Anonymous comments show from 5 people." in text
    assert "_About strategy_\n• *Stop:* Discounting to close (Aiko Tanaka," in text
    assert "*Start:* &lt;!channel&gt; more call reviews (Jonas Weber," in text
    assert "secret words" not in text
    # Momentum, in words
    assert "Understanding rose by 75 points, from 0% to 75%." in text
    assert "Acknowledgement fell by 40 points, from 100% to 60%." in text
    assert "Week of Nov 10: understanding 50% (2 answers), acknowledged 100% (1 messages)" in text
    assert "The trend chart is on its way to our DM." in text


def test_trend_chart_is_uploaded_to_the_managers_dm_with_alt_text(seeded: Workspace) -> None:
    seeded.command("marco", "summary")
    files = seeded.slack.wait_for(lambda: [f for f in seeded.slack.uploaded_files if f["filename"].endswith(".png")])
    (chart,) = files
    assert chart["bytes"].startswith(b"\x89PNG\r\n\x1a\n") and len(chart["bytes"]) > 5_000
    assert chart["alt_txt"].startswith("Team East: understanding and acknowledgement, week by week. Understanding rose")
    assert "Week of Nov 17: understanding 75% (4 answers), acknowledged 60% (5 messages)" in chart["alt_txt"]
    dm = [m for m in seeded.inbox("marco") if m.get("files")]
    assert dm and dm[-1]["files"][0]["name"] == chart["filename"]


def test_export_sends_a_csv_of_the_same_figures(seeded: Workspace) -> None:
    answer = body_text(seeded.command("marco", "summary export"))
    assert "is on its way to our DM" in answer
    files = seeded.slack.wait_for(lambda: [f for f in seeded.slack.uploaded_files if f["filename"].endswith(".csv")])
    assert files[0]["filename"] == "drumbeat-east-30d-2026-11-24.csv"
    rows = list(csv.reader(io.StringIO(files[0]["bytes"].decode("utf-8"))))
    assert rows[0] == ["section", "item", "measure", "value", "period_days", "since"]
    figures = {(section, item, measure): value for section, item, measure, value, *_ in rows[1:]}
    assert figures[("message", "team", "delivered")] == "7"
    assert figures[("message", "team", "acknowledged")] == "5"
    assert figures[("measure", "qualify-against-icp", "understanding")] == "0.5000"
    assert figures[("measure", "team", "correct")] == "4"
    assert figures[("measure", "needs coaching: Jonas Weber", "correct_of_answered")] == "1/3"
    assert figures[("feedback", "2026-11", "stop")] == "4"
    assert any(key[0] == "message" and key[2] == "median_times_heard" and value == "1" for key, value in figures.items())
    assert not any("secret words" in cell for row in rows for cell in row)
    assert not [f for f in seeded.slack.uploaded_files if f["filename"].endswith(".png")]


def test_longer_period_counts_older_history(seeded: Workspace) -> None:
    text = body_text(seeded.command("marco", "summary 90d"))
    assert "*Acknowledged*\n5 of 8 messages (62%)" in text
    assert "• `qualify-against-icp`: 33% (1 of 3)" in text


def test_manager_sees_one_of_their_reps(seeded: Workspace) -> None:
    text = body_text(seeded.command("marco", "summary <@U0REPEA02|jonas>"))
    assert "Jonas Weber · last 30 days" in text
    assert "*Acknowledged*\n1 of 2 (50%)" in text
    assert "*Waiting for a Got it*\n1" in text
    assert "33% of expectations answered right on the latest pulse check (3 answers)" in text
    assert "• `on-strategy-first`: missed on the latest answer" in text


def test_rep_sees_only_their_own_figures(seeded: Workspace) -> None:
    text = body_text(seeded.command("aiko", "summary"))
    assert "Aiko Tanaka · last 30 days" in text and "*Acknowledged*\n4 of 5 (80%)" in text
    assert "not in your teams" in body_text(seeded.command("aiko", "summary <@U0REPEA02>"))


def test_leader_sees_any_team_and_any_person(seeded: Workspace) -> None:
    assert "Team East · last 30 days" in body_text(seeded.command("lena", "summary east"))
    assert "Priya Shah · last 90 days" in body_text(seeded.command("lena", "summary <@U0REPEA03> 90d"))


@pytest.mark.parametrize(
    ("who", "text", "expected"),
    [
        ("marco", "summary North", "There is no team called 'North'. Teams you can see: East."),
        ("marco", "summary 13x", "'13x' is not a period I know: use 7d, 30d, 90d or quarter."),
        ("marco", "summary East 400d", "A period is 1d to 366d"),
        ("marco", "summary <@U0REPWE01>", "<@U0REPWE01> is not in your teams, so their figures are not yours"),
        ("marco", "summary West", "West is not one of your teams, so its summary is not yours to see."),
        ("marco", "summary <@U0GHOST>", "<@U0GHOST> is not in Drumbeat's directory"),
        ("marco", "summary @jonas", "pick the person from Slack's autocomplete"),
        ("marco", "summary <@U0REPEA01> <@U0REPEA02>", "One person at a time"),
        ("aiko", "summary East", "team summaries are for managers and leaders"),
    ],
)
def test_bad_summary_requests_get_specific_answers(seeded: Workspace, who: str, text: str, expected: str) -> None:
    assert expected in body_text(seeded.command(who, text))


def test_summary_reply_fits_block_kit_and_escapes_what_people_wrote(seeded: Workspace) -> None:
    response = seeded.command("lena", "summary East quarter")
    assert len(response.answer["blocks"]) <= 50
    assert "<!channel>" not in json.dumps(response.answer)


def test_anonymous_comments_show_once_five_people_answered_and_never_name_anyone(seeded: Workspace) -> None:
    services = seeded.drumbeat.services
    with services.unit_of_work() as session:
        team_id = identify(session, slack("U0REPEA01")).team_id
        for index in range(3, 5):
            person = add_person(session, f"U0ANON{index}", name=f"Rep {index}", role=Role.REP, team_id=team_id, active=False)
            session.add(person)
            session.flush()
            submit(session, author=person, draft=FeedbackDraft(stop=f"secret words {index}", about="strategy"),
                   submission_id=f"anon{index}", key=services.feedback_key, thresholds=services.feedback_thresholds,
                   now=seeded.clock() - timedelta(days=1))
    seeded.drumbeat.release_feedback_now()
    text = body_text(seeded.command("marco", "summary"))
    assert "from at least 5 people" in text
    assert "*Stop:* secret words 4 (anonymous, Nov 23)" in text
    assert "Rep 4" not in text


def test_a_manager_sees_other_managers_reps_needing_coaching_only_as_a_count(seeded: Workspace) -> None:
    with seeded.drumbeat.services.unit_of_work() as session:
        marco = identify(session, slack("U0MGREAST"))
        session.add(add_person(session, "U0MGREAS2", name="Mia Second", role=Role.MANAGER, team_id=marco.team_id))
    seeded.slack.add_user("U0MGREAS2", name="mia", real_name="Mia Second", tz="Europe/Berlin")
    text = body_text(seeded.slack.slash_command("U0MGREAS2", text="summary"))
    assert "• 1 more rep(s) reporting to other managers" in text
    assert "<@U0REPEA02>" not in text


def test_summary_shows_coaching_activity_and_whether_understanding_improved_after(seeded: Workspace) -> None:
    """Marco's coaching DM of day -8 named three reps: Aiko (on-strategy-first, coached -6, right at -5: improved),
    Jonas (on-strategy-first, coached -4, wrong again at -3: not improved), Priya (snoozed)."""
    from storage.models import CoachingDigest, CoachingNudge, DeliveryKind, NudgeStatus

    now = seeded.clock()
    with seeded.drumbeat.services.unit_of_work() as session:
        marco = identify(session, slack("U0MGREAST"))
        expectation = session.execute(select(Expectation).where(Expectation.key == "on-strategy-first")).scalar_one()
        dm = Delivery(occurrence="coaching", person_id=marco.id, kind=DeliveryKind.COACHING,
                      due_at=now - timedelta(days=8), status=DeliveryStatus.SENT, sent_at=now - timedelta(days=8))
        session.add(dm)
        session.flush()
        digest = CoachingDigest(person_id=marco.id, local_date=(now - timedelta(days=8)).date(), delivery_id=dm.id,
                                nudges=3, decided_at=now - timedelta(days=8))
        session.add(digest)
        session.flush()
        for handle, status, coached_days_ago in (("aiko", NudgeStatus.COACHED, 6), ("jonas", NudgeStatus.COACHED, 4),
                                                 ("priya", NudgeStatus.SNOOZED, None)):
            session.add(CoachingNudge(
                digest_id=digest.id, manager_id=marco.id, rep_id=identify(session, slack(seeded.person(handle).slack_id)).id,
                expectation_id=expectation.id, reason="missed_twice", evidence_at=now - timedelta(days=9),
                created_at=now - timedelta(days=8), understanding_at_nudge=0, status=status,
                coached_at=now - timedelta(days=coached_days_ago) if coached_days_ago else None,
                snoozed_until=now if status == NudgeStatus.SNOOZED else None))
    text = body_text(seeded.command("marco", "summary"))
    assert ("*Coaching*: 3 nudges sent about 3 reps · 2 coached · 1 snoozed · 0 refreshers sent. Understanding "
            "improved after coaching for 1 of 2 coached nudges answered since.") in text
