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

from sqlalchemy import delete, or_, select, update
from sqlalchemy import insert as sql_insert
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
    AnswerState,
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
from storage.queries.pipeline_coaching import off_strategy_candidates

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
    pipeline_flag: int = 30  # DRUMBEAT_ON_STRATEGY_FLAG: a rep's open pipeline under it for two weeks is a nudge
    pipeline_currency: str = "USD"


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


def _morning_zones(session: Session, now: datetime, policy: CoachingPolicy, rules: DeliveryRules) -> list[str]:
    """The zones (of active people) whose coaching window is open now: only their people are loaded, so a
    run costs the people whose morning it is, not everyone."""
    zones = session.execute(select(Person.tz).where(Person.active.is_(True)).distinct()).scalars()
    return sorted(tz for tz in zones if _window_open(tz, now, policy, rules))


def _window_open(tz: str, now: datetime, policy: CoachingPolicy, rules: DeliveryRules) -> bool:
    local = now.astimezone(zone(tz))
    opens = datetime.combine(local.date(), time(policy.hour), zone(tz))
    return opens <= local < opens + policy.window and rules.quiet.allowed(now, tz)


def _decided(session: Session, kind: str, person_ids: list[int], days: dict[int, date]) -> set[int]:
    if not person_ids:
        return set()
    rows = session.execute(select(CoachingDigest.person_id, CoachingDigest.local_date).where(
        CoachingDigest.kind == kind, CoachingDigest.person_id.in_(person_ids)
    ).where(CoachingDigest.local_date.in_(set(days.values()))))
    return {person_id for person_id, day in rows if days.get(person_id) == day}


def _claim_days(session: Session, kind: str, days: dict[int, date], now: datetime) -> dict[int, int]:
    """Insert today's digest rows unless another run (or instance) already did: the unique key decides.
    Returns person id -> digest id for the days this run claimed. One executemany for everyone, in person id
    order (two runs at once claim in one order, so neither waits on the other in a cycle)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [{"person_id": person_id, "kind": kind, "local_date": day, "decided_at": now, "nudges": 0,
             "waiting_questions": 0, "waiting_messages": 0} for person_id, day in sorted(days.items())]
    statement = (insert(CoachingDigest.__table__).on_conflict_do_nothing(
        index_elements=["person_id", "kind", "local_date"]).returning(CoachingDigest.person_id, CoachingDigest.id))
    claimed: dict[int, int] = dict(session.execute(statement, rows).all()) if rows else {}
    return claimed


def _outbox_rows(session: Session, people: list[Person], *, kind: str, occurrence: str, now: datetime,
                 rules: DeliveryRules, days: dict[int, date]) -> dict[int, int]:
    """Deliveries due now by the rules (quiet hours, daily cap), one per person whose plan lands on their day;
    returns person id -> delivery id. Those the cap pushes off today get none (tomorrow decides afresh)."""
    plans = plan_for(session, people, scheduled_for=now, rules=rules, tz_of={p.id: p.tz for p in people})
    tz = {p.id: p.tz for p in people}
    rows = [{"occurrence": f"{occurrence}-{days[plan.person_id]}", "person_id": plan.person_id, "kind": kind,
             "scheduled_for": now, "due_at": plan.due_at, "status": DeliveryStatus.PENDING, "attempts": 0}
            for plan in plans
            if not plan.held and plan.due_at.astimezone(zone(tz[plan.person_id])).date() == days[plan.person_id]]
    if not rows:
        return {}
    return {person_id: delivery_id for delivery_id, person_id in session.execute(
        sql_insert(Delivery.__table__).returning(Delivery.id, Delivery.person_id), rows)}


def _write_digests(session: Session, people: list[Person], *, kind: str, delivery_kind: str, occurrence: str,
                   now: datetime, rules: DeliveryRules, days: dict[int, date]) -> dict[int, tuple[int, int]]:
    """Claim each person's day and write their outbox row, in the same transaction: person id ->
    (digest id, delivery id). A day claimed but over the daily cap is given back (its digest deleted)."""
    claimed = _claim_days(session, kind, {p.id: days[p.id] for p in people}, now)
    if not claimed:
        return {}
    deliveries = _outbox_rows(session, [p for p in people if p.id in claimed], kind=delivery_kind,
                              occurrence=occurrence, now=now, rules=rules, days=days)
    capped = [digest_id for person_id, digest_id in claimed.items() if person_id not in deliveries]
    if capped:
        session.execute(delete(CoachingDigest).where(CoachingDigest.id.in_(capped)))
    return {person_id: (claimed[person_id], delivery_id) for person_id, delivery_id in deliveries.items()}


def _answers(session: Session, candidates: list[Candidate]) -> dict[tuple[int, int], list[dict[str, object]]]:
    """What each rep answered last (the latest two) on each expectation named, as shown to the manager at
    nudge time: one query for every candidate, through the answer state's two latest ask ids."""
    pairs = {(c.rep_id, c.expectation_id) for c in candidates if c.expectation_id is not None and c.detail is None}
    if not pairs:
        return {}
    rows = session.execute(
        select(AnswerState.person_id, AnswerState.expectation_id, QuizAsk.choice, QuizAsk.correct,
               QuizAsk.answered_at, Question.prompt, Question.options)
        .join(QuizAsk, or_(QuizAsk.id == AnswerState.latest_ask_id, QuizAsk.id == AnswerState.previous_ask_id))
        .join(Question, Question.id == QuizAsk.question_id)
        .where(AnswerState.person_id.in_(sorted({rep for rep, _ in pairs})))
        .order_by(QuizAsk.answered_at.desc(), QuizAsk.id.desc())
    ).all()
    found: dict[tuple[int, int], list[dict[str, object]]] = defaultdict(list)
    for rep_id, expectation_id, choice, correct, answered_at, prompt, options in rows:
        if (rep_id, expectation_id) in pairs:
            found[rep_id, expectation_id].append({
                "prompt": prompt, "right": bool(correct),
                "chosen": options[choice] if choice is not None and choice < len(options) else "",
                "on": answered_at.date().isoformat()})
    return found


def _details(session: Session, candidates: list[Candidate]) -> list[dict[str, object]]:
    answers, titles = _answers(session, candidates), {}
    details: list[dict[str, object]] = []
    for candidate in candidates:
        if candidate.detail is not None:
            details.append(candidate.detail)
            continue
        if candidate.expectation_id is not None:
            details.append({"answers": answers.get((candidate.rep_id, candidate.expectation_id), [])})
            continue
        key = candidate.message_key or ""
        if key not in titles:
            titles[key] = latest_message(session, key).title
        details.append({"title": titles[key], "sent_on": candidate.evidence_at.date().isoformat()})
    return details


def _tell_managers(session: Session, *, now: datetime, policy: CoachingPolicy, rules: DeliveryRules,
                   report: CoachingReport) -> None:
    managers = list(session.execute(select(Person).where(
        Person.active.is_(True), Person.tz.in_(_morning_zones(session, now, policy, rules)),
        Person.id.in_(select(Person.manager_id).where(Person.manager_id.is_not(None)))
    ).order_by(Person.id)).scalars())
    days = {m.id: day for m in managers if (day := _morning_of(m, now, policy, rules)) is not None}
    decided = _decided(session, DigestKind.MANAGER, list(days), days)
    due = [m for m in managers if m.id in days and m.id not in decided]
    if not due:
        return
    by_manager: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in nudge_candidates(session, now=now, rules=policy.selection, manager_ids=[m.id for m in due]):
        by_manager[candidate.manager_id].append(candidate)
    for candidate in off_strategy_candidates(session, now=now, manager_ids=[m.id for m in due],
                                             flag=policy.pipeline_flag, currency=policy.pipeline_currency,
                                             rules=policy.selection):
        by_manager[candidate.manager_id].append(candidate)
    # Only managers with something to say today; the others' window stays open for this morning's evidence.
    written = _write_digests(session, [m for m in due if m.id in by_manager], kind=DigestKind.MANAGER,
                             delivery_kind=DeliveryKind.COACHING, occurrence="coaching", now=now, rules=rules,
                             days=days)
    if not written:
        return
    session.execute(update(CoachingDigest), [
        {"id": digest_id, "delivery_id": delivery_id, "nudges": len(by_manager[manager_id])}
        for manager_id, (digest_id, delivery_id) in written.items()])
    told = [c for manager_id in sorted(written) for c in by_manager[manager_id]]
    session.execute(sql_insert(CoachingNudge.__table__), [
        {"digest_id": written[c.manager_id][0], "manager_id": c.manager_id, "rep_id": c.rep_id,
         "expectation_id": c.expectation_id, "message_key": c.message_key, "reason": c.reason,
         "evidence_at": c.evidence_at, "created_at": now, "understanding_at_nudge": c.understanding,
         "detail": detail, "status": NudgeStatus.OPEN}
        for c, detail in zip(told, _details(session, told), strict=True)])
    report.managers += len(written)
    report.nudges += len(told)


def _tell_reps(session: Session, *, now: datetime, policy: CoachingPolicy, rules: DeliveryRules,
               report: CoachingReport) -> None:
    reps = list(session.execute(select(Person).where(
        Person.active.is_(True), Person.role == Role.REP,
        Person.tz.in_(_morning_zones(session, now, policy, rules)))).scalars())
    days = {rep.id: day for rep in reps if (day := _morning_of(rep, now, policy, rules)) is not None}
    if not days:
        return
    people = {rep.id: rep for rep in reps}
    waiting = {w.rep_id: w for w in waiting_for_reps(session, now=now, older_than=policy.rep_waiting,
                                                      every=policy.rep_every, rep_ids=list(days))}
    written = _write_digests(session, [people[rep_id] for rep_id in sorted(waiting)], kind=DigestKind.REP,
                             delivery_kind=DeliveryKind.NUDGE, occurrence="nudge", now=now, rules=rules, days=days)
    if written:
        session.execute(update(CoachingDigest), [
            {"id": digest_id, "delivery_id": delivery_id, "waiting_questions": waiting[rep_id].questions,
             "waiting_messages": waiting[rep_id].messages}
            for rep_id, (digest_id, delivery_id) in written.items()])
    report.reps += len(written)


def run_daily(session: Session, *, now: datetime, policy: CoachingPolicy, rules: DeliveryRules) -> CoachingReport:
    """One pass of the coaching job; safe to run as often as you like (each person's day is decided once)."""
    report = CoachingReport()
    _tell_managers(session, now=now, policy=policy, rules=rules, report=report)
    _tell_reps(session, now=now, policy=policy, rules=rules, report=report)
    return report


# --- the manager's buttons -----------------------------------------------------------------------


NOT_YOURS = ("That coaching button is not one you can use: only a rep's own manager, or a leader, acts on a "
             "coaching DM.")


def nudge_for(session: Session, nudge_id: int, caller: Person) -> tuple[CoachingNudge, Person]:
    """The nudge, if the caller is the rep's manager (now) or a leader; refused otherwise."""
    nudge = session.get(CoachingNudge, nudge_id)
    rep = session.get(Person, nudge.rep_id) if nudge is not None else None
    if nudge is None or rep is None or caller.role not in COACHES or not (
            sees_everything(caller) or rep.manager_id == caller.id):
        # One answer for "no such nudge" and "not yours": a refusal never tells who was flagged, or that anyone was.
        raise PermissionDenied(NOT_YOURS)
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


def check_coached(session: Session, *, nudge_id: int, caller: Person, cause: str | None,
                  note: str | None) -> tuple[CoachingNudge, Person, dict[str, object]]:
    """Reads only: whether the caller may mark this nudge coached with this cause and note (refused with the
    reason otherwise), and the nudge, the rep and what `mark_coached` would record but for who and when."""
    nudge, rep = nudge_for(session, nudge_id, caller)
    text = clean(note)
    if len(text) > MAX_NOTE:
        raise BadInput(f"The note is {len(text)} characters; keep it under {MAX_NOTE}.")
    values: dict[str, object] = {"status": NudgeStatus.COACHED, "note": text or None}
    if (chosen := _cause(cause)) is not None:
        values["cause"] = chosen
    return nudge, rep, values


def mark_coached(session: Session, *, nudge_id: int, caller: Person, cause: str | None, note: str | None,
                 now: datetime) -> ActionOutcome:
    """Checked again as it is written: a nudge someone else settled since is left as they left it."""
    nudge, rep, values = check_coached(session, nudge_id=nudge_id, caller=caller, cause=cause, note=note)
    if not _settle(session, nudge, {**values, "coached_by_id": caller.id, "coached_at": now}):
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
