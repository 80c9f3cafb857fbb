"""Scenarios 5-6: PostgreSQL as the shared store under strain.

5. Two and four `drumbeat dispatch` instances on one database, Slack answering each post in 0.5-1 s,
   each instance paced at 80 posts a minute, and a claim lease (DRUMBEAT_CLAIM_LEASE) far shorter than a
   200-row batch takes at that pace, so leases expire while their batch is still being sent.
6. The database connection cut for 8 s under a running dispatcher (through `chaos_proxy.OutageProxy`):
   a dispatcher that exits is a finding; the bench restarts it so the broadcast completes, and counts.
"""

from __future__ import annotations

import time

from chaos_dispatch import FINISH_TIMEOUT, Setup, broadcast_setup, wait_for_exit
from chaos_kit import Bench, DispatcherProcess, Result, via_port, wait_until
from chaos_proxy import OutageProxy

INSTANCE_PACING = "80"  # posts a minute, per instance
INSTANCE_LEASE_SECONDS = "15"  # a 200-row batch at 80/min takes 150 s
SLOW_SLACK = (0.5, 1.0)  # seconds a post takes to be answered
OUTAGE_SECONDS = 8.0
OUTAGE_PACING = "600"  # the broadcast lasts long enough for the outage to land in the middle
OUTAGE_LEASE_SECONDS = "10"  # a restarted dispatcher reclaims the dead one's batch soon
MAX_RESTARTS = 4


# -- 5. several instances ----------------------------------------------------------------------------------


def two_instances(bench: Bench) -> Result:
    return instances(bench, 2, "5a", bench.size(120, 60))


def four_instances(bench: Bench) -> Result:
    return instances(bench, 4, "5b", bench.size(200, 100))


def instances(bench: Bench, count: int, number: str, recipients: int) -> Result:
    """Sized so a correct outbox needs about a minute (recipients / (count x 80 a minute)): the current one
    takes longer, as instances walk over each other's reclaimed rows."""
    result = Result(f"{number} {count} instances, slow Slack", "postgresql", recipients)
    settings = {"DRUMBEAT_SLACK_POSTS_PER_MINUTE": INSTANCE_PACING, "DRUMBEAT_CLAIM_LEASE": INSTANCE_LEASE_SECONDS}
    with broadcast_setup(bench, f"instances{count}", recipients, kind="postgresql") as setup:
        low, high = SLOW_SLACK
        setup.slack.inject_fault("chat.postMessage", delay=low, delay_max=high, times=1_000_000)
        processes = [setup.start(**settings) for _ in range(count)]
        deadline = time.monotonic() + FINISH_TIMEOUT
        for process in processes:
            wait_for_exit(process, result, max(1.0, deadline - time.monotonic()))
        setup.slack.clear_faults()
        setup.finish(result, quiet=1.5)
        result.notes.insert(0, f"{INSTANCE_PACING}/min each, lease {INSTANCE_LEASE_SECONDS} s, "
                               f"posts take {low:g}-{high:g} s")
    return result


# -- 6. database outage --------------------------------------------------------------------------------------


def database_outage(bench: Bench) -> Result:
    recipients = bench.size(300, 150)
    result = Result(f"6 PostgreSQL cut {OUTAGE_SECONDS:g} s under dispatch", "postgresql", recipients)
    settings = {"DRUMBEAT_SLACK_POSTS_PER_MINUTE": OUTAGE_PACING, "DRUMBEAT_CLAIM_LEASE": OUTAGE_LEASE_SECONDS}
    with broadcast_setup(bench, "outage", recipients, kind="postgresql") as setup, OutageProxy() as proxy:
        url = via_port(setup.url, proxy.port)
        process = setup.start(url, **settings)
        if not wait_until(lambda: setup.posts.value >= recipients // 4 or not process.running, timeout=60):
            result.notes.append("no progress before the outage")
        proxy.begin_outage()
        ended = time.monotonic() + OUTAGE_SECONDS
        died_during = wait_until(lambda: not process.running, timeout=OUTAGE_SECONDS, interval=0.05)
        time.sleep(max(0.0, ended - time.monotonic()))
        proxy.end_outage()
        if died_during:
            result.notes.append(f"dispatcher exited during the outage (rc={process.wait(1)}: {process.last_error()})")
        else:
            result.notes.append("dispatcher survived the outage")
        run_to_completion(setup, process, url, settings, result, exit_noted=died_during)
        setup.finish(result)
        crashed = sum("Traceback" in p.log_path.read_text(errors="replace") for p in setup.processes)
        result.notes.append(f"{len(setup.processes) - 1} restarts; {crashed} of {len(setup.processes)} "
                            "processes printed a traceback")
    return result


def run_to_completion(setup: Setup, process: DispatcherProcess, url: str, settings: dict[str, str],
                      result: Result, *, exit_noted: bool) -> None:
    """Wait for the dispatcher to finish the broadcast; restart it whenever it exits with an error (what
    an operator's supervisor would do), at most MAX_RESTARTS times."""
    deadline = time.monotonic() + FINISH_TIMEOUT
    for attempt in range(MAX_RESTARTS + 1):
        code = process.wait(max(1.0, deadline - time.monotonic()))
        if code == 0:
            return
        if code is None:
            result.notes.append("dispatcher still running at the deadline: killed")
            process.kill()
            return
        if attempt or not exit_noted:
            which = "restarted dispatcher" if attempt else "dispatcher"
            result.notes.append(f"{which} exited after the outage (rc={code}: {process.last_error()})")
        process = setup.start(url, **settings)
    result.notes.append(f"gave up after {MAX_RESTARTS} restarts")
