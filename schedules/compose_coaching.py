"""What coaching DMs say: the manager's daily nudges (grouped by expectation) and a rep's gentle reminder.

Composed from the database each time, so a button click re-renders the same DM with every nudge's new state
(coached, snoozed, refresher sent). Only so much fits in one Slack message: the first MAX_SHOWN nudges, in
at most MAX_GROUPS groups, are shown with their buttons, and the rest is counted ("and N more"); they stay
open and can come back in a later DM's count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from schedules.sending import Outgoing
from schedules.reader import local_time_label, recipient_of
from storage.models import (
    CoachingCause,
    CoachingDigest,
    CoachingNudge,
    CoachingTip,
    Delivery,
    DeliveryKind,
    Expectation,
    Message,
    NudgeReason,
    Person,
)

COACHING_KIND = "coaching"
NUDGE_KIND = "nudge"
MAX_SHOWN = 12
MAX_GROUPS = 5

REASONS = {
    NudgeReason.MISSED_TWICE: "missed it twice in a row",
    NudgeReason.DROPPED: "understanding fell in the last two weeks",
    NudgeReason.UNACKNOWLEDGED: "has not acknowledged it",
}
CAUSES = {
    CoachingCause.GOAL: "Goal: clear and realistic?",
    CoachingCause.WORK_PRODUCTS: "Work products: there and good?",
    CoachingCause.PROCESS: "Process: defined?",
    CoachingCause.TASKS: "Tasks: prioritised, practised?",
    CoachingCause.PERSON: "Person: skills, fit, training?",
}


def _label(moment: datetime | None, tz: str) -> str:
    return local_time_label(moment, tz) if moment is not None else ""


def _talking_points(tip: CoachingTip | None) -> list[tuple[str, str]]:
    """The pack's diagnostic, one (step, what to ask) pair per step, in the order a leader walks back."""
    if tip is None:
        return []
    return [(CAUSES[cause].split(":")[0], getattr(tip, cause.value)) for cause in CoachingCause]


def _answers(answers: list[dict[str, object]]) -> list[dict[str, object]]:
    """What the rep answered, newest first, as stored with the nudge; a missing detail reads as empty."""
    return [{"right": bool(answer.get("right")), "prompt": str(answer.get("prompt", "")),
             "chosen": str(answer.get("chosen", "")), "on": str(answer.get("on", ""))} for answer in answers]


def _nudge_entry(session: Session, nudge: CoachingNudge, rep: Person, manager: Person) -> dict[str, object]:
    actor = session.get(Person, nudge.coached_by_id or nudge.snoozed_by_id or 0)
    detail = nudge.detail or {}
    return {
        "id": nudge.id,
        "rep": rep.name,
        "reason": REASONS.get(NudgeReason(nudge.reason), nudge.reason),
        "answers": _answers(list(detail.get("answers") or [])),
        "sent_on": str(detail.get("sent_on") or ""),
        "status": nudge.status,
        "cause": CAUSES[CoachingCause(nudge.cause)] if nudge.cause else "",
        "cause_value": nudge.cause or "",
        "note": nudge.note or "",
        "by": actor.name if actor else "",
        "coached_on": _label(nudge.coached_at, manager.tz),
        "snoozed_until": _label(nudge.snoozed_until, manager.tz),
        "refreshed_on": _label(nudge.refreshed_at, manager.tz),
    }


def coaching_context(session: Session, digest: CoachingDigest, manager: Person) -> dict[str, object]:
    """The manager's DM: groups (an expectation with its talking points, or a key message), each with reps."""
    rows = session.execute(
        select(CoachingNudge, Person).join(Person, Person.id == CoachingNudge.rep_id)
        .where(CoachingNudge.digest_id == digest.id).order_by(CoachingNudge.id)
    ).all()
    groups: dict[tuple[int | None, str | None], dict[str, object]] = {}
    shown = 0
    for nudge, rep in rows:
        topic = (nudge.expectation_id, nudge.message_key)
        if topic not in groups:
            if len(groups) >= MAX_GROUPS or shown >= MAX_SHOWN:
                continue
            groups[topic] = _group(session, nudge)
        if shown >= MAX_SHOWN:
            continue
        groups[topic]["nudges"].append(_nudge_entry(session, nudge, rep, manager))  # type: ignore[union-attr]
        shown += 1
    return {
        "first_name": manager.first_name,
        "day": digest.local_date.strftime("%a %d %b"),
        "groups": list(groups.values()),
        "more": len(rows) - shown,
        "causes": [{"value": cause.value, "label": label} for cause, label in CAUSES.items()],
    }


def _group(session: Session, nudge: CoachingNudge) -> dict[str, object]:
    if nudge.expectation_id is not None:
        expectation = session.get(Expectation, nudge.expectation_id)
        tip = session.execute(select(CoachingTip).where(CoachingTip.expectation_id == nudge.expectation_id)
                              ).scalar_one_or_none()
        return {"title": expectation.statement if expectation else "", "key": expectation.key if expectation else "",
                "points": _talking_points(tip), "nudges": []}
    title = session.execute(select(Message.title).where(Message.key == nudge.message_key)
                            .order_by(Message.version.desc()).limit(1)).scalar_one_or_none()
    return {"title": f"Key message: {title or nudge.message_key}", "key": nudge.message_key or "", "points": [],
            "nudges": []}


def compose_coaching(session: Session, delivery: Delivery) -> Outgoing:
    """A coaching DM (manager) or a nudge (rep), from the digest that decided it."""
    person = session.get(Person, delivery.person_id)
    digest = session.execute(select(CoachingDigest).where(CoachingDigest.delivery_id == delivery.id)).scalar_one_or_none()
    if person is None or digest is None:
        raise LookupError(f"delivery {delivery.id} has no coaching digest or recipient")
    if delivery.kind == DeliveryKind.COACHING:
        context = coaching_context(session, digest, person)
        count = digest.nudges
        text = f"Coaching: {count} conversation{'s' if count != 1 else ''} worth having this week"
        return Outgoing(recipient=recipient_of(session, person), kind=COACHING_KIND, context=context, fallback_text=text,
                        idempotency_key=delivery.idempotency_key)
    context = {"first_name": person.first_name, "questions": digest.waiting_questions,
               "messages": digest.waiting_messages}
    return Outgoing(recipient=recipient_of(session, person), kind=NUDGE_KIND, context=context,
                    fallback_text="A few Drumbeat items are waiting for you", idempotency_key=delivery.idempotency_key)


def refresher_sender(session: Session, delivery: Delivery) -> Person | None:
    """Who asked for a refresher (the rep reads it as from their manager)."""
    manager_id = session.execute(select(CoachingNudge.refreshed_by_id).where(
        CoachingNudge.refresher_delivery_id == delivery.id)).scalar_one_or_none()
    return session.get(Person, manager_id) if manager_id else None

