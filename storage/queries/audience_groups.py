"""The cache of platform groups' membership (AudienceGroup, AudienceGroupMember): written by a platform's reader
(a full re-read when stale) and by its events (who joined, who left), read in SQL by storage.queries.audience.

Writes are diffs: a 10,000-member channel re-read with three changes deletes and inserts three rows, so the cache
is cheap to keep fresh and its rows are never all rewritten at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import Account, AudienceGroup, AudienceGroupMember, utcnow

BATCH = 500  # rows per statement: well under every database's limit on bound parameters


@dataclass(frozen=True)
class GroupRef:
    """A group as a platform names it: which platform, what kind of group, its id there, and its label."""

    platform: str
    kind: str  # "usergroup", "channel" (Slack); a Teams adapter adds its own kinds
    group_id: str
    label: str = ""


def _insert(session: Session) -> object:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def ensure_groups(session: Session, refs: Sequence[GroupRef]) -> list[int]:
    """The ids of these groups' cache rows, made if new (a label given updates the stored one)."""
    ids = []
    for ref in refs:
        insert = _insert(session)(AudienceGroup.__table__).values(  # type: ignore[operator]
            platform=ref.platform, kind=ref.kind, group_id=ref.group_id, label=ref.label[:200],
            created_at=utcnow())
        if ref.label:
            insert = insert.on_conflict_do_update(index_elements=["platform", "kind", "group_id"],
                                                  set_={"label": ref.label[:200]})
        else:
            insert = insert.on_conflict_do_nothing(index_elements=["platform", "kind", "group_id"])
        session.execute(insert)
        ids.append(session.execute(select(AudienceGroup.id).where(
            AudienceGroup.platform == ref.platform, AudienceGroup.kind == ref.kind,
            AudienceGroup.group_id == ref.group_id)).scalar_one())
    return ids


def find_group(session: Session, platform: str, kind: str, group_id: str) -> AudienceGroup | None:
    return session.execute(select(AudienceGroup).where(
        AudienceGroup.platform == platform, AudienceGroup.kind == kind, AudienceGroup.group_id == group_id)
    ).scalar_one_or_none()


def stale_groups(session: Session, group_ids: Iterable[int], *, read_before: datetime) -> list[AudienceGroup]:
    """Of these groups, those never read or last read before `read_before` (the freshness bound)."""
    wanted = sorted(set(group_ids))
    if not wanted:
        return []
    return list(session.execute(select(AudienceGroup).where(
        AudienceGroup.id.in_(wanted),
        or_(AudienceGroup.refreshed_at.is_(None), AudienceGroup.refreshed_at < read_before),
    ).order_by(AudienceGroup.id)).scalars())


def _add(session: Session, group_id: int, user_ids: Sequence[str]) -> None:
    table = AudienceGroupMember.__table__
    for start in range(0, len(user_ids), BATCH):
        rows = [{"group_id": group_id, "user_id": user_id} for user_id in user_ids[start:start + BATCH]]
        session.execute(_insert(session)(table).on_conflict_do_nothing(), rows)  # type: ignore[operator]


def _remove(session: Session, group_id: int, user_ids: Sequence[str]) -> None:
    for start in range(0, len(user_ids), BATCH):
        session.execute(delete(AudienceGroupMember).where(
            AudienceGroupMember.group_id == group_id,
            AudienceGroupMember.user_id.in_(list(user_ids[start:start + BATCH]))))


def link_members(session: Session, group_id: int) -> None:
    """Link the group's members Drumbeat's directory now knows to their person, in one UPDATE ... FROM account
    (members new to Drumbeat stay unlinked, counted as left out, until a later write of the group finds them)."""
    platform = session.execute(select(AudienceGroup.platform).where(AudienceGroup.id == group_id)).scalar_one()
    member = AudienceGroupMember.__table__
    session.execute(update(member)
                    .where(member.c.group_id == group_id, member.c.person_id.is_(None),
                           Account.user_id == member.c.user_id, Account.platform == platform)
                    .values(person_id=Account.person_id))


def replace_members(session: Session, group_id: int, user_ids: Iterable[str], *, now: datetime) -> tuple[int, int]:
    """Store a full read of a group's members, linked to people; (added, removed)."""
    current = set(session.execute(select(AudienceGroupMember.user_id)
                                  .where(AudienceGroupMember.group_id == group_id)).scalars())
    wanted = set(user_ids)
    added, removed = sorted(wanted - current), sorted(current - wanted)
    _add(session, group_id, added)
    _remove(session, group_id, removed)
    link_members(session, group_id)
    session.execute(update(AudienceGroup).where(AudienceGroup.id == group_id).values(refreshed_at=now))
    return len(added), len(removed)


#: What a stale mark sets `refreshed_at` to: read, so its members count, but older than any freshness bound.
STALE = datetime(2000, 1, 1, tzinfo=UTC)


def mark_stale(session: Session, platform: str, kind: str, *, prefix: str) -> int:
    """Mark the read groups of a kind whose id starts with `prefix` as due for a re-read (a change their platform
    reported without saying how it touches them); their last known members still count meanwhile."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    result = session.execute(update(AudienceGroup).where(
        AudienceGroup.platform == platform, AudienceGroup.kind == kind, AudienceGroup.refreshed_at.is_not(None),
        AudienceGroup.group_id.like(escaped + "%", escape="\\")).values(refreshed_at=STALE))
    return int(result.rowcount or 0)


def known_groups(session: Session, platform: str, kinds: Sequence[str], *, limit: int = 500) -> list[AudienceGroup]:
    """A platform's cached groups of these kinds, by label: what a form can offer without asking the platform."""
    return list(session.execute(select(AudienceGroup).where(
        AudienceGroup.platform == platform, AudienceGroup.kind.in_(list(kinds)))
        .order_by(AudienceGroup.label, AudienceGroup.group_id).limit(limit)).scalars())


def apply_member_changes(session: Session, ref: GroupRef, *, added: Sequence[str] = (),
                         removed: Sequence[str] = ()) -> bool:
    """A platform event's news about a group we cache; False (nothing stored) for a group no audience names, or
    one never read (its first read will see the change anyway)."""
    group = find_group(session, ref.platform, ref.kind, ref.group_id)
    if group is None or group.refreshed_at is None or group.id is None:
        return False
    _add(session, group.id, [user for user in dict.fromkeys(added) if user not in set(removed)])
    _remove(session, group.id, list(dict.fromkeys(removed)))
    link_members(session, group.id)
    return True
