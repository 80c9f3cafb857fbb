"""The conversation references the Teams adapter keeps: where each person's personal chat with the bot is.

Teams tells the bot when its app is installed for someone (installationUpdate, add) and when the bot joins the
personal chat (conversationUpdate, membersAdded: the bot); both carry the conversation id, the serviceUrl the
chat lives on, the tenant and the person's ids. A proactive message needs all of that, so it is stored per
person (`storage.models.ConversationRef`), keyed by the `Address.user_id` Drumbeat knows them by (their Entra
object id, `bot/teams/identity.py`). Uninstalling marks the reference unusable: a send would get 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from bot.teams.identity import PLATFORM
from storage.models import ConversationRef, utcnow


@dataclass(frozen=True)
class Reference:
    """What a proactive send needs, read from an activity or from storage."""

    user_id: str  # the Entra object id (lower case)
    conversation_id: str
    service_url: str
    tenant_id: str
    platform_user_id: str  # the person's `29:` id


def reference_of(activity: dict[str, Any]) -> Reference | None:
    """The reference an activity from a person's personal chat carries; None if it is not one (a group chat,
    a channel, an activity without the person's Entra id)."""
    sender = activity.get("from") or {}
    conversation = activity.get("conversation") or {}
    object_id = str(sender.get("aadObjectId") or "").lower()
    if not object_id or not conversation.get("id") or not activity.get("serviceUrl"):
        return None
    if conversation.get("conversationType") not in (None, "personal") or conversation.get("isGroup"):
        return None
    tenant = (activity.get("channelData") or {}).get("tenant") or {}
    return Reference(object_id, str(conversation["id"]), str(activity["serviceUrl"]),
                     str(tenant.get("id") or conversation.get("tenantId") or ""), str(sender.get("id") or ""))


TEAM_KEY = "team:"  # a team's reference is stored as `team:<its Entra group id>` (no person has such an id)


def team_reference_of(activity: dict[str, Any]) -> Reference | None:
    """Where the bot posts in a team it was added to (a channel post needs the team's serviceUrl): the team's
    General channel, keyed by the team's Entra group id; None for an activity from no team."""
    team = (activity.get("channelData") or {}).get("team") or {}
    group_id = str(team.get("aadGroupId") or "").lower()
    if not group_id or not team.get("id") or not activity.get("serviceUrl"):
        return None
    tenant = (activity.get("channelData") or {}).get("tenant") or {}
    return Reference(TEAM_KEY + group_id, str(team["id"]), str(activity["serviceUrl"]), str(tenant.get("id") or ""), "")


def remember(session: Session, reference: Reference) -> None:
    """Store (or refresh) a person's reference, usable again if it was not."""
    row = _row(session, reference.user_id)
    if row is None:
        row = ConversationRef(platform=PLATFORM, user_id=reference.user_id, conversation_id="", service_url="")
    row.conversation_id = reference.conversation_id
    row.service_url = reference.service_url
    row.tenant_id = reference.tenant_id
    row.platform_user_id = reference.platform_user_id or row.platform_user_id
    row.usable = True
    row.updated_at = utcnow()
    session.add(row)
    session.flush()


def forget(session: Session, user_id: str) -> bool:
    """The app was uninstalled for the person: their reference is kept but no longer used. True if one was."""
    row = _row(session, user_id)
    if row is None or not row.usable:
        return False
    row.usable = False
    row.updated_at = utcnow()
    session.add(row)
    return True


def usable_reference(session: Session, user_id: str) -> Reference | None:
    row = _row(session, user_id)
    if row is None or not row.usable:
        return None
    return Reference(row.user_id, row.conversation_id, row.service_url, row.tenant_id, row.platform_user_id)


def _row(session: Session, user_id: str) -> ConversationRef | None:
    return session.execute(select(ConversationRef).where(
        ConversationRef.platform == PLATFORM, ConversationRef.user_id == user_id.lower())).scalar_one_or_none()


def user_id_for_account(session: Session, account_id: str) -> str | None:
    """The Entra object id of the person whose `29:` id for this bot is `account_id` (from their reference)."""
    if not account_id:
        return None
    return session.execute(select(ConversationRef.user_id).where(
        ConversationRef.platform == PLATFORM, ConversationRef.platform_user_id == account_id)).scalars().first()
