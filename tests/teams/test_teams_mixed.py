"""A mixed organisation: one team with a Slack rep and a Teams rep, one Drumbeat serving both platforms on one
web server. A Slack leader's `/drumbeat send ... to East` reaches each rep once, on their own platform; the
Teams rep's Got it counts in the summary the Slack leader reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import Drumbeat
from bot.clock import SimulatedClock
from bot.core.org import import_org_csv
from bot.emulators.slack import SlackEmulator
from bot.emulators.teams import TeamsEmulator
from bot.platforms import USER_ID_FORMATS
from bot.settings import settings_from_mapping
from bot.slack.platform import SLACK_EVENTS_PATH

from tests.slack.conftest import settled_after_each_answer

from .conftest import RIA, SDK_ENV, START  # noqa: TID252

SECRET = "mixed-signing-secret"
LEADER, SLACK_REP = "U0LEADER1", "U0SLACKREP"
ORG_CSV = f"""\
platform,platform_user_id,email,name,role,team,manager_platform_user_id
slack,{LEADER},lena@example.com,Lena Okafor,leader,,
slack,{SLACK_REP},sam@example.com,Sam Slack,rep,East,{LEADER}
teams,{RIA},ria@example.com,Ria Teams,rep,East,
"""


@pytest.fixture
def mixed(engine: Engine, database_url: str, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Drumbeat, SlackEmulator, TeamsEmulator]]:
    for name in SDK_ENV:
        monkeypatch.delenv(name, raising=False)
    with SlackEmulator(SECRET) as slack, TeamsEmulator(clock=SimulatedClock(START)) as teams:
        slack.add_user(LEADER, name="lena", real_name="Lena Okafor", tz="Europe/Berlin", email="lena@example.com")
        slack.add_user(SLACK_REP, name="sam", real_name="Sam Slack", tz="Europe/Berlin", email="sam@example.com")
        teams.add_user(RIA, name="Ria Teams", local_timezone="Europe/Berlin")
        settings = settings_from_mapping({
            "DATABASE_URL": database_url, "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key"),
            "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
            "TEAMS_APP_ID": teams.app_id, "TEAMS_APP_PASSWORD": teams.app_password,
            "TEAMS_LOGIN_URL": teams.login_url, "TEAMS_OPENID_METADATA_URL": teams.openid_metadata_url,
        })
        clock = SimulatedClock(START)
        drumbeat = Drumbeat(settings, engine=engine, clock=clock, sleep=lambda seconds: None)
        try:
            assert [platform.name for platform in drumbeat.platforms] == ["slack", "teams"]
            with drumbeat.services.unit_of_work() as session:
                import_org_csv(session, ORG_CSV, formats=USER_ID_FORMATS)
            drumbeat.sync_directory()
            port = drumbeat.serve_http(host="127.0.0.1", port=0, background=True)
            slack.connect_bot(f"http://127.0.0.1:{port}{SLACK_EVENTS_PATH}")
            slack.after_each_answer(settled_after_each_answer(drumbeat))
            teams.connect_bot(f"http://127.0.0.1:{port}/api/messages")
            assert [r.status for r in teams.install_app(RIA)] == [200, 200]
            yield drumbeat, slack, teams
        finally:
            drumbeat.close()


def test_one_broadcast_reaches_each_member_once_on_their_platform_and_the_summary_counts_both(
    mixed: tuple[Drumbeat, SlackEmulator, TeamsEmulator]
) -> None:
    drumbeat, slack, teams = mixed

    assert slack.slash_command(LEADER, "send win-on-strategy to East").status == 200
    report = drumbeat.dispatch_now()

    assert (report.sent, report.failed) == (2, 0)
    assert len(slack.inbox(SLACK_REP)) == 1 and slack.inbox(RIA) == []
    (card,) = teams.inbox(RIA)
    assert card["attachments"][0]["content"]["body"][0]["text"] == "Where we win: on-strategy business first"

    assert teams.execute(RIA, card["id"], title="Got it").status == 200
    drumbeat.services.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    assert slack.slash_command(LEADER, "summary East").status == 200

    answer = json.dumps([post["body"] for post in slack.response_url_posts])
    assert "1 of 2 messages" in answer  # acknowledged: the Teams rep's, out of both platforms' deliveries
