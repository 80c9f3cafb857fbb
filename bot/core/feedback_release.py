"""Anonymous feedback waits, sealed, until the day is over; then the whole day is released in one shuffled batch.

Why: whatever is written at the moment of a submission can be put next to something else that has a time (a
named row, a request log, a message in Slack, on PostgreSQL even the inserting transaction's id). So at that
moment only a sealed, padded FeedbackPending row is written: it says that *something* arrived that day, not
what, for which team, or from whom. After midnight in the organisation's zone, the release (a fixed job, on
every instance: the claim is a DELETE ... RETURNING, so each item is released once) opens the day's items,
shuffles them and writes their Feedback rows with random ids, and counts their authors' tags in
FeedbackRespondent, all in one transaction. Readers (`feedback list`, summaries) see only released items, so
polling cannot timestamp an item either.

What the key's holder can still learn is said in the README ("What each insider can learn").
"""

from __future__ import annotations

import base64
import hashlib
import logging
import random
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from bot.core.feedback_key import FeedbackKey
from bot.core.sealing import SealError, open_pending, open_seal, respondent_tag, seal, seal_pending
from schedules.materialise import zone
from storage.models import Feedback, FeedbackPending
from storage.queries.feedback import add_respondents, insert_submission, stranded_pending, take_due_pending

log = logging.getLogger(__name__)

SEALED_PERSON = "person:"  # a reply link seals the author's person id


def org_today(now: datetime, tz: str) -> date:
    return now.astimezone(zone(tz)).date()


def hold(session: Session, *, key: FeedbackKey, author_id: int, team_id: int | None, texts: dict[str, str],
         about: str, allow_replies: bool, day: date, submission_key: str) -> bool:
    """Seal one anonymous submission until its day's release; False when that submission is already held. The
    sealed item holds the author's tag, never their id (only the reply link, itself sealed, holds that, and only
    when the author asked for replies)."""
    item: dict[str, object] = {"team_id": team_id, "about": about, **texts}
    if team_id is not None:
        item["tag"] = respondent_tag(key.secret, author_id, team_id, day.strftime("%Y-%m"))
    if allow_replies:
        item["reply"] = base64.b64encode(seal(key.secret, f"{SEALED_PERSON}{author_id}")).decode()
    return insert_submission(session, FeedbackPending, {"day": day, "key_id": key.key_id, "submission_key": submission_key,
                                                        "sealed": seal_pending(key.secret, item)})


def release_due(session: Session, *, key: FeedbackKey | None, now: datetime, tz: str) -> int:
    """Release every pending item of the days before today (organisation's zone); how many were released."""
    if key is None:
        return 0
    today = org_today(now, tz)
    opened: list[tuple[date, dict[str, object]]] = []
    for day, sealed in take_due_pending(session, key_id=key.key_id, released_before=today):
        try:
            opened.append((day, open_pending(key.secret, sealed)))
        except SealError:  # same key id, other key: cannot happen short of a forged row; never lose the rest
            log.error("a pending feedback item could not be opened with the current key; it was dropped")
    random.SystemRandom().shuffle(opened)
    respondents = []
    for day, item in opened:
        month = day.strftime("%Y-%m")
        reply = item.get("reply")
        session.add(Feedback(
            team_id=item.get("team_id"), about=str(item["about"]), anonymous=True, month=month, submitted_on=day,
            stop=str(item.get("stop", "")), start=str(item.get("start", "")), keep=str(item.get("keep", "")),
            reply_link=base64.b64decode(str(reply)) if reply else None,
        ))
        if item.get("tag") and item.get("team_id") is not None:
            respondents.append({"team_id": item["team_id"], "month": month, "key_id": key.key_id, "tag": item["tag"]})
    session.flush()
    add_respondents(session, respondents)
    return len(opened)


def waiting_for_another_key(session: Session, *, key: FeedbackKey) -> int:
    return stranded_pending(session, key_id=key.key_id)


def reseal_legacy_links(session: Session, *, key: FeedbackKey, signing_secret: str | None) -> int:
    """Reply links sealed before the key file existed used a key derived from the Slack signing secret, which
    anyone with the app's Slack settings could derive: re-seal them with the key (how many), so that secret
    opens nothing any more. Links the current key already opens are left alone; a link neither opens stays."""
    if not signing_secret:
        return 0
    legacy = hashlib.sha256(b"drumbeat-feedback-v1:" + signing_secret.encode()).digest()
    if legacy == key.secret:
        return 0
    resealed = 0
    for item in session.execute(select(Feedback).where(Feedback.reply_link.is_not(None))).scalars():
        link = item.reply_link or b""
        try:
            open_seal(key.secret, link)
            continue
        except SealError:
            pass
        try:
            item.reply_link = seal(key.secret, open_seal(legacy, link))
            resealed += 1
        except SealError:
            continue
    return resealed
