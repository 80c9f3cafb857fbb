"""Drumbeat's tables: what happened, stored once.

Enumerations are stored as short strings (not database ENUM types) so adding a value never needs a
migration that PostgreSQL and SQLite disagree on; the allowed values live in the StrEnums below and are
checked where data comes in. Every timestamp is timezone-aware UTC.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

# Stable constraint names, so Alembic migrations (SQLite batch mode included) can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    LEADER = "leader"
    ADMIN = "admin"


class BroadcastStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class DeliveryStatus(StrEnum):
    HELD = "held"  # the recipient is away; released (latest occurrence only) when they are back
    PENDING = "pending"  # waiting for its due time (or for a retry)
    SENDING = "sending"  # claimed by a dispatcher; may have reached Slack if that dispatcher died
    SENT = "sent"
    FAILED = "failed"  # gave up: permanent error or too many attempts
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"  # a newer occurrence of the same broadcast replaced it (after time away)


class DeliveryKind(StrEnum):
    BROADCAST = "broadcast"
    REMINDER = "reminder"
    QUIZ = "quiz"  # a pulse-check question on its own (a spaced-repetition re-ask)
    COACHING = "coaching"  # a manager's daily coaching DM (no broadcast, no message: see CoachingDigest)
    NUDGE = "nudge"  # a rep's gentle "something is waiting for you" DM (no broadcast, no message)
    REFRESHER = "refresher"  # a manager re-sent the canonical message and a new question (no broadcast)
    CHANNEL_POST = "channel_post"  # a broadcast posted once to a channel (person: its leader; see AudienceGroup)


class QuizMode(StrEnum):
    MISSED = "missed"  # a missed expectation comes back until it is mastered (default)
    ALL = "all"  # every expectation asked comes back until mastered
    NONE = "none"  # ask once, never repeat


class Team(SQLModel, table=True):
    """A team; `group_*` links it to a chat platform's group (a Slack user group, a Teams team or Entra group)
    whose members are then the team's reps."""

    __table_args__ = (UniqueConstraint("group_platform", "group_id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    group_platform: str | None = Field(default=None, max_length=16)
    group_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


#: `Person.tz` of someone whose zone no directory has told us yet: they are reckoned in UTC until a sync finds theirs.
NO_KNOWN_ZONE = "UTC"


class Person(SQLModel, table=True):
    """Someone in the organisation, whatever chat platform they use (their accounts are `Account` rows)."""

    id: int | None = Field(default=None, primary_key=True)
    email: str | None = Field(default=None, max_length=254)
    name: str = Field(max_length=200)
    tz: str = Field(default=NO_KNOWN_ZONE, max_length=64, index=True)  # the zones a schedule must wake for
    role: str = Field(default=Role.REP, max_length=16)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    active: bool = Field(default=True)
    away_from: date | None = Field(default=None)  # deliveries are held from this local date ...
    away_until: date | None = Field(default=None)  # ... through this one (inclusive)
    # Set by `drumbeat org remove`: a directory sync never reactivates them; a new `org import` naming them does.
    removed_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def is_away_on(self, day: date) -> bool:
        return self.away_until is not None and (self.away_from or date.min) <= day <= self.away_until

    @property
    def first_name(self) -> str:
        return first_name_of(self.name)


def first_name_of(name: str) -> str:
    """A person's first name as templates greet them (also for names read as plain columns)."""
    return name.split()[0] if name.strip() else name


class Account(SQLModel, table=True):
    """One way to reach a person: a user id on one chat platform, in one workspace or tenant.

    A person may have several (Slack and Teams during a migration between the two); what Drumbeat sends goes
    to their first account (the lowest id), see `storage.queries.accounts`. An empty `workspace_id` means the one
    workspace or tenant this installation serves (every account imported before workspaces were recorded)."""

    __table_args__ = (UniqueConstraint("platform", "workspace_id", "user_id"),
                      Index("ix_account_user", "user_id", "platform"))  # a cached group's members -> people

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=16)
    workspace_id: str = Field(default="", max_length=64)
    user_id: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class AudienceGroup(SQLModel, table=True):
    """A group whose members only a chat platform knows (a Slack user group or channel; a Teams team or an Entra
    group later), named in a broadcast's audience, with its membership cached (AudienceGroupMember).

    `refreshed_at` bounds how old the cache is: a due broadcast re-reads a group older than the freshness bound
    before it is expanded; events (members joined or left) keep it current in between. None: never read."""

    __table_args__ = (UniqueConstraint("platform", "kind", "group_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    kind: str = Field(max_length=16)  # "usergroup", "channel", ... (the platform's own words)
    group_id: str = Field(max_length=128)
    label: str = Field(default="", max_length=200)  # its handle or name, as leaders know it
    refreshed_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)


class AudienceGroupMember(SQLModel, table=True):
    """One platform account in a cached group: the platform's user id, and the person behind it when Drumbeat's
    directory knows them (linked in SQL when the group is written: storage.queries.audience_groups). A member new
    to Drumbeat is counted as left out rather than lost, and is linked at the group's next write once known.
    The person id is stored, not joined at each use, so resolving a 10,000-member channel in chunks of 250 reads
    one index (group, person) per chunk, not the whole membership joined to accounts again."""

    __table_args__ = (Index("ix_audiencegroupmember_person", "group_id", "person_id"),)

    group_id: int = Field(foreign_key="audiencegroup.id", primary_key=True)
    user_id: str = Field(max_length=128, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")


class Expectation(SQLModel, table=True):
    """Something leaders expect of reps; quizzes measure whether it is understood."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    statement: str = Field(max_length=300)
    pillar: str = Field(max_length=60)
    pack: str = Field(default="default", max_length=80)


LITERAL_SOURCE = "text"  # Message.source of a body that is plain text, not a template


class Message(SQLModel, table=True):
    """One version of a canonical strategy message; a new version is a new row, old ones stay."""

    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, index=True)
    version: int = Field(default=1)
    title: str = Field(max_length=150)
    body: str
    key_message: bool = Field(default=False)
    expectation_keys: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    author_id: int | None = Field(default=None, foreign_key="person.id")
    # "pack"; "chat": written by a leader in the chat; "text" (LITERAL_SOURCE): typed by a manager after
    # `feedback request` / `feedback yousaid`, shown as typed, never rendered as a template.
    source: str = Field(default="pack", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class Question(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    expectation_id: int = Field(foreign_key="expectation.id", index=True)
    prompt: str = Field(max_length=300)
    options: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    correct: int
    explanation: str
    active: bool = Field(default=True)


class Broadcast(SQLModel, table=True):
    """A leader's decision to put a message on the drumbeat for an audience."""

    # The materialiser's only read of broadcasts: the active ones due before its horizon (or not yet planned).
    __table_args__ = (Index("ix_broadcast_due", "status", "next_due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    created_by_id: int = Field(foreign_key="person.id", index=True)
    audience: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    audience_label: str = Field(default="", max_length=200)
    recurrence: str | None = Field(default=None)  # schedules.recurrence.Recurrence as JSON; None: now
    starts_at: datetime = Field(default_factory=utcnow)
    local_time: bool = Field(default=True)  # at each recipient's local time, else at anchor_tz's
    anchor_tz: str = Field(default="UTC", max_length=64)
    question_id: int | None = Field(default=None, foreign_key="question.id")
    quiz_mode: str = Field(default=QuizMode.MISSED, max_length=16)
    quiz_only: bool = Field(default=False)  # deliveries are the question alone (the message is its context)
    status: str = Field(default=BroadcastStatus.ACTIVE, max_length=16)
    materialised_until: datetime | None = Field(default=None)  # occurrences due up to here have rows
    # The earliest instant, over every zone it is computed in, at which an occurrence falls due; None: not planned
    # yet (new, resumed, or from before 0010). See schedules/next_due.py.
    next_due_at: datetime | None = Field(default=None)
    # Per zone: [the next occurrence's instant (ISO, UTC) or None when over there, its index in the series].
    schedule_state: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ScheduleZone(SQLModel, table=True):
    """A time zone the materialiser has planned every local-time broadcast in. A person in a zone not listed here
    (new in the directory, or moved) makes the materialiser plan that zone for every broadcast, then list it."""

    tz: str = Field(primary_key=True, max_length=64)
    added_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """One message to one person for one occurrence of a broadcast: the unit the outbox sends once."""

    __table_args__ = (
        UniqueConstraint("broadcast_id", "occurrence", "person_id"),
        Index("ix_delivery_due", "status", "due_at"),
        Index("ix_delivery_person_due", "person_id", "due_at"),  # one team's history, by period (summaries)
        Index("ix_delivery_sent", "status", "sent_at"),  # reminders: what was sent a day ago, not all history
    )

    id: int | None = Field(default=None, primary_key=True)
    # None for what Drumbeat itself says (coaching DMs, nudges, refreshers): those are made unique by the
    # coaching tables that point at them (CoachingDigest, CoachingNudge), not by (broadcast, occurrence, person).
    # No index of their own: the unique constraint leads with broadcast_id, ix_delivery_person_due with person_id.
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id")
    occurrence: str = Field(max_length=64)  # the recipient's local date/time of the occurrence, or "now"
    person_id: int = Field(foreign_key="person.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")  # the version this delivery carries
    kind: str = Field(default=DeliveryKind.BROADCAST, max_length=16)
    question_id: int | None = Field(default=None, foreign_key="question.id")  # asked with (or as) this delivery
    scheduled_for: datetime | None = Field(default=None)  # the occurrence's own time, before any shift
    due_at: datetime
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None)
    claimed_at: datetime | None = Field(default=None)
    claimed_by: str | None = Field(default=None, max_length=64)  # the claiming process's unique worker id
    # Set when an attempt may have reached the recipient without our knowing (a timeout, a reset after the
    # request was written, a claimer that vanished): it must be proved unsent before any resend.
    uncertain_since: datetime | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    # Where the sent message lives on its platform (Slack: channel and ts; Teams: conversation and activity id),
    # so a click can update it in place.
    platform: str | None = Field(default=None, max_length=16)
    conversation_id: str | None = Field(default=None, max_length=256)
    platform_message_id: str | None = Field(default=None, max_length=128)
    sent_at: datetime | None = Field(default=None)
    acknowledged_at: datetime | None = Field(default=None)

    @property
    def idempotency_key(self) -> str:
        return f"d{self.id}:b{self.broadcast_id}:{self.occurrence}:p{self.person_id}"


class QuizAsk(SQLModel, table=True):
    """One question put to one rep, and their answer."""

    __table_args__ = (
        Index("ix_quizask_person_expectation", "person_id", "expectation_id", "answered_at"),
        # Covers the summary's "latest answer per rep and expectation in a period" (id breaks ties), so one
        # team's figures are an index-only range scan whatever the size of other teams' history.
        Index("ix_quizask_person_answered", "person_id", "answered_at", "expectation_id", "correct", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    expectation_id: int = Field(foreign_key="expectation.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", unique=True)
    mode: str = Field(default=QuizMode.MISSED, max_length=16)
    asked_at: datetime = Field(default_factory=utcnow)
    answered_at: datetime | None = Field(default=None)
    choice: int | None = Field(default=None)
    correct: bool | None = Field(default=None)
    confidence: int | None = Field(default=None)  # 1 (guessing) .. 5 (sure)


class AnswerState(SQLModel, table=True):
    """Where a rep stands on one expectation by their answers: the latest two (newest answered_at, then id).

    Why: organisation-wide figures (the leader's Home, the coaching selection) need each rep's latest answer
    per expectation; ranking every answer ever given for that (1,000,000 at 5,000 reps) took seconds. This
    table holds one row per rep and expectation (35,000), kept exact by database triggers on quizask
    (migration 0014) in the same transaction as the answer, whoever writes it. The latest answer in a period
    that is open at its end is the latest answer overall, when that one falls in the period.
    """

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    expectation_id: int = Field(foreign_key="expectation.id", primary_key=True)
    latest_ask_id: int
    latest_at: datetime
    latest_correct: bool | None = Field(default=None)
    previous_ask_id: int | None = Field(default=None)
    previous_at: datetime | None = Field(default=None)
    previous_correct: bool | None = Field(default=None)


class ExpectationProgress(SQLModel, table=True):
    """Where a rep stands on one expectation: the spaced-repetition box and when to ask again."""

    __table_args__ = (UniqueConstraint("person_id", "expectation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    expectation_id: int = Field(foreign_key="expectation.id")
    mode: str = Field(default=QuizMode.MISSED, max_length=16)
    box: int = Field(default=0)  # index into the interval ladder (1, 3, 7, 14, 30 days)
    streak: int = Field(default=0)  # correct answers in a row
    ever_missed: bool = Field(default=False)
    next_ask_at: datetime | None = Field(default=None, index=True)
    mastered_at: datetime | None = Field(default=None)
    last_question_id: int | None = Field(default=None, foreign_key="question.id")
    origin_broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id")  # re-asks go out under it
    updated_at: datetime = Field(default_factory=utcnow)


class FeedbackAbout(StrEnum):
    STRATEGY = "strategy"
    TEAM = "team"  # the team's way of working
    LEADERS = "leaders"  # what leaders expect, and what reps expect of leaders


def random_id() -> int:
    """A random primary key (62 bits): for rows whose order of arrival must not be readable from their ids. The
    SQLite type is INTEGER so that the id *is* the rowid (a BIGINT key would leave a hidden rowid that counts)."""
    return secrets.randbits(62) or 1


RANDOM_ID = BigInteger().with_variant(Integer(), "sqlite")


class Feedback(SQLModel, table=True):
    """Stop / start / continue, as readers see it. An anonymous row has no author, no exact time and nothing that
    joins it to its author or to the author's other items: a random id, the organisation's date, no tag (people
    are counted in FeedbackRespondent), no submission key; `reply_link` is the author sealed with the key (which
    is never in the database). Anonymous rows are written only by the daily release, in a shuffled batch."""

    __table_args__ = (Index("ix_feedback_team_month", "team_id", "month"),)

    id: int | None = Field(default_factory=random_id, primary_key=True, sa_type=RANDOM_ID,
                           sa_column_kwargs={"autoincrement": False})
    team_id: int | None = Field(default=None, foreign_key="team.id")
    about: str = Field(default=FeedbackAbout.STRATEGY, max_length=16)
    stop: str = Field(default="", max_length=1000)
    start: str = Field(default="", max_length=1000)
    keep: str = Field(default="", max_length=1000)  # "continue" (a keyword in Python)
    anonymous: bool = Field(default=True)
    author_id: int | None = Field(default=None, foreign_key="person.id")  # named feedback only
    month: str = Field(max_length=7)  # YYYY-MM in the organisation's zone, the period thresholds apply to
    submitted_on: date  # the organisation's date, never the time, for anonymous feedback
    submitted_at: datetime | None = Field(default=None)  # named feedback only
    reply_link: bytes | None = Field(default=None)  # anonymous and opted in only; sealed
    submission_key: str | None = Field(default=None, max_length=64, unique=True)  # named only: no double submission
    withdrawn: bool = Field(default=False)


class FeedbackPending(SQLModel, table=True):
    """An anonymous submission waiting for its day's release: sealed and padded, so a database reader sees only
    that something arrived (and the organisation's date), not what, for which team, or which released item it
    becomes. The release deletes it and writes its Feedback row; `submission_key` (HMAC of the modal's view id)
    stops a double submission until then and goes with it."""

    id: int | None = Field(default_factory=random_id, primary_key=True, sa_type=RANDOM_ID,
                           sa_column_kwargs={"autoincrement": False})
    day: date = Field(index=True)
    key_id: str = Field(max_length=16)
    sealed: bytes
    submission_key: str = Field(max_length=64, unique=True)


class FeedbackRespondent(SQLModel, table=True):
    """One row per different anonymous author of a team's released feedback in a month, under one key: `tag` is
    an HMAC (person, team, month) that nobody without the key can compute. It is kept apart from the items, so no
    two items share anything that links them. SQLite: WITHOUT ROWID, so no hidden counter orders the rows."""

    __table_args__ = {"sqlite_with_rowid": False}

    team_id: int = Field(foreign_key="team.id", primary_key=True)
    month: str = Field(max_length=7, primary_key=True)
    key_id: str = Field(max_length=16, primary_key=True)
    tag: str = Field(max_length=64, primary_key=True)


class FeedbackReply(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    feedback_id: int = Field(foreign_key="feedback.id", index=True, sa_type=RANDOM_ID)
    author_id: int = Field(foreign_key="person.id")
    text: str = Field(max_length=2000)
    sent_at: datetime = Field(default_factory=utcnow)


class NudgeReason(StrEnum):
    MISSED_TWICE = "missed_twice"  # the same expectation answered wrong on the last two asks
    DROPPED = "dropped"  # the rep's understanding fell by DRUMBEAT_COACHING_DROP_POINTS in two weeks
    UNACKNOWLEDGED = "unacknowledged"  # a key message still without "Got it" after some days
    OFF_STRATEGY = "off_strategy"  # the rep's open pipeline under DRUMBEAT_ON_STRATEGY_FLAG for two weeks, or falling


class NudgeStatus(StrEnum):
    OPEN = "open"
    COACHED = "coached"
    SNOOZED = "snoozed"


class CoachingCause(StrEnum):
    """The diagnostic a sales leader walks, from the result back to its cause (in this order)."""

    GOAL = "goal"
    WORK_PRODUCTS = "work_products"
    PROCESS = "process"
    TASKS = "tasks"
    PERSON = "person"


class DigestKind(StrEnum):
    MANAGER = "manager"  # the manager's coaching DM
    REP = "rep"  # the rep's own gentle nudge


class CoachingTip(SQLModel, table=True):
    """A content pack's talking points for one expectation, stored so the composer can read them."""

    id: int | None = Field(default=None, primary_key=True)
    expectation_id: int = Field(foreign_key="expectation.id", unique=True)
    goal: str = Field(max_length=500)
    work_products: str = Field(max_length=500)
    process: str = Field(max_length=500)
    tasks: str = Field(max_length=500)
    person: str = Field(max_length=500)
    pack: str = Field(default="default", max_length=80)


class CoachingDigest(SQLModel, table=True):
    """One coaching DM decided for one person on one of their local days.

    The unique key (person, kind, local date) is what makes "at most one a day" hold across restarts and
    several instances: the row and its Delivery are written in one transaction, and a second writer fails."""

    __table_args__ = (UniqueConstraint("person_id", "kind", "local_date"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(default=DigestKind.MANAGER, max_length=16)
    local_date: date
    decided_at: datetime = Field(default_factory=utcnow)
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", unique=True)
    nudges: int = Field(default=0)  # manager: how many nudges it carries
    waiting_questions: int = Field(default=0)  # rep: unanswered questions older than the threshold
    waiting_messages: int = Field(default=0)  # rep: unacknowledged messages older than the threshold


class CoachingNudge(SQLModel, table=True):
    """A manager is told that one rep needs a conversation about one expectation (or one key message)."""

    __table_args__ = (Index("ix_coachingnudge_rep_topic", "rep_id", "expectation_id", "message_key"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="coachingdigest.id", index=True)
    manager_id: int = Field(foreign_key="person.id", index=True)
    rep_id: int = Field(foreign_key="person.id")
    expectation_id: int | None = Field(default=None, foreign_key="expectation.id")  # None: unacknowledged message
    message_key: str | None = Field(default=None, max_length=80)  # the key message left unacknowledged
    reason: str = Field(max_length=16)
    evidence_at: datetime  # the answer (or the delivery) that triggered it: newer evidence may nudge again
    created_at: datetime = Field(default_factory=utcnow)
    understanding_at_nudge: int | None = Field(default=None)  # percent right on the latest answer (0 or 100)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    status: str = Field(default=NudgeStatus.OPEN, max_length=16)
    cause: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, max_length=1000)
    coached_by_id: int | None = Field(default=None, foreign_key="person.id")
    coached_at: datetime | None = Field(default=None)
    snoozed_by_id: int | None = Field(default=None, foreign_key="person.id")
    snoozed_until: datetime | None = Field(default=None)
    refresher_delivery_id: int | None = Field(default=None, foreign_key="delivery.id")
    refreshed_by_id: int | None = Field(default=None, foreign_key="person.id")
    refreshed_at: datetime | None = Field(default=None)


class AuditEvent(SQLModel, table=True):
    """Who did what, for admins; never holds anonymous feedback's author."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class RequestReceipt(SQLModel, table=True):
    """A request from a platform we have acted on (an event id, a modal submission's view id, a slash
    command's trigger id), so a retry or a second click is recognised and not acted on again.

    Written in the same transaction as the action's effect; `outcome` says what that was (e.g. the broadcast
    id), so a repeated request can be answered the same way. Old receipts are pruned daily."""

    __table_args__ = (UniqueConstraint("platform", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    key: str = Field(max_length=200)  # "event:Ev0123", "view:V0123", "trigger:123.456.abc"
    received_at: datetime = Field(default_factory=utcnow, index=True)
    outcome: str | None = Field(default=None, max_length=200)


class ConversationRef(SQLModel, table=True):
    """Where a platform that cannot open a DM by user id alone (Teams) reaches a person: the conversation it
    learnt when its app was installed for them, and the service that conversation lives on.

    `usable` turns False when the app is uninstalled for the person (a send there would be refused); a new
    installation makes it usable again. The ids are the platform's own, stored as it gave them."""

    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=128)  # the `Address.user_id` (Teams: the Entra object id)
    conversation_id: str = Field(max_length=512)
    service_url: str = Field(max_length=512)
    tenant_id: str = Field(default="", max_length=64)
    platform_user_id: str = Field(default="", max_length=256)  # Teams: the person's `29:` id for this bot
    usable: bool = Field(default=True)
    updated_at: datetime = Field(default_factory=utcnow)


# The pipeline's tables live in their own module; importing it here registers them wherever the models are.
from storage import deals as _deals  # noqa: E402,F401
