"""Scenarios 5-6: PostgreSQL as the shared store under strain.

5. Two and four `drumbeat dispatch` instances on one database, Slack answering each post in 0.5-1 s,
   each instance paced at 80 posts a minute, and a claim lease (DRUMBEAT_CLAIM_LEASE) far shorter than a
   200-row batch takes at that pace, so leases expire while their batch is still being sent.
6. The database connection cut for 8 s under a running dispatcher (through `chaos_proxy.OutageProxy`).

In both, a dispatcher that exits with an error is a finding, said in the row's notes; the bench restarts it
(as a supervisor would) so the broadcast completes, and counts what reps got.
"""

from __future__ import annotations

import time

from chaos_dispatch import FINISH_TIMEOUT, Setup, broadcast_setup
from chaos_kit import Bench, DispatcherProcess, Result, stop_all, via_port, wait_until
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
    return instances(bench, 4, "5b", bench.size(160, 80))


def instances(bench: Bench, count: int, number: str, recipients: int) -> Result:
    """Sized so a correct outbox needs about a minute (recipients / (count x 80 a minute)): the current one
    takes longer, as instances walk over each other's reclaimed rows."""
    result = Result(f"{number} {count} instances, slow Slack", "postgresql", recipients)
    settings = {"DRUMBEAT_SLACK_POSTS_PER_MINUTE": INSTANCE_PACING, "DRUMBEAT_CLAIM_LEASE": INSTANCE_LEASE_SECONDS}
    with broadcast_setup(bench, f"instances{count}", recipients, kind="postgresql") as setup:
        low, high = SLOW_SLACK
        setup.slack.inject_fault("chat.postMessage", delay=low, delay_max=high, times=1_000_000)
        supervise(setup, [setup.start(**settings) for _ in range(count)], result, settings=settings)
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
        supervise(setup, [process], result, url=url, settings=settings, noted={process} if died_during else set())
        setup.finish(result)
        crashed = sum("Traceback" in p.log_path.read_text(errors="replace") for p in setup.processes)
        result.notes.append(f"{crashed} of {len(setup.processes)} processes printed a traceback")
    return result


def supervise(setup: Setup, processes: list[DispatcherProcess], result: Result, *, settings: dict[str, str],
              url: str | None = None, noted: set[DispatcherProcess] | None = None) -> None:
    """Wait until every instance has finished the broadcast. One that exits with an error is a finding (noted,
    unless already in `noted`) and is restarted, as systemd or Kubernetes would, so the scenario still
    measures what it is about; at most MAX_RESTARTS restarts in all."""
    deadline = time.monotonic() + FINISH_TIMEOUT
    live, restarts, noted = list(processes), 0, noted or set()
    while live:
        if time.monotonic() > deadline:
            result.notes.append(f"{len(live)} still running after {FINISH_TIMEOUT:.0f} s: killed")
            stop_all(live)
            return
        for process in [p for p in live if not p.running]:
            live.remove(process)
            code = process.wait(1)
            if code == 0:
                continue
            if process not in noted:
                result.notes.append(f"dispatcher exited rc={code}: {process.last_error()}")
            if restarts < MAX_RESTARTS:
                restarts += 1
                live.append(setup.start(url, **settings))
        time.sleep(0.2)
    if restarts:
        result.notes.append(f"{restarts} restart{'s' if restarts > 1 else ''}")
