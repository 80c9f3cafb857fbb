"""What a person sees on Drumbeat's Home tab."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from bot.core.roles import identify
from storage.models import Delivery, DeliveryKind, DeliveryStatus


@dataclass(frozen=True)
class HomeView:
    name: str | None
    role: str | None
    unacknowledged: int
    note: str | None
    command: str


def home_for(session: Session, *, platform_user_id: str, command: str) -> HomeView:
    person = identify(session, platform_user_id)
    waiting = session.execute(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.person_id == person.id,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.acknowledged_at.is_(None),
            Delivery.kind.not_in([DeliveryKind.COACHING, DeliveryKind.NUDGE]),  # nothing to acknowledge there
        )
    ).scalar_one()
    return HomeView(name=person.first_name, role=person.role, unacknowledged=waiting, note=None, command=command)
