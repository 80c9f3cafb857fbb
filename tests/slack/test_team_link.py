"""`/drumbeat team link`: a team kept in step with a Slack user group, through the command and the event."""

from __future__ import annotations


from tests.people import slack_person, team_name_at
from storage.address import Address
from tests.slack.conftest import Workspace
from tests.slack.test_summaries import body_text


def team_of(workspace: Workspace, slack_id: str) -> str | None:
    with workspace.drumbeat.services.unit_of_work() as session:
        return team_name_at(session, Address("slack", slack_id))


def test_leader_links_a_team_to_a_user_group_and_members_follow(workspace: Workspace) -> None:
    # The group: Aiko (East), Sam (West, moves), Wendy (a manager: kept), and a newcomer Drumbeat has not met.
    workspace.slack.add_user("U0NEWREP1", name="nina", real_name="Nina Berg", tz="Europe/Oslo")
    workspace.slack.add_usergroup("S0EAST", handle="east-sales", user_ids=["U0REPEA01", "U0REPWE01", "U0MGRWEST",
                                                                           "U0NEWREP1"])
    text = body_text(workspace.command("lena", "team link East <!subteam^S0EAST|@east-sales>"))
    assert ("Linked team East to <!subteam^S0EAST>. 4 members in the group: 1 joined team East, 1 new to Drumbeat "
            "added as reps, 2 left the team, 1 managers or leaders left as they are.") in text
    assert team_of(workspace, "U0REPWE01") == "East"
    assert team_of(workspace, "U0NEWREP1") == "East"
    assert team_of(workspace, "U0REPEA02") is None  # Jonas is not in the group
    assert team_of(workspace, "U0MGRWEST") == "West"
    with workspace.drumbeat.services.unit_of_work() as session:
        nina = slack_person(session, "U0NEWREP1")
        marco = slack_person(session, "U0MGREAST")
        assert (nina.name, nina.tz, nina.role, nina.manager_id) == ("Nina Berg", "Europe/Oslo", "rep", marco.id)


def test_membership_change_event_resyncs_the_team(workspace: Workspace) -> None:
    workspace.slack.add_usergroup("S0EAST", handle="east-sales", user_ids=["U0REPEA01", "U0REPEA02", "U0REPEA03"])
    workspace.command("lena", "team link East <!subteam^S0EAST|@east-sales>")
    workspace.slack.add_usergroup("S0EAST", handle="east-sales", user_ids=["U0REPEA01", "U0REPEA02", "U0REPWE02"])
    response = workspace.slack.send_event({"type": "subteam_members_changed", "subteam_id": "S0EAST",
                                           "added_users": ["U0REPWE02"], "removed_users": ["U0REPEA03"]})
    assert response.status == 200
    assert team_of(workspace, "U0REPWE02") == "East"
    assert team_of(workspace, "U0REPEA03") is None


def test_daily_directory_sync_also_resyncs_linked_teams(workspace: Workspace) -> None:
    workspace.slack.add_usergroup("S0WEST", handle="west", user_ids=["U0REPWE01"])
    workspace.command("lena", "team link Pacific <!subteam^S0WEST|@west>")
    assert team_of(workspace, "U0REPWE01") == "Pacific"
    workspace.slack.add_usergroup("S0WEST", handle="west", user_ids=["U0REPWE01", "U0REPWE03"])
    workspace.drumbeat.sync_directory()
    assert team_of(workspace, "U0REPWE03") == "Pacific"
    assert "• Pacific: <!subteam^S0WEST>" in body_text(workspace.command("lena", "team"))


def test_team_link_refusals_and_bad_input(workspace: Workspace) -> None:
    workspace.slack.add_usergroup("S0EAST", handle="east-sales", user_ids=["U0REPEA01"])
    assert "only leaders and admins can link teams" in body_text(
        workspace.command("marco", "team link East <!subteam^S0EAST|@east-sales>"))
    assert "pick it from Slack's autocomplete" in body_text(workspace.command("lena", "team link East @east-sales"))
    assert "user group does not exist" in body_text(workspace.command("lena", "team link East <!subteam^S0NOPE>"))
    assert "Say the team and the user group" in body_text(workspace.command("lena", "team link East"))
    workspace.command("lena", "team link East <!subteam^S0EAST>")
    assert "already linked to team East" in body_text(workspace.command("lena", "team link West <!subteam^S0EAST>"))
    assert team_of(workspace, "U0REPWE01") == "West"  # nothing changed by the refused link
    assert "no longer linked" in body_text(workspace.command("lena", "team unlink East"))
