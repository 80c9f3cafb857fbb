"""The message library: one canonical, versioned text per strategy message, and what a leader may write.

A message is never edited in place: a change is a new version (what was sent keeps its version), which is what
lets a summary say which version reached a team, from which leader.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy import func, select
from sqlmodel import Session

from bot.core.errors import NotFound
from messages.render import TemplateProblem, trial_render
from messages.rich import Rich
from schedules.compose import body_text, person_context
from storage.models import LITERAL_SOURCE, Expectation, Message, Person, Question, Team

MESSAGE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_TITLE = 150
MAX_BODY = 3000


@dataclass(frozen=True)
class NewMessage:
    """A message a leader writes in the broadcast modal (a Jinja2 template, rendered per recipient)."""

    title: str
    body: str
    key: str | None = None  # derived from the title when not given
    key_message: bool = False
    literal: bool = False  # plain text typed by a manager (a feedback request): shown as typed, never rendered


def latest_message(session: Session, key: str) -> Message:
    """The canonical (newest) version of a message, or a helpful NotFound."""
    message = session.execute(
        select(Message).where(Message.key == key).order_by(Message.version.desc()).limit(1)
    ).scalar_one_or_none()
    if message is not None:
        return message
    keys = list(session.execute(select(Message.key).distinct()).scalars())
    close = difflib.get_close_matches(key, keys, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    available = f" Messages in the library: {', '.join(sorted(keys))}." if keys and not close else ""
    raise NotFound(f"There is no message called '{key}'.{hint}{available}")


def message_behind(session: Session, expectation_id: int) -> Message | None:
    """The newest message that carries an expectation: what a quiz on it stands for."""
    expectation = session.get(Expectation, expectation_id)
    if expectation is None:
        return None
    return next((m for m in library(session) if expectation.key in (m.expectation_keys or [])), None)


def library(session: Session) -> list[Message]:
    """The newest version of every message, by title."""
    newest = select(Message.key, func.max(Message.version).label("version")).group_by(Message.key).subquery()
    query = select(Message).join(newest, (Message.key == newest.c.key) & (Message.version == newest.c.version))
    return list(session.execute(query.order_by(Message.title)).scalars())


def key_from_title(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-")
    return slug or "message"


def preview(session: Session, *, message: Message, reader: Person) -> Rich:
    """A message body as `reader` would read it (the leader's markup kept, the reader's values to be escaped by
    the dialect); template problems raise TemplateProblem."""
    return body_text(message, {"person": person_context(session, reader)})


def body_problem(message: Message) -> str | None:
    """Why a library message cannot be sent (its template fails, or is over budget, for a sample reader)."""
    if message.source == LITERAL_SOURCE:
        return None
    try:
        trial_render(message.body)
    except TemplateProblem as problem:
        return f"Template error in '{message.key}': {problem}"
    return None


def check_new_message(new: NewMessage) -> dict[str, str]:
    problems: dict[str, str] = {}
    title = new.title.strip()
    if not title:
        problems["title"] = "Give the message a title."
    elif len(title) > MAX_TITLE:
        problems["title"] = f"The title is {len(title)} characters; at most {MAX_TITLE} are shown."
    body = new.body.strip()
    if not body:
        problems["body"] = "Write the message."
    elif len(body) > MAX_BODY:
        problems["body"] = f"The message is {len(body)} characters; the limit is {MAX_BODY}. Shorten it by {len(body) - MAX_BODY}."
    elif not new.literal:
        try:
            trial_render(body)  # compiles, and renders for a sample reader within the template budget
        except TemplateProblem as problem:
            problems["body"] = f"Template error: {problem}"
    if new.key is not None and not MESSAGE_KEY.match(new.key):
        problems["key"] = "A key is lowercase letters, digits and dashes, like win-on-strategy."
    return problems


VERSION_ATTEMPTS = 20


def _latest_version(session: Session, key: str) -> int:
    return session.execute(select(func.max(Message.version)).where(Message.key == key)).scalar_one() or 0


def new_version(session: Session, sender: Person, new: NewMessage, now: datetime) -> Message:
    """The next version of a message. People writing the same key at the same moment (two `feedback request`s to
    one team) all read the same latest version: the unique (key, version) refuses all inserts but one, and each
    refused one takes a later number, inside a savepoint so the rest of its transaction stands."""
    key = new.key or key_from_title(new.title)
    version = _latest_version(session, key) + 1
    for _ in range(VERSION_ATTEMPTS):
        message = Message(
            key=key, version=version, title=new.title.strip(), body=new.body.strip(),
            key_message=new.key_message, author_id=sender.id, source=LITERAL_SOURCE if new.literal else "chat",
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(message)
        except IntegrityError:  # someone took this number a moment ago (a snapshot may not show it yet)
            version = max(version, _latest_version(session, key)) + 1
            continue
        return message
    raise IntegrityError("INSERT INTO message", None, Exception(f"no free version of {key!r} after "
                                                                  f"{VERSION_ATTEMPTS} attempts"))


@dataclass(frozen=True)
class BroadcastForm:
    """What the broadcast form offers a leader: the library (one message picked, with its preview), the teams
    and the active pulse-check questions."""

    library: list[tuple[str, str]]  # (key, title)
    selected: tuple[str, str] | None
    preview: Rich | None
    preview_problem: str | None  # the picked message's template does not render
    teams: list[str]
    questions: list[tuple[str, str]]  # (key, prompt)


def broadcast_form(session: Session, *, reader: Person, selected_key: str | None = None) -> BroadcastForm:
    messages = library(session)
    selected = next((message for message in messages if message.key == selected_key), None)
    shown = problem = None
    if selected is not None:
        try:
            shown = preview(session, message=selected, reader=reader)
        except TemplateProblem as error:
            problem = str(error)
    questions = session.execute(select(Question.key, Question.prompt).where(Question.active.is_(True))
                                .order_by(Question.key)).all()
    return BroadcastForm(
        library=[(message.key, message.title) for message in messages],
        selected=(selected.key, selected.title) if selected else None,
        preview=shown, preview_problem=problem,
        teams=list(session.execute(select(Team.name).order_by(Team.name)).scalars()),
        questions=[(key, prompt) for key, prompt in questions],
    )
