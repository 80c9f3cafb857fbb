"""A rep's word that an off-strategy deal is so on purpose: `deal deliberate <CRM id> <reason>` (or the button
beside the deal in their pipeline summary, with a form for the reason), and `deal clear <CRM id>` to take it back.

Who may: the deal's owner and the owner's manager, nobody else (a leader reads the figures but does not speak
for a rep). A deal named by someone else gets the same answer as a deal that does not exist, so a record id
reveals nothing. The id in a button's value or a form's metadata is only a claim: it is looked up and checked
again exactly like a typed one. Only an off-strategy deal can be marked (an on-strategy deal needs no reason);
clearing works whatever the deal's category is now (the rules may have changed since).

The mark lives in `Deal.deliberate_reason`, where a CSV import's `deliberate` column writes too. A re-import
keeps the mark unless the file says otherwise (see `bot.core.pipeline_import`). Marking does not touch
`updated_at`: that stamp is the CRM's evidence for coaching, and a rep's reason is not new business.
Every change is an AuditEvent (who, which deal, set or cleared).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlmodel import Session

from bot.core.errors import BadInput, PermissionDenied
from bot.core.feedback import clean
from messages.rich import Code, Rich, Strong
from storage.deals import Deal
from storage.models import AuditEvent, Person
from storage.queries.pipeline import active_rules, category

MAX_REASON = 300  # Deal.deliberate_reason's column
MIN_REASON = 3
MAX_RECORD_ID = 64
KIND_WORDS = {"both": "by profile and offering", "profile": "by profile", "offering": "by offering"}


@dataclass(frozen=True)
class MarkedDeal:
    """What the caller is told, and what a form needs to show: the deal as its owner knows it."""

    deal_id: int
    record_id: str
    source: str
    name: str
    reason: str | None  # the reason now stored (None: not marked)


@dataclass(frozen=True)
class MarkOutcome:
    deal: MarkedDeal
    changed: bool
    note: Rich


def check_reason(text: str | None) -> str:
    """The reason as stored: one line, control characters gone; too short or too long is said plainly."""
    reason = " ".join(clean(text).split())
    if len(reason) < MIN_REASON:
        raise BadInput(Rich("Say why this deal is worth pursuing off strategy (a longer-term opportunity, a "
                            "reference customer...), e.g. ", Code("deal deliberate 006A4 Reference for APAC"), "."))
    if len(reason) > MAX_REASON:
        raise BadInput(f"Keep the reason to {MAX_REASON} characters; this one has {len(reason)}.")
    return reason


def _markable(caller: Person, deal: Deal, owners: dict[int, Person]) -> bool:
    owner = owners.get(deal.owner_id)
    return deal.owner_id == caller.id or (owner is not None and owner.manager_id == caller.id)


def _not_yours(record: str) -> PermissionDenied:
    return PermissionDenied(Rich("I know no deal ", Code(record[:MAX_RECORD_ID]), " of yours or of your reps'. Use "
                                 "the CRM's record id, as in ", Code("summary pipeline"), "."))


def find_deal(session: Session, *, caller: Person, record: str = "", deal_id: int = 0) -> Deal:
    """The deal the caller names, by CRM record id (`source:id` where two CRMs share one) or by Drumbeat's id
    (a button's claim); refused alike when it does not exist or is neither theirs nor one of their reps'."""
    record = record.strip()
    if deal_id:
        found = list(session.execute(select(Deal).where(Deal.id == deal_id)).scalars())
    elif not record or len(record) > 2 * MAX_RECORD_ID:
        raise _not_yours(record or "?")
    else:
        source, _, bare = record.rpartition(":")
        wanted = Deal.record_id == record
        if source:
            wanted = or_(wanted, (func.lower(Deal.source) == source.lower()) & (Deal.record_id == bare))
        found = list(session.execute(select(Deal).where(wanted).order_by(Deal.source)).scalars())
    owners = {person.id: person for person in session.execute(
        select(Person).where(Person.id.in_({deal.owner_id for deal in found}))).scalars()}
    allowed = [deal for deal in found if _markable(caller, deal, owners)]
    if not allowed:
        raise _not_yours(record or str(deal_id))
    if len(allowed) > 1:
        raise BadInput(Rich(f"Deal {record} is in {' and '.join(deal.source for deal in allowed)}: say which, e.g. ",
                            Code(f"deal deliberate {allowed[0].source}:{record} ..."), "."))
    return allowed[0]


def _shown(deal: Deal, reason: str | None) -> MarkedDeal:
    assert deal.id is not None
    return MarkedDeal(deal.id, deal.record_id, deal.source, deal.name or deal.record_id, reason)


def deal_form(session: Session, *, caller: Person, record: str = "", deal_id: int = 0) -> MarkedDeal:
    """What the reason form shows, checked before it opens (so a refusal comes instead of the form)."""
    deal = find_deal(session, caller=caller, record=record, deal_id=deal_id)
    _require_off_strategy(session, deal)
    return _shown(deal, deal.deliberate_reason)


def _require_off_strategy(session: Session, deal: Deal) -> None:
    rules = active_rules(session)
    kind = session.execute(select(category(rules)).where(Deal.id == deal.id)).scalar_one() if rules else "neither"
    if kind != "neither":
        raise BadInput(Rich(Strong(deal.name or deal.record_id), f" is on strategy ({KIND_WORDS[kind]}): only an "
                            "off-strategy deal needs a reason."))


def mark_deliberate(session: Session, *, caller: Person, now: datetime, reason: str | None, record: str = "",
                    deal_id: int = 0) -> MarkOutcome:
    """Set (reason given) or clear (None) a deal's deliberate mark, after every check; audited when it changes."""
    deal = find_deal(session, caller=caller, record=record, deal_id=deal_id)
    wanted = None if reason is None else check_reason(reason)
    if wanted is not None:
        _require_off_strategy(session, deal)
    name = deal.name or deal.record_id
    if deal.deliberate_reason == wanted:
        said = "is already marked deliberate with that reason" if wanted else "is not marked deliberate"
        return MarkOutcome(_shown(deal, wanted), False, Rich(Strong(name), f" {said}: nothing changed."))
    deal.deliberate_reason = wanted  # updated_at stays: it is the CRM's evidence, not the rep's
    session.add(AuditEvent(at=now, actor_id=caller.id, action="deal.deliberate" if wanted else "deal.undeliberate",
                           detail={"deal_id": deal.id, "source": deal.source, "record_id": deal.record_id,
                                   "owner_id": deal.owner_id}))
    session.flush()
    if wanted is None:
        note = Rich(Strong(name), " is no longer marked deliberate; it counts as plain off strategy again.")
    else:
        note = Rich(Strong(name), " is marked deliberate: ", f"“{wanted}”. It still counts as off strategy, shown "
                    "apart with this reason in the summary and coaching. A CRM import with an ",
                    Code("Off-Strategy Reason"), " for it replaces the reason.")
    return MarkOutcome(_shown(deal, wanted), True, note)
