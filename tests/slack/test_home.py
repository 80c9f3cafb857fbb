"""The App Home tab as a live dashboard, per role, on the hand-computed month of test_summaries."""

from __future__ import annotations

from bot.slack.ids import ActionId
from tests.slack.conftest import Workspace
from tests.slack.test_summaries import block_texts, seed_month


def home_text(workspace: Workspace, user_id: str) -> str:
    response = workspace.slack.open_home(user_id)
    assert response.status == 200
    view = workspace.slack.wait_for(lambda: workspace.slack.home_view(user_id))
    assert len(view["blocks"]) <= 100
    return block_texts(view["blocks"])


def test_rep_home_shows_what_waits_and_their_own_understanding(workspace: Workspace) -> None:
    seed_month(workspace)
    text = home_text(workspace, "U0REPEA02")  # Jonas: the win-on-strategy DM from day -6 is not acknowledged
    assert "You have 1 strategy message to acknowledge in your DMs:\n• Where we win: on-strategy business" in text
    assert "*Your understanding*: 33% (1 of 3) of expectations right on your latest answers" in text
    assert "To look at again: `on-strategy-first`, `qualify-against-icp`" in text
    assert "The organisation" not in text and "Team East" not in text


def test_manager_home_shows_the_team_summary(workspace: Workspace) -> None:
    seed_month(workspace)
    text = home_text(workspace, "U0MGREAST")
    assert "Team East · last 30 days" in text
    assert "*Reach*\n2 of 3 reps" in text
    assert "*Acknowledged*\n5 of 7 (71%)" in text
    assert "*Understanding*\n67% (4 of 6)" in text
    assert "*Need coaching*\n1" in text
    assert "*Least understood*: `qualify-against-icp` 50%, `on-strategy-first` 67%, `m3-rhythm` 100%" in text
    assert "*Reps to coach*: <@U0REPEA02>" in text
    assert "The organisation" not in text and "West" not in text


def test_leader_home_shows_the_organisation_by_team(workspace: Workspace) -> None:
    seed_month(workspace)
    text = home_text(workspace, "U0LEADER1")
    assert "The organisation · last 30 days" in text
    assert "• *East*: 3 reps · acknowledged 71% of 7 · understanding 67% (6 answers)" in text
    assert "• *West*: 3 reps · acknowledged nothing sent · understanding no answers" in text


def test_stranger_home_explains_how_to_get_in(workspace: Workspace) -> None:
    workspace.slack.add_user("U0STRANGE", name="stranger", real_name="Stranger", tz="UTC")
    text = home_text(workspace, "U0STRANGE")
    assert "Welcome to Drumbeat" in text and "directory" in text


def test_home_updates_when_the_rep_acknowledges(workspace: Workspace) -> None:
    workspace.command("lena", "send win-on-strategy to East")
    workspace.dispatch()
    assert "1 strategy message to acknowledge" in home_text(workspace, "U0REPEA01")
    (dm,) = workspace.inbox("aiko")
    published = len(workspace.slack.calls_named("views.publish"))
    workspace.slack.click("U0REPEA01", channel=dm["channel"], ts=dm["ts"], action_id=ActionId.ACKNOWLEDGE)
    assert len(workspace.slack.calls_named("views.publish")) == published  # a DM click renders no unseen Home
    assert "You're up to date" in home_text(workspace, "U0REPEA01")  # she opens the tab again: rendered fresh
