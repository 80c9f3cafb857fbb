"""CPU per delivery: Drumbeat's dispatcher against a plain slack_sdk loop posting the same DMs, same run.

The emulator runs in a child process with its rate limits off, so this process's CPU time
(`time.process_time`: every thread, user and system) is the client side alone: the dispatcher's claims,
composing, rendering, database work (SQLite is in-process; PostgreSQL's server CPU is not counted) and HTTP.
The plain loop is what a minimal script does: one `chat.postMessage` per person with a WebClient, posting the
same text and blocks Drumbeat posted to the first person, no database.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

GOAL_RATIO = 2.0


def serve_emulator(pipe: Connection, user_ids: list[str]) -> None:
    """The child: an emulator without limits, answering 'report' with what it saw, then 'stop'."""
    from bot.emulators.slack import SlackEmulator

    emulator = SlackEmulator("bench-secret", rate_limits=False).start()
    for user_id in user_ids:
        emulator.add_user(user_id, name=user_id.lower(), tz="Europe/Berlin")
    pipe.send((emulator.api_url, emulator.bot_token))
    while (command := pipe.recv()) != "stop":
        posts = emulator.calls_named("chat.postMessage")
        first = emulator.inbox(user_ids[0])
        pipe.send({"posts": sum(1 for call in posts if call.ok), "connections": getattr(emulator, "connections_accepted", 0),
                   "first": first[-1] if first else None,
                   "missed": sum(1 for user_id in user_ids if not emulator.inbox(user_id))})
    emulator.stop()


@dataclass
class Emulator:
    """The child emulator from this side: its URL and token, and what it has seen so far."""

    process: Any
    pipe: Connection
    api_url: str
    token: str

    @classmethod
    def start(cls, user_ids: list[str]) -> "Emulator":
        ours, theirs = multiprocessing.get_context("spawn").Pipe()
        process = multiprocessing.get_context("spawn").Process(target=serve_emulator, args=(theirs, user_ids),
                                                              daemon=True)
        process.start()
        api_url, token = ours.recv()
        return cls(process, ours, api_url, token)

    def report(self) -> dict[str, Any]:
        self.pipe.send("report")
        return self.pipe.recv()

    def stop(self) -> None:
        self.pipe.send("stop")
        self.process.join(timeout=10)


def drumbeat_cpu(database_url: str, emulator: Emulator, user_ids: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for Drumbeat to dispatch one broadcast to every user (queued untimed)."""
    from bot.app import Drumbeat
    from bot.core.broadcasts import AudienceSpec, send_now
    from bot.core.org import import_org_csv
    from bot.core.roles import identify
    from bot.platforms import USER_ID_FORMATS
    from bot.settings import settings_from_mapping
    from bot.slack.people import slack_address
    from storage.models import Message

    settings = settings_from_mapping({
        "SLACK_BOT_TOKEN": emulator.token, "SLACK_SIGNING_SECRET": "bench-secret", "SLACK_API_URL": emulator.api_url,
        "DATABASE_URL": database_url, "DRUMBEAT_QUIET_HOURS": "off", "DRUMBEAT_DAILY_CAP": "0",
        "DRUMBEAT_SLACK_POSTS_PER_MINUTE": "0", "DRUMBEAT_DISPATCH_BATCH": "500",
    })
    drumbeat = Drumbeat(settings)
    lines = ["slack_id,email,name,role,team,manager_slack_id", "U0LEADER1,lead@example.com,Lena Okafor,leader,,"]
    lines += [f"{user_id},{user_id.lower()}@example.com,Rep {n},rep,Field,U0LEADER1" for n, user_id in enumerate(user_ids)]
    with drumbeat.services.unit_of_work() as session:
        import_org_csv(session, "\n".join(lines) + "\n", formats=USER_ID_FORMATS)
        session.add(Message(key="cpu", title="Fan-out", body="Hi {{ person.first_name }}, this is the plan."))
    with drumbeat.services.unit_of_work() as session:
        send_now(session, sender=identify(session, slack_address("U0LEADER1")), message_key="cpu",
                 audience=AudienceSpec(teams=("Field",)), now=drumbeat.services.clock(), rules=drumbeat.services.rules)
    cpu, wall = time.process_time(), time.perf_counter()
    while drumbeat.dispatch_now().touched or drumbeat.has_due():
        pass
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    drumbeat.close()
    return cpu, wall


def plain_loop_cpu(emulator: Emulator, user_ids: list[str], message: dict[str, Any]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for a WebClient loop posting `message` to every user."""
    from slack_sdk import WebClient

    client = WebClient(token=emulator.token, base_url=emulator.api_url)
    cpu, wall = time.process_time(), time.perf_counter()
    for user_id in user_ids:
        client.chat_postMessage(channel=user_id, text=message.get("text", ""), blocks=message.get("blocks"))
    return time.process_time() - cpu, time.perf_counter() - wall


def measure(database_url: str, recipients: int) -> tuple[list[str], bool]:
    """Both loops against one child emulator; printed lines and whether the goal was met."""
    user_ids = [f"U3{n:07d}" for n in range(recipients)]
    emulator = Emulator.start(user_ids)
    try:
        ours, our_wall = drumbeat_cpu(database_url, emulator, user_ids)
        after_ours = emulator.report()
        theirs, their_wall = plain_loop_cpu(emulator, user_ids, after_ours["first"] or {"text": "hi"})
        after_theirs = emulator.report()
    finally:
        emulator.stop()
    ours_ms, theirs_ms = ours * 1000 / recipients, theirs * 1000 / recipients
    ratio = ours_ms / theirs_ms if theirs_ms else float("nan")
    plain_connections = after_theirs["connections"] - after_ours["connections"]
    lines = [
        f"CPU per delivery    {ours_ms:.2f} ms Drumbeat ({recipients} DMs, rate limits off, {our_wall:.1f} s wall;"
        f" {after_ours['posts']} posts over {after_ours['connections']} TCP connections, {after_ours['missed']} missed)",
        f"  plain slack_sdk    {theirs_ms:.2f} ms ({their_wall:.1f} s wall; {plain_connections} TCP connections)",
        f"  ratio              {ratio:.2f}x  (goal <= {GOAL_RATIO:g}x)",
    ]
    return lines, ratio <= GOAL_RATIO
