"""Nudge selection and coaching activity from SQL, against lists worked out by hand on a seeded organisation.

The organisation (now = Monday 30 Nov 2026, 09:00 UTC; the drop window starts Monday 16 Nov):
East (manager Mia): Ann, Ben, Cai, Dan, Hal. West (manager Wes): Eve, Fay (inactive). Gus has no manager.
Expectations e1..e5, one question each (q5 also has a withdrawn twin).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.people import add_person
from storage.db import session_scope
from storage.models import (
    CoachingDigest,
    CoachingNudge,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    DigestKind,
    Expectation,
    Message,
    NudgeStatus,
    Question,
    QuizAsk,
    Team,
)
from storage.queries.coaching import (
    Candidate,
    CoachingActivity,
    SelectionRules,
    Waiting,
    coaching_activity,
    nudge_candidates,
    waiting_for_reps,
)

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


def nov(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


class Org:
    """Builds the seeded organisation and remembers ids by name."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.digests = 0
        east, west = Team(name="East"), Team(name="West")
        session.add_all([east, west])
        session.flush()
        self.team = {"East": east.id, "West": west.id}
        mia = add_person(session, "U0MIA", name="Mia", role="manager", team_id=east.id)
        wes = add_person(session, "U0WES", name="Wes", role="manager", team_id=west.id)
        session.add_all([mia, wes])
        session.flush()
        self.id = {"Mia": mia.id, "Wes": wes.id}
        for name, manager, team, active in (("Ann", mia, east, True), ("Ben", mia, east, True),
                                            ("Cai", mia, east, True), ("Dan", mia, east, True),
                                            ("Hal", mia, east, True), ("Eve", wes, west, True),
                                            ("Fay", wes, west, False), ("Gus", None, east, True)):
            person = add_person(session, f"U0{name.upper()}", name=name, role="rep", team_id=team.id,
                            manager_id=manager.id if manager else None, active=active)
            session.add(person)
            session.flush()
            self.id[name] = person.id
        self.question: dict[str, Question] = {}
        for n in range(1, 6):
            expectation = Expectation(key=f"e{n}", statement=f"expectation {n}", pillar="p")
            session.add(expectation)
            session.flush()
            self.id[f"e{n}"] = expectation.id
            question = Question(key=f"q{n}", expectation_id=expectation.id, prompt="?", options=["a", "b"],
                                correct=0, explanation=".")
            session.add(question)
            session.flush()
            self.question[f"e{n}"] = question
        withdrawn = Question(key="q5-old", expectation_id=self.id["e5"], prompt="?", options=["a", "b"], correct=0,
                             explanation=".", active=False)
        session.add(withdrawn)
        session.flush()
        self.question["withdrawn"] = withdrawn
        self.messages: dict[str, Message] = {}
        for key, key_message in (("km", True), ("km2", True), ("km3", True), ("nk", False)):
            message = Message(key=key, title=key, body="b", key_message=key_message)
            session.add(message)
            session.flush()
            self.messages[key] = message

    def answers(self, rep: str, expectation: str, *marks: tuple[int, bool]) -> None:
        """`marks` are (day of November, right?) in time order."""
        for day, right in marks:
            self.session.add(QuizAsk(question_id=self.question[expectation].id, expectation_id=self.id[expectation],
                                     person_id=self.id[rep], asked_at=nov(day), answered_at=nov(day),
                                     choice=0 if right else 1, correct=right))
        self.session.flush()

    def unanswered(self, rep: str, expectation: str, day: int, *, question: str | None = None) -> None:
        delivery = self.delivery(rep, None, day, kind=DeliveryKind.QUIZ)
        self.session.add(QuizAsk(question_id=self.question[question or expectation].id,
                                 expectation_id=self.id[expectation], person_id=self.id[rep], asked_at=nov(day),
                                 delivery_id=delivery.id))
        self.session.flush()

    def delivery(self, rep: str, message: str | None, day: int, *, kind: str = DeliveryKind.BROADCAST,
                 acknowledged: bool = False, hour: int = 10, status: str = DeliveryStatus.SENT) -> Delivery:
        row = Delivery(occurrence=f"{rep}-{message}-{day}-{hour}", person_id=self.id[rep], kind=kind,
                       message_id=self.messages[message].id if message else None, due_at=nov(day, hour),
                       status=status, sent_at=nov(day, hour) if status == DeliveryStatus.SENT else None,
                       acknowledged_at=nov(day, hour + 1) if acknowledged else None)
        self.session.add(row)
        self.session.flush()
        return row

    def nudge(self, manager: str, rep: str, expectation: str | None, *, status: str, created: int = 15,
              coached: int | None = None, snoozed_until: datetime | None = None, digest_sent: bool = True,
              understanding: int | None = 0, refresher: bool = False) -> None:
        delivery = self.delivery(manager, None, created, kind=DeliveryKind.COACHING,
                                 status=DeliveryStatus.SENT if digest_sent else DeliveryStatus.PENDING)
        self.digests += 1  # one digest per nudge here, each on its own day (the table allows one a day)
        digest = CoachingDigest(person_id=self.id[manager], local_date=nov(1).date() + timedelta(days=self.digests),
                                delivery_id=delivery.id, decided_at=nov(created))
        self.session.add(digest)
        self.session.flush()
        refresher_id = self.delivery(rep, None, created, kind=DeliveryKind.REFRESHER).id if refresher else None
        self.session.add(CoachingNudge(
            digest_id=digest.id, manager_id=self.id[manager], rep_id=self.id[rep],
            expectation_id=self.id[expectation] if expectation else None, reason="missed_twice",
            evidence_at=nov(created), created_at=nov(created), status=status, understanding_at_nudge=understanding,
            coached_at=nov(coached) if coached else None, snoozed_until=snoozed_until,
            refresher_delivery_id=refresher_id))
        self.session.flush()


def seed_selection(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        org = Org(session)
        org.answers("Ann", "e1", (20, False), (25, False))  # missed twice in a row
        org.answers("Ann", "e2", (10, True))
        org.answers("Ben", "e2", (5, True), (20, True))  # understanding 100% before the window ...
        org.answers("Ben", "e3", (5, True), (22, False))
        org.answers("Ben", "e1", (20, False), (25, True), (27, False))  # ... 33% now; not twice in a row
        org.answers("Cai", "e1", (20, False), (22, False))  # an open nudge covers it
        org.answers("Cai", "e2", (21, False), (23, False))  # coached on the 24th, after this evidence
        org.answers("Cai", "e3", (18, False), (26, False))  # coached on the 24th, missed again since
        org.answers("Dan", "e1", (20, False), (21, False))  # snoozed until 3 December
        org.answers("Dan", "e2", (20, False), (21, False))  # snoozed until 29 November: over
        org.answers("Hal", "e1", (2, True))
        org.answers("Hal", "e2", (2, True))
        org.answers("Hal", "e3", (2, True))
        org.answers("Hal", "e4", (2, True))
        org.answers("Hal", "e5", (2, True), (24, False))  # 100% -> 80%: exactly 20 points
        org.answers("Eve", "e1", (10, True), (20, False))  # dropped
        org.answers("Eve", "e2", (21, False), (22, False))  # dropped too, but missed twice comes first
        org.answers("Fay", "e1", (20, False), (21, False))  # inactive
        org.answers("Gus", "e1", (20, False), (21, False))  # nobody to tell
        org.nudge("Mia", "Cai", "e1", status=NudgeStatus.OPEN, created=23)
        org.nudge("Mia", "Cai", "e2", status=NudgeStatus.COACHED, created=23, coached=24)
        org.nudge("Mia", "Cai", "e3", status=NudgeStatus.COACHED, created=23, coached=24)
        org.nudge("Mia", "Dan", "e1", status=NudgeStatus.SNOOZED, created=22, snoozed_until=nov(22) + timedelta(days=11))
        org.nudge("Mia", "Dan", "e2", status=NudgeStatus.SNOOZED, created=22, snoozed_until=nov(22) + timedelta(days=7))
        org.delivery("Dan", "km", 25)  # key message, 5 days without Got it
        org.delivery("Dan", "km2", 28)  # only 2 days
        org.delivery("Dan", "nk", 20)  # not a key message
        org.delivery("Dan", "km3", 20)
        org.delivery("Dan", "km3", 26, acknowledged=True)  # the newer copy was acknowledged
        org.delivery("Ann", "km", 20, acknowledged=True)
        return org.id


def test_nudge_selection_matches_the_list_worked_out_by_hand(engine: Engine) -> None:
    ids = seed_selection(engine)
    with session_scope(engine) as session:
        found = nudge_candidates(session, now=NOW, rules=SelectionRules())

    def c(manager: str, rep: str, expectation: str | None, reason: str, day: int, message: str | None = None) -> Candidate:
        return Candidate(ids[manager], ids[rep], ids[expectation] if expectation else None, message, reason, nov(day),
                         None if reason == "unacknowledged" else 0)

    assert found == [
        c("Mia", "Ann", "e1", "missed_twice", 25),
        c("Mia", "Dan", "e2", "missed_twice", 21),
        c("Mia", "Cai", "e3", "missed_twice", 26),
        c("Mia", "Ben", "e1", "dropped", 27),
        c("Mia", "Ben", "e3", "dropped", 22),
        c("Mia", "Hal", "e5", "dropped", 24),
        c("Mia", "Dan", None, "unacknowledged", 25, "km"),
        c("Wes", "Eve", "e2", "missed_twice", 22),
        c("Wes", "Eve", "e1", "dropped", 20),
    ]


def test_a_drop_just_under_the_threshold_is_not_a_nudge_and_managers_can_be_chosen(engine: Engine) -> None:
    ids = seed_selection(engine)
    with session_scope(engine) as session:
        found = nudge_candidates(session, now=NOW, rules=SelectionRules(drop_points=21), manager_ids=[ids["Mia"]])
    assert [(row.rep_id, row.reason) for row in found] == [
        (ids["Ann"], "missed_twice"), (ids["Dan"], "missed_twice"), (ids["Cai"], "missed_twice"),
        (ids["Ben"], "dropped"), (ids["Ben"], "dropped"), (ids["Dan"], "unacknowledged"),
    ]


def test_reps_waiting_for_two_days_are_listed_unless_nudged_lately(engine: Engine) -> None:
    with session_scope(engine) as session:
        org = Org(session)
        org.unanswered("Ann", "e1", 26)  # waiting 4 days
        org.unanswered("Ben", "e1", 29)  # only a day
        org.unanswered("Cai", "e1", 19)
        org.answers("Cai", "e1", (20, True))  # ... but a later ask on it was answered
        org.unanswered("Hal", "e5", 20, question="withdrawn")  # a withdrawn question waits for nothing
        org.unanswered("Eve", "e1", 20)
        session.add(CoachingDigest(person_id=org.id["Eve"], kind=DigestKind.REP, local_date=nov(28).date(),
                                   decided_at=nov(28)))  # nudged two days ago
        org.unanswered("Fay", "e1", 20)  # inactive
        org.delivery("Dan", "km", 25)
        org.delivery("Dan", "km2", 28, hour=10)  # not yet two days
        org.delivery("Dan", "nk", 20)  # any message counts for the rep's own nudge
        org.delivery("Dan", "km3", 20)
        org.delivery("Dan", "km3", 26, acknowledged=True)
        org.delivery("Ann", "km", 20, acknowledged=True)
        ids = org.id
    with session_scope(engine) as session:
        found = waiting_for_reps(session, now=NOW, older_than=timedelta(days=2), every=timedelta(days=3))
    assert found == [Waiting(ids["Ann"], 1, 0), Waiting(ids["Dan"], 0, 2)]


def test_coaching_activity_counts_what_followed_the_nudges(engine: Engine) -> None:
    since = nov(10)
    with session_scope(engine) as session:
        org = Org(session)
        org.nudge("Mia", "Ann", "e1", status=NudgeStatus.COACHED, created=15, coached=20)
        org.answers("Ann", "e1", (18, False), (22, True))  # right after coaching: improved
        org.nudge("Mia", "Ben", "e2", status=NudgeStatus.COACHED, created=15, coached=20)
        org.answers("Ben", "e2", (23, False))  # answered after, still wrong: measured, not improved
        org.nudge("Mia", "Cai", "e3", status=NudgeStatus.COACHED, created=15, coached=20)  # nothing answered since
        org.nudge("Mia", "Dan", "e1", status=NudgeStatus.SNOOZED, created=16, digest_sent=False)  # DM not out yet
        org.nudge("Mia", "Ann", "e2", status=NudgeStatus.OPEN, created=17, refresher=True)
        org.nudge("Wes", "Eve", "e1", status=NudgeStatus.COACHED, created=15, coached=20)  # another team
        org.answers("Eve", "e1", (22, True))
        org.nudge("Mia", "Hal", "e1", status=NudgeStatus.COACHED, created=5, coached=6)  # before the period
        org.answers("Hal", "e1", (22, True))
        east = org.team["East"]
    with session_scope(engine) as session:
        activity = coaching_activity(session, team_id=east, since=since)
    assert activity == CoachingActivity(nudges_sent=4, reps_nudged=3, coached=3, snoozed=1, refreshers=1,
                                        improved=1, measured=2)


def test_coaching_activity_of_a_quiet_team_is_all_zero(engine: Engine) -> None:
    with session_scope(engine) as session:
        east = Org(session).team["East"]
    with session_scope(engine) as session:
        assert coaching_activity(session, team_id=east, since=nov(1)) == CoachingActivity(0, 0, 0, 0, 0, 0, 0)


def test_an_open_nudge_nobody_acted_on_stops_blocking_after_two_weeks(engine: Engine) -> None:
    with session_scope(engine) as session:
        org = Org(session)
        org.answers("Ann", "e1", (10, False), (12, False))
        org.nudge("Mia", "Ann", "e1", status=NudgeStatus.OPEN, created=13)
        ids = org.id
    with session_scope(engine) as session:
        still_open = nudge_candidates(session, now=nov(26), rules=SelectionRules())
        expired = nudge_candidates(session, now=nov(28), rules=SelectionRules())
    assert still_open == []
    assert [(c.rep_id, c.expectation_id, c.reason) for c in expired] == [(ids["Ann"], ids["e1"], "missed_twice")]
