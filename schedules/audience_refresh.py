"""Keeping the platform groups an audience names fresh enough to expand: the `GroupReader` seam and its use.

Only a chat platform knows who is in a Slack channel or user group (or, later, a Teams team or an Entra group);
each adapter implements `GroupReader`, and this module, knowing none of them, re-reads a group when its cache is
older than the freshness bound. Only the groups of broadcasts that are due (or being sent now, or previewed) are
looked at, so the cost follows what is due; events keep the cache current in between (bot/slack/listeners).
A read that fails leaves the cache as it was: the occurrence goes to the members last known, and the failure is
logged, never the reason a broadcast is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session

from storage.models import AudienceGroup
from storage.queries.audience_groups import link_members, replace_members, stale_groups

log = logging.getLogger(__name__)


class GroupReader(Protocol):
    """What the cache needs from a chat platform: every member's platform user id, read in full (paginated by the
    platform's own rules); raises LookupError for a group that no longer exists or that the bot cannot see."""

    def members(self, kind: str, group_id: str) -> list[str]: ...


def audience_group_ids(audience: Mapping[str, Any]) -> list[int]:
    """Every group a stored audience names, included or excluded."""
    exclude = audience.get("exclude") or {}
    return sorted({*(audience.get("group_ids") or []), *(exclude.get("group_ids") or [])})


@dataclass
class GroupRefresher:
    """Re-reads stale groups through the reader of their platform (set by the runtime once platforms are up)."""

    readers: dict[str, GroupReader] = field(default_factory=dict)
    fresh_for: timedelta = timedelta(hours=6)

    def refresh(self, session: Session, group_ids: Iterable[int], *, now: datetime, force: bool = False) -> int:
        """Re-read the groups among `group_ids` older than the bound (all of them with `force`); how many were
        read. Each group is stored as it is read, in the caller's transaction; the others have members the directory
        learnt of since linked to their person (one indexed UPDATE each)."""
        wanted = sorted(set(group_ids))
        read_before = now + self.fresh_for if force else now - self.fresh_for
        read = {group.id for group in stale_groups(session, wanted, read_before=read_before)
                if self._read_one(session, group, now=now)}
        for group_id in wanted:
            if group_id not in read:
                link_members(session, group_id)  # people the directory learnt of since the group was read
        return len(read)

    def _read_one(self, session: Session, group: AudienceGroup, *, now: datetime) -> bool:
        reader = self.readers.get(group.platform)
        if reader is None or group.id is None:
            return False
        try:
            user_ids = reader.members(group.kind, group.group_id)
        except LookupError as gone:
            log.warning("audience group %s %s: %s; its last known members are kept", group.kind, group.group_id, gone)
            return False
        except Exception:  # noqa: BLE001 - a platform outage must not stop the broadcast: the cache is used as is
            log.exception("audience group %s %s could not be read; its last known members are used",
                          group.kind, group.group_id)
            return False
        added, removed = replace_members(session, group.id, user_ids, now=now)
        log.info("audience group %s %s re-read: %s members, %s joined, %s left", group.kind, group.group_id,
                 len(user_ids), added, removed)
        return True
