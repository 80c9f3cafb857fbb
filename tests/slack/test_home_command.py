"""`/drumbeat home` in Slack: the dashboard has its own place there (the Home tab), and the command says where."""

from __future__ import annotations

from tests.slack.conftest import Workspace


def test_home_points_at_the_home_tab(workspace: Workspace) -> None:
    answer = workspace.command("aiko", "home")

    assert answer.acked_in_time
    text = workspace.answers_after_ack()[-1]
    assert "Your dashboard is on my *Home* tab" in text and "open Drumbeat under Apps" in text


def test_help_lists_home(workspace: Workspace) -> None:
    answer = workspace.command("aiko", "help")

    assert "/drumbeat home" in str(answer.body)
