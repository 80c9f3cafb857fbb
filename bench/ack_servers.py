"""The two HTTP servers bench/ack.py times, each in its own process, as in production.

Slack is not in the bot's process. Were the emulator and its 50 client threads in the same interpreter as the
bot, they would share one GIL with the bot's request threads and its work after the answers, and the figures
would measure that contention rather than the bot. So Drumbeat and the plain Bolt peer each run in a child
process (spawned: no engine or socket inherited), and the parent, with the emulator, only sends requests and
asks the Drumbeat child to wait for its work after the answers ("drain").
"""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.connection import Connection
from collections.abc import Callable
from typing import Any


def _held(drumbeat: Any) -> Callable[[], None]:
    """Keep the work after each answer from starting until `release()` (the drain): the answers are then timed
    without that work competing for the process's two cores and its GIL (`--hold-work`)."""
    pool = drumbeat._background
    submit, waiting = pool.submit, []

    def hold(fn: Any, /, *args: Any, **kwargs: Any) -> None:
        waiting.append((fn, args, kwargs))

    def release() -> None:
        for fn, args, kwargs in waiting:
            submit(fn, *args, **kwargs)
        waiting.clear()

    pool.submit = hold
    return release


def _serve_drumbeat(settings: dict[str, str], hold_work: bool, work_process: bool, conn: Connection) -> None:
    from bot.app import Drumbeat
    from bot.settings import settings_from_mapping
    from bot.slack.platform import SLACK_EVENTS_PATH

    drumbeat = Drumbeat(settings_from_mapping(settings))
    release = _held(drumbeat) if hold_work else (lambda: None)
    if work_process:  # as `drumbeat run` does (DRUMBEAT_WORK_PROCESS, on by default)
        drumbeat.start_work_process(wait=True)
    port = drumbeat.serve_http(host="127.0.0.1", port=0, background=True)
    conn.send(f"http://127.0.0.1:{port}{SLACK_EVENTS_PATH}")
    try:
        while (order := conn.recv()) != "stop":
            if order == "cpu":
                conn.send(time.process_time())
            elif order == "drain":
                started = time.perf_counter()
                release()
                finished = drumbeat.wait_for_background(timeout=1800)
                conn.send((finished, time.perf_counter() - started))
    finally:
        drumbeat.close()
        conn.send("stopped")


def _serve_peer(signing_secret: str, command: str, token: str, api_url: str, conn: Connection) -> None:
    from slack_sdk import WebClient

    from bench.ack_org import PlainBolt

    with PlainBolt(signing_secret, command, WebClient(token=token, base_url=api_url)) as peer:
        conn.send(peer.url)
        while conn.recv() == "cpu":
            conn.send(time.process_time())
    conn.send("stopped")


class Child:
    """One server process: its URL, and orders sent down a pipe."""

    def __init__(self, target: Any, *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_end = context.Pipe()
        # Not a daemon: Drumbeat's work process is a child of this one, and daemons may not have children.
        self._process = context.Process(target=target, args=(*args, child_end), daemon=False)
        self._process.start()
        self.url: str = self._conn.recv()

    def cpu_seconds(self) -> float:
        """The server process's CPU time so far (every thread; not its work process): what its answers cost."""
        self._conn.send("cpu")
        return float(self._conn.recv())

    def drain(self) -> float:
        self._conn.send("drain")
        finished, seconds = self._conn.recv()
        if not finished:
            print("  (work after the answers still running after 30 min)")
        return float(seconds)

    def stop(self) -> None:
        try:
            self._conn.send("stop")
            self._conn.recv()
        except (EOFError, OSError):
            pass
        self._process.join(timeout=30)


def drumbeat_server(settings: dict[str, str], *, hold_work: bool = False, work_process: bool = True) -> Child:
    return Child(_serve_drumbeat, settings, hold_work, work_process)


def peer_server(signing_secret: str, command: str, token: str, api_url: str) -> Child:
    return Child(_serve_peer, signing_secret, command, token, api_url)
