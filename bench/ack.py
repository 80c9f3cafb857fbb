"""Acknowledgement benchmark: how long `/drumbeat send` to a 10,000-person team takes to be answered, and how
long Got it takes with 50 reps pressing it at the same moment.

Slack shows the leader a timeout after 3 s, and a leader who sees one presses again; the goal is an answer in
under 50 ms (p99) for any audience size. The peer, measured in the same run on the same database, is the
work that used to happen before the answer: writing the broadcast and its 10,000 deliveries (`send_now`).

    .venv/bin/python bench/ack.py [--people 10000] [--sends 30] [--clickers 500] [--concurrency 50]
                                  [--database-url postgresql://...]

Each send goes through the Slack emulator as a signed slash command over HTTP to the running bot; the
time is the emulator's, from sending the request to reading the answer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fanout import throwaway_database  # noqa: E402
from bot.app import Drumbeat  # noqa: E402
from bot.core.broadcasts import AudienceSpec, send_now  # noqa: E402
from bot.core.org import import_org_csv  # noqa: E402
from bot.core.roles import identify  # noqa: E402
from bot.emulators.slack import SlackEmulator  # noqa: E402
from bot.platforms import USER_ID_FORMATS  # noqa: E402
from bot.settings import settings_from_mapping  # noqa: E402
from bot.slack.ids import ActionId  # noqa: E402
from bot.slack.people import slack_address  # noqa: E402
from bot.slack.platform import SLACK_EVENTS_PATH  # noqa: E402
from sqlalchemy import update  # noqa: E402

from storage.models import Delivery, DeliveryStatus, Message  # noqa: E402

LEADER = "U0LEADER1"
GOAL_MS = 50.0


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def clicker(n: int) -> str:
    return f"U4{n:07d}"


def seed(drumbeat: Drumbeat, people: int, clickers: int) -> None:
    lines = ["slack_id,email,name,role,team,manager_slack_id", f"{LEADER},lead@example.com,Lena Okafor,leader,,"]
    lines += [f"U3{n:07d},rep{n}@example.com,Rep {n},rep,Field,{LEADER}" for n in range(people)]
    lines += [f"{clicker(n)},click{n}@example.com,Clicker {n},rep,Clickers,{LEADER}" for n in range(clickers)]
    with drumbeat.services.unit_of_work() as session:
        import_org_csv(session, "\n".join(lines) + "\n", formats=USER_ID_FORMATS)
        session.add(Message(key="bench", title="Acknowledged at once", body="Hi {{ person.first_name }}"))


def time_acks(emulator: SlackEmulator, sends: int) -> list[float]:
    elapsed = []
    for _ in range(sends):
        response = emulator.slash_command(LEADER, text="send bench to Field")
        assert response.status == 200 and "Queued" in str(response.body), response.body
        elapsed.append(response.elapsed * 1000)
    return elapsed


def time_got_it_clicks(emulator: SlackEmulator, drumbeat: Drumbeat, clickers: int, concurrency: int) -> list[float]:
    """Every clicker gets a DM, then they all press Got it, `concurrency` at a time; each click's answer time."""
    with drumbeat.services.unit_of_work() as session:
        # The sends timed above queued 10,000 DMs each; only the clickers' DMs are sent in this bench.
        session.execute(update(Delivery).where(Delivery.status == DeliveryStatus.PENDING)
                        .values(status=DeliveryStatus.CANCELLED))
        send_now(session, sender=identify(session, slack_address(LEADER)), message_key="bench",
                 audience=AudienceSpec(teams=("Clickers",)), now=drumbeat.services.clock(), rules=drumbeat.services.rules)
    while drumbeat.dispatch_now().touched:
        pass

    def click(n: int) -> float:
        (dm,) = emulator.inbox(clicker(n))
        button = next(element for block in dm["blocks"] if block.get("type") == "actions"
                      for element in block["elements"] if element.get("action_id") == ActionId.ACKNOWLEDGE.value)
        response = emulator.click(clicker(n), channel=dm["channel"], ts=dm["ts"], action_id=ActionId.ACKNOWLEDGE.value,
                                  value=button["value"])
        assert response.status == 200, response.body
        return response.elapsed * 1000

    emulator.after_each_answer(lambda: None)  # concurrent clickers do not wait for one another's work
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        elapsed = list(pool.map(click, range(clickers)))
    started = time.perf_counter()
    drumbeat.wait_for_background(timeout=300)
    print(f"(the clicks' work after their answers finished {time.perf_counter() - started:.1f} s after the last answer)")
    return elapsed


def time_in_request_work(drumbeat: Drumbeat, repeats: int) -> list[float]:
    elapsed = []
    for _ in range(repeats):
        started = time.perf_counter()
        with drumbeat.services.unit_of_work() as session:
            send_now(session, sender=identify(session, slack_address(LEADER)), message_key="bench",
                     audience=AudienceSpec(teams=("Field",)), now=drumbeat.services.clock(),
                     rules=drumbeat.services.rules)
        elapsed.append((time.perf_counter() - started) * 1000)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--sends", type=int, default=30)
    parser.add_argument("--peer-repeats", type=int, default=3)
    parser.add_argument("--clickers", type=int, default=500, help="reps who each press Got it once")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    database_url, drop = throwaway_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="drumbeat-ack-"))
    emulator = SlackEmulator("ack-secret", rate_limits=False).start()
    settings = settings_from_mapping({
        "SLACK_BOT_TOKEN": emulator.bot_token, "SLACK_SIGNING_SECRET": "ack-secret",
        "SLACK_API_URL": emulator.api_url, "DATABASE_URL": database_url or f"sqlite:///{workdir / 'ack.db'}",
        "DRUMBEAT_QUIET_HOURS": "off", "LOG_LEVEL": "WARNING", "DRUMBEAT_SLACK_POSTS_PER_MINUTE": "0",
        "DRUMBEAT_DAILY_CAP": "0",
    })
    drumbeat = Drumbeat(settings)
    try:
        emulator.add_user(LEADER, name="lena", tz="Europe/Berlin")
        for n in range(args.clickers):
            emulator.add_user(clicker(n), name=f"click{n}", tz="Europe/Berlin")
        seed(drumbeat, args.people, args.clickers)
        port = drumbeat.serve_http(host="127.0.0.1", port=0, background=True)
        emulator.connect_bot(f"http://127.0.0.1:{port}{SLACK_EVENTS_PATH}")
        emulator.after_each_answer(drumbeat.wait_for_background)  # each broadcast is written before the next send
        acks = time_acks(emulator, args.sends)
        clicks = time_got_it_clicks(emulator, drumbeat, args.clickers, args.concurrency)
        peer = time_in_request_work(drumbeat, args.peer_repeats)
    finally:
        drumbeat.close()
        emulator.stop()
        drop()
    p99 = percentile(acks, 0.99)
    print(f"audience                 {args.people} reps ({'postgresql' if database_url else 'sqlite'})")
    print(f"/drumbeat send answered  p50 {statistics.median(acks):.1f} ms, p99 {p99:.1f} ms over {len(acks)} sends"
          f"  (goal p99 < {GOAL_MS:.0f} ms)")
    print(f"peer: the work before    median {statistics.median(peer):.0f} ms over {len(peer)} (writing the broadcast"
          " and its deliveries, now after the answer)")
    click_p99 = percentile(clicks, 0.99)
    print(f"Got it, {args.concurrency} at once  p50 {statistics.median(clicks):.1f} ms, p95 {percentile(clicks, 0.95):.1f} ms,"
          f" p99 {click_p99:.1f} ms over {len(clicks)} clicks  (goal p99 < {GOAL_MS:.0f} ms)")
    print(f"ack: {int(p99 < GOAL_MS) + int(click_p99 < GOAL_MS)}/2 goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
