"""Acknowledgement benchmark: how long `/drumbeat send` to a 10,000-person team takes to be answered.

Slack shows the leader a timeout after 3 s, and a leader who sees one presses again; the goal is an answer in
under 50 ms (p99) for any audience size. The peer, measured in the same run on the same database, is the
work that used to happen before the answer: writing the broadcast and its 10,000 deliveries (`send_now`).

    .venv/bin/python bench/ack.py [--people 10000] [--sends 30] [--database-url postgresql://...]

Each send goes through the Slack emulator as a signed slash command over HTTP to the running bot; the
time is the emulator's, from sending the request to reading the answer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
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
from bot.slack.people import slack_address  # noqa: E402
from bot.slack.platform import SLACK_EVENTS_PATH  # noqa: E402
from storage.models import Message  # noqa: E402

LEADER = "U0LEADER1"
GOAL_MS = 50.0


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def seed(drumbeat: Drumbeat, people: int) -> None:
    lines = ["slack_id,email,name,role,team,manager_slack_id", f"{LEADER},lead@example.com,Lena Okafor,leader,,"]
    lines += [f"U3{n:07d},rep{n}@example.com,Rep {n},rep,Field,{LEADER}" for n in range(people)]
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
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    database_url, drop = throwaway_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="drumbeat-ack-"))
    emulator = SlackEmulator("ack-secret", rate_limits=False).start()
    settings = settings_from_mapping({
        "SLACK_BOT_TOKEN": emulator.bot_token, "SLACK_SIGNING_SECRET": "ack-secret",
        "SLACK_API_URL": emulator.api_url, "DATABASE_URL": database_url or f"sqlite:///{workdir / 'ack.db'}",
        "DRUMBEAT_QUIET_HOURS": "off", "LOG_LEVEL": "WARNING",
    })
    drumbeat = Drumbeat(settings)
    try:
        emulator.add_user(LEADER, name="lena", tz="Europe/Berlin")
        seed(drumbeat, args.people)
        port = drumbeat.serve_http(host="127.0.0.1", port=0, background=True)
        emulator.connect_bot(f"http://127.0.0.1:{port}{SLACK_EVENTS_PATH}")
        emulator.after_each_answer(drumbeat.wait_for_background)  # each broadcast is written before the next send
        acks = time_acks(emulator, args.sends)
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
    print(f"ack: {int(p99 < GOAL_MS)}/1 goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
