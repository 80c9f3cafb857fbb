"""Coaching nudges: turn what pulse checks found into a manager's next conversation, and remind reps gently.

Once a day, in each person's local morning (DRUMBEAT_COACHING_HOUR, for a few hours, on working days and
outside quiet hours; never while they are away):
- a manager whose reps need a conversation (see storage.queries.coaching for who and why) gets one DM,
  grouped by expectation, with what the reps answered and the content pack's talking points;
- a rep with questions unanswered or messages unacknowledged for two days gets a gentle DM of their own,
  at most once every few days (DRUMBEAT_NUDGE_EVERY_DAYS).
Each decision is a CoachingDigest row (unique per person, kind and local day) written in the same
transaction as the Delivery the outbox sends, so a restart neither loses nor doubles a DM. A DM that the
daily cap would push to tomorrow is not written: tomorrow's run decides afresh.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.core.library import latest_message, message_behind
from bot.core.errors import BadInput, NotFound, PermissionDenied
from bot.core.feedback import clean
from bot.core.roles import sees_everything
from schedules.materialise import DeliveryRules, plan_for, zone
from schedules.compose_coaching import CAUSES
from schedules.repetition import pick_question
from storage.models import (
    AuditEvent,
    CoachingCause,
    CoachingDigest,
    CoachingNudge,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    DigestKind,
    Expectation,
    Message,
    NudgeStatus,
    Person,
    Question,
    QuizAsk,
    Role,
)
from storage.queries.coaching import Candidate, SelectionRules, nudge_candidates, waiting_for_reps

MAX_NOTE = 1000
COACHES = (Role.MANAGER, Role.LEADER, Role.ADMIN)


@dataclass(frozen=True)
class CoachingPolicy:
    """When and how often coaching speaks (settings: DRUMBEAT_COACHING_*, DRUMBEAT_NUDGE_*)."""

    hour: int = 9  # local hour the morning window opens
    window: timedelta = timedelta(hours=3)  # after it, today's DM is skipped; its evidence waits for tomorrow
    selection: SelectionRules = field(default_factory=SelectionRules)
    rep_waiting: timedelta = timedelta(days=2)  # what counts as waiting for a rep's own nudge
    rep_every: timedelta = timedelta(days=3)  # at most one rep nudge in this span
    snooze: timedelta = timedelta(days=7)


@dataclass
class CoachingReport:
    managers: int = 0  # coaching DMs written
    nudges: int = 0  # rep-and-topic items in them
    reps: int = 0  # reps' own nudges written


@dataclass(frozen=True)
class ActionOutcome:
    nudge: CoachingNudge
    changed: bool
    note: str | None = None  # a friendly word when nothing changed (or what was recorded, for Coached)


# --- the daily run -------------------------------------------------------------------------------


def _morning_of(person: Person, now: datetime, policy: CoachingPolicy, rules: DeliveryRules) -> date | None:
    """The person's local date if now is inside their coaching window (and not quiet, not away), else None."""
    local = now.astimezone(zone(person.tz))
    opens = datetime.combine(local.date(), time(policy.hour), zone(person.tz))
    if not opens <= local < opens + policy.window or not rules.quiet.allowed(now, person.tz):
        return None
    if person.is_away_on(local.date()):
        return None
    return local.date()


def _decided(session: Session, kind: str, person_ids: list[int], days: dict[int, date]) -> set[int]:
    if not person_ids:
        return set()
    rows = session.execute(select(CoachingDigest.person_id, CoachingDigest.local_date).where(
        CoachingDigest.kind == kind, CoachingDigest.person_id.in_(person_ids)
    ).where(CoachingDigest.local_date.in_(set(days.values()))))
    return {person_id for person_id, day in rows if days.get(person_id) == day}


def _claim_day(session: Session, person: Person, kind: str, day: date, now: datetime) -> CoachingDigest | None:
    """Insert today's digest row unless another run (or instance) already did: the unique key decides."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    digest_id = session.execute(
        insert(CoachingDigest)
        .values(person_id=person.id, kind=kind, local_date=day, decided_at=now, nudges=0, waiting_questions=0,
                waiting_messages=0)
        .on_conflict_do_nothing(index_elements=["person_id", "kind", "local_date"])
        .returning(CoachingDigest.id)
    ).scalar_one_or_none()
    return session.get(CoachingDigest, digest_id) if digest_id is not None else None


def _outbox_row(session: Session, person: Person, *, kind: str, occurrence: str, now: datetime,
                rules: DeliveryRules, day: date) -> Delivery | None:
    """A Delivery due now by the rules (quiet hours, daily cap), or None when the cap pushes it off today."""
    (plan,) = plan_for(session, [person], scheduled_for=now, rules=rules, tz_of={person.id: person.tz})
    if plan.held or plan.due_at.astimezone(zone(person.tz)).date() != day:
        return None
    delivery = Delivery(occurrence=occurrence, person_id=person.id, kind=kind, scheduled_for=now,
                        due_at=plan.due_at, status=DeliveryStatus.PENDING)
    session.add(delivery)
    session.flush()
    return delivery


def _answers(session: Session, rep_id: int, expectation_id: int, limit: int = 2) -> list[dict[str, object]]:
    """What the rep answered last on an expectation (shown to the manager as it stood at nudge time)."""
    rows = session.execute(
        select(QuizAsk, Question).join(Question, Question.id == QuizAsk.question_id)
        .where(QuizAsk.person_id == rep_id, QuizAsk.expectation_id == expectation_id,
               QuizAsk.answered_at.is_not(None))
        .order_by(QuizAsk.answered_at.desc(), QuizAsk.id.desc()).limit(limit)
    ).all()
    return [{"prompt": question.prompt, "right": bool(ask.correct),
             "chosen": question.options[ask.choice] if ask.choice is not None and ask.choice < len(question.options)
             else "", "on": ask.answered_at.date().isoformat()} for ask, question in rows]


def _detail(session: Session, candidate: Candidate) -> dict[str, object]:
    if candidate.expectation_id is not None:
        return {"answers": _answers(session, candidate.rep_id, candidate.expectation_id)}
    message = latest_message(session, candidate.message_key or "")
    return {"title": message.title, "sent_on": candidate.evidence_at.date().isoformat()}


def _tell_managers(session: Session, *, now: datetime, policy: CoachingPolicy, rules: DeliveryRules,
                   report: CoachingReport) -> None:
    # In id order, as reps are (waiting_for_reps): two runs at once claim days in one order, so neither waits
    # on the other in a cycle (on PostgreSQL a second claim of the same day waits for the first to commit).
    managers = list(session.execute(select(Person).where(
        Person.active.is_(True), Person.id.in_(select(Person.manager_id).where(Person.manager_id.is_not(None)))
    ).order_by(Person.id)).scalars())
    days = {m.id: day for m in managers if (day := _morning_of(m, now, policy, rules)) is not None}
    due = [m for m in managers if m.id in days and m.id not in _decided(session, DigestKind.MANAGER, list(days), days)]
    if not due:
        return
    by_manager: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in nudge_candidates(session, now=now, rules=policy.selection, manager_ids=[m.id for m in due]):
        by_manager[candidate.manager_id].append(candidate)
    for manager in due:
        found = by_manager.get(manager.id)
        if not found:
            continue  # nothing today; the window stays open for evidence that arrives this morning
        day = days[manager.id]
        digest = _claim_day(session, manager, DigestKind.MANAGER, day, now)
        if digest is None:
            continue
        delivery = _outbox_row(session, manager, kind=DeliveryKind.COACHING, occurrence=f"coaching-{day}", now=now,
                               rules=rules, day=day)
        if delivery is None:
            session.delete(digest)  # over the daily cap: tomorrow decides afresh
            continue
        digest.delivery_id, digest.nudges = delivery.id, len(found)
        for candidate in found:
            session.add(CoachingNudge(
                digest_id=digest.id, manager_id=manager.id, rep_id=candidate.rep_id,
                expectation_id=candidate.expectation_id, message_key=candidate.message_key, reason=candidate.reason,
                evidence_at=candidate.evidence_at, created_at=now, understanding_at_nudge=candidate.understanding,
                detail=_detail(session, candidate)))
        report.managers += 1
        report.nudges += len(found)
    session.flush()


def _tell_reps(session: Session, *, now: datetime, policy: CoachingPolicy, rules: DeliveryRules,
               report: CoachingReport) -> None:
    reps = list(session.execute(select(Person).where(Person.active.is_(True), Person.role == Role.REP)).scalars())
    days = {rep.id: day for rep in reps if (day := _morning_of(rep, now, policy, rules)) is not None}
    if not days:
        return
    people = {rep.id: rep for rep in reps}
    for waiting in waiting_for_reps(session, now=now, older_than=policy.rep_waiting, every=policy.rep_every,
                                    rep_ids=list(days)):
        rep, day = people[waiting.rep_id], days[waiting.rep_id]
        digest = _claim_day(session, rep, DigestKind.REP, day, now)
        if digest is None:
            continue
        delivery = _outbox_row(session, rep, kind=DeliveryKind.NUDGE, occurrence=f"nudge-{day}", now=now,
                               rules=rules, day=day)
        if delivery is None:
            session.delete(digest)
            continue
        digest.delivery_id = delivery.id
        digest.waiting_questions, digest.waiting_messages = waiting.questions, waiting.messages
        report.reps += 1
    session.flush()


def run_daily(session: Session, *, now: datetime, policy: CoachingPolicy, rules: DeliveryRules) -> CoachingReport:
    """One pass of the coaching job; safe to run as often as you like (each person's day is decided once)."""
    report = CoachingReport()
    _tell_managers(session, now=now, policy=policy, rules=rules, report=report)
    _tell_reps(session, now=now, policy=policy, rules=rules, report=report)
    return report


# --- the manager's buttons -----------------------------------------------------------------------


def nudge_for(session: Session, nudge_id: int, caller: Person) -> tuple[CoachingNudge, Person]:
    """The nudge, if the caller is the rep's manager (now) or a leader; refused otherwise."""
    nudge = session.get(CoachingNudge, nudge_id)
    if nudge is None:
        raise NotFound("That coaching nudge is no longer in Drumbeat.")
    rep = session.get(Person, nudge.rep_id)
    assert rep is not None
    if caller.role not in COACHES or not (sees_everything(caller) or rep.manager_id == caller.id):
        raise PermissionDenied(f"Only {rep.first_name}'s manager or a leader can act on this coaching nudge.")
    return nudge, rep


def settled_note(nudge: CoachingNudge, session: Session) -> str:
    """The friendly word for a click on a nudge someone already settled."""
    who = session.get(Person, nudge.coached_by_id or nudge.snoozed_by_id or 0)
    by = f" by {who.name}" if who else ""
    if nudge.status == NudgeStatus.COACHED:
        return f"This one is already marked coached{by}; nothing changed."
    return f"This one is snoozed{by} until {nudge.snoozed_until:%a %d %b}; nothing changed."


def _cause(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if value not in CoachingCause._value2member_map_:
        raise BadInput("The cause is one of: goal, work products, process, tasks, person.")
    return value


def _settle(session: Session, nudge: CoachingNudge, values: dict[str, object]) -> bool:
    """Change an open nudge; False when another click (or another person) got there first."""
    changed = session.execute(
        update(CoachingNudge).where(CoachingNudge.id == nudge.id, CoachingNudge.status == NudgeStatus.OPEN)
        .values(**values).returning(CoachingNudge.id)
    ).first() is not None
    session.refresh(nudge)
    return changed


def choose_cause(session: Session, *, nudge_id: int, caller: Person, cause: str | None, now: datetime) -> ActionOutcome:
    """The manager says which step of the diagnostic it was (goal, work products, process, tasks, person)."""
    nudge, _ = nudge_for(session, nudge_id, caller)
    chosen = _cause(cause)
    if not _settle(session, nudge, {"cause": chosen}):
        return ActionOutcome(nudge, False, settled_note(nudge, session))
    session.add(AuditEvent(at=now, actor_id=caller.id, action="coaching.cause", detail={"nudge": nudge.id, "cause": chosen}))
    return ActionOutcome(nudge, True)


def mark_coached(session: Session, *, nudge_id: int, caller: Person, cause: str | None, note: str | None,
                 now: datetime) -> ActionOutcome:
    nudge, rep = nudge_for(session, nudge_id, caller)
    text = clean(note)
    if len(text) > MAX_NOTE:
        raise BadInput(f"The note is {len(text)} characters; keep it under {MAX_NOTE}.")
    values: dict[str, object] = {"status": NudgeStatus.COACHED, "coached_by_id": caller.id, "coached_at": now,
                                 "note": text or None}
    if (chosen := _cause(cause)) is not None:
        values["cause"] = chosen
    if not _settle(session, nudge, values):
        return ActionOutcome(nudge, False, settled_note(nudge, session))
    session.add(AuditEvent(at=now, actor_id=caller.id, action="coaching.coached", detail={"nudge": nudge.id}))
    return ActionOutcome(nudge, True, f"Noted: you coached {rep.name}. I'll show whether their answers improve.")


def snooze(session: Session, *, nudge_id: int, caller: Person, now: datetime, policy: CoachingPolicy) -> ActionOutcome:
    nudge, _ = nudge_for(session, nudge_id, caller)
    if not _settle(session, nudge, {"status": NudgeStatus.SNOOZED, "snoozed_by_id": caller.id,
                                    "snoozed_until": now + policy.snooze}):
        return ActionOutcome(nudge, False, settled_note(nudge, session))
    session.add(AuditEvent(at=now, actor_id=caller.id, action="coaching.snooze", detail={"nudge": nudge.id}))
    return ActionOutcome(nudge, True)


def _canonical(session: Session, nudge: CoachingNudge) -> tuple[Message, int | None]:
    """The message to send again, and the expectation its new question tests."""
    if nudge.expectation_id is not None:
        message = message_behind(session, nudge.expectation_id)
        if message is None:
            raise NotFound("No message in the library carries this expectation, so there is nothing to re-send.")
        return message, nudge.expectation_id
    message = latest_message(session, nudge.message_key or "")
    keys = list(message.expectation_keys or [])
    expectation_id = session.execute(
        select(Expectation.id).join(Question, Question.expectation_id == Expectation.id)
        .where(Expectation.key.in_(keys), Question.active.is_(True)).order_by(Expectation.id).limit(1)
    ).scalar_one_or_none() if keys else None
    return message, expectation_id


def send_refresher(session: Session, *, nudge_id: int, caller: Person, now: datetime,
                   rules: DeliveryRules) -> ActionOutcome:
    """Re-send the canonical message with a question the rep was not asked last, through the outbox."""
    nudge, rep = nudge_for(session, nudge_id, caller)
    if nudge.refresher_delivery_id is not None:
        return ActionOutcome(nudge, False, "A refresher is already on its way for this one; nothing changed.")
    message, expectation_id = _canonical(session, nudge)
    question = None
    if expectation_id is not None:
        last = session.execute(
            select(QuizAsk.question_id).where(QuizAsk.person_id == rep.id, QuizAsk.expectation_id == expectation_id)
            .order_by(QuizAsk.asked_at.desc(), QuizAsk.id.desc()).limit(1)
        ).scalar_one_or_none()
        question = pick_question(session, expectation_id=expectation_id, person_id=rep.id, avoid=last)
    (plan,) = plan_for(session, [rep], scheduled_for=now, rules=rules, tz_of={rep.id: rep.tz})
    delivery = Delivery(occurrence=f"refresher-n{nudge.id}", person_id=rep.id, kind=DeliveryKind.REFRESHER,
                        message_id=message.id, question_id=question.id if question else None, scheduled_for=now,
                        due_at=plan.due_at, status=DeliveryStatus.HELD if plan.held else DeliveryStatus.PENDING)
    session.add(delivery)
    session.flush()
    claimed = session.execute(
        update(CoachingNudge).where(CoachingNudge.id == nudge.id, CoachingNudge.refresher_delivery_id.is_(None))
        .values(refresher_delivery_id=delivery.id, refreshed_by_id=caller.id, refreshed_at=now)
        .returning(CoachingNudge.id)
    ).first()
    if claimed is None:  # a second click won the race: this transaction's row is dropped with it
        session.delete(delivery)
        session.refresh(nudge)
        return ActionOutcome(nudge, False, "A refresher is already on its way for this one; nothing changed.")
    session.refresh(nudge)
    session.add(AuditEvent(at=now, actor_id=caller.id, action="coaching.refresher",
                           detail={"nudge": nudge.id, "delivery": delivery.id}))
    return ActionOutcome(nudge, True)


def digest_delivery(session: Session, nudge: CoachingNudge) -> Delivery | None:
    """The coaching DM a nudge was sent in (to show its new state in place)."""
    digest = session.get(CoachingDigest, nudge.digest_id)
    return session.get(Delivery, digest.delivery_id) if digest and digest.delivery_id else None


@dataclass(frozen=True)
class CoachedForm:
    """What the *Coached* form asks about: the rep, the topic, and the diagnostic's causes to pick from."""

    nudge_id: int
    rep: str
    topic: str
    causes: list[tuple[str, str]]  # (value, label), in the diagnostic's order
    cause: str | None  # already chosen with the select, if so


def coached_form(session: Session, *, nudge_id: int, caller: Person) -> CoachedForm | str:
    """The form, or the friendly word when someone already settled the nudge."""
    nudge, rep = nudge_for(session, nudge_id, caller)
    if nudge.status != NudgeStatus.OPEN:
        return settled_note(nudge, session)
    expectation = session.get(Expectation, nudge.expectation_id) if nudge.expectation_id else None
    return CoachedForm(
        nudge_id=nudge_id, rep=rep.name, cause=nudge.cause,
        topic=expectation.statement if expectation else f"key message {nudge.message_key}",
        causes=[(cause.value, label) for cause, label in CAUSES.items()],
    )
