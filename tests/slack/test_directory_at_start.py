"""Time zones from the start: the directory sync runs as soon as Drumbeat starts (in the background, so start-up
and Slack's acknowledgements never wait for it), and a leader hears when recipients have no known zone."""

from __future__ import annotations

from bot.core.broadcasts import BroadcastQueued
from bot.emulators.slack import Hold
from bot.slack.listeners.broadcast_modal import describe_queued
from storage.models import NO_KNOWN_ZONE
from tests.people import slack_person
from tests.slack.conftest import Workspace


def zone_of(workspace: Workspace, slack_id: str) -> str:
    with workspace.drumbeat.services.unit_of_work() as session:
        return slack_person(session, slack_id).tz


def test_directory_sync_runs_at_start_in_the_background(workspace: Workspace) -> None:
    workspace.slack.set_user("U0REPEA02", tz="America/Chicago")  # changed since the fixture's own sync
    slack_answers = Hold()  # a slow Slack: users.list is not answered until the test says so
    workspace.slack.inject_fault("users.list", hold=slack_answers)
    workspace.drumbeat.start_scheduler()  # returns while the sync's first call is still unanswered
    assert slack_answers.wait_arrived(), "the sync did not start"
    answer = workspace.command("aiko", "help")  # nor do Slack's requests wait for it meanwhile
    assert answer.acked_in_time and not slack_answers.released
    assert zone_of(workspace, "U0REPEA02") == "Europe/Berlin"  # still syncing
    slack_answers.release()
    workspace.slack.wait_for(lambda: zone_of(workspace, "U0REPEA02") == "America/Chicago")


def test_a_broadcast_to_people_with_no_known_zone_tells_the_leader(workspace: Workspace) -> None:
    with workspace.drumbeat.services.unit_of_work() as session:
        slack_person(session, "U0REPEA03").tz = NO_KNOWN_ZONE  # say the directory had no zone for Priya
    workspace.command("lena", "send win-on-strategy to East")
    text = workspace.answers_after_ack()[-1]  # the counts come after the acknowledgement
    assert "to 3 people in team East" in text
    assert ("1 of them has no known time zone yet, so their local time and quiet hours are reckoned in UTC until "
            "the directory sync finds theirs.") in text
    workspace.command("lena", "send win-on-strategy to West")
    assert "no known time zone" not in workspace.answers_after_ack()[-1]


def test_the_broadcast_modals_confirmation_counts_recipients_with_no_known_zone() -> None:
    def confirmation(without_zone: int) -> str:
        return str(describe_queued(BroadcastQueued(
            broadcast_id=1, message_key="m", message_title="M", message_version=1, recipients=5,
            audience_label="team East", schedule="every Monday at 09:00", without_zone=without_zone), "Europe/Berlin", platform="slack"))

    assert "2 of them have no known time zone yet" in confirmation(2)
    assert "no known time zone" not in confirmation(0)
