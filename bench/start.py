"""Quick-start bench: from `drumbeat run` to `/healthz` answering 200, against the Slack emulator.

Why: issue 13 promises a start under 1.5 s (a restart, a deploy, a new instance joining). The peer, in the
same run, is the least a Slack bot must do to answer HTTP: a plain Bolt app (slack_bolt imported, `App`
built against the same emulator, which calls auth.test) serving /healthz from the standard library. Each
start is a fresh process; Drumbeat's database is migrated and its content synced by a first start, so the
timed starts are restarts (a first start on an empty database also runs every migration; printed apart).

    .venv/bin/python bench/start.py              # 7 starts each, medians
    .venv/bin/python bench/start.py --runs 3 --importtime   # + the slowest imports of one start

Last line: `start: N/M goals met`. Exit 0 even when goals are missed.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.emulators.slack import SlackEmulator  # noqa: E402

GOAL_S = 1.5
SECRET = "start-secret"
PEER = """
import os, http.server
from slack_bolt import App
from slack_sdk import WebClient
app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"],
          client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]))
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Health).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def time_to_health(command: list[str], env: dict[str, str], cwd: Path, timeout: float = 60.0) -> tuple[float, str]:
    """Seconds from spawning the process to the first 200 from /healthz; the process is then terminated."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env={**env, "PORT": str(port)}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - started, ""
            except OSError:
                if process.poll() is not None or time.perf_counter() - started > timeout:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise SystemExit(f"{command} did not come up:\n{output}") from None
                time.sleep(0.01)
    finally:
        process.terminate()
        try:
            output = process.communicate(timeout=30)[0].decode()
        except subprocess.TimeoutExpired:
            process.kill()
            output = ""


def slowest_imports(env: dict[str, str], cwd: Path, top: int = 12) -> list[str]:
    """One start of `drumbeat run` under -X importtime: the imports with the largest cumulative time."""
    port = free_port()
    log = tempfile.TemporaryFile()  # not a pipe: -X importtime writes more than a pipe holds before it is read
    process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "bot", "run"], cwd=cwd,
                               env={**env, "PORT": str(port)}, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                break
        except OSError:
            time.sleep(0.02)
    process.terminate()
    process.wait(timeout=30)
    log.seek(0)
    lines = log.read().decode().splitlines()
    rows = []
    for line in lines:
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = (part.strip() for part in line.split("|"))
            rows.append((int(cumulative), name))
    return [f"  {us / 1000:8.1f} ms  {name}" for us, name in sorted(rows, reverse=True)[:top]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--importtime", action="store_true", help="also print the slowest imports of one start")
    args = parser.parse_args()
    load = os.getloadavg()
    with SlackEmulator(SECRET) as slack, tempfile.TemporaryDirectory(prefix="drumbeat-start-") as folder:
        cwd = Path(folder)
        env = {**os.environ, "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": slack.api_url, "DATABASE_URL": f"sqlite:///{cwd / 'start.db'}", "LOG_LEVEL": "WARNING",
               "PYTHONPATH": str(ROOT)}
        env.pop("SLACK_APP_TOKEN", None)
        drumbeat = [sys.executable, "-m", "bot", "run"]
        first, _ = time_to_health(drumbeat, env, cwd)
        ours, peer = [], []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            ours.append(time_to_health(drumbeat, env, cwd)[0])
            peer.append(time_to_health([sys.executable, "-c", PEER], env, cwd)[0])
        imports = slowest_imports(env, cwd) if args.importtime else []
    ours_s, peer_s = statistics.median(ours), statistics.median(peer)
    print(f"Start to /healthz 200, median of {args.runs} starts each (load average {load[0]:.2f} at start)")
    print(f"  drumbeat run (first start, empty database: migrations + content sync)  {first:6.2f} s")
    print(f"  drumbeat run (restart)                                                 {ours_s:6.2f} s  "
          f"(min {min(ours):.2f}, max {max(ours):.2f})  goal < {GOAL_S} s: {'met' if ours_s < GOAL_S else 'MISSED'}")
    print(f"  plain Bolt app (peer)                                                  {peer_s:6.2f} s  "
          f"(min {min(peer):.2f}, max {max(peer):.2f})")
    print(f"  ours / peer: x{ours_s / peer_s:.2f}")
    if imports:
        print("Slowest imports of one `drumbeat run` (cumulative):", *imports, sep="\n")
    print(f"start: {int(ours_s < GOAL_S)}/1 goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
