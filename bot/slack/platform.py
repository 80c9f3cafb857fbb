"""The Slack adapter behind the runtime's `Platform` seam: Web API clients, Bolt, the outbox's Sender, the
directory and user-group syncs, HTTP routes and Socket Mode. The only place that wires slack_bolt/slack_sdk."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.core import org
from bot.core.errors import DrumbeatError
from bot.core.teams import linked_teams
from bot.core.words.figures import plural
from bot.health import Check
from bot.platforms import PlatformContext, WsgiApp
from bot.progress import Every, progress_log
from bot.slack.app import build_app
from bot.slack.audience_groups import SlackGroupReader
from bot.slack.directory import iter_directory
from bot.slack.bolt_entry import BoltEntry
from bot.slack.guard import SignedRequestGuard
from bot.slack.identity import PLATFORM
from bot.slack.manifest import build_manifest
from bot.slack.sender import Pacer, SlackSender, no_retry_client
from bot.slack.usergroups import sync_team
from bot.slack.work_process import WorkProcess

log = logging.getLogger(__name__)
PROGRESS = progress_log("slack.directory")

SLACK_EVENTS_PATH = "/slack/events"


class SlackPlatform:
    name = PLATFORM

    def __init__(self, context: PlatformContext) -> None:
        self.services = context.services
        self.settings = context.services.settings.slack
        # Answers to people (modals, DMs from a listener) wait out a 429 once or twice, with slack_sdk's own
        # handler; the outbox's client has no automatic retries: it paces itself (see SlackSender).
        self.client = WebClient(token=self.settings.bot_token, base_url=self.settings.api_url)
        self.client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
        self.executor = context.executor
        self.work_process: WorkProcess | None = None
        self.app = build_app(self.services, client=self.client, listener_executor=context.executor,
                             work_process=lambda: self.work_process)
        pacer = Pacer(self.settings.posts_per_minute, sleep=context.sleep, clock=context.monotonic)
        self._socket: Any = None
        self.group_reader = SlackGroupReader(self.client, sleep=context.sleep)  # audiences' user groups, channels
        self.sender = SlackSender(no_retry_client(
            self.settings.bot_token, self.settings.api_url, timeout=context.services.settings.send_timeout_seconds), pacer=pacer)

    def start_work_process(self, database_url: str, *, wait: bool = False) -> None:
        """Run the work after acknowledgements in a process of its own (bot.slack.work_process), once it is
        ready (`wait`: not before returning); if it cannot start, it says why in one line and that work stays
        in this process."""
        try:
            self.work_process = WorkProcess(self.services.settings, database_url=database_url)
        except OSError as problem:
            log.warning("the work process could not start: %s; work after acknowledgements stays in this process",
                        problem)
            return
        if wait:
            self.work_process.wait_ready()

    def wait_for_work_process(self, timeout: float) -> bool:
        return self.work_process is None or self.work_process.wait_idle(timeout)

    def routes(self) -> dict[str, WsgiApp]:
        """POST /slack/events over HTTP; none in Socket Mode, where Slack sends everything down the WebSocket
        (the HTTP server then serves /healthz, and Teams' route if Teams is configured)."""
        if self.settings.socket_mode:
            return {}
        return {SLACK_EVENTS_PATH: SignedRequestGuard(BoltEntry(self.app), self.services,
                                                      signing_secret=self.settings.signing_secret or "")}

    def connect(self) -> bool:
        if not self.settings.socket_mode:
            return False
        from bot.slack.socket import CheckedSocketModeHandler

        log.info("Connecting to Slack in Socket Mode")
        self._socket = CheckedSocketModeHandler(self.app, app_token=self.settings.app_token)
        self._socket.connect()
        return True

    def health_checks(self) -> dict[str, Check]:
        """In Socket Mode, /healthz also says whether the WebSocket to Slack is up (`slack_socket`)."""
        return {"slack_socket": self.socket_state} if self.settings.socket_mode else {}

    def socket_state(self) -> dict[str, Any]:
        """Read from the Socket Mode client's own session (no request): connected, or not (yet, or again: the
        client reconnects by itself, and a check that keeps failing is worth a restart)."""
        if self._socket is None:
            return {"ok": False, "state": "not connected"}
        if self._socket.client.is_connected():
            return {"ok": True, "state": "connected"}
        return {"ok": False, "state": "reconnecting"}

    def sync_directory(self, progress: Callable[[str], None] | None = None) -> int:
        """Page through users.list (a line every few seconds on a big workspace), apply it, re-read linked groups."""
        PROGRESS.info("Slack directory: reading users.list ...")
        every, entries = Every(PROGRESS), []
        for entry in iter_directory(self.client):
            entries.append(entry)
            every("... %s people read", f"{len(entries):,}")
        with self.services.unit_of_work() as session:
            changed = org.apply_directory(session, entries)
        (progress or PROGRESS.info)(f"Slack directory: {plural(len(entries), 'person', 'people')} seen, {changed:,} changed")
        groups = self.sync_groups()
        if groups:
            PROGRESS.info("Slack user groups: %s synced", plural(len(groups), "linked team"))
        return changed

    def sync_groups(self) -> list[str]:
        """Re-read every linked user group (a missed subteam_members_changed event must not leave a team stale)."""
        reports = []
        with self.services.unit_of_work() as session:
            for team in linked_teams(session, PLATFORM):
                try:
                    reports.append(sync_team(session, self.client, team).describe())
                except (DrumbeatError, SlackApiError) as problem:
                    log.warning("user group sync for team %s failed: %s", team.name, problem)
        for report in reports:
            log.info("user group sync: %s", report)
        return reports

    def manifest(self, **options: Any) -> dict[str, Any]:
        return build_manifest(command=self.services.settings.command, **options)

    def close(self) -> None:
        """Close the Socket Mode connection, if any, and the outbox's pooled connections; the runtime owns the
        pool the work after acknowledgements runs on."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.work_process is not None:
            self.work_process.close()
            self.work_process = None
        self.sender.client.close()  # the outbox's pooled connections
