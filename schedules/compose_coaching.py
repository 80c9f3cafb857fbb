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
    NudgeReason.OFF_STRATEGY: "on-strategy share of their open pipeline is low",
}
PIPELINE_TOPIC = "pipeline"  # the message key of a pipeline nudge (storage.queries.pipeline_coaching)
# The diagnostic for a pipeline nudge when the strategy expectation has no coaching tip in the packs.
PIPELINE_POINTS = {
    CoachingCause.GOAL: "Can they name the segments and offerings the strategy targets, and make their number "
                        "with them? If the territory lacks on-strategy accounts, fix the territory first.",
    CoachingCause.WORK_PRODUCTS: "Go through the deals below together: are there opportunity analyses and current "
                                 "account plans for their on-strategy targets?",
    CoachingCause.PROCESS: "Is qualification against the ideal customer profile a defined step, and are target "
                           "lists or campaigns creating on-strategy demand for them?",
    CoachingCause.TASKS: "Is on-strategy prospecting blocked in their calendar first? Agree one change for next week.",
    CoachingCause.PERSON: "If all that is sound, is it skill or confidence with the bigger deals or the new offer? "
                          "Pair them with a peer on one deal, or get them trained.",
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


def _money(minor: object, currency: str) -> str:
    return f"{currency} {round(int(minor or 0) / 100):,}"  # type: ignore[call-overload]


def _percent(share: object) -> str:
    return "no open deals" if share is None else f"{round(100 * float(share))}%"  # type: ignore[arg-type]


def _reason(nudge: CoachingNudge) -> str:
    pipeline = (nudge.detail or {}).get("pipeline")
    if nudge.reason != NudgeReason.OFF_STRATEGY or not isinstance(pipeline, dict):
        return REASONS.get(NudgeReason(nudge.reason), nudge.reason)
    if pipeline.get("why") == "under":
        return f"on-strategy share of their open pipeline under {pipeline.get('flag')}% for two weeks"
    then, now = (pipeline.get("shares") or [None, None, None])[0::2]
    return f"on-strategy share of their open pipeline fell from {_percent(then)} to {_percent(now)} in two weeks"


def _pipeline(pipeline: object) -> dict[str, object] | None:
    """A pipeline nudge's numbers and the deals that miss, as stored with it, in words."""
    if not isinstance(pipeline, dict):
        return None
    currency = str(pipeline.get("currency") or "")
    shares = list(pipeline.get("shares") or [None, None, None])
    summary = (f"Open pipeline now: {_money(pipeline.get('on_value'), currency)} of "
               f"{_money(pipeline.get('open_value'), currency)} on strategy, {pipeline.get('on_deals')} of "
               f"{pipeline.get('open_deals')} deals; two weeks ago {_percent(shares[0])}, a week ago "
               f"{_percent(shares[1])}, now {_percent(shares[2])}")
    deals = [{"name": str(deal.get("name", "")), "account": str(deal.get("account", "")),
              "value": _money(deal.get("value"), currency), "deliberate": str(deal.get("deliberate", "")),
              "missed": "; ".join(f"{miss.get('key')}: {miss.get('reason')}" for miss in deal.get("missed") or [])}
             for deal in pipeline.get("deals") or [] if isinstance(deal, dict)]
    return {"summary": summary, "deals": deals}


def _nudge_entry(session: Session, nudge: CoachingNudge, rep: Person, manager: Person) -> dict[str, object]:
    actor = session.get(Person, nudge.coached_by_id or nudge.snoozed_by_id or 0)
    detail = nudge.detail or {}
    return {
        "id": nudge.id,
        "rep": rep.name,
        "reason": _reason(nudge),
        "answers": _answers(list(detail.get("answers") or [])),
        "pipeline": _pipeline(detail.get("pipeline")),
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
        if nudge.message_key == PIPELINE_TOPIC:
            points = _talking_points(tip) or [(CAUSES[cause].split(":")[0], text) for cause, text in PIPELINE_POINTS.items()]
            return {"title": "Pipeline: is the business they pursue on strategy?", "key": PIPELINE_TOPIC,
                    "points": points, "nudges": []}
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

