"""Who a Teams broadcast form names: people by email, Drumbeat teams, every rep, Entra groups, Teams and channels
(picked from those Drumbeat already caches, or pasted as an id or a link), what to leave out, and whether to post
in the channels too; read into the core's AudienceSpec, each problem under its own field.

Every value is a claim (a dialog's values are typed by a client that may not be Teams): a picked group must be one
of the cached rows the form could have offered, a pasted one must have the shape Microsoft gives (an Entra object
id; a link from Teams' *Get link to team* / *Get link to channel*: `https://teams.microsoft.com/l/channel/<channel
id>/<name>?groupId=<team id>&tenantId=...`). Nothing here calls Graph: the groups are read when counted or due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

from sqlmodel import Session

from bot.core.audiences import AudienceSpec, group_label
from bot.core.roles import visible_teams
from bot.teams import dialogs
from bot.teams.audience_groups import KINDS, channel_ref, entra_group_ref, team_ref
from bot.teams.identity import PLATFORM
from storage.address import Address
from storage.models import AudienceGroup, Person
from storage.queries.accounts import primary_addresses
from storage.queries.audience_groups import GroupRef, known_groups
from storage.queries.by_email import people_by_email

_SEPARATORS = re.compile(r"[\s,;]+")
GUID: Final = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CHANNEL_ID: Final = re.compile(r"^19:[A-Za-z0-9_.\-]{1,80}@thread\.(tacv2|skype)$")
TEAMS_HOSTS: Final = frozenset({"teams.microsoft.com", "teams.cloud.microsoft"})
MAX_PEOPLE: Final = 500
MAX_TYPED: Final = 16  # 16 ids fit the field (700 characters); links are longer
NOT_A_GROUP: Final = ("is not an Entra group id or a link to a team or channel (in Teams: ⋯ next to the team or "
                      "channel, then Get link)")


def team_choices(session: Session, caller: Person) -> list[tuple[str, str]]:
    """(id, name) of the teams to pick from: by id, since Teams joins a multi-select's values with commas and a
    team's name may hold one."""
    return [(str(team.id), team.name) for team in visible_teams(session, caller)]


def _cached(session: Session) -> list[AudienceGroup]:
    return known_groups(session, PLATFORM, KINDS)


def group_choices(session: Session) -> list[tuple[str, str]]:
    """(cache row id, label) of the Entra groups, Teams and channels Drumbeat knows (named in an audience before,
    or a team the app was added to)."""
    return [(str(row.id), group_label(_ref(row))) for row in _cached(session)]


def _ref(row: AudienceGroup) -> GroupRef:
    return GroupRef(row.platform, row.kind, row.group_id, row.label)


def typed_group(text: str) -> GroupRef | None:
    """A pasted Entra group id, or a team's or channel's link; None when it is neither."""
    if GUID.match(text):
        return entra_group_ref(text)
    url = urlsplit(text)
    parts = url.path.split("/")
    group_id = (parse_qs(url.query).get("groupId") or [""])[0]
    if url.scheme != "https" or url.hostname not in TEAMS_HOSTS or len(parts) < 4 or parts[1] != "l" \
            or not GUID.match(group_id):
        return None
    if parts[2] == "team":
        return team_ref(group_id)
    channel_id = unquote(parts[3])
    if parts[2] == "channel" and CHANNEL_ID.match(channel_id):
        return channel_ref(group_id, channel_id, unquote(parts[4])[:200] if len(parts) > 4 else "")
    return None


def _typed_groups(text: str, errors: dict[str, str]) -> list[GroupRef]:
    words = [word for word in _SEPARATORS.split(text) if word]
    if len(words) > MAX_TYPED:
        errors["group_links"] = f"{len(words)} groups; paste at most {MAX_TYPED}."
        return []
    refs = [(word, typed_group(word)) for word in words]
    bad = [word for word, ref in refs if ref is None]
    if bad:
        errors["group_links"] = f"'{bad[0][:80]}' {NOT_A_GROUP}."
    return [ref for _, ref in refs if ref is not None]


def _picked_groups(session: Session, data: dict[str, Any], field: str, errors: dict[str, str]) -> list[GroupRef]:
    picked = dialogs.choices_in(data, field)
    rows = {str(row.id): row for row in _cached(session)}
    if any(value not in rows for value in picked):
        errors[field] = "Pick the groups from the list (one of them is not there any more)."
    return [_ref(rows[value]) for value in picked if value in rows]


def _picked_teams(session: Session, caller: Person, picked: list[str], field: str,
                  errors: dict[str, str]) -> tuple[str, ...]:
    names = dict(team_choices(session, caller))
    if any(team_id not in names for team_id in picked):
        errors[field] = "Pick the teams from the list (one of them is not there any more)."
    return tuple(names[team_id] for team_id in picked if team_id in names)


def people_named(session: Session, text: str, field: str, errors: dict[str, str]) -> tuple[Address, ...]:
    emails = [word for word in _SEPARATORS.split(text) if word]
    if len(emails) > MAX_PEOPLE:
        errors[field] = f"{len(emails)} people; name at most {MAX_PEOPLE}, or pick their teams."
        return ()
    found = people_by_email(session, emails)
    unknown = [email for email in emails if email.lower() not in found]
    if unknown:
        errors[field] = f"Nobody in Drumbeat's directory has the email {', '.join(unknown[:5])[:300]}."
    addresses = primary_addresses(session, found.values())
    return tuple(dict.fromkeys(addresses[person_id] for person_id in found.values() if person_id in addresses))


@dataclass(frozen=True)
class FormAudience:
    """The audience as the form holds it, and the problems by field."""

    audience: AudienceSpec
    errors: dict[str, str]


def audience_of(session: Session, caller: Person, data: dict[str, Any]) -> FormAudience:
    errors: dict[str, str] = {}
    named = [*_picked_groups(session, data, "groups", errors),
             *_typed_groups(dialogs.text_in(data, "group_links"), errors)]
    groups = list({(ref.kind, ref.group_id): ref for ref in reversed(named)}.values())[::-1]  # each once
    excluded = _picked_groups(session, data, "exclude_groups", errors)
    channels = tuple(ref for ref in groups if ref.kind == "channel")
    if dialogs.toggled(data, "post_to_channels") and not channels:
        errors["post_to_channels"] = "Pick or paste a channel to post in, or leave this off."
    audience = AudienceSpec(
        people=people_named(session, dialogs.text_in(data, "people"), "people", errors),
        teams=_picked_teams(session, caller, dialogs.choices_in(data, "teams"), "teams", errors),
        all_reps=dialogs.toggled(data, "all_reps"), groups=tuple(groups),
        exclude_people=people_named(session, dialogs.text_in(data, "exclude_people"), "exclude_people", errors),
        exclude_teams=_picked_teams(session, caller, dialogs.choices_in(data, "exclude_teams"), "exclude_teams",
                                    errors),
        exclude_groups=tuple(excluded),
        post_to=channels if dialogs.toggled(data, "post_to_channels") else ())
    return FormAudience(audience, errors)
