"""The neutral runtime: settings -> engine -> services -> platforms -> outbox -> scheduler -> HTTP.

It starts whichever chat platforms are configured through the `bot.platforms.Platform` seam and knows none of
them: their webhooks are routes on its one HTTP server, their Senders are one outbox's, their directories are
synced by its jobs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from waitress.server import create_server

from bot.background import BackgroundWork
from bot.core import coaching, content, feedback_key, feedback_release
from bot.core.feedback_key import FeedbackKey
from bot.health import Check, DatabaseProbe, Heartbeat, health_app
from bot.platforms import Platform, PlatformContext, PlatformFactory, WsgiApp, configured_platforms
from bot.services import Services, utc_now
from bot.settings import Settings
from bot.startup import listen_problem
from messages.library import default_pack_path, load_packs
from schedules.audience_refresh import GroupRefresher
from schedules.compose_batch import BATCH_COMPOSER
from schedules.leadership import run_alone
from schedules.materialise import (
    DeliveryRules,
    MaterialiseReport,
    materialise_due,
    release_returning,
    schedule_reminders,
)
from schedules.outbox import DispatchReport, Dispatcher, PlatformSenders
from schedules.quiet_hours import QuietHours
from schedules.repetition import schedule_reasks
from bot.core.pipeline_import import ImportOptions
from bot.core.pipeline_pull import PullOutcome, pull_deals, record_failure
from bot.crm.sources import crm_source
from schedules.scheduler import FixedJob, build_scheduler
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Delivery, DeliveryStatus
from storage.queries.outbox_queue import QueueCounts, queue_counts
from storage.queries.receipts import KEEP as RECEIPTS_KEPT, SIGNATURES_KEPT, prune_receipts

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
# Chat platforms' webhooks carry a few KB; waitress's own default is 1 GiB, read (spooled) before any app runs.
MAX_REQUEST_BODY_BYTES = 1_000_000


def rules_from(settings: Settings) -> DeliveryRules:
    return DeliveryRules(
        quiet=QuietHours.parse(settings.quiet_hours),
        daily_cap=settings.daily_cap,
        reminder_after=timedelta(hours=settings.reminder_hours),
    )


class Drumbeat:
    """One running Drumbeat: every long-lived object, built in order, closed in reverse."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] | None = None,
        monotonic: Callable[[], float] | None = None,
        platforms: Sequence[PlatformFactory] | None = None,
    ) -> None:
        """`platforms` replaces the configured ones (tests start a fake platform beside or instead of Slack)."""
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        upgrade(self.engine)
        self.services = Services(settings=settings, engine=self.engine, clock=clock, rules=rules_from(settings),
                                 feedback_key=self.load_feedback_key())
        self.load_content()
        self._background = BackgroundWork(max_workers=4, thread_name_prefix="drumbeat-background")
        context = PlatformContext(self.services, self._background, sleep or time.sleep, monotonic or time.monotonic)
        factories = configured_platforms(self.services) if platforms is None else platforms
        self.platforms: list[Platform] = [factory(context) for factory in factories]
        self.sender = PlatformSenders({platform.name: platform.sender for platform in self.platforms})
        self.services.sender = self.sender
        self.services.groups = GroupRefresher(  # a platform without a `group_reader` names no groups
            {platform.name: reader for platform in self.platforms
             if (reader := getattr(platform, "group_reader", None)) is not None},
            fresh_for=timedelta(minutes=settings.audience_fresh_minutes))
        dispatcher_options: dict[str, Any] = {"sleep": sleep} if sleep else {}
        self.dispatcher = Dispatcher(
            self.engine,
            self.sender,
            BATCH_COMPOSER,
            clock=clock,
            batch_size=settings.dispatch_batch_size,
            max_attempts=settings.max_send_attempts,
            lease=timedelta(seconds=settings.claim_lease_seconds),
            settle=timedelta(seconds=settings.send_settle_seconds),
            **dispatcher_options,
        )
        self._scheduler = None
        # /healthz: the dispatcher is alive while it runs, or ran within a few of its intervals (bot/health.py).
        self.heartbeat = Heartbeat(stale_after=max(10.0, 5 * settings.dispatch_interval_seconds))
        self._database_probe: DatabaseProbe | None = None
        self._http_server: Any = None
        self._http_thread: threading.Thread | None = None

    def load_content(self) -> None:
        """Sync the content packs into the database. Several instances starting at once may race to insert the
        same new rows: the loser's transaction is rolled back and it syncs again, finding them there."""
        packs = load_packs([default_pack_path(), *self.settings.content_packs])
        for pack in packs:
            for attempt in range(1, 4):
                try:
                    with self.services.unit_of_work() as session:
                        report = content.sync_pack(session, pack)
                    break
                except IntegrityError:
                    if attempt == 3:
                        raise
                    log.info("content pack %s: another instance synced it at the same time; syncing again", pack.pack)
            log.info("content pack %s: %s expectations, %s new message versions, %s questions",
                     pack.pack, report.expectations, report.messages_added, report.questions)
        with self.services.unit_of_work() as session:
            content.retire_rules_of_unloaded_packs(session, [pack.pack for pack in packs])

    def load_feedback_key(self) -> FeedbackKey:
        """The anonymity key (DRUMBEAT_FEEDBACK_KEY, else the key file, made on the first start), said in one line."""
        settings = self.settings
        key = (feedback_key.from_environment(settings.feedback_key) if settings.feedback_key
               else feedback_key.load_or_create(settings.feedback_key_file))
        log.info(key.describe())
        if not settings.feedback_key and feedback_key.readable_by_others(settings.feedback_key_file):
            log.warning("the feedback key file %s can be read by other users: chmod 600 it", settings.feedback_key_file)
        with session_scope(self.engine) as session:
            resealed = feedback_release.reseal_legacy_links(session, key=key, signing_secret=settings.slack.signing_secret)
        if resealed:
            log.info("re-sealed %s reply links made with the old key derived from the signing secret", resealed)
        return key

    def release_feedback_now(self) -> int:
        """Release the anonymous feedback of the days before today (organisation's zone); how many items.

        N instances: every instance runs it, no lock: the pending rows are claimed by deleting them."""
        key = self.services.feedback_key
        with self.services.unit_of_work() as session:
            released = feedback_release.release_due(session, key=key, now=self.services.clock(),
                                                    tz=self.settings.org_timezone)
            stranded = feedback_release.waiting_for_another_key(session, key=key) if key else 0
        if stranded:
            log.warning("%s anonymous feedback items wait for the key they were sealed with (the key file was "
                        "replaced?): restore it to release them", stranded)
        return released

    def wait_for_background(self, timeout: float = 10.0) -> bool:
        """Wait for the work started after acknowledgements (what a person sees a moment after a click), in
        this process and in the work process, if one runs."""
        deadline = time.monotonic() + timeout
        for platform in self.platforms:
            waiting = getattr(platform, "wait_for_work_process", None)
            if waiting is not None and not waiting(max(0.0, deadline - time.monotonic())):
                return False
        return self._background.wait_idle(max(0.0, deadline - time.monotonic()))

    def run_in_background(self, fn: Callable[..., Any], /, *args: Any) -> None:
        """Run `fn` on the runtime's pool (the work process runs what it is sent there)."""
        self._background.submit(fn, *args)

    def start_work_process(self, *, wait: bool = False) -> None:
        """Move the work after acknowledgements to a process of its own, for the platforms that support it
        (Slack): the answers then never wait for it on the GIL (bot.slack.work_process). `drumbeat run` does not
        wait for it to be ready (the work stays here until then); tests and benches that time it do."""
        url = getattr(self.engine, "url_for_processes", None) or self.settings.database_url
        for platform in self.platforms:
            starting = getattr(platform, "start_work_process", None)
            if starting is not None:
                starting(url, wait=wait)

    def dispatch_now(self) -> DispatchReport:
        with self.heartbeat.running():
            return self.dispatcher.dispatch_due()

    def materialise_now(self) -> MaterialiseReport:
        """Turn due occurrences into deliveries, release people back from time away, queue reminders and re-asks.

        N instances: one at a time (an advisory lock; see schedules/leadership.py, docs/jobs.md). Its inserts are
        idempotent (ON CONFLICT on broadcast, occurrence, person), but the daily caps and the release of held
        rows are read-then-write, so two overlapping runs could exceed a cap or put a just-claimed row back to
        pending; an instance that finds it running elsewhere skips this round (an empty report)."""
        return run_alone(self.engine, "materialise-broadcasts", self._materialise, skipped=MaterialiseReport())

    def _materialise(self) -> MaterialiseReport:
        now = self.services.clock()
        with self.services.unit_of_work() as session:
            report = materialise_due(session, now=now, rules=self.services.rules, groups=self.services.groups)
        with self.services.unit_of_work() as session:
            release_returning(session, now=now, rules=self.services.rules)
        with self.services.unit_of_work() as session:
            schedule_reminders(session, now=now, rules=self.services.rules)
        with self.services.unit_of_work() as session:
            schedule_reasks(session, now=now, rules=self.services.rules, daily_cap=self.settings.daily_questions)
        return report

    def coaching_now(self) -> coaching.CoachingReport:
        """Decide today's coaching DMs and reps' nudges for everyone whose local morning it is (the outbox
        sends them). Runs on its own job rather than in `tick`, so the other jobs' timing stays as it was.

        N instances: every instance runs it, no lock. Each person's day is claimed by inserting its CoachingDigest
        row (unique per person, kind, local day; ON CONFLICT DO NOTHING) in the same transaction as the DM's
        Delivery, so of two runs at the same instant one writes each DM and the other writes nothing
        (tests/schedules/test_jobs_concurrency.py); people already decided today are filtered out before the
        selection, so a second run costs little."""
        with self.services.unit_of_work() as session:
            return coaching.run_daily(session, now=self.services.clock(), policy=self.services.coaching_policy,
                                      rules=self.services.rules)

    def has_due(self) -> bool:
        """Whether any delivery is due now (or claimed) and not yet sent."""
        now = self.services.clock()
        with self.services.unit_of_work() as session:
            return session.execute(
                select(Delivery.id).where(
                    ((Delivery.status == DeliveryStatus.PENDING) & (Delivery.due_at <= now))
                    | (Delivery.status == DeliveryStatus.SENDING)
                ).limit(1)
            ).first() is not None

    def queue(self) -> QueueCounts:
        """What the outbox still has to send: due now, and later (a dispatch worker's progress)."""
        with self.services.unit_of_work() as session:
            return queue_counts(session, now=self.services.clock())

    def tick(self) -> DispatchReport:
        """One round of everything time-driven (what the scheduler's jobs do, in order)."""
        self.materialise_now()
        self.release_feedback_now()
        return self.dispatch_now()

    def platform(self, name: str) -> Platform:
        return next(platform for platform in self.platforms if platform.name == name)

    def sync_directory(self, *, wait: bool = False, progress: Callable[[str], None] | None = None) -> int:
        """Every platform's directory (time zones, who left), then its linked groups; how many people changed.

        Runs at start (in the background) and daily. N instances: one at a time (an advisory lock): the directory
        writes are idempotent, but a group sync adds people new to Drumbeat (two at once would add the same
        person twice and fail on the account's unique key), and users.list is a Tier 2 method worth not paging
        through N times at once. Skipped (0) while another instance syncs, unless `wait` (org import waits)."""
        return run_alone(self.engine, "sync-directory",
                         lambda: sum(platform.sync_directory(progress) for platform in self.platforms), skipped=0,
                         wait=wait)

    def prune_receipts_now(self) -> int:
        """Forget request receipts older than a week (platforms stop retrying within minutes), and request
        signatures past their window; how many went.

        N instances: every instance runs it, no lock: a DELETE by age is idempotent."""
        now = self.services.clock()
        with self.services.unit_of_work() as session:
            return prune_receipts(session, now - RECEIPTS_KEPT, signatures_older_than=now - SIGNATURES_KEPT)

    def pull_crm_now(self) -> PullOutcome | None:
        """Deals changed in the CRM since the last pull (HUBSPOT_ACCESS_TOKEN set), checked and upserted like a
        file; refused as a whole (logged, kept as the pull's outcome, the cursor unmoved) when any deal is bad.

        N instances: every instance runs it; the source's cursor row is locked for the pull (FOR UPDATE), so the
        second waits and then finds nothing new."""
        source = crm_source(self.settings)
        if source is None:
            return None
        options = ImportOptions(currency=self.settings.pipeline_currency)
        try:
            with self.services.unit_of_work() as session:
                outcome = pull_deals(session, source, options=options, now=self.services.clock())
        except Exception as problem:  # noqa: BLE001 - kept and logged; the next interval tries again
            log.warning("CRM pull from %s imported nothing: %s", source.name, problem)
            record_failure(self.services.unit_of_work, source.name, self.services.clock(), problem)
            return None
        if outcome.report is not None:
            log.info("CRM pull from %s: %s", source.name, outcome.report.summary())
        return outcome

    def start_scheduler(self, extra_jobs: Iterable[FixedJob] = ()) -> None:
        """The fixed jobs; which may run on every instance and which one at a time: docs/jobs.md. The directory
        sync also runs right away, on the scheduler's threads, so start-up and HTTP answers never wait for it."""
        jobs = [
            FixedJob("materialise-broadcasts", self.materialise_now, self.settings.materialise_interval_seconds),
            FixedJob("dispatch-outbox", self.dispatch_now, self.settings.dispatch_interval_seconds),
            FixedJob("sync-directory", self.sync_directory, 24 * 3600, at_start=True),
            FixedJob("coaching", self.coaching_now, self.settings.coaching_interval_seconds),
            FixedJob("prune-receipts", self.prune_receipts_now, 24 * 3600),
            FixedJob("release-feedback", self.release_feedback_now, self.settings.materialise_interval_seconds),
            *([FixedJob("pull-crm", self.pull_crm_now, self.settings.crm_pull_minutes * 60, at_start=True)]
              if crm_source(self.settings) else []),
            *extra_jobs,
        ]
        self._scheduler = build_scheduler(jobs)
        self._scheduler.start()
        self.heartbeat.beat()  # alive from now on, until its first run is overdue

    def routes(self) -> dict[str, WsgiApp]:
        routes: dict[str, WsgiApp] = {}
        for platform in self.platforms:
            routes.update(platform.routes())
        return routes

    def connection_checks(self) -> dict[str, Check]:
        """What each platform's long-lived connection adds to /healthz (Slack in Socket Mode: `slack_socket`).
        Optional on the `Platform` seam: a platform reached only over HTTP has nothing to add."""
        checks: dict[str, Check] = {}
        for platform in self.platforms:
            health_checks = getattr(platform, "health_checks", None)
            if health_checks is not None:
                checks.update(health_checks())
        return checks

    def wsgi_app(self) -> WsgiApp:
        if self._database_probe is None:
            self._database_probe = DatabaseProbe(self.engine)
        routes = {**self.routes(), HEALTH_PATH: health_app(self._database_probe, self.heartbeat,
                                                           self.connection_checks())}

        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            route = routes.get(environ.get("PATH_INFO") or "")
            if route is None:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"not found"]
            return route(environ, start_response)

        return application

    def serve_http(self, *, host: str | None = None, port: int | None = None, background: bool = False) -> int:
        """Serve every platform's webhook (Slack: POST /slack/events) and /healthz on HOST and PORT (unless
        given); returns the port (useful with port 0)."""
        host = self.settings.host if host is None else host
        port = self.settings.port if port is None else port
        try:
            self._http_server = create_server(self.wsgi_app(), host=host, port=port, threads=8, ident="drumbeat",
                                              max_request_body_size=MAX_REQUEST_BODY_BYTES)
        except OSError as error:  # the port is taken, HOST is not this machine's: one line (bot.startup)
            problem = listen_problem(error, host, port)
            if problem is None:
                raise
            raise problem from None
        bound_port = int(self._http_server.effective_port)
        for path in [*self.routes(), HEALTH_PATH]:
            log.info("Drumbeat is listening on http://%s:%s%s", host, bound_port, path)
        if background:
            self._http_thread = threading.Thread(target=self._http_server.run, name="drumbeat-http", daemon=True)
            self._http_thread.start()
        else:
            self._http_server.run()
        return bound_port

    def connect(self) -> bool:
        """Open the long-lived connections platforms hold instead of HTTP (Slack's Socket Mode); True when every
        platform is connected that way, so no platform needs the HTTP server (Slack in Socket Mode beside Teams
        still does: Teams only ever calls the bot over HTTP). It is served all the same, for /healthz."""
        connected = [platform.connect() for platform in self.platforms]
        return bool(connected) and all(connected)

    @staticmethod
    def _close_quietly(server: Any) -> None:
        try:
            server.close()
        except OSError:
            log.debug("HTTP server was already closed")

    def close(self) -> None:
        """Stop in order: no new claims, the job in flight finishes, requests in flight are answered."""
        self.dispatcher.stop()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        if self._http_server is not None:
            server, self._http_server = self._http_server, None
            # Let requests in flight finish first: their threads wake the loop through its trigger.
            server.task_dispatcher.shutdown(timeout=5)
            try:
                # Close from inside waitress's own loop thread; closing its socket from here races its select().
                server.trigger.pull_trigger(server.close)
            except OSError:  # the loop already closed its trigger (it has stopped): close directly
                self._close_quietly(server)
            if self._http_thread is not None:
                self._http_thread.join(timeout=5)
                self._http_thread = None
        # Charts and CSV files already started finish (each is one upload); nothing new starts.
        self._background.shutdown(wait=True, cancel_futures=True)
        for platform in self.platforms:
            platform.close()
        if self._database_probe is not None:
            self._database_probe.close()
        self.engine.dispose()
