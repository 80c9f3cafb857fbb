"""Fan-out benchmark: one broadcast to N reps through a platform's emulator with the platform's rate limits.

Time is simulated (the emulator's SimulatedClock; the dispatcher's sleeps advance it), so a fan-out that
takes Slack ~17 minutes at 300 posts a minute runs in well under a minute here, and the figure that
matters is how close the dispatcher gets to the lower bound the limits allow.

    .venv/bin/python bench/fanout.py [--platform slack|teams] [--recipients 5000] [--posts-per-minute 300]
                                     [--cpu-recipients 1000]

Prints: simulated time, the lower bound, their ratio, 429s received, duplicates, misses, real time,
and the process's peak RSS (emulator included, so an upper bound on the dispatcher's own). On Slack, then the
CPU per delivery of Drumbeat's dispatcher and of a plain slack_sdk loop posting the same DMs, in the same run,
with the emulator's limits off and the emulator in a child process (bench/fanout_cpu.py), and their ratio.

`--platform teams` sends through the Teams emulator instead (Microsoft's published bot limits: 50 calls a
second per app per tenant bind a fan-out, one message per personal chat); its goals are the ratio, no
duplicates and none missed (the CPU comparison is Slack's: there is no plain-SDK loop to race on Teams).
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fanout_cpu import measure as measure_cpu  # noqa: E402
from bot.app import Drumbeat  # noqa: E402
from bot.core.broadcasts import AudienceSpec, send_now  # noqa: E402
from bot.platforms import USER_ID_FORMATS
from bot.core.org import import_org_csv  # noqa: E402
from bot.core.roles import identify  # noqa: E402
from bot.settings import settings_from_mapping  # noqa: E402
from bot.clock import SimulatedClock
from bot.emulators.slack import SlackEmulator  # noqa: E402
from storage.address import Address  # noqa: E402
from storage.models import Message  # noqa: E402

BURST_SECONDS = 2  # the emulator's workspace bucket holds about two seconds' worth of posts


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platform", choices=sorted(FLEETS), default="slack", help="whose emulator and limits")
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--posts-per-minute", type=int, default=300, help="the emulator's workspace budget")
    parser.add_argument("--database-url", default=None,
                        help="default: a temporary SQLite file; a PostgreSQL URL gets a throw-away schema")
    parser.add_argument("--no-pacing", action="store_true", help="rely on 429 + Retry-After alone")
    parser.add_argument("--cpu-recipients", type=int, default=1000, help="DMs for the CPU comparison (0: skip it)")
    parser.add_argument("--only-cpu", action="store_true", help="skip the paced fan-out")
    args = parser.parse_args()
    if args.platform != "slack" and args.no_pacing:
        parser.error("--no-pacing switches off Slack's pacing setting; the Teams sender always paces itself")
    code, met, goals = 0, 0, 0
    if not args.only_cpu:
        database_url, drop_schema = throwaway_database(args.database_url)
        try:
            code, outcomes = run(args, database_url)
        finally:
            drop_schema()
        met, goals = met + sum(outcomes), goals + len(outcomes)
    if args.cpu_recipients and args.platform == "slack":
        database_url, drop_schema = throwaway_database(args.database_url)
        try:
            lines, lean = measure_cpu(database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'cpu.db'}",
                                      args.cpu_recipients)
        finally:
            drop_schema()
        print("\n".join(lines))
        met, goals = met + lean, goals + 1
    print(f"fanout: {met}/{goals} goals met")
    return code


def throwaway_database(url: str | None) -> tuple[str | None, Callable[[], None]]:
    if not url or not url.startswith("postgres"):
        return url, lambda: None
    from sqlalchemy import text

    from storage.db import make_engine

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(settings_from_mapping({"DATABASE_URL": url}).database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{url}?options=-csearch_path%3D{schema}", drop


@dataclass
class Fleet:
    """One platform's side of the bench: its emulator with the recipients, the settings that point Drumbeat at
    it, the lower bound its published limits allow, and how to read afterwards what reached each person."""

    platform: str
    ids: list[str]
    settings: dict[str, str]
    budget: str
    lower_bound: float
    inbox_size: Callable[[str], int]
    throttled: Callable[[], int]
    stop: Callable[[], None]
    ready: Callable[[Drumbeat], None] = lambda drumbeat: None


def slack_fleet(args: argparse.Namespace, clock: SimulatedClock) -> Fleet:
    emulator = SlackEmulator("bench-secret", clock=clock, post_message_per_minute=args.posts_per_minute).start()
    ids = [f"U2{n:07d}" for n in range(args.recipients)]
    for user_id in ids:
        emulator.add_user(user_id, name=user_id.lower(), tz="Europe/Berlin")
    per_second = args.posts_per_minute / 60
    burst = min(args.posts_per_minute, max(3, math.ceil(per_second * BURST_SECONDS)))
    return Fleet(
        platform="slack", ids=ids,
        settings={"SLACK_BOT_TOKEN": emulator.bot_token, "SLACK_SIGNING_SECRET": "bench-secret",
                  "SLACK_API_URL": emulator.api_url,
                  "DRUMBEAT_SLACK_POSTS_PER_MINUTE": "0" if args.no_pacing else str(args.posts_per_minute)},
        budget=f"{args.posts_per_minute} chat.postMessage per minute",
        lower_bound=max(0.0, (args.recipients - burst) / per_second),
        inbox_size=lambda user_id: len(emulator.inbox(user_id)),
        throttled=lambda: sum(1 for call in emulator.calls_named("chat.postMessage") if call.http_status == 429),
        stop=emulator.stop,
    )


def teams_fleet(args: argparse.Namespace, clock: SimulatedClock) -> Fleet:
    """Teams' published limits: 50 connector calls per second per app per tenant bind a fan-out (each rep's
    own chat gets one message, far under 7 per second per conversation). The app is installed for everyone (as
    an admin's policy does); the bot learnt each chat's reference before the bench starts timing."""
    from bot.emulators.teams import TeamsEmulator
    from bot.emulators.teams.ratelimit import PER_TENANT

    emulator = TeamsEmulator(clock=clock).start()
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(args.recipients)]
    for user_id in ids:
        emulator.add_user(user_id, name=f"Rep {user_id[-6:]}", local_timezone="Europe/Berlin")
        emulator.set_user(user_id, installed=True)
    (window, per_window), = PER_TENANT
    per_second = per_window / window

    def remember_chats(drumbeat: Drumbeat) -> None:
        from bot.teams.conversations import Reference, remember

        with drumbeat.services.unit_of_work() as session:
            for user_id in ids:
                ref = emulator.conversation_reference(user_id)
                remember(session, Reference(user_id, ref["conversation_id"], ref["service_url"], ref["tenant_id"],
                                            ref["user_id"]))

    return Fleet(
        platform="teams", ids=ids,
        settings={"TEAMS_APP_ID": emulator.app_id, "TEAMS_APP_PASSWORD": emulator.app_password,
                  "TEAMS_LOGIN_URL": emulator.login_url, "TEAMS_OPENID_METADATA_URL": emulator.openid_metadata_url},
        budget=f"{per_window} connector calls per {window:g} s per tenant; 7/1 s, 8/2 s, 60/30 s per conversation",
        lower_bound=max(0.0, (args.recipients - per_window) / per_second),
        inbox_size=lambda user_id: len(emulator.inbox(user_id)),
        throttled=lambda: sum(1 for call in emulator.calls_to("send_activity") if call.status == 429),
        stop=emulator.stop, ready=remember_chats,
    )


FLEETS = {"slack": slack_fleet, "teams": teams_fleet}


def run(args: argparse.Namespace, database_url: str | None) -> tuple[int, list[bool]]:
    """The paced fan-out; its exit code (1 on a duplicate or a miss) and the goals it met or missed."""

    workdir = Path(tempfile.mkdtemp(prefix="drumbeat-bench-"))
    clock = SimulatedClock()
    fleet = FLEETS[args.platform](args, clock)
    settings = settings_from_mapping({
        **fleet.settings,
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.db'}",
        "DRUMBEAT_QUIET_HOURS": "off",
        "DRUMBEAT_DAILY_CAP": "0",
        "DRUMBEAT_DISPATCH_BATCH": "500",
    })
    drumbeat = Drumbeat(settings, clock=clock, sleep=clock.advance, monotonic=clock.epoch)
    leader = "U0LEADER1" if fleet.platform == "slack" else "00000000-0000-4000-8000-1eade1000001"
    csv_lines = [f"{fleet.platform}_id,email,name,role,team,manager_{fleet.platform}_id",
                 f"{leader},lead@example.com,Lena Okafor,leader,,"]
    csv_lines += [f"{user_id},rep{n}@example.com,Rep {n},rep,Field,{leader}" for n, user_id in enumerate(fleet.ids)]
    with drumbeat.services.unit_of_work() as session:
        import_org_csv(session, "\n".join(csv_lines) + "\n", formats=USER_ID_FORMATS)
        session.add(Message(key="bench", title="Fan-out", body="Hi {{ person.first_name }}, this is the plan."))
    fleet.ready(drumbeat)
    with drumbeat.services.unit_of_work() as session:
        queued = send_now(session, sender=identify(session, Address(fleet.platform, leader)), message_key="bench",
                          audience=AudienceSpec(teams=("Field",)), now=clock(), rules=drumbeat.services.rules)
    assert queued.recipients == args.recipients

    rss_before = peak_rss_mb()
    started_simulated, started_real = clock.epoch(), time.perf_counter()
    totals: Counter[str] = Counter()
    while True:
        report = drumbeat.dispatch_now()
        totals.update(sent=report.sent, rate_limited=report.rate_limited, failed=report.failed)
        if not report.touched and not drumbeat.has_due():
            break
    simulated = clock.epoch() - started_simulated
    real = time.perf_counter() - started_real

    inbox = Counter(fleet.inbox_size(user_id) for user_id in fleet.ids)
    duplicates = sum((size - 1) * count for size, count in inbox.items() if size > 1)
    missed = inbox.get(0, 0)
    ratio = simulated / fleet.lower_bound if fleet.lower_bound else float("nan")

    print(f"platform            {fleet.platform}")
    print(f"recipients          {args.recipients} ({'429 + Retry-After only' if args.no_pacing else 'paced'};"
          f" {'postgresql' if database_url else 'sqlite'})")
    print(f"published limits    {fleet.budget}")
    print(f"simulated time      {simulated:,.1f} s")
    print(f"lower bound         {fleet.lower_bound:,.1f} s")
    print(f"ratio               {ratio:.3f}  (goal <= 1.2)")
    print(f"sent / failed       {totals['sent']} / {totals['failed']}")
    print(f"429 answers         {fleet.throttled()}")
    print(f"duplicates          {duplicates}  (goal 0)")
    print(f"missed              {missed}  (goal 0)")
    print(f"real time           {real:,.1f} s ({args.recipients / real:,.0f} deliveries/s of bookkeeping)")
    print(f"peak RSS            {peak_rss_mb():,.0f} MB (before dispatch {rss_before:,.0f} MB; emulator included)")
    drumbeat.close()
    fleet.stop()
    goals = [ratio <= 1.2] + ([duplicates == 0, missed == 0] if fleet.platform == "teams" else [])
    return (0 if duplicates == 0 and missed == 0 else 1), goals


if __name__ == "__main__":
    raise SystemExit(main())
