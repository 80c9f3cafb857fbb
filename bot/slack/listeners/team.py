"""`/drumbeat team link <team> @usergroup`, `team unlink <team>`, `team`: teams kept in step with user groups;
and the `subteam_members_changed` event that keeps them so."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import teams
from bot.core.errors import BadInput
from bot.core.roles import identify, require_role
from bot.services import Services
from bot.slack.people import acting_user
from bot.slack import replies
from bot.slack.parse import split_command
from bot.slack.identity import PLATFORM
from bot.slack.usergroups import parse_usergroup, sync_team, usergroup, usergroup_mention
from messages.rich import Rich

USAGE = "Say `team link <team> @usergroup`, `team unlink <team>`, or `team` to list linked teams."


def command(session: Session, services: Services, body: dict[str, Any], client: WebClient) -> dict[str, Any]:
    caller = identify(session, acting_user(body))
    line = split_command(split_command(body.get("text", "")).rest)
    if line.name in ("", "list"):
        require_role(caller, teams.TEAM_LINKERS, "see linked teams")
        linked = teams.linked_teams(session, PLATFORM)
        text = (Rich("Teams kept in step with a user group:\n", Rich.join("\n", (
            Rich(f"• {team.name}: ", usergroup_mention(team.group_id or "")) for team in linked)))
            if linked else "No team is linked to a user group yet. " + USAGE)
        return replies.notice(text, ":busts_in_silhouette:")
    if line.name == "unlink":
        team = teams.unlink_team(session, caller=caller, team_name=line.rest)
        return replies.notice(f"Team {team.name} is no longer linked; its members stay as they are.", ":link:")
    if line.name != "link":
        raise BadInput(USAGE)
    words = line.rest.split()
    if len(words) < 2:
        raise BadInput("Say the team and the user group, e.g. `team link East @east-sales`.")
    usergroup_id = parse_usergroup(words[-1])
    team, created = teams.link_team(session, caller=caller, team_name=" ".join(words[:-1]),
                                     group=usergroup(usergroup_id))
    report = sync_team(session, client, team)
    made = "Created team" if created else "Linked team"
    return replies.notice(Rich(f"{made} {team.name} to ", usergroup_mention(usergroup_id), f". {report.describe()} "
                               "I keep it in step when the group changes."), ":link:")


def members_changed(event: dict[str, Any], client: WebClient, services: Services) -> None:
    usergroup_id = event.get("subteam_id")
    if not usergroup_id:
        return
    with services.unit_of_work() as session:
        team = teams.team_for_group(session, usergroup(usergroup_id))
        if team is not None:
            sync_team(session, client, team)


def register(app: App, services: Services) -> None:
    app.event("subteam_members_changed")(members_changed)
