"""Offboarding: deactivate a person (history kept), or erase what identifies them (a request to delete their data).

**Deactivate** (`drumbeat org remove PERSON`): `active` is false and `removed_at` set, so no broadcast, question,
nudge or coaching DM is planned for them again (every audience and job reads active people only), their waiting
deliveries are cancelled, and a directory sync that still finds their account does not bring them back (only an
`org import` naming them does). Their history stays for their team's past figures and their own.

**Erase** (`--erase`) deletes, in one transaction: their platform accounts (and the Teams conversations learnt for
them), their name and email, their named feedback and the replies to it, replies they wrote, their quiz answers,
spaced-repetition state, deliveries, coaching DMs and nudges about them or addressed to them, the audit entries
they made or that point at those nudges, and their id and name in broadcasts' stored audiences and labels. What is left of them is one tombstone `person` row (name "(erased)", no
email, team, manager or account), kept because other rows point at it and must stay valid: broadcasts and message
versions they wrote (`created_by_id`, `author_id`: the organisation's content, not data about them), and because
deleting the row would let SQLite hand the same id to the next person imported (its rowid is max + 1), and a
reply link sealed with the old id would then reach that newcomer. Team summaries count active reps only, so
removing their deliveries and answers changes no current team figure.

**Anonymous feedback is left exactly as it is**, on purpose:
- Anonymous `feedback` rows have no author column; nothing in the database says which are theirs. Finding them
  would mean opening reply links with the key, and deleting or editing the ones found would tell anyone who
  compares a backup from before with the database after *which* items were the erased person's: the erase would
  itself de-anonymise them. So no anonymous row is read, changed or deleted.
- `feedbackrespondent` tags (an HMAC of person, team and month) are kept. Deleting theirs would need the key to
  compute them, and would lower the "different people" count of exactly the team-months they answered in,
  which tells a before/after reader that they answered anonymously there (and could push a team under its
  threshold, hiding items readers saw yesterday: a change that points at the erased person). The tags name
  nobody: the person id they are computed from now belongs to a tombstone with no name, email or account.
- `feedbackpending` (sealed, not yet released) rows are not opened; they are released at midnight like every
  other, as anonymous items with no author.
So the anonymous counts and items before and after an erase are the same, and nothing new links any item to
anyone. What an erase cannot reach: backups and copies taken before it, and the chat platform's own history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select, update
from sqlmodel import Session

from bot.core.errors import BadInput
from bot.core.org_admin import find_person, reports_of
from storage.models import (
    Account,
    AnswerState,
    AuditEvent,
    Broadcast,
    CoachingDigest,
    CoachingNudge,
    ConversationRef,
    Delivery,
    DeliveryStatus,
    ExpectationProgress,
    Feedback,
    FeedbackReply,
    Person,
    QuizAsk,
    Role,
    utcnow,
)

ERASED_NAME = "(erased)"
WAITING = (DeliveryStatus.PENDING, DeliveryStatus.HELD)


@dataclass
class RemoveReport:
    name: str
    person_id: int
    erased: bool
    counts: dict[str, int] = field(default_factory=dict)  # what was cancelled or deleted, by kind

    def lines(self) -> list[str]:
        done = "Erased" if self.erased else "Deactivated"
        shown = ", ".join(f"{kind} {count}" for kind, count in self.counts.items() if count or not self.erased)
        shown = shown or "nothing else held about them"
        return [f"{done} {self.name} (id {self.person_id}): {shown}."]


def removal_target(session: Session, given: str, *, erase: bool) -> Person:
    """The person named, checked before anything is asked or changed (one line if they cannot be removed)."""
    person = find_person(session, given)
    if person.name == ERASED_NAME and person.email is None and person.removed_at is not None:
        raise BadInput(f"{given!r} is already erased")
    reports = reports_of(session, person.id or 0)
    if erase and reports:
        shown = ", ".join(reports[:5]) + (f" and {len(reports) - 5} more" if len(reports) > 5 else "")
        raise BadInput(f"{person.name} manages {len(reports)} people ({shown}): move them first, "
                       f"e.g. `drumbeat org move {given} --reports-to NEW_MANAGER`")
    return person


def deactivate(session: Session, person: Person) -> RemoveReport:
    """No more DMs from now on; what was sent and answered stays."""
    report = RemoveReport(person.name, person.id or 0, erased=False)
    now = utcnow()
    person.active, person.removed_at, person.updated_at = False, person.removed_at or now, now
    cancelled = session.execute(update(Delivery).where(Delivery.person_id == person.id, Delivery.status.in_(WAITING))
                                .values(status=DeliveryStatus.CANCELLED)).rowcount
    report.counts["waiting deliveries cancelled"] = cancelled or 0
    session.add(AuditEvent(at=now, actor_id=None, action="org.deactivate", detail={"person_id": person.id}))
    session.flush()
    return report


def erase(session: Session, person: Person) -> RemoveReport:
    """Delete what identifies them and keep a tombstone (see the module docstring for what and why)."""
    if reports_of(session, person.id or 0):
        raise BadInput(f"{person.name} still manages people: move them first")
    report = RemoveReport(person.name, person.id or 0, erased=True)
    pid = person.id
    counts = report.counts
    counts["accounts"] = _erase_accounts(session, pid)
    counts.update(_erase_feedback(session, pid))
    counts.update(_erase_coaching(session, pid))
    counts["quiz answers"] = _count_delete(session, QuizAsk, QuizAsk.person_id == pid)
    _count_delete(session, AnswerState, AnswerState.person_id == pid)  # the triggers may have done it already
    _count_delete(session, ExpectationProgress, ExpectationProgress.person_id == pid)
    counts["deliveries"] = _count_delete(session, Delivery, Delivery.person_id == pid)
    counts["broadcast audiences"] = _erase_from_audiences(session, pid, person.name)
    counts["audit entries"] = counts.get("audit entries", 0) + _count_delete(
        session, AuditEvent, AuditEvent.actor_id == pid)
    now = utcnow()
    person.name, person.email, person.team_id, person.manager_id = ERASED_NAME, None, None, None
    person.role, person.tz, person.away_from, person.away_until = Role.REP.value, "UTC", None, None
    person.active, person.removed_at, person.updated_at = False, now, now
    person.created_at = now  # when they joined says something about who they were
    session.add(AuditEvent(at=now, actor_id=None, action="org.erase", detail={"person_id": pid}))
    session.flush()
    return report


def _erase_from_audiences(session: Session, pid: int | None, name: str) -> int:
    """Their id out of every broadcast's stored audience, and their name out of its label ("Aiko Tanaka, team
    East" becomes "(erased), team East"): a leader's `schedules` list must not keep naming them. A read of every
    broadcast's audience, once per erase (audiences are JSON, which SQLite and PostgreSQL query differently)."""
    changed = 0
    for broadcast in session.execute(select(Broadcast)).scalars():
        ids = list(broadcast.audience.get("person_ids") or [])
        labels = broadcast.audience_label.split(", ")
        if pid not in ids and name not in labels:
            continue
        broadcast.audience = {**broadcast.audience, "person_ids": [i for i in ids if i != pid]}
        broadcast.audience_label = ", ".join(ERASED_NAME if label == name else label for label in labels)
        changed += 1
    return changed


def _count_delete(session: Session, model: type, condition: object) -> int:
    return session.execute(delete(model).where(condition)).rowcount or 0  # type: ignore[arg-type]


def _erase_accounts(session: Session, pid: int | None) -> int:
    accounts = list(session.execute(select(Account.platform, Account.user_id).where(Account.person_id == pid)).all())
    for platform, user_id in accounts:
        session.execute(delete(ConversationRef).where(ConversationRef.platform == platform,
                                                      ConversationRef.user_id == user_id))
    return _count_delete(session, Account, Account.person_id == pid)


def _erase_feedback(session: Session, pid: int | None) -> dict[str, int]:
    """Their named feedback (and replies to it), and replies they wrote; no anonymous row is touched."""
    named = select(Feedback.id).where(Feedback.author_id == pid, Feedback.anonymous.is_(False))
    replies = _count_delete(session, FeedbackReply, or_(FeedbackReply.feedback_id.in_(named),
                                                        FeedbackReply.author_id == pid))
    items = _count_delete(session, Feedback, Feedback.author_id == pid)
    return {"named feedback items": items, "feedback replies": replies}


def _erase_coaching(session: Session, pid: int | None) -> dict[str, int]:
    """Nudges about them or to them (with the audit entries that name those nudges), their coaching DMs, and
    their name on nudges they acted on (coached, snoozed, refreshed: the nudge stays, about someone else)."""
    their_deliveries = select(Delivery.id).where(Delivery.person_id == pid)
    their_digests = select(CoachingDigest.id).where(CoachingDigest.person_id == pid)
    nudge_ids = list(session.execute(select(CoachingNudge.id).where(or_(
        CoachingNudge.rep_id == pid, CoachingNudge.manager_id == pid, CoachingNudge.digest_id.in_(their_digests),
        CoachingNudge.refresher_delivery_id.in_(their_deliveries)))).scalars())
    audit = 0
    if nudge_ids:
        wanted = set(nudge_ids)
        coaching = session.execute(select(AuditEvent.id, AuditEvent.detail)
                                   .where(AuditEvent.action.like("coaching.%"))).all()
        doomed = [event_id for event_id, detail in coaching if (detail or {}).get("nudge") in wanted]
        for start in range(0, len(doomed), 500):
            audit += _count_delete(session, AuditEvent, AuditEvent.id.in_(doomed[start:start + 500]))
    nudges = 0
    for start in range(0, len(nudge_ids), 500):
        nudges += _count_delete(session, CoachingNudge, CoachingNudge.id.in_(nudge_ids[start:start + 500]))
    for column in ("coached_by_id", "snoozed_by_id", "refreshed_by_id"):
        session.execute(update(CoachingNudge).where(getattr(CoachingNudge, column) == pid).values({column: None}))
    digests = _count_delete(session, CoachingDigest, CoachingDigest.person_id == pid)
    return {"coaching nudges": nudges, "coaching DMs": digests, "audit entries": audit}
