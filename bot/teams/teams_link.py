"""`team link <team> <Entra group id>`, `team unlink <team>`, `team` in Teams: a Drumbeat team kept in step with
an Entra group's members, read from Microsoft Graph (`GET /groups/{id}/members`), on the core's one sync rule
(bot.core.teams: members join, newcomers are added as reps, reps who left leave, managers and leaders stay).

Teams has no mention for an Entra group in a chat, so the group is named by its object id (a GUID, shown in the
Entra admin center under the group's Overview). People Drumbeat has not met are read once by id for their name
and email (`GET /users/{id}`); their time zone arrives with their first message, or from the directory sync.
Slack keeps a linked team current from `subteam_members_changed` events; Graph would need a change-notification
subscription (a public webhook renewed every few days), so Teams' linked teams are re-read by every directory sync
(`drumbeat org sync`, and the daily job) instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from sqlmodel import Session

from bot.core import commands, teams
from bot.core.errors import BadInput, DrumbeatError
from bot.core.roles import require_role
from bot.teams.cards import Card, notice_card
from bot.teams.graph import GraphClient, GraphError
from bot.teams.identity import PLATFORM
from messages.rich import Code, Rich
from storage.address import Address
from storage.models import Team

if TYPE_CHECKING:
    from bot.teams.answers import TypedCall

GraphFactory = Callable[[], GraphClient]
GROUP_ID: Final = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
GROUP_HINT: Final = Rich("name the Entra group by its object id (Entra admin center → Groups → the group → "
                         "Overview), e.g. ", Code("team link East 3f2a…"), ".")
NO_GRAPH: Final = ("Linking teams to Entra groups needs Microsoft Graph, which this Drumbeat server does not reach: "
                   "its admin sets TEAMS_TENANT_ID (and grants GroupMember.Read.All).")


def group_from_text(text: str) -> teams.Group | None:
    """An Entra group's object id typed as text (Teams has no group mention)."""
    return teams.Group(PLATFORM, text.lower()) if GROUP_ID.match(text) else None


def sync_team(session: Session, graph: GraphClient, team: Team) -> teams.SyncReport:
    """Read the linked group's members from Graph and apply them with the core's rule (Graph failing: nothing
    is applied, and the caller's unit of work is rolled back with the DrumbeatError raised)."""
    group = teams.group_of(team)
    assert group is not None and group.platform == PLATFORM
    try:
        addresses = [Address(PLATFORM, user_id) for user_id in dict.fromkeys(graph.group_members(group.group_id))]
        new = {address: graph.user(address.user_id) for address in teams.unknown_members(session, addresses)}
    except GraphError as error:
        if error.status == 404:
            raise BadInput("Microsoft Graph says that group does not exist (or I can't read it): check its object "
                           "id and link again.") from None
        raise DrumbeatError(f"Microsoft Graph could not be read, so nothing was changed: {error}") from error
    members = [teams.Member(address=address, name=user.name if (user := new.get(address)) else "",
                            email=user.email if user else None) for address in addresses]
    return teams.sync_members(session, team=team, members=members)


def sync_linked(session: Session, graph: GraphClient) -> list[str]:
    """Every team linked to an Entra group, re-read (the directory sync's part); one failing is logged, not fatal."""
    reports = []
    for team in teams.linked_teams(session, PLATFORM):
        try:
            reports.append(sync_team(session, graph, team).describe())
        except DrumbeatError as problem:
            reports.append(f"team {team.name} not synced: {problem}")
    return reports


def linked(call: TypedCall, command: commands.ListLinkedTeams) -> list[Card]:
    require_role(call.person, teams.TEAM_LINKERS, "see linked teams")
    found = teams.linked_teams(call.session, PLATFORM)
    if not found:
        return [notice_card(Rich("No team is linked to an Entra group yet. ", commands.TEAM_USAGE), "team")]
    return [notice_card(Rich("Teams kept in step with an Entra group:\n", Rich.join("\n", (
        Rich(f"• {team.name}: group ", Code(team.group_id or "")) for team in found))), "team")]


def unlink(call: TypedCall, command: commands.UnlinkTeam) -> list[Card]:
    team = teams.unlink_team(call.session, caller=call.person, team_name=command.team_name)
    return [notice_card(f"Team {team.name} is no longer linked; its members stay as they are.", "link")]


def link(call: TypedCall, command: commands.LinkTeam) -> list[Card]:
    if command.group.platform != PLATFORM:
        raise BadInput("That is not an Entra group.")
    require_role(call.person, teams.TEAM_LINKERS, "link teams to user groups")
    if call.graph is None:
        return [notice_card(NO_GRAPH, "warning")]
    team, created = teams.link_team(call.session, caller=call.person, team_name=command.team_name,
                                    group=command.group)
    graph = call.graph()
    try:
        report = sync_team(call.session, graph, team)
    finally:
        graph.close()
    made = "Created team" if created else "Linked team"
    return [notice_card(Rich(f"{made} {team.name} to Entra group ", Code(command.group.group_id),
                             f". {report.describe()} I keep it in step at every directory sync."), "link")]


HANDLERS = {commands.ListLinkedTeams: linked, commands.UnlinkTeam: unlink, commands.LinkTeam: link}
