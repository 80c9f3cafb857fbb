"""Who a leader means by an audience: checked, stored as chosen, and previewed, on no chat platform in particular.

An audience is stored as what the leader chose (people, teams, every rep, platform groups such as a Slack user
group or channel, and exclusions of each), never as the people it meant that day: storage.queries.audience
resolves it in SQL at each occurrence, from Drumbeat's own teams and from the cached membership of platform groups
(kept fresh by schedules.audience_refresh and the platform's events). Platform groups arrive here as GroupRefs; the
adapter that named them is the one that reads their members (its `GroupReader`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from bot.core.errors import BadInput, NotFound
from bot.core.roles import find_people, find_team
from messages.rich import Mention, PersonRef, Rich
from schedules.audience_refresh import GroupRefresher
from storage.address import Address
from storage.models import Person, Team
from storage.queries.audience import AudienceReach, audience_reach, stored_audience_members
from storage.queries.audience_groups import GroupRef, ensure_groups

CHANNEL = "channel"  # the kind of group a broadcast may also be posted to once


@dataclass(frozen=True)
class AudienceSpec:
    """Who a leader named, and whom they left out. `people` are platform accounts; `groups` platform groups
    (resolved at each occurrence); `post_to`, channels among `groups` to post the message to once as well."""

    people: tuple[Address, ...] = ()
    teams: tuple[str, ...] = ()
    all_reps: bool = False
    groups: tuple[GroupRef, ...] = ()
    exclude_people: tuple[Address, ...] = ()
    exclude_teams: tuple[str, ...] = ()
    exclude_groups: tuple[GroupRef, ...] = ()
    post_to: tuple[GroupRef, ...] = ()
    extra_labels: tuple[str, ...] = ()  # what to call people named through something else

    @property
    def empty(self) -> bool:
        return not self.people and not self.teams and not self.all_reps and not self.groups

    @property
    def named_groups(self) -> tuple[GroupRef, ...]:
        return (*self.groups, *self.exclude_groups)


@dataclass
class ResolvedAudience:
    """An audience checked: its people now (when loaded), as stored, its label, notes, and the preview figures."""

    members: list[Person]
    stored: dict[str, object]
    label: str
    notes: list[str] = field(default_factory=list)
    reach: AudienceReach = field(default_factory=lambda: AudienceReach(0, 0, 0))


def _people_ids(session: Session, addresses: tuple[Address, ...]) -> tuple[list[int], list[str]]:
    found = find_people(session, addresses)
    unknown = [address for address in addresses if address not in found]
    if unknown:
        mentions = Rich.join(", ", (Mention(PersonRef(address.user_id, address)) for address in unknown))
        raise NotFound(Rich(mentions, f" {'is' if len(unknown) == 1 else 'are'} not in Drumbeat's directory yet."))
    return list(dict.fromkeys(found[address].id for address in addresses)), [found[a].name for a in addresses]


def _team_ids(session: Session, names: tuple[str, ...]) -> tuple[list[int], list[str]]:
    ids, labels = [], []
    for name in names:
        team = find_team(session, name)
        if team is None:
            known = ", ".join(session.execute(select(Team.name).order_by(Team.name)).scalars()) or "none yet"
            raise NotFound(f"There is no team called '{name}'. Teams: {known}.")
        ids.append(team.id)
        labels.append(f"team {team.name}")
    return ids, labels


#: How a broadcast's label names each kind of platform group (a Slack user group by its @handle; Teams' kinds).
KIND_WORDS = {"usergroup": ("user group", "@"), "entra_group": ("Entra group", ""), "team": ("Teams team", "")}


def group_label(ref: GroupRef) -> str:
    if ref.kind == CHANNEL:
        return f"#{ref.label or ref.group_id}"
    words, mark = KIND_WORDS.get(ref.kind, ("group", ""))
    return f"{words} {mark}{ref.label}" if ref.label else f"{words} {ref.group_id}"


def with_labels(audience: AudienceSpec, named: Callable[[GroupRef], GroupRef]) -> AudienceSpec:
    """The audience with its groups named by the platform (`named` gives a ref its label, or the ref as it is):
    groups picked or pasted as ids get their names for the broadcast's label, after the acknowledgement."""
    groups = tuple(named(ref) for ref in audience.groups)
    excluded = tuple(named(ref) for ref in audience.exclude_groups)
    posted = {(ref.kind, ref.group_id) for ref in audience.post_to}
    return replace(audience, groups=groups, exclude_groups=excluded,
                   post_to=tuple(ref for ref in groups if (ref.kind, ref.group_id) in posted))


def _store(session: Session, audience: AudienceSpec) -> tuple[dict[str, object], str]:
    """The audience as stored on a Broadcast row, and its label; NotFound for an unknown person or team."""
    person_ids, person_labels = _people_ids(session, audience.people)
    team_ids, team_labels = _team_ids(session, audience.teams)
    group_ids = ensure_groups(session, list(audience.groups))
    ex_people, ex_people_labels = _people_ids(session, audience.exclude_people)
    ex_teams, ex_team_labels = _team_ids(session, audience.exclude_teams)
    ex_groups = ensure_groups(session, list(audience.exclude_groups))
    posts = [group_id for ref, group_id in zip(audience.groups, group_ids, strict=True) if ref in audience.post_to]
    labels = [] if audience.extra_labels else person_labels
    labels += [*audience.extra_labels, *team_labels, *(group_label(ref) for ref in audience.groups)]
    if audience.all_reps:
        labels.append("every rep")
    left_out = [*ex_people_labels, *ex_team_labels, *(group_label(ref) for ref in audience.exclude_groups)]
    label = ", ".join(labels) + (f" except {', '.join(left_out)}" if left_out else "")
    stored: dict[str, object] = {"person_ids": person_ids, "team_ids": team_ids, "all_reps": audience.all_reps}
    if group_ids or ex_people or ex_teams or ex_groups:
        stored.update(group_ids=group_ids,
                      exclude={"person_ids": ex_people, "team_ids": ex_teams, "group_ids": ex_groups})
    if posts:
        stored["post_group_ids"] = posts
    return stored, label[:200]


def resolve_audience(session: Session, audience: AudienceSpec, *, load: bool = True,
                     groups: GroupRefresher | None = None, now: datetime | None = None) -> ResolvedAudience:
    """The audience checked and stored, its people now and the preview figures.

    `groups` re-reads the stale platform groups it names first (after an acknowledgement: it calls the platform);
    without it the cache is used as it is, and a group never read yet stops no draft (it is read when due).
    `load=False` counts in the database instead of loading the people (no list)."""
    if audience.empty:
        raise BadInput("Say who should get it: a person (@name), a team, a user group or a channel.")
    if any(ref not in audience.groups or ref.kind != CHANNEL for ref in audience.post_to):
        raise BadInput("Only a channel in the audience can also get the message posted to it.")
    stored, label = _store(session, audience)
    if groups is not None and now is not None:
        groups.refresh(session, [*stored.get("group_ids", []),  # type: ignore[misc]
                                 *(stored.get("exclude") or {}).get("group_ids", [])], now=now)  # type: ignore[union-attr]
    reach = audience_reach(session, stored)
    members = stored_audience_members(session, stored) if load else []
    if not reach.people and (load or not reach.unread_groups):
        raise BadInput("Nobody to send to: " + ("those teams have no active reps" if audience.teams and not
                                                audience.groups else "no active people in that audience"))
    return ResolvedAudience(members, stored, label, [], reach)
