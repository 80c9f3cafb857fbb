"""What every chaos scenario shares: throw-away databases, a seeded org, the dispatcher as a real process,
and the one way the result is counted (DMs in each rep's emulated inbox, never the bot's own bookkeeping).

Counting from the emulator is the point: the outbox's rows say what Drumbeat *thinks* it sent, the inbox
says what reps *got*. A recipient with no DM carrying the delivery metadata is lost; one with more than
one is duplicated.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.broadcasts import AudienceSpec, send_now  # noqa: E402
from bot.core.org import import_org_csv  # noqa: E402
from bot.core.roles import identify  # noqa: E402
from bot.emulators.slack import SlackEmulator  # noqa: E402
from bot.platforms import USER_ID_FORMATS  # noqa: E402
from bot.settings import settings_from_mapping  # noqa: E402
from bot.slack.ids import DELIVERY_METADATA_EVENT  # noqa: E402
from bot.slack.people import slack_address  # noqa: E402
from schedules.materialise import DeliveryRules  # noqa: E402
from schedules.quiet_hours import QuietHours  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Delivery, Message  # noqa: E402

SIGNING_SECRET = "chaos-signing-secret"
LEADER = "U0LEADER1"
TEAM = "Field"
MESSAGE_KEY = "chaos-bench"


@dataclass
class Result:
    """One row of the table. `notes` say what broke and how it showed (exit codes, failed rows...)."""

    name: str
    database: str
    recipients: int = 0
    lost: int = 0
    duplicated: int = 0
    wall: float = 0.0
    notes: list[str] = field(default_factory=list)
    skipped: bool = False

    @property
    def goal_met(self) -> bool:
        return not self.skipped and self.recipients > 0 and self.lost == 0 and self.duplicated == 0


def rep_ids(count: int) -> list[str]:
    return [f"U1{n:06d}" for n in range(count)]


# -- databases ---------------------------------------------------------------------------------------


class Databases:
    """Hands each scenario a fresh, migrated database: a schema in one bench-owned PostgreSQL database
    (created at start, dropped at the end, so the shared server is left as found), or a SQLite file."""

    def __init__(self, admin_url: str, workdir: Path) -> None:
        self.admin_url = admin_url
        self.workdir = workdir
        self.pg_name = f"drumbeat_chaos_{os.getpid()}"
        self._pg_ready: bool | None = None
        self._serial = itertools.count(1)

    def postgresql_available(self) -> bool:
        if self._pg_ready is None:
            try:
                admin = make_engine(_driver_url(self.admin_url))
                with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text(f'CREATE DATABASE "{self.pg_name}"'))
                admin.dispose()
                self._pg_ready = True
            except Exception as error:  # unreachable or not allowed: the PostgreSQL-only rows are skipped
                print(f"chaos: PostgreSQL not available ({type(error).__name__}: {error})", file=sys.stderr)
                self._pg_ready = False
        return self._pg_ready

    def fresh(self, kind: str, label: str) -> tuple[str, Engine]:
        """(URL another process can use, migrated engine) for a new empty database of `kind`."""
        name = f"{label}_{next(self._serial)}".replace("-", "_")
        if kind == "sqlite":
            url = f"sqlite:///{self.workdir / (name + '.db')}"
        else:
            admin = make_engine(_driver_url(self.bench_database_url()))
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{name}"'))
            admin.dispose()
            url = f"{self.bench_database_url()}?options=-csearch_path%3D{name}"
        engine = make_engine(_driver_url(url))
        upgrade(engine)
        return url, engine

    def bench_database_url(self) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{self.pg_name}", "", ""))

    def drop(self) -> None:
        if not self._pg_ready:
            return
        admin = make_engine(_driver_url(self.admin_url))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
        admin.dispose()


def _driver_url(url: str) -> str:
    return settings_from_mapping({"DATABASE_URL": url}).database_url


def via_port(url: str, port: int) -> str:
    """The same PostgreSQL URL, reached through another local port (the outage proxy)."""
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit((parts.scheme, f"{user}127.0.0.1:{port}", parts.path, parts.query, ""))


# -- the org and the broadcast -------------------------------------------------------------------------


def add_reps(slack: SlackEmulator, count: int) -> list[str]:
    ids = rep_ids(count)
    slack.add_user(LEADER, name="lena", real_name="Lena Okafor", tz="Europe/Berlin")
    for n, user_id in enumerate(ids):
        slack.add_user(user_id, name=f"rep{n}", real_name=f"Rep {n}", tz="Europe/Berlin")
    return ids


def seed_org(engine: Engine, count: int, *, message: bool = True) -> None:
    """A leader and `count` reps in one team, imported as an operator would (CSV with slack_id)."""
    lines = ["slack_id,email,name,role,team,manager_slack_id", f"{LEADER},lead@example.com,Lena Okafor,leader,,"]
    lines += [f"{user_id},rep{n}@example.com,Rep {n},rep,{TEAM},{LEADER}" for n, user_id in enumerate(rep_ids(count))]
    with session_scope(engine) as session:
        import_org_csv(session, "\n".join(lines) + "\n", formats=USER_ID_FORMATS)
        if message:
            session.add(Message(key=MESSAGE_KEY, title="Exactly once", body="Hi {{ person.first_name }}, the plan."))


def queue_broadcast(engine: Engine) -> int:
    """The leader's "send now" to the whole team; returns how many deliveries it queued."""
    with session_scope(engine) as session:
        queued = send_now(session, sender=identify(session, slack_address(LEADER)), message_key=MESSAGE_KEY,
                          audience=AudienceSpec(teams=(TEAM,)), now=datetime.now(UTC),
                          rules=DeliveryRules(quiet=QuietHours.parse("off"), daily_cap=0))
    return queued.recipients


def delivery_statuses(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    return {str(getattr(status, "value", status)): count for status, count in rows}


# -- counting --------------------------------------------------------------------------------------------


def delivery_dms(slack: SlackEmulator, user_id: str) -> list[str]:
    """Idempotency keys of the outbox DMs in this user's inbox (one per DM, repeated keys included)."""
    keys = []
    for message in slack.inbox(user_id):
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == DELIVERY_METADATA_EVENT:
            keys.append(str((metadata.get("event_payload") or {}).get("key")))
    return keys


def count_inboxes(slack: SlackEmulator, user_ids: Iterable[str], result: Result) -> Counter[int]:
    """Fill lost / duplicated from what reps actually received; returns {DMs per rep: reps}."""
    sizes: Counter[int] = Counter()
    for user_id in user_ids:
        sizes[len(delivery_dms(slack, user_id))] += 1
    result.lost = sizes.get(0, 0)
    result.duplicated = sum(reps for dms, reps in sizes.items() if dms > 1)
    extra = sum((dms - 1) * reps for dms, reps in sizes.items() if dms > 1)
    if extra:
        result.notes.append(f"{extra} extra DMs")
    return sizes


class PostCounter:
    """Counts posts that landed, as they land (the emulator calls back), without copying the call log."""

    def __init__(self, slack: SlackEmulator) -> None:
        self._count = 0
        self._lock = threading.Lock()
        slack.on_post(self._seen)

    def _seen(self, notice: dict[str, Any]) -> None:
        if notice.get("kind") == "chat.postMessage":
            with self._lock:
                self._count += 1

    @property
    def value(self) -> int:
        with self._lock:
            return self._count


def settle(slack: SlackEmulator, *, quiet: float = 1.0, timeout: float = 30.0) -> None:
    """Wait until the emulator has seen no call for `quiet` seconds: late answers have landed."""
    deadline = time.monotonic() + timeout
    seen, since = len(slack.calls), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now_seen = len(slack.calls)
        if now_seen != seen:
            seen, since = now_seen, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def wait_until(condition: Callable[[], Any], timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


# -- the dispatcher as a process -------------------------------------------------------------------------


class DispatcherProcess:
    """`drumbeat dispatch --until-idle` in its own process, configured only through the environment, as an
    operator runs it; its output goes to a file so a chatty process can never block on a full pipe."""

    serial = itertools.count(1)

    def __init__(self, slack: SlackEmulator, database_url: str, workdir: Path, **settings: str) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "DRUMBEAT_QUIET_HOURS": "off",
            "DRUMBEAT_DAILY_CAP": "0",
            "DRUMBEAT_SLACK_POSTS_PER_MINUTE": "0",
            "DRUMBEAT_DISPATCH_INTERVAL": "0.2",
            "LOG_LEVEL": "WARNING",
            **settings,
        }
        env.pop("SLACK_APP_TOKEN", None)
        self.log_path = workdir / f"dispatch-{next(self.serial)}.log"
        self._log = self.log_path.open("wb")
        # cwd is the scratch directory: no stray .env is read.
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "dispatch", "--until-idle"], cwd=workdir,
                                        env=env, stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.running:
            os.kill(self.process.pid, signal.SIGKILL)
        self.wait(10)

    def wait(self, timeout: float) -> int | None:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._log.close()
        return code

    def last_error(self) -> str:
        """The last exception line of its output (what an operator would see in the journal)."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        errors = [line for line in lines if "Error" in line or "Exception" in line]
        line = (errors[-1] if errors else (lines[-1] if lines else "no output")).strip()
        return re.sub(r"^[a-z_.]+\.(?=[A-Z])", "", line)[:120]  # sqlalchemy.exc.OperationalError -> OperationalError


def stop_all(processes: Iterable[DispatcherProcess]) -> None:
    for process in processes:
        process.kill()


@dataclass
class Bench:
    """What a scenario is given: how big to make it, which database, where to work, and the one random
    generator (seeded, so a run can be repeated)."""

    quick: bool
    database: str  # "postgresql" or "sqlite": where scenarios that can run on either run
    databases: Databases
    workdir: Path
    rng: random.Random

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full


class Scratch:
    """A temporary working directory for one bench run, removed at the end."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="drumbeat-chaos-"))

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
