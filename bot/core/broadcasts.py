"""Leaders put strategy messages on the drumbeat; reps acknowledge them.

A broadcast is a row; its deliveries are rows written by `schedules.materialise` (at once for "now",
by the materialiser job for scheduled ones). Nothing here talks to a chat platform: an audience is stored as the
leader chose it and resolved at each occurrence (bot.core.audiences).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from bot.core.audiences import AudienceSpec, ResolvedAudience, resolve_audience
from bot.core.errors import BadInput, NotFound, PermissionDenied
from bot.core.once import (
    RequestKey,
    claim_request,
    describe_schedule,
    earlier_broadcast,
    message_of,
    queued_counts,
    remember_broadcast,
)
from bot.core.library import (
    NewMessage,
    body_problem,
    check_new_message,
    latest_message,
    message_behind,
    new_version,
)
from bot.core.roles import require_role
from messages.rich import Rich
from schedules.audience_refresh import GroupRefresher
from schedules.channel_posts import insert_channel_posts
from schedules.materialise import DeliveryRules, delivery_kind, insert_deliveries, plan_for, recipient_zone, zone
from schedules.recurrence import Recurrence, RecurrenceError, next_occurrence
from storage.models import (
    AuditEvent,
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Message,
    Person,
    Question,
    QuizMode,
    Role,
)
from storage.queries.audience import AudienceReach

BROADCASTERS = (Role.LEADER, Role.ADMIN)


@dataclass(frozen=True)
class BroadcastDraft:
    audience: AudienceSpec
    message_key: str | None = None
    new_message: NewMessage | None = None
    recurrence: Recurrence | None = None  # None: now
    local_time: bool = True
    question_key: str | None = None
    quiz_mode: str = QuizMode.MISSED


class DraftProblems(BadInput):
    """Everything wrong with a draft, by field, so a modal can show each next to its input."""

    def __init__(self, problems: Mapping[str, str | Rich]) -> None:
        self.problems = dict(problems)
        super().__init__(Rich.join(" ", problems.values()))


@dataclass(frozen=True)
class BroadcastQueued:
    broadcast_id: int
    message_key: str
    message_title: str
    message_version: int
    recipients: int
    audience_label: str
    schedule: str  # "now" or the recurrence described
    now_count: int = 0  # deliveries due immediately
    later_count: int = 0  # moved by quiet hours, the daily cap, or time away
    next_run: datetime | None = None
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    repeated: bool = False  # the same request arrived before: this is what it queued then
    without_zone: int = 0  # recipients with no known time zone yet (reckoned in UTC): the leader is told
    reach: AudienceReach | None = None  # the audience resolved now: its people, and who is left out


@dataclass(frozen=True)
class Acknowledgement:
    delivery_id: int
    newly_acknowledged: bool
    acknowledged_at: datetime


# --- scheduling ----------------------------------------------------------------------------------


@dataclass
class _Checked:
    """A draft that passed every check: who it reaches and what it carries."""

    audience: ResolvedAudience
    message: Message | None  # None: a new message, saved as a version once everything else is fine
    question: Question | None
    quiz_only: bool


def _check_when(draft: BroadcastDraft, sender: Person, now: datetime, problems: dict[str, str | Rich]) -> None:
    if draft.recurrence is None:
        return
    try:
        draft.recurrence.validate(today=now.astimezone(zone(sender.tz)).date())
        if next_occurrence(draft.recurrence, sender.tz, after=now) is None:
            problems["when"] = "That time is already past: pick a time in the future."
    except RecurrenceError as problem:
        problems[problem.field] = str(problem)


def _check_question(session: Session, draft: BroadcastDraft, problems: dict[str, str | Rich]) -> Question | None:
    question = None
    if draft.question_key:
        question = session.execute(select(Question).where(Question.key == draft.question_key)).scalar_one_or_none()
        if question is None or not question.active:
            problems["question"] = f"There is no active question '{draft.question_key}'."
            question = None
    if draft.quiz_mode not in QuizMode._value2member_map_:
        problems["question"] = f"'{draft.quiz_mode}' is not a repeat mode (missed, all or none)."
    return question


def _check_message(session: Session, draft: BroadcastDraft, question: Question | None, quiz_only: bool,
                   problems: dict[str, str | Rich]) -> Message | None:
    if quiz_only:
        assert question is not None
        message = message_behind(session, question.expectation_id)
        if message is None:
            problems["message"] = "That question's expectation has no message in the library to go with it."
        return message
    if draft.new_message is not None:
        problems.update(check_new_message(draft.new_message))
        return None
    if not draft.message_key:
        problems["message"] = "Pick a message from the library or write a new one."
        return None
    try:
        message = latest_message(session, draft.message_key)
    except NotFound as missing:
        problems["message"] = missing.text
        return None
    broken = body_problem(message)  # a trial render: a body over its budget never reaches the outbox
    if broken is not None:
        problems["message"] = broken
    return message


def check_draft(session: Session, *, sender: Person, draft: BroadcastDraft, now: datetime,
                load: bool = True, groups: GroupRefresher | None = None) -> _Checked:
    """Every problem with a draft at once, by field (DraftProblems), or what it resolves to.

    `load=False` (a modal's acknowledgement) checks the audience by counting, without loading its people; only a
    "now" broadcast loads them at all (a recurring one is resolved at each occurrence). `groups` re-reads the
    stale platform groups the audience names (see bot.core.audiences.resolve_audience)."""
    problems: dict[str, str | Rich] = {}
    audience = ResolvedAudience([], {}, "")
    try:
        audience = resolve_audience(session, draft.audience, load=load and draft.recurrence is None,
                                    groups=groups, now=now)
    except (BadInput, NotFound) as problem:
        problems["audience"] = problem.text
    _check_when(draft, sender, now, problems)
    question = _check_question(session, draft, problems)
    quiz_only = question is not None and draft.new_message is None and not draft.message_key
    message = _check_message(session, draft, question, quiz_only, problems)
    if problems:
        raise DraftProblems(problems)
    return _Checked(audience, message, question, quiz_only)


def _queue_now(session: Session, broadcast: Broadcast, members: list[Person], now: datetime,
               rules: DeliveryRules) -> tuple[int, int]:
    """A "now" broadcast's deliveries, written at once; (due now, held for later)."""
    tz_of = {person.id: recipient_zone(broadcast, person) for person in members}
    plans = plan_for(session, members, scheduled_for=now, rules=rules, tz_of=tz_of)
    occurrence = f"now-{broadcast.id}"
    insert_deliveries(session, broadcast, plans, occurrence=occurrence, scheduled_for=now, kind=delivery_kind(broadcast))
    insert_channel_posts(session, broadcast, occurrence=occurrence, due=rules.quiet.next_allowed(now, broadcast.anchor_tz),
                         scheduled_for=now)
    now_count = sum(1 for plan in plans if plan.due_at <= now and not plan.held)
    return now_count, len(plans) - now_count


def schedule(
    session: Session, *, sender: Person, draft: BroadcastDraft, now: datetime, rules: DeliveryRules,
    allowed: tuple[Role, ...] = BROADCASTERS, request: RequestKey | None = None, groups: GroupRefresher | None = None,
) -> BroadcastQueued:
    """Create a broadcast from a draft: every problem is reported at once, by field, and nothing is saved.

    `allowed` widens who may (managers may ask their own team for feedback, checked by the caller).
    `request` names the platform request this answers: a repeat of it creates nothing and returns what the
    first one queued (see bot.core.once)."""
    require_role(sender, allowed, "send broadcasts")
    if not claim_request(session, request, now):
        assert request is not None
        return queued_again(session, request)
    checked = check_draft(session, sender=sender, draft=draft, now=now, groups=groups)
    audience = checked.audience
    message = checked.message
    if draft.new_message is not None:
        message = new_version(session, sender, draft.new_message, now)
    assert message is not None
    broadcast = Broadcast(
        message_id=message.id, created_by_id=sender.id, audience=audience.stored, audience_label=audience.label,
        recurrence=draft.recurrence.to_json() if draft.recurrence else None, starts_at=now,
        local_time=draft.local_time, anchor_tz=sender.tz, question_id=checked.question.id if checked.question else None,
        quiz_mode=draft.quiz_mode, quiz_only=checked.quiz_only,
        status=BroadcastStatus.ACTIVE if draft.recurrence else BroadcastStatus.DONE,
        materialised_until=None, created_at=now, updated_at=now,
    )
    session.add(broadcast)
    session.flush()
    remember_broadcast(session, request, broadcast.id)
    now_count = later_count = 0
    next_run = None
    if draft.recurrence is None:
        now_count, later_count = _queue_now(session, broadcast, audience.members, now, rules)
        description = "now"
    else:
        description = draft.recurrence.describe()
        next_run = next_occurrence(draft.recurrence, sender.tz, after=now)
    session.add(AuditEvent(at=now, actor_id=sender.id, action="broadcast.schedule",
                           detail={"broadcast_id": broadcast.id, "message": message.key, "version": message.version,
                                   "recipients": audience.reach.people, "schedule": description}))
    session.flush()
    return BroadcastQueued(
        broadcast_id=broadcast.id, message_key=message.key, message_title=message.title,
        message_version=message.version, recipients=audience.reach.people, audience_label=audience.label,
        schedule=description, now_count=now_count, later_count=later_count,
        next_run=next_run.due_at if next_run else None, skipped=tuple(audience.notes),
        warnings=tuple(consistency_warnings(session, message=message, editor=sender)),
        without_zone=audience.reach.without_zone, reach=audience.reach,
    )


def queued_again(session: Session, request: RequestKey) -> BroadcastQueued:
    """What a request queued the first time it arrived, for answering its repeat the same way."""
    broadcast = earlier_broadcast(session, request)
    message = message_of(session, broadcast)
    recipients, now_count, later_count = queued_counts(session, broadcast)
    return BroadcastQueued(
        broadcast_id=broadcast.id, message_key=message.key, message_title=message.title,
        message_version=message.version, recipients=recipients, audience_label=broadcast.audience_label,
        schedule=describe_schedule(broadcast), now_count=now_count, later_count=later_count, repeated=True,
    )


@dataclass(frozen=True)
class SendCheck:
    """What `/drumbeat send` will do, known without loading its audience (the answer comes at once)."""

    message_title: str
    message_version: int
    recipients: int
    audience_label: str


def check_send(session: Session, *, sender: Person, message_key: str, audience: AudienceSpec) -> SendCheck:
    """Every problem `send_now` would raise, checked by counting in the database rather than loading people."""
    require_role(sender, BROADCASTERS, "send broadcasts")
    message = latest_message(session, message_key)
    broken = body_problem(message)  # a trial render: a body over its template budget is refused here
    if broken is not None:
        raise BadInput(broken)
    resolved = resolve_audience(session, audience, load=False)
    return SendCheck(message.title, message.version, resolved.reach.people, resolved.label)


def send_now(
    session: Session, *, sender: Person, message_key: str, audience: AudienceSpec, now: datetime,
    rules: DeliveryRules | None = None, request: RequestKey | None = None,
) -> BroadcastQueued:
    """`/drumbeat send`: the newest version of a library message, for everyone named, now.

    The message and audience are checked first, so a slash command gets the one specific problem
    (as NotFound or BadInput) rather than a modal's field-by-field list.
    """
    check_send(session, sender=sender, message_key=message_key, audience=audience)
    return schedule(session, sender=sender, draft=BroadcastDraft(audience=audience, message_key=message_key),
                    now=now, rules=rules or DeliveryRules(), request=request)


def consistency_warnings(session: Session, *, message: Message, editor: Person) -> list[str]:
    """Active broadcasts by other leaders that carry another version of the same message."""
    rows = session.execute(
        select(Broadcast, Message, Person)
        .join(Message, Message.id == Broadcast.message_id)
        .join(Person, Person.id == Broadcast.created_by_id)
        .where(
            Message.key == message.key,
            Message.version != message.version,
            Broadcast.status.in_([BroadcastStatus.ACTIVE, BroadcastStatus.PAUSED]),
        )
    ).all()
    warnings = []
    for broadcast, other, author in rows:
        who = "Your" if author.id == editor.id else f"{author.name}'s"
        warnings.append(
            f"{who} broadcast to {broadcast.audience_label} still sends v{other.version} of '{message.title}', "
            f"so reps will hear two versions. Edit it to send v{message.version} too, or tell {author.first_name}."
            if author.id != editor.id else
            f"Your broadcast to {broadcast.audience_label} still sends v{other.version} of '{message.title}'."
        )
    return warnings


def acknowledge(session: Session, *, delivery_id: int, person: Person, now: datetime) -> Acknowledgement:
    """Record that a rep got the message. Clicking twice is harmless; someone else's button is refused."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.status in (DeliveryStatus.CANCELLED, DeliveryStatus.SUPERSEDED):
        raise NotFound("That message was withdrawn, so there is nothing to acknowledge.")
    if delivery.person_id != person.id:
        raise PermissionDenied("That button belongs to someone else's message.")
    if delivery.acknowledged_at is not None:
        return Acknowledgement(delivery.id, False, delivery.acknowledged_at)
    delivery.acknowledged_at = now
    if delivery.kind == "reminder":
        _acknowledge_original(session, delivery, now)
    session.flush()
    return Acknowledgement(delivery.id, True, now)


def _acknowledge_original(session: Session, reminder: Delivery, now: datetime) -> None:
    """Acknowledging the reminder acknowledges the message it reminds of."""
    original_key = reminder.occurrence.removesuffix(":reminder")
    original = session.execute(
        select(Delivery).where(
            Delivery.broadcast_id == reminder.broadcast_id,
            Delivery.person_id == reminder.person_id,
            Delivery.occurrence == original_key,
        )
    ).scalar_one_or_none()
    if original is not None and original.acknowledged_at is None:
        original.acknowledged_at = now
