"""APScheduler runs a few fixed jobs with stable ids; the database holds everything else.

Broadcasts are rows, never pickled APScheduler jobs, and the scheduler uses the in-memory job store:
a restart rebuilds the same few jobs and the outbox picks up where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from schedules.outages import OutageLog, is_database_outage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FixedJob:
    job_id: str
    func: Callable[[], object]
    every_seconds: float
    at_start: bool = False  # also run once as soon as the scheduler starts (on its threads, not the caller's)


def build_scheduler(jobs: list[FixedJob]) -> BackgroundScheduler:
    """Every job shares one account of database outages, so an outage is one log line, not one per job per tick."""
    database = OutageLog("the database", log)
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    for job in jobs:
        # APScheduler reads next_run_time=None as "paused": leave it out unless the job starts at once.
        first_run: dict[str, datetime] = {"next_run_time": datetime.now(UTC)} if job.at_start else {}
        scheduler.add_job(
            _logged(job, database),
            trigger=IntervalTrigger(seconds=job.every_seconds, timezone="UTC"),
            id=job.job_id,
            name=job.job_id,
            replace_existing=True,
            **first_run,
        )
    return scheduler


def _logged(job: FixedJob, database: OutageLog) -> Callable[[], None]:
    def run() -> None:
        try:
            job.func()
        except Exception as error:
            if is_database_outage(error):
                database.failed(error)  # the job's own interval is the back-off
                return
            log.exception("scheduled job %s failed; it will run again at its next interval", job.job_id)
        else:
            database.succeeded()

    run.__name__ = job.job_id
    return run
