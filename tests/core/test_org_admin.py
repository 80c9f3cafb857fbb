"""Looking after the directory without SQL: list, export (read back by import), move, deactivate and erase.

The erase tests play the database reader who compares the database before and after: the person's identifying
rows are gone, and the anonymous items and counts are exactly what they were (nothing says which were theirs).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.core import feedback
from bot.core.errors import BadInput
from bot.core.feedback_key import FeedbackKey
from bot.core.feedback_release import release_due
from bot.core.org import DirectoryEntry, apply_directory, import_org_csv
from bot.core.org_admin import export_org_csv, find_person, list_people, move_person
from bot.core.org_remove import deactivate, erase, removal_target
from bot.demo import demo_org_csv
from bot.platforms import USER_ID_FORMATS
from storage.address import Address
from storage.db import session_scope
from storage.models import (
    Account,
    AnswerState,
    AuditEvent,
    Broadcast,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Expectation,
    Feedback,
    FeedbackReply,
    FeedbackRespondent,
    Message,
    Person,
    Question,
    QuizAsk,
)
from storage.queries.audience import audience_members
from storage.queries.feedback import anonymous_people
from tests.people import slack_person
from tests.statements import statements_on

NOON = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
THRESHOLDS = feedback.Thresholds(people_for_comments=3, people_for_scores=3)
PLATFORMS = list(USER_ID_FORMATS)


@pytest.fixture
def org(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
    return engine


def test_list_filters_by_team_and_role_and_names_manager_and_accounts(org: Engine) -> None:
    with session_scope(org) as session:
        east_reps = list_people(session, team="east", role="rep")
        everyone = list_people(session)
    assert [row.name for row in east_reps] == ["Aiko Tanaka", "Jonas Weber", "Priya Shah"]
    assert {row.manager for row in east_reps} == {"Marco Rossi"}
    assert east_reps[0].account_text == "slack:U0REPEA01"
    assert len(everyone) == 9 and everyone[-1].team is None  # people without a team come last


def test_list_refuses_an_unknown_team_or_role_in_one_line(org: Engine) -> None:
    with session_scope(org) as session:
        with pytest.raises(BadInput, match="no team 'North' \\(teams: East, West\\)"):
            list_people(session, team="North")
        with pytest.raises(BadInput, match="role 'boss' is not one of"):
            list_people(session, role="boss")


def test_export_then_import_changes_nothing(org: Engine) -> None:
    with session_scope(org) as session:
        move_person(session, "aiko@example.com", team="West", manager="U0MGRWEST")
        exported = export_org_csv(session, PLATFORMS)
    with session_scope(org) as session:
        report = import_org_csv(session, exported.text, formats=USER_ID_FORMATS)
        aiko = slack_person(session, "U0REPEA01")
        wendy = slack_person(session, "U0MGRWEST")
    assert (exported.exported, exported.left_out) == (9, [])
    assert (report.created, report.updated, report.unchanged) == (0, 0, 9)
    assert aiko.manager_id == wendy.id


def test_export_of_a_mixed_organisation_reads_back_unchanged(engine: Engine) -> None:
    mixed = ("platform,platform_user_id,email,name,role,team,manager_platform_user_id\n"
             "teams,6f1c2a9e-8d3b-4c5e-9a7f-1b2c3d4e5f60,lena@example.com,Lena Okafor,leader,,\n"
             "teams,0b7e4d21-5c3a-4f8e-b1d2-9e8f7a6b5c4d,marco@example.com,Marco Rossi,manager,East,"
             "6f1c2a9e-8d3b-4c5e-9a7f-1b2c3d4e5f60\n"
             "slack,U0REPEA01,aiko@example.com,Aiko Tanaka,rep,East,\n")
    with session_scope(engine) as session:
        import_org_csv(session, mixed, formats=USER_ID_FORMATS)
        exported = export_org_csv(session, PLATFORMS)
    with session_scope(engine) as session:
        report = import_org_csv(session, exported.text, formats=USER_ID_FORMATS)
    assert exported.text.splitlines()[0] == "slack_id,teams_id,email,name,role,team,manager_slack_id,manager_teams_id"
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)


def test_export_leaves_deactivated_people_out_so_an_import_does_not_bring_them_back(org: Engine) -> None:
    with session_scope(org) as session:
        deactivate(session, find_person(session, "U0REPEA02"))
        exported = export_org_csv(session, PLATFORMS)
    assert exported.exported == 8 and "U0REPEA02" not in exported.text


def test_move_changes_team_and_keeps_the_persons_reports_with_them(org: Engine) -> None:
    with session_scope(org) as session:
        outcome = move_person(session, "U0MGREAST", team="West", manager=None)
        marco = slack_person(session, "U0MGREAST")
        aiko = slack_person(session, "U0REPEA01")
    assert outcome.lines == ["Marco Rossi: team West, manager Lena Okafor"] and outcome.changed == 1
    assert aiko.manager_id == marco.id and session.get(Person, aiko.id) is not None


def test_move_hands_reports_over_only_when_asked(org: Engine) -> None:
    with session_scope(org) as session:
        outcome = move_person(session, "marco@example.com", team=None, manager=None, reports_to="wendy@example.com")
        wendy = slack_person(session, "U0MGRWEST")
        managers = {slack_person(session, rep).manager_id for rep in ("U0REPEA01", "U0REPEA02", "U0REPEA03")}
    assert managers == {wendy.id} and outcome.changed == 3


@pytest.mark.parametrize(("team", "manager", "problem"), [
    ("North", None, "no team 'North'"),
    (None, "nobody@example.com", "nobody is 'nobody@example.com'"),
    (None, "U0REPEA01", "a person cannot be their own manager"),
    (None, "U0REPEA01@", "nobody is"),
])
def test_move_refuses_unknown_team_or_manager_and_changes_nothing(org: Engine, team: str | None,
                                                                  manager: str | None, problem: str) -> None:
    with session_scope(org) as session:
        with pytest.raises(BadInput, match=problem):
            move_person(session, "U0REPEA01", team=team, manager=manager)


def test_move_refuses_a_manager_who_reports_to_the_person(org: Engine) -> None:
    with session_scope(org) as session:
        with pytest.raises(BadInput, match="reports \\(directly or not\\) to Lena Okafor"):
            move_person(session, "U0LEADER1", team=None, manager="U0REPEA01")


def waiting_delivery(session, person: Person) -> Delivery:  # noqa: ANN001
    delivery = Delivery(occurrence="now", person_id=person.id, kind=DeliveryKind.NUDGE, due_at=NOON)
    session.add(delivery)
    session.flush()
    return delivery


def test_deactivate_cancels_waiting_deliveries_leaves_audiences_and_survives_a_directory_sync(org: Engine) -> None:
    with session_scope(org) as session:
        jonas = slack_person(session, "U0REPEA02")
        delivery_id = waiting_delivery(session, jonas).id
        report = deactivate(session, removal_target(session, "jonas@example.com", erase=False))
    with session_scope(org) as session:
        apply_directory(session, [DirectoryEntry(Address("slack", "U0REPEA02"), "Europe/Berlin", None, False)])
    with session_scope(org) as session:
        jonas = slack_person(session, "U0REPEA02")
        east = [p.id for p in audience_members(session, person_ids=[jonas.id], team_ids=[jonas.team_id])]
        assert session.get(Delivery, delivery_id).status == DeliveryStatus.CANCELLED
    assert report.lines() == [f"Deactivated Jonas Weber (id {jonas.id}): waiting deliveries cancelled 1."]
    assert not jonas.active and jonas.id not in east and jonas.email == "jonas@example.com"


def test_import_naming_a_removed_person_brings_them_back(org: Engine) -> None:
    with session_scope(org) as session:
        deactivate(session, find_person(session, "U0REPEA02"))
    with session_scope(org) as session:
        import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
    with session_scope(org) as session:
        jonas = slack_person(session, "U0REPEA02")
        assert jonas.active and jonas.removed_at is None


def test_a_manager_with_reports_cannot_be_erased_until_they_are_moved(org: Engine) -> None:
    with session_scope(org) as session:
        with pytest.raises(BadInput, match="Marco Rossi manages 3 people \\(Aiko Tanaka, Jonas Weber, Priya Shah\\)"):
            removal_target(session, "marco@example.com", erase=True)
        assert removal_target(session, "marco@example.com", erase=False).name == "Marco Rossi"
        move_person(session, "marco@example.com", team=None, manager=None, reports_to="wendy@example.com")
        erase(session, removal_target(session, "marco@example.com", erase=True))
    with session_scope(org) as session:
        assert session.execute(select(Person).where(Person.name == "Marco Rossi")).first() is None


def key() -> FeedbackKey:
    return FeedbackKey(os.urandom(32), "test")


def give(engine: Engine, slack_id: str, words: str, *, secret: FeedbackKey, anonymous: bool) -> None:
    with session_scope(engine) as session:
        author = slack_person(session, slack_id)
        draft = feedback.FeedbackDraft(stop=words, anonymous=anonymous, allow_replies=anonymous)
        feedback.submit(session, author=author, draft=draft, submission_id=os.urandom(8).hex(), key=secret,
                        thresholds=THRESHOLDS, now=NOON)


def anonymous_view(engine: Engine) -> tuple[object, ...]:
    """What a database reader sees of anonymous feedback: every item, every respondent tag, the counts."""
    with session_scope(engine) as session:
        items = sorted(session.execute(select(Feedback.id, Feedback.team_id, Feedback.stop, Feedback.month,
                                              Feedback.submitted_on, Feedback.reply_link)
                                       .where(Feedback.anonymous.is_(True))).all())
        tags = sorted(session.execute(select(FeedbackRespondent.team_id, FeedbackRespondent.month,
                                             FeedbackRespondent.key_id, FeedbackRespondent.tag)).all())
        team_id = slack_person(session, "U0REPEA02").team_id
        return tuple(items), tuple(tags), anonymous_people(session, team_id=team_id or 0, month="2026-11")


def answered_question(session, person: Person) -> None:  # noqa: ANN001
    expectation = Expectation(key="lead-with-value", statement="Lead with value", pillar="selling")
    session.add(expectation)
    session.flush()
    question = Question(key="q1", expectation_id=expectation.id, prompt="?", options=["a", "b"], correct=0,
                        explanation="because")
    session.add(question)
    session.flush()
    delivery = Delivery(occurrence="quiz", person_id=person.id, kind=DeliveryKind.QUIZ, due_at=NOON,
                        status=DeliveryStatus.SENT, question_id=question.id)
    session.add(delivery)
    session.flush()
    session.add(QuizAsk(question_id=question.id, expectation_id=expectation.id, person_id=person.id,
                        delivery_id=delivery.id, answered_at=NOON, choice=0, correct=True, confidence=4))
    session.add(AuditEvent(actor_id=person.id, action="away.off", detail={}))


def broadcast_to(session, person: Person, other: Person) -> int:  # noqa: ANN001
    message = Message(key="win", title="Win", body="Win on strategy")
    session.add(message)
    session.flush()
    broadcast = Broadcast(message_id=message.id, created_by_id=other.id, audience_label=f"{person.name}, {other.name}",
                          audience={"person_ids": [person.id, other.id], "team_ids": [], "all_reps": False})
    session.add(broadcast)
    session.flush()
    return broadcast.id or 0


def test_erase_deletes_what_identifies_them_and_leaves_anonymous_feedback_as_it_was(org: Engine) -> None:
    secret = key()
    for rep in ("U0REPEA01", "U0REPEA02", "U0REPEA03", "U0MGREAST"):
        give(org, rep, f"anonymous from {rep}", secret=secret, anonymous=True)
    give(org, "U0REPEA01", "named from Aiko", secret=secret, anonymous=False)
    with session_scope(org) as session:
        release_due(session, key=secret, now=NOON + timedelta(days=1), tz="UTC")
        aiko = slack_person(session, "U0REPEA01")
        answered_question(session, aiko)
        waiting_delivery(session, aiko)
        broadcast_id = broadcast_to(session, aiko, slack_person(session, "U0LEADER1"))
        named = session.execute(select(Feedback).where(Feedback.author_id == aiko.id)).scalar_one()
        marco = slack_person(session, "U0MGREAST")
        session.add(FeedbackReply(feedback_id=named.id, author_id=marco.id, text="thanks Aiko"))
    before = anonymous_view(org)
    assert len(before[0]) == 4 and before[2] == 4
    with session_scope(org) as session:
        report = erase(session, removal_target(session, "aiko@example.com", erase=True))
    assert anonymous_view(org) == before
    with session_scope(org) as session:
        tombstone = session.get(Person, aiko.id)
        assert (tombstone.name, tombstone.email, tombstone.team_id, tombstone.active) == ("(erased)", None, None, False)
        for model, column in ((Account, Account.person_id), (QuizAsk, QuizAsk.person_id),
                              (AnswerState, AnswerState.person_id), (Delivery, Delivery.person_id),
                              (Feedback, Feedback.author_id), (AuditEvent, AuditEvent.actor_id)):
            assert session.execute(select(func.count()).select_from(model).where(column == aiko.id)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(FeedbackReply)).scalar_one() == 0
        assert not session.execute(select(Person).where(Person.email == "aiko@example.com")).first()
        assert session.execute(select(func.count()).select_from(Delivery)).scalar_one() == 0
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast.audience_label == "(erased), Lena Okafor" and aiko.id not in broadcast.audience["person_ids"]
    assert report.counts["accounts"] == 1 and report.counts["quiz answers"] == 1
    assert report.counts["named feedback items"] == 1 and report.counts["deliveries"] == 2


def test_an_erased_persons_id_is_never_given_to_the_next_person_imported(org: Engine) -> None:
    """A reply link sealed with the erased id must not reach a newcomer: SQLite would reuse max(id) + 1."""
    with session_scope(org) as session:
        newest = session.get(Person, session.execute(select(func.max(Person.id))).scalar_one())
        erase(session, removal_target(session, newest.email, erase=True))
    with session_scope(org) as session:
        import_org_csv(session, "slack_id,email,name,role,team,manager_slack_id\n"
                                "U0NEWREP1,new@example.com,New Rep,rep,East,\n", formats=USER_ID_FORMATS)
        assert find_person(session, "new@example.com").id > newest.id


def test_listing_reads_a_fixed_number_of_queries_whatever_the_size(org: Engine) -> None:
    """No query per person: 9 people and 209 people take the same number of statements."""
    def statements() -> int:
        with statements_on(org) as seen, session_scope(org) as session:
            rows = list_people(session)
            export_org_csv(session, PLATFORMS)
        assert rows
        return len(seen)

    small = statements()
    rows = "".join(f"U0BULK{index:03d},bulk{index}@example.com,Bulk {index},rep,East,U0MGREAST\n" for index in range(200))
    with session_scope(org) as session:
        import_org_csv(session, "slack_id,email,name,role,team,manager_slack_id\n" + rows, formats=USER_ID_FORMATS)
    assert statements() == small
