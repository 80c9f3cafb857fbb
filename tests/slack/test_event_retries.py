"""Slack's event retries (same event_id, X-Slack-Retry-Num): each event's handler runs once, every delivery is
acknowledged at once, and a handler that failed runs again on the retry."""

from __future__ import annotations

import threading

from sqlalchemy import select

from bot.emulators.slack import Hold
from storage.models import RequestReceipt
from tests.slack.conftest import Workspace

REP = "U0REPEA02"


def publishes(workspace: Workspace) -> int:
    return len(workspace.slack.calls_named("views.publish"))


def test_an_event_delivered_four_times_runs_its_handler_once(workspace: Workspace) -> None:
    first = workspace.slack.open_home(REP)
    assert first.event_id is not None
    retries = [workspace.slack.retry_event(first.event_id, retry_num=n, reason="http_timeout") for n in (1, 2, 3)]
    assert all(response.status == 200 and response.acked_in_time for response in [first, *retries])
    assert publishes(workspace) == 1
    workspace.slack.open_home(REP)  # a new event (a new event_id) of the same kind still runs
    assert publishes(workspace) == 2


def test_a_retried_user_group_change_syncs_the_team_once(workspace: Workspace) -> None:
    workspace.slack.add_usergroup("S0EAST", handle="east-sales", user_ids=["U0REPEA01", "U0REPEA02"])
    workspace.command("lena", "team link East <!subteam^S0EAST|@east-sales>")
    reads_before = len(workspace.slack.calls_named("usergroups.users.list"))
    event = workspace.slack.send_event({"type": "subteam_members_changed", "subteam_id": "S0EAST",
                                        "added_users": [], "removed_users": ["U0REPEA03"]})
    assert event.event_id is not None
    for n in (1, 2, 3):
        assert workspace.slack.retry_event(event.event_id, retry_num=n).status == 200
    assert len(workspace.slack.calls_named("usergroups.users.list")) == reads_before + 1


def test_a_retry_arriving_while_the_first_delivery_is_still_handled_is_acked_at_once_and_skipped(
    workspace: Workspace,
) -> None:
    slack_answers = Hold()  # Slack is slow: the first delivery's views.publish waits until released
    workspace.slack.inject_fault("views.publish", hold=slack_answers)
    first: dict[str, object] = {}
    handling = threading.Thread(target=lambda: first.update(response=workspace.slack.open_home(REP)))
    handling.start()

    def received() -> str | None:
        with workspace.drumbeat.services.unit_of_work() as session:
            return session.execute(select(RequestReceipt.key)
                                   .where(RequestReceipt.key.startswith("event:"))).scalar_one_or_none()

    event_id = workspace.slack.wait_for(received).removeprefix("event:")  # recorded before the handler runs
    retry = workspace.slack.retry_event(event_id, retry_num=1, reason="http_timeout")
    assert retry.status == 200 and handling.is_alive()  # answered while the first one still waits for Slack
    slack_answers.release()
    handling.join(timeout=10)
    assert getattr(first["response"], "status") == 200
    assert publishes(workspace) == 1


def test_an_event_whose_handler_failed_runs_again_on_slacks_retry(workspace: Workspace) -> None:
    workspace.slack.inject_fault("views.publish", status=500)
    failed = workspace.slack.open_home(REP)
    assert failed.status == 500 and failed.event_id is not None
    assert workspace.slack.home_view(REP) is None
    retry = workspace.slack.retry_event(failed.event_id, retry_num=1, reason="http_error")
    assert retry.status == 200
    assert workspace.slack.home_view(REP) is not None
    assert workspace.slack.retry_event(failed.event_id, retry_num=2, reason="http_error").status == 200
    assert publishes(workspace) == 2  # the failed call and the retry's; the second retry did nothing
