"""`/drumbeat team link <team> @usergroup`, `team unlink <team>`, `team`: teams kept in step with user groups;
and the `subteam_members_changed` event that keeps them so."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.core import commands, teams
from bot.core.errors import BadInput
from bot.core.roles import require_role
from bot.services import Services
from bot.slack import replies
from bot.slack.audience_groups import usergroup_changed
from bot.slack.identity import PLATFORM
from bot.slack.respond import CommandCall, Reply
from bot.slack.usergroups import sync_team, usergroup, usergroup_mention
from messages.rich import Rich


def linked(call: CommandCall, command: commands.ListLinkedTeams) -> Reply:
    require_role(call.caller, teams.TEAM_LINKERS, "see linked teams")
    linked_teams = teams.linked_teams(call.session, PLATFORM)
    if not linked_teams:
        return replies.notice(Rich("No team is linked to a user group yet. ", commands.TEAM_USAGE), "team")
    return replies.notice(Rich("Teams kept in step with a user group:\n", Rich.join("\n", (
        Rich(f"• {team.name}: ", usergroup_mention(team.group_id or "")) for team in linked_teams))), "team")


def unlink(call: CommandCall, command: commands.UnlinkTeam) -> Reply:
    team = teams.unlink_team(call.session, caller=call.caller, team_name=command.team_name)
    return replies.notice(f"Team {team.name} is no longer linked; its members stay as they are.", "link")


def link(call: CommandCall, command: commands.LinkTeam) -> Reply:
    if command.group.platform != PLATFORM:
        raise BadInput("That is not a Slack user group.")
    team, created = teams.link_team(call.session, caller=call.caller, team_name=command.team_name,
                                     group=command.group)
    report = sync_team(call.session, call.client, team)
    made = "Created team" if created else "Linked team"
    return replies.notice(Rich(f"{made} {team.name} to ", usergroup_mention(command.group.group_id),
                               f". {report.describe()} I keep it in step when the group changes."), "link")


def members_changed(event: dict[str, Any], client: WebClient, services: Services) -> None:
    """A user group changed: its cached members (if an audience names it), and the team linked to it (if any)."""
    usergroup_id = event.get("subteam_id")
    if not usergroup_id:
        return
    with services.unit_of_work() as session:
        usergroup_changed(session, event)
    with services.unit_of_work() as session:
        team = teams.team_for_group(session, usergroup(usergroup_id))
        if team is not None:
            sync_team(session, client, team)


COMMANDS = {commands.ListLinkedTeams: linked, commands.UnlinkTeam: unlink, commands.LinkTeam: link}


def register(app: App, services: Services) -> None:
    app.event("subteam_members_changed")(members_changed)
