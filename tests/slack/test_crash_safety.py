"""Kill the dispatcher process (SIGKILL) in the middle of a 500-recipient broadcast, restart it:
every rep gets the message exactly once, including the one whose send was in flight at the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.slack.people import slack_address as slack
from bot.core.broadcasts import AudienceSpec, send_now
from bot.platforms import USER_ID_FORMATS
from bot.core.org import import_org_csv
from bot.core.roles import identify
from bot.emulators.slack import SlackEmulator
from schedules.materialise import DeliveryRules
from schedules.quiet_hours import QuietHours
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus

RECIPIENTS = 500
ROOT = Path(__file__).resolve().parents[2]


def seed(engine: Engine) -> None:
    lines = ["slack_id,email,name,role,team,manager_slack_id", "U0LEADER1,lead@example.com,Lena Okafor,leader,,"]
    lines += [f"U1{n:06d},rep{n}@example.com,Rep {n},rep,Field,U0LEADER1" for n in range(RECIPIENTS)]
    with session_scope(engine) as session:
        import_org_csv(session, "\n".join(lines) + "\n", formats=USER_ID_FORMATS)
        from storage.models import Message

        session.add(Message(key="crash-test", title="Exactly once", body="Hi {{ person.first_name }}"))
    with session_scope(engine) as session:
        send_now(session, sender=identify(session, slack("U0LEADER1")), message_key="crash-test",
                 audience=AudienceSpec(teams=("Field",)), now=datetime.now(UTC),
                 rules=DeliveryRules(quiet=QuietHours.parse("off"), daily_cap=0))


def start_dispatcher(slack: SlackEmulator, database_url: str, workdir: Path, **overrides: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "DRUMBEAT_QUIET_HOURS": "off",
        "DRUMBEAT_DAILY_CAP": "0",
        "DRUMBEAT_CLAIM_LEASE": "1",
        # A begun send is looked for 2 s after it began (it cannot take longer than the 1 s timeout to land here).
        "DRUMBEAT_SEND_TIMEOUT": "1",
        "DRUMBEAT_SEND_SETTLE": "2",
        "DRUMBEAT_SLACK_POSTS_PER_MINUTE": "0",
        "DRUMBEAT_DISPATCH_INTERVAL": "0.2",
        "LOG_LEVEL": "WARNING",
        **overrides,
    }
    env.pop("SLACK_APP_TOKEN", None)
    return subprocess.Popen([sys.executable, "-m", "bot", "dispatch", "--until-idle"], cwd=workdir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_until(condition, timeout: float) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_sigkilled_dispatcher_restarts_and_every_rep_gets_the_message_exactly_once(
    engine: Engine, tmp_path: Path
) -> None:
    seed(engine)
    with SlackEmulator("crash-secret", post_message_per_minute=100_000) as slack:
        for n in range(RECIPIENTS):
            slack.add_user(f"U1{n:06d}", name=f"rep{n}", tz="Europe/Berlin")
        url = engine.url_for_processes  # type: ignore[attr-defined]
        first = start_dispatcher(slack, url, tmp_path)
        try:
            wait_until(lambda: len(slack.calls_named("chat.postMessage")) >= 150, timeout=60)
            # The next post is slow: the dispatcher dies while it is in flight, and Slack still delivers it.
            slack.inject_fault("chat.postMessage", delay=1.5, times=1)
            time.sleep(0.5)
            os.kill(first.pid, signal.SIGKILL)
        finally:
            first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        time.sleep(1.5)  # the delayed post lands after its sender died
        with session_scope(engine) as session:
            sent_before_restart = session.execute(
                select(func.count()).where(Delivery.status == DeliveryStatus.SENT)).scalar_one()
        assert 0 < sent_before_restart < RECIPIENTS

        second = start_dispatcher(slack, url, tmp_path)
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 0, output.decode()

        posts = Counter(call.args.get("channel") for call in slack.calls_named("chat.postMessage") if call.ok)
        inbox_sizes = Counter(len(slack.inbox(f"U1{n:06d}")) for n in range(RECIPIENTS))
        assert inbox_sizes == Counter({1: RECIPIENTS}), f"duplicates or misses: {inbox_sizes}"
        assert sum(posts.values()) == RECIPIENTS
        assert slack.calls_named("conversations.history"), "the in-flight delivery was checked before resending"
    with session_scope(engine) as session:
        statuses = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    assert statuses == {DeliveryStatus.SENT: RECIPIENTS}
