"""The Slack adapter behind the runtime's `Platform` seam: Web API clients, Bolt, the outbox's Sender, the
directory and user-group syncs, HTTP routes and Socket Mode. The only place that wires slack_bolt/slack_sdk."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.core import org
from bot.core.errors import DrumbeatError
from bot.core.teams import linked_teams
from bot.platforms import PlatformContext, WsgiApp
from bot.slack.app import build_app
from bot.slack.audience_groups import SlackGroupReader
from bot.slack.directory import iter_directory
from bot.slack.guard import SignedRequestGuard
from bot.slack.identity import PLATFORM
from bot.slack.manifest import build_manifest
from bot.slack.sender import Pacer, SlackSender, no_retry_client
from bot.slack.usergroups import sync_team

log = logging.getLogger(__name__)

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
        self.app = build_app(self.services, client=self.client, listener_executor=context.executor)
        pacer = Pacer(self.settings.posts_per_minute, sleep=context.sleep, clock=context.monotonic)
        self._socket: Any = None
        self.group_reader = SlackGroupReader(self.client, sleep=context.sleep)  # audiences' user groups, channels
        self.sender = SlackSender(no_retry_client(
            self.settings.bot_token, self.settings.api_url, timeout=context.services.settings.send_timeout_seconds), pacer=pacer)

    def routes(self) -> dict[str, WsgiApp]:
        handler = SlackRequestHandler(self.app, path=SLACK_EVENTS_PATH)
        return {SLACK_EVENTS_PATH: SignedRequestGuard(handler, self.services,
                                                      signing_secret=self.settings.signing_secret or "")}

    def connect(self) -> bool:
        if not self.settings.socket_mode:
            return False
        from bot.slack.socket import CheckedSocketModeHandler

        log.info("Connecting to Slack in Socket Mode")
        self._socket = CheckedSocketModeHandler(self.app, app_token=self.settings.app_token)
        self._socket.connect()
        return True

    def sync_directory(self) -> int:
        entries = list(iter_directory(self.client))
        with self.services.unit_of_work() as session:
            changed = org.apply_directory(session, entries)
        log.info("Slack directory sync: %s people seen, %s changed", len(entries), changed)
        self.sync_groups()
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
        self.sender.client.close()  # the outbox's pooled connections
