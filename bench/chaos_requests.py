"""Scenarios 7-8: the same request reaching a running bot four times, as Slack and impatient leaders make
happen (a retry after a slow ack, a proxy that resends, a second press).

7a. A broadcast modal submission delivered 4 times (same view id, same trigger id).
7b. `/drumbeat send ... to Field` delivered 4 times (same trigger id, same response_url).
8.  `app_home_opened` delivered 4 times: once, then as Slack's retries 1-3 (same event_id,
    X-Slack-Retry-Num). The effect counted is the views.publish call it causes, per user.

The bot is the in-process runtime the tests use (`Drumbeat` serving HTTP on loopback, as in
tests/slack/conftest.py), on real time; the outbox is drained in-process after the requests.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.app import Drumbeat
from bot.emulators.slack import SlackEmulator
from bot.emulators.slack.actor import ActorResponse
from bot.settings import settings_from_mapping
from bot.slack.platform import SLACK_EVENTS_PATH
from chaos_kit import LEADER, SIGNING_SECRET, TEAM, Bench, Result, add_reps, count_inboxes, seed_org, settle
from storage.models import Broadcast

LIBRARY_MESSAGE = "win-on-strategy"  # from the default content pack, which the running bot loads
DELIVERIES = 4
DRAIN_TIMEOUT = 120.0


@dataclass
class RunningBot:
    slack: SlackEmulator
    drumbeat: Drumbeat
    ids: list[str]

    def drain_outbox(self) -> None:
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while self.drumbeat.has_due() and time.monotonic() < deadline:
            if not self.drumbeat.dispatch_now().touched:
                time.sleep(0.2)

    def broadcasts(self) -> int:
        with self.drumbeat.services.unit_of_work() as session:
            return session.execute(select(func.count()).select_from(Broadcast)).scalar_one()


@contextmanager
def running_bot(bench: Bench, label: str, recipients: int) -> Iterator[RunningBot]:
    """The bot serving signed Slack requests from the emulator. Slack's rate limits are off: these
    scenarios are about repeated requests, and a 429 on views.publish would read as a lost effect."""
    url, engine = bench.databases.fresh(bench.database, label)
    with SlackEmulator(SIGNING_SECRET, rate_limits=False) as slack:
        ids = add_reps(slack, recipients)
        settings = settings_from_mapping({
            "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url, "DATABASE_URL": url, "DRUMBEAT_QUIET_HOURS": "off",
            "DRUMBEAT_DAILY_CAP": "0", "DRUMBEAT_SLACK_POSTS_PER_MINUTE": "0", "LOG_LEVEL": "ERROR",
        })
        drumbeat = Drumbeat(settings, engine=engine)
        try:
            seed_org(engine, recipients, message=False)
            drumbeat.sync_directory()
            port = drumbeat.serve_http(host="127.0.0.1", port=0, background=True)
            slack.connect_bot(f"http://127.0.0.1:{port}{SLACK_EVENTS_PATH}")
            yield RunningBot(slack, drumbeat, ids)
        finally:
            drumbeat.close()


def replayed(slack: SlackEmulator, first: ActorResponse, *, as_event_retries: bool = False) -> list[ActorResponse]:
    """The first delivery and DELIVERIES - 1 more of the very same request."""
    again = [slack.redeliver(first, retry_num=n if as_event_retries else None) for n in range(1, DELIVERIES)]
    return [first, *again]


def describe_acks(answers: list[ActorResponse]) -> str:
    statuses = Counter(answer.status for answer in answers)
    slowest = max(answer.elapsed for answer in answers)
    return f"answers {dict(statuses)}, slowest ack {slowest:.2f} s"


def outcome(bot: RunningBot, result: Result, answers: list[ActorResponse]) -> Result:
    settle(bot.slack, quiet=0.5)
    bot.drain_outbox()
    settle(bot.slack, quiet=0.5)
    count_inboxes(bot.slack, bot.ids, result)
    result.notes.insert(0, f"{DELIVERIES} deliveries -> {bot.broadcasts()} broadcasts; {describe_acks(answers)}")
    return result


# -- 7. one leader action, four times ----------------------------------------------------------------------


def modal_submitted_four_times(bench: Bench) -> Result:
    recipients = bench.size(50, 20)
    result = Result(f"7a modal submission x{DELIVERIES}", bench.database, recipients)
    with running_bot(bench, "modal", recipients) as bot:
        opened = bot.slack.slash_command(LEADER, "broadcast")
        if opened.status != 200 or not bot.slack.wait_for(lambda: bot.slack.open_views(LEADER), timeout=10):
            raise RuntimeError(f"the broadcast modal did not open: {opened.status} {opened.body}")
        (view,) = bot.slack.open_views(LEADER)
        first = bot.slack.submit_view(LEADER, view["id"], {"message_pick": LIBRARY_MESSAGE, "teams_input": [TEAM]})
        return outcome(bot, result, replayed(bot.slack, first))


def send_command_four_times(bench: Bench) -> Result:
    recipients = bench.size(50, 20)
    result = Result(f"7b /drumbeat send x{DELIVERIES}", bench.database, recipients)
    with running_bot(bench, "send", recipients) as bot:
        first = bot.slack.slash_command(LEADER, f"send {LIBRARY_MESSAGE} to {TEAM}")
        return outcome(bot, result, replayed(bot.slack, first))


# -- 8. one event, four times --------------------------------------------------------------------------------


def event_delivered_four_times(bench: Bench) -> Result:
    users = bench.size(20, 10)
    result = Result(f"8 app_home_opened x{DELIVERIES} (retries)", bench.database, users)
    with running_bot(bench, "event", users) as bot:
        answers: list[ActorResponse] = []
        for user_id in bot.ids:
            answers += replayed(bot.slack, bot.slack.open_home(user_id), as_event_retries=True)
        settle(bot.slack, quiet=1.0)
        publishes = Counter(call.args.get("user_id") for call in bot.slack.calls_named("views.publish") if call.ok)
        per_user = Counter(publishes.get(user_id, 0) for user_id in bot.ids)
        result.lost = per_user.get(0, 0)
        result.duplicated = sum(count for effects, count in per_user.items() if effects > 1)
        extra = sum((effects - 1) * count for effects, count in per_user.items() if effects > 1)
        result.notes += [f"same event_id, X-Slack-Retry-Num 1-{DELIVERIES - 1}; {describe_acks(answers)}",
                         f"{extra} extra views.publish"]
    return result
