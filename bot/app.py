"""Wiring: settings -> engine -> services -> Slack adapter -> outbox -> scheduler -> HTTP or Socket Mode."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import select
from sqlalchemy.engine import Engine
from waitress.server import create_server

from bot.core import coaching, content, org
from bot.core.errors import DrumbeatError
from bot.core.teams import linked_teams
from bot.services import Services, utc_now
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.directory import iter_directory
from bot.slack.usergroups import sync_team
from bot.slack.sender import Pacer, SlackSender, no_retry_client
from messages.library import default_pack_path, load_packs
from schedules.compose import compose_delivery
from schedules.materialise import (
    DeliveryRules,
    MaterialiseReport,
    materialise_due,
    release_returning,
    schedule_reminders,
)
from schedules.quiet_hours import QuietHours
from schedules.repetition import schedule_reasks
from schedules.outbox import DispatchReport, Dispatcher
from schedules.scheduler import FixedJob, build_scheduler
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Delivery, DeliveryStatus

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"


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
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        upgrade(self.engine)
        self.services = Services(settings=settings, engine=self.engine, clock=clock, rules=rules_from(settings))
        self.load_content()
        # Answers to people (modals, DMs from a listener) wait out a 429 once or twice, with slack_sdk's own
        # handler; the outbox's client has no automatic retries: it paces itself (see SlackSender).
        self.client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        self.client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
        self._background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="drumbeat-background")
        self.slack_app = build_app(self.services, client=self.client, listener_executor=self._background)
        pacer = Pacer(settings.slack_posts_per_minute, **({"sleep": sleep} if sleep else {}),
                      **({"clock": monotonic} if monotonic else {}))
        self.sender = SlackSender(no_retry_client(settings.slack_bot_token, settings.slack_api_url), pacer=pacer)
        dispatcher_options: dict[str, Any] = {"sleep": sleep} if sleep else {}
        self.dispatcher = Dispatcher(
            self.engine,
            self.sender,
            compose_delivery,
            clock=clock,
            batch_size=settings.dispatch_batch_size,
            max_attempts=settings.max_send_attempts,
            lease=timedelta(seconds=settings.claim_lease_seconds),
            **dispatcher_options,
        )
        self._scheduler = None
        self._http_server: Any = None
        self._http_thread: threading.Thread | None = None

    def load_content(self) -> None:
        packs = load_packs([default_pack_path(), *self.settings.content_packs])
        with self.services.unit_of_work() as session:
            for pack in packs:
                report = content.sync_pack(session, pack)
                log.info("content pack %s: %s expectations, %s new message versions, %s questions",
                         pack.pack, report.expectations, report.messages_added, report.questions)

    def dispatch_now(self) -> DispatchReport:
        return self.dispatcher.dispatch_due()

    def materialise_now(self) -> MaterialiseReport:
        """Turn due occurrences into deliveries, release people back from time away, queue reminders."""
        now = self.services.clock()
        with self.services.unit_of_work() as session:
            report = materialise_due(session, now=now, rules=self.services.rules)
        with self.services.unit_of_work() as session:
            release_returning(session, now=now, rules=self.services.rules)
        with self.services.unit_of_work() as session:
            schedule_reminders(session, now=now, rules=self.services.rules)
        with self.services.unit_of_work() as session:
            schedule_reasks(session, now=now, rules=self.services.rules, daily_cap=self.settings.daily_questions)
        return report

    def coaching_now(self) -> coaching.CoachingReport:
        """Decide today's coaching DMs and reps' nudges for everyone whose local morning it is (the outbox
        sends them). Runs on its own job rather than in `tick`, so the other jobs' timing stays as it was."""
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

    def tick(self) -> DispatchReport:
        """One round of everything time-driven (what the scheduler's jobs do, in order)."""
        self.materialise_now()
        return self.dispatch_now()

    def sync_directory(self) -> int:
        entries = list(iter_directory(self.client))
        with self.services.unit_of_work() as session:
            changed = org.apply_directory(session, entries)
        log.info("directory sync: %s people seen, %s changed", len(entries), changed)
        self.sync_linked_teams()
        return changed

    def sync_linked_teams(self) -> list[str]:
        """Re-read every linked user group (a missed subteam_members_changed event must not leave a team stale)."""
        reports = []
        with self.services.unit_of_work() as session:
            for team in linked_teams(session):
                try:
                    reports.append(sync_team(session, self.client, team).describe())
                except (DrumbeatError, SlackApiError) as problem:
                    log.warning("user group sync for team %s failed: %s", team.name, problem)
        for report in reports:
            log.info("user group sync: %s", report)
        return reports

    def start_scheduler(self, extra_jobs: Iterable[FixedJob] = ()) -> None:
        jobs = [
            FixedJob("materialise-broadcasts", self.materialise_now, self.settings.materialise_interval_seconds),
            FixedJob("dispatch-outbox", self.dispatch_now, self.settings.dispatch_interval_seconds),
            FixedJob("sync-directory", self.sync_directory, 24 * 3600),
            FixedJob("coaching", self.coaching_now, self.settings.coaching_interval_seconds),
            *extra_jobs,
        ]
        self._scheduler = build_scheduler(jobs)
        self._scheduler.start()

    def wsgi_app(self) -> Callable[..., Iterable[bytes]]:
        slack = SlackRequestHandler(self.slack_app, path=SLACK_EVENTS_PATH)

        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == "/healthz":
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [b"ok"]
            return slack(environ, start_response)

        return application

    def serve_http(self, *, host: str = "0.0.0.0", port: int | None = None, background: bool = False) -> int:
        """Serve Slack's requests at POST /slack/events; returns the port (useful with port 0)."""
        self._http_server = create_server(
            self.wsgi_app(), host=host, port=self.settings.port if port is None else port, threads=8,
            ident="drumbeat",
        )
        bound_port = int(self._http_server.effective_port)
        if background:
            self._http_thread = threading.Thread(target=self._http_server.run, name="drumbeat-http", daemon=True)
            self._http_thread.start()
        else:
            log.info("Drumbeat is listening for Slack on http://%s:%s%s", host, bound_port, SLACK_EVENTS_PATH)
            self._http_server.run()
        return bound_port

    def run_socket_mode(self) -> None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        SocketModeHandler(self.slack_app, app_token=self.settings.slack_app_token).start()

    @staticmethod
    def _close_quietly(server: Any) -> None:
        try:
            server.close()
        except OSError:
            log.debug("HTTP server was already closed")

    def close(self) -> None:
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
        self.engine.dispose()
