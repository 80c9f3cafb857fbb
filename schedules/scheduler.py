"""APScheduler runs a few fixed jobs with stable ids; the database holds everything else.

Broadcasts are rows, never pickled APScheduler jobs, and the scheduler uses the in-memory job store:
a restart rebuilds the same few jobs and the outbox picks up where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FixedJob:
    job_id: str
    func: Callable[[], object]
    every_seconds: float


def build_scheduler(jobs: list[FixedJob]) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    for job in jobs:
        scheduler.add_job(
            _logged(job),
            trigger=IntervalTrigger(seconds=job.every_seconds, timezone="UTC"),
            id=job.job_id,
            name=job.job_id,
            replace_existing=True,
        )
    return scheduler


def _logged(job: FixedJob) -> Callable[[], None]:
    def run() -> None:
        try:
            job.func()
        except Exception:
            log.exception("scheduled job %s failed; it will run again at its next interval", job.job_id)

    run.__name__ = job.job_id
    return run
