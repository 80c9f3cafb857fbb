"""Compose a dispatcher's batch with a few set-based reads instead of a handful of lookups per delivery.

A broadcast or its reminder (no question) needs its reader, their team and manager, the message, the
broadcast's author and the reader's first account: one joined query for the whole batch plus one for the
messages (usually one). Everything else, a quiz (it creates its ask), coaching DMs, nudges and refreshers, is
composed one at a time by `compose_delivery`, in its own transaction, exactly as before. Both paths end in the
same `message_outgoing`, so a row says the same whichever way it was composed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from schedules.compose import compose_delivery, message_outgoing, reader_context
from schedules.sending import Outgoing
from storage.address import Address
from storage.models import Account, Broadcast, Delivery, DeliveryKind, Message, Person, Team

BATCHED_KINDS = frozenset({DeliveryKind.BROADCAST, DeliveryKind.REMINDER})


def batchable(delivery: Delivery) -> bool:
    """A message delivery that composing only reads for (a question would create its ask)."""
    return (delivery.kind in BATCHED_KINDS and delivery.question_id is None and delivery.broadcast_id is not None
            and delivery.message_id is not None)


def _reader_rows(session: Session, deliveries: Sequence[Delivery]) -> dict[int, tuple]:
    """Per delivery id: the reader's name and zone, team, manager, the author and the first account, in one query."""
    manager, author = aliased(Person), aliased(Person)
    person_ids = {delivery.person_id for delivery in deliveries}
    first = (select(Account.person_id, func.min(Account.id).label("account_id"))
             .where(Account.person_id.in_(person_ids)).group_by(Account.person_id).subquery())
    query = (
        select(Delivery.id, Person.name, Person.tz, Team.name, manager.name, author.id, author.name,
               Account.platform, Account.user_id, Account.workspace_id)
        .select_from(Delivery)
        .join(Person, Person.id == Delivery.person_id)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .outerjoin(author, author.id == Broadcast.created_by_id)
        .outerjoin(Team, Team.id == Person.team_id)
        .outerjoin(manager, manager.id == Person.manager_id)
        .outerjoin(first, first.c.person_id == Person.id)
        .outerjoin(Account, Account.id == first.c.account_id)
        .where(Delivery.id.in_([delivery.id for delivery in deliveries]))
    )
    return {row[0]: tuple(row[1:]) for row in session.execute(query).all()}


class BatchComposer:
    """The dispatcher's composer: `compose_many` for what reads can compose, `compose_one` for the rest."""

    def compose_one(self, session: Session, delivery: Delivery, now: datetime) -> Outgoing:
        return compose_delivery(session, delivery, now)

    def compose_many(self, session: Session, deliveries: Sequence[Delivery],
                     now: datetime) -> dict[int, Outgoing | Exception]:
        """Outgoings (or the error that stops one) for the batchable rows; the others are left out."""
        simple = [delivery for delivery in deliveries if batchable(delivery)]
        if not simple:
            return {}
        readers = _reader_rows(session, simple)
        message_ids = {delivery.message_id for delivery in simple}
        messages = {message.id: message for message in
                    session.execute(select(Message).where(Message.id.in_(message_ids))).scalars()}
        composed: dict[int, Outgoing | Exception] = {}
        for delivery in simple:
            try:
                composed[delivery.id] = self._compose(delivery, readers.get(delivery.id or 0),
                                                      messages.get(delivery.message_id or 0), now)
            except Exception as error:  # noqa: BLE001 - a broken template fails its row, not the batch
                composed[delivery.id or 0] = error
        return composed

    @staticmethod
    def _compose(delivery: Delivery, reader: tuple | None, message: Message | None, now: datetime) -> Outgoing:
        if reader is None or message is None:
            raise LookupError(f"delivery {delivery.id} points at a missing person, message or broadcast")
        name, tz, team, manager, author_id, author_name, platform, user_id, workspace_id = reader
        if platform is None:
            raise LookupError(f"person {delivery.person_id} has no account on any chat platform")
        return message_outgoing(delivery, Address(platform, user_id, workspace_id),
                                reader_context(name, team, manager), tz, message,
                                author_name if author_id is not None else None, None, None, now)


BATCH_COMPOSER = BatchComposer()
