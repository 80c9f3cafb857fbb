"""Stop / start / continue feedback, both ways, with anonymity people can trust.

Anonymous means: no author, no exact time and nothing that joins back to the author, or to the author's other
items, in the database (see storage.models.Feedback); it waits sealed until the day's release
(bot.core.feedback_release); anonymous comments stay hidden for a team until enough different people have
answered anonymously that month; a leader can reply to an anonymous item only when its author opted in, through
a link sealed with a key the database never holds (bot.core.feedback_key). Named feedback shows its author to
the manager. Days and months are the organisation's (DRUMBEAT_ORG_TIMEZONE), never the author's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from bot.core.broadcasts import AudienceSpec, BroadcastDraft, BroadcastQueued, DraftProblems, schedule
from bot.core.library import NewMessage
from bot.core.errors import BadInput, NotFound, PermissionDenied
from bot.core.roles import find_team, managed_team_ids, require_role, sees_everything
from bot.core.feedback_key import FeedbackKey
from bot.core.feedback_release import SEALED_PERSON, hold, org_today
from bot.core.sealing import SealError, open_seal, submission_key
from messages.rich import Code, Rich
from schedules.materialise import DeliveryRules, zone
from storage.address import Address
from storage.queries.accounts import primary_address
from storage.models import (
    AuditEvent, Broadcast, Delivery, Feedback, FeedbackAbout, FeedbackPending, FeedbackReply, Message, Person, Role, Team,
)
from storage.queries.feedback import FeedbackCounts, insert_submission, recent_items, team_month_counts

MAX_FIELD = 1000
MAX_REPLY = 2000
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
READERS = (Role.MANAGER, Role.LEADER, Role.ADMIN)
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class FeedbackDraft:
    stop: str = ""
    start: str = ""
    keep: str = ""
    about: str = FeedbackAbout.STRATEGY
    anonymous: bool = True
    allow_replies: bool = False


@dataclass(frozen=True)
class Thresholds:
    """The anonymity rules: how many different anonymous authors before counts and comments show, and the
    organisation's zone, whose dates and months feedback is filed under and whose midnight releases it."""

    people_for_comments: int = 5
    people_for_scores: int = 3
    timezone: str = "UTC"
    # Not anonymity, but read by the same summaries: the pipeline's red flag (percent) and reporting currency.
    on_strategy_flag: int = 30
    pipeline_currency: str = "USD"


@dataclass(frozen=True)
class TeamFeedback:
    team: str
    month: str
    counts: FeedbackCounts | None  # None while too few people answered
    people: int
    thresholds: Thresholds
    named: list[Feedback]
    anonymous: list[Feedback] | None  # None while hidden
    authors: dict[int, str]


def clean(text: str | None) -> str:
    """Control and direction-changing characters go; the text is otherwise kept exactly (shown escaped)."""
    return CONTROL.sub("", (text or "").replace("\r\n", "\n")).strip()


def month_of(moment: datetime, tz: str) -> tuple[str, date]:
    local = moment.astimezone(zone(tz)).date()
    return local.strftime("%Y-%m"), local


def explain_visibility(draft: FeedbackDraft, thresholds: Thresholds) -> Rich:
    batch = f"It reaches your manager and leaders with the rest of today's feedback after midnight ({thresholds.timezone})."
    if not draft.anonymous:
        return Rich("Sent with your name: your manager and leaders will see it's from you. ", batch,
                    " You can see and withdraw it with ", Code("feedback mine"), ".")
    reply = (" If a leader replies, it reaches you by DM without them learning who you are." if draft.allow_replies
             else " Nobody can reply to it, because you did not allow replies.")
    return Rich(f"Sent anonymously: it is stored without your name or exact time. {batch} Your team's anonymous "
                f"comments are shown only once at least {thresholds.people_for_comments} different people have "
                f"answered anonymously this month.{reply} Anonymous feedback cannot be withdrawn, since nothing links "
                "it to you.")


ALREADY_STORED = "I already have this feedback; it was not stored twice."


def _checked_texts(draft: FeedbackDraft, key: FeedbackKey | None) -> dict[str, str]:
    """The three texts as stored, or every problem of the draft by field (DraftProblems)."""
    texts = {"stop": clean(draft.stop), "start": clean(draft.start), "keep": clean(draft.keep)}
    problems = {field: f"{len(text)} characters; the limit is {MAX_FIELD}." for field, text in texts.items()
                if len(text) > MAX_FIELD}
    if not any(texts.values()):
        problems["stop"] = "Write at least one of stop, start or continue."
    if draft.about not in FeedbackAbout._value2member_map_:
        problems["about"] = "Say what it is about: the strategy, the team's way of working, or leaders."
    if key is None and draft.anonymous:
        problems["anonymous"] = "Anonymous feedback is switched off: Drumbeat has no feedback key."
    if problems:
        raise DraftProblems(problems)
    return texts


def _dedupe(draft: FeedbackDraft, key: FeedbackKey | None, submission_id: str) -> str:
    """The submission's key as stored: an HMAC of the modal's view id, so it names no request a log could."""
    if draft.anonymous:
        assert key is not None
        return submission_key(key.secret, submission_id)
    return submission_key(key.secret if key else b"named", submission_id)


def check_feedback(session: Session, *, draft: FeedbackDraft, submission_id: str, key: FeedbackKey | None,
                   thresholds: Thresholds) -> tuple[str | Rich, bool]:
    """Reads only: the problems by field (DraftProblems), else (what the author is told, whether it is new).
    The modal's acknowledgement answers with this receipt; `submit` stores it after, checking again."""
    _checked_texts(draft, key)
    dedupe = _dedupe(draft, key, submission_id)
    model = FeedbackPending if draft.anonymous else Feedback
    if session.execute(select(model.id).where(model.submission_key == dedupe)).first() is not None:
        return ALREADY_STORED, False
    return explain_visibility(draft, thresholds), True


def submit(session: Session, *, author: Person, draft: FeedbackDraft, submission_id: str, key: FeedbackKey | None,
           thresholds: Thresholds, now: datetime) -> tuple[str | Rich, bool]:
    """Store feedback once per submission; returns (what the author is told, whether it was new). Problems come
    by field. Anonymous feedback is sealed until the day's release (bot.core.feedback_release); named is stored
    as is."""
    texts = _checked_texts(draft, key)
    dedupe = _dedupe(draft, key, submission_id)
    month, day = month_of(now, thresholds.timezone)
    if draft.anonymous:
        assert key is not None
        new = hold(session, key=key, author_id=author.id, team_id=author.team_id, texts=texts, about=draft.about,
                   allow_replies=draft.allow_replies, day=day, submission_key=dedupe)
        return (explain_visibility(draft, thresholds), True) if new else (ALREADY_STORED, False)
    if not insert_submission(session, Feedback, {
            "team_id": author.team_id, "about": draft.about, "anonymous": False, "month": month,
            "submitted_on": day, "submission_key": dedupe, "author_id": author.id, "submitted_at": now,
            "reply_link": None, "withdrawn": False, **texts}):
        return ALREADY_STORED, False
    session.add(AuditEvent(at=now, actor_id=author.id, action="feedback.named", detail={}))
    session.flush()
    return explain_visibility(draft, thresholds), True


def _team_for(session: Session, caller: Person, team_name: str | None) -> Team:
    require_role(caller, READERS, "read team feedback")
    if team_name:
        team = find_team(session, team_name)
        if team is None:
            raise NotFound(f"There is no team called '{team_name}'.")
    elif caller.team_id is not None:
        team = session.get(Team, caller.team_id)
    else:
        raise BadInput(Rich("Which team? Add its name, e.g. ", Code("feedback list East"), "."))
    assert team is not None
    if not sees_everything(caller) and team.id not in managed_team_ids(session, caller):
        raise PermissionDenied(f"Sorry, {team.name} is not one of your teams.")
    return team


def team_feedback(session: Session, *, caller: Person, team_name: str | None, month: str | None,
                  thresholds: Thresholds, now: datetime) -> TeamFeedback:
    team = _team_for(session, caller, team_name)
    if month is not None and not MONTH.match(month):
        raise BadInput(f"'{month}' is not a month: write it as YYYY-MM, e.g. {now:%Y-%m}.")
    month = month or month_of(now, thresholds.timezone)[0]
    released_before = org_today(now, thresholds.timezone)
    counts = team_month_counts(session, team_id=team.id, month=month, released_before=released_before)
    named = recent_items(session, team_id=team.id, month=month, anonymous=False, released_before=released_before)
    authors = {p.id: p.name for p in session.execute(
        select(Person).where(Person.id.in_([f.author_id for f in named if f.author_id]))).scalars()}
    show_comments = counts.people >= thresholds.people_for_comments
    return TeamFeedback(
        team=team.name, month=month, people=counts.people, thresholds=thresholds, named=named, authors=authors,
        counts=counts if counts.people >= thresholds.people_for_scores else None,
        anonymous=recent_items(session, team_id=team.id, month=month, anonymous=True,
                               released_before=released_before) if show_comments else None,
    )


def mine(session: Session, *, person: Person) -> list[Feedback]:
    return list(session.execute(
        select(Feedback).where(Feedback.author_id == person.id, Feedback.withdrawn.is_(False))
        .order_by(Feedback.submitted_on.desc(), Feedback.submitted_at.desc())
    ).scalars())


def withdraw(session: Session, *, person: Person, feedback_id: int) -> str:
    feedback = session.get(Feedback, feedback_id)
    if feedback is None or feedback.author_id != person.id:
        raise NotFound("That is not feedback of yours that I can find.")
    feedback.withdrawn, feedback.stop, feedback.start, feedback.keep = True, "", "", ""
    return "Withdrawn: it is no longer shown to anyone, and its text is deleted."


LEGACY_SEAL_PLATFORM = "slack"  # links sealed before accounts existed hold the author's Slack user id


@dataclass(frozen=True)
class ReplyTo:
    recipient: Address  # where the author is reached, known only for the moment of sending
    text: str
    replier: str


def check_reply(session: Session, *, caller: Person, feedback_id: int, text: str,
                key: FeedbackKey | None) -> ReplyTo:
    """Reads only: whether the caller may reply to this feedback with this text (refused with the reason, the
    text's problems by field), and where the reply would go. `reply` checks again when it records the reply."""
    feedback = session.get(Feedback, feedback_id)
    if feedback is None or feedback.withdrawn:
        raise NotFound("That feedback is no longer there.")
    team = session.get(Team, feedback.team_id) if feedback.team_id else None
    _team_for(session, caller, team.name if team else None)
    text = clean(text)
    if not text:
        raise DraftProblems({"text": "Write your reply."})
    if len(text) > MAX_REPLY:
        raise DraftProblems({"text": f"{len(text)} characters; the limit is {MAX_REPLY}."})
    if not feedback.anonymous:
        recipient = primary_address(session, feedback.author_id or 0)
    elif feedback.reply_link is None:
        raise PermissionDenied("Its author did not allow replies, so nobody can reply to this feedback.")
    else:
        try:
            recipient = _unsealed_recipient(session, open_seal(key.secret if key else None, feedback.reply_link))
        except SealError as error:
            raise BadInput(f"The reply cannot be delivered: {error}.") from None
    if recipient is None:
        raise NotFound("Its author can no longer be reached on any chat platform.")
    return ReplyTo(recipient=recipient, text=text, replier=caller.name)


def reply(session: Session, *, caller: Person, feedback_id: int, text: str, key: FeedbackKey | None,
          now: datetime) -> ReplyTo:
    """Record a reply (checked again: the feedback may have been withdrawn since); the caller sends it."""
    reply_to = check_reply(session, caller=caller, feedback_id=feedback_id, text=text, key=key)
    session.add(FeedbackReply(feedback_id=feedback_id, author_id=caller.id, text=reply_to.text, sent_at=now))
    return reply_to


def _unsealed_recipient(session: Session, sealed: str) -> Address | None:
    if sealed.startswith(SEALED_PERSON):
        return primary_address(session, int(sealed.removeprefix(SEALED_PERSON)))
    return Address(LEGACY_SEAL_PLATFORM, sealed)


REQUEST_KEY = "feedback-request"
NOTE_KEY = "you-said-we-did"
#: `feedback request` / `feedback yousaid`: the message's title and its key (a request's key is what makes the
#: feedback form opened from its delivery show the manager's question).
POSTS = {"request": ("Your feedback, please", REQUEST_KEY), "yousaid": ("You said, we did", NOTE_KEY)}


def post_to_team(session: Session, *, caller: Person, team_name: str, title: str, body: str, now: datetime,
                 rules: DeliveryRules, key: str) -> BroadcastQueued:
    """A feedback request, or a "you said, we did" note: delivered like any broadcast, to the team's reps."""
    team = _team_for(session, caller, team_name)
    if not body.strip():
        raise BadInput(Rich("Write the text after a ", Code("|"), ", e.g. ",
                            Code("feedback request East | What should I stop, start, continue?")))
    draft = BroadcastDraft(audience=AudienceSpec(teams=(team.name,)), new_message=NewMessage(title=title, body=body, key=key, literal=True))
    return schedule(session, sender=caller, draft=draft, now=now, rules=rules, allowed=READERS)


@dataclass(frozen=True)
class FeedbackForm:
    context: str  # where the form was opened from ("command", "home", "delivery:<id>"), kept with the submission
    question: str | None  # the manager's own question, when opened from a "Your feedback, please" DM
    min_people: int  # anonymous comments are shown from this many people


def feedback_form(session: Session, *, caller: Person, context: str, thresholds: Thresholds) -> FeedbackForm:
    """The stop/start/continue form; opened from a manager's feedback request, it shows that request's question,
    but only from the caller's own delivery (a button's value is a claim: another team's question stays theirs)."""
    question = None
    if context.startswith("delivery:"):
        delivery_id = context.split(":", 1)[1]
        delivery = session.get(Delivery, int(delivery_id)) if delivery_id.isdigit() and len(delivery_id) < 19 else None
        if delivery is not None and delivery.person_id != caller.id:
            delivery = None
        broadcast = session.get(Broadcast, delivery.broadcast_id) if delivery and delivery.broadcast_id else None
        message = session.get(Message, broadcast.message_id) if broadcast else None
        if message is not None and message.key == REQUEST_KEY:
            question = message.body
    return FeedbackForm(context=context[:200], question=question, min_people=thresholds.people_for_comments)


def reply_form(session: Session, *, caller: Person, feedback_id: int) -> bool:
    """Whether the feedback the caller may reply to is anonymous (the form says how the reply travels)."""
    item = session.get(Feedback, feedback_id)
    if item is None or item.withdrawn:
        raise NotFound("That feedback is no longer there.")
    team = session.get(Team, item.team_id) if item.team_id else None
    _team_for(session, caller, team.name if team else None)
    return item.anonymous
