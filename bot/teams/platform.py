"""The Teams adapter behind the runtime's `Platform` seam: the Teams SDK's App on its own event loop, served
through Drumbeat's one web server (`/api/messages`), the outbox's Sender, and the listeners. The only module
that builds the SDK's App.

Every SDK option is passed explicitly from `TEAMS_*` settings, and the token always comes from Drumbeat's own
client-credentials call (`bot.teams.tokens`): the SDK would otherwise read `CLIENT_ID`, `CLIENT_SECRET`, ...
from the environment, and a stray `CLIENT_SECRET` would switch it to msal (see `_check_credentials`).
"""

from __future__ import annotations

import logging
from typing import Any

from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
from microsoft_teams.apps import App

from bot.core.words.figures import plural
from bot.platforms import PlatformContext, WsgiApp
from bot.settings import SettingsError, TeamsSettings
from bot.teams.audience_groups import TeamsGroupReader
from bot.teams.bridge import MESSAGING_PATH, WsgiBridge
from bot.teams.directory import Progress, sync_teams_directory
from bot.teams.graph import GraphClient
from bot.teams.downloads import Downloads
from bot.teams.identity import PLATFORM
from bot.teams.links import LinkSealer
from bot.teams.listeners import Listeners
from bot.teams.logs import keep_activities_out_of_logs
from bot.teams.loop import SdkLoop
from bot.teams.sender import SENDS_PER_SECOND, Pacer, TeamsSender
from bot.teams.teams_link import sync_linked
from bot.teams.tokens import ClientCredentials

log = logging.getLogger(__name__)

DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams"
START_BUDGET_SECONDS = 30.0


def cloud_for(settings: TeamsSettings) -> Any:
    """Microsoft's public cloud, with the login root and OpenID metadata the settings point elsewhere."""
    overrides: dict[str, str] = {"login_endpoint": settings.login_url}
    if settings.openid_metadata_url:
        overrides["openid_metadata_url"] = settings.openid_metadata_url
    return with_overrides(PUBLIC, **overrides)


class TeamsPlatform:
    name = PLATFORM

    def __init__(self, context: PlatformContext, *, service_url: str = DEFAULT_SERVICE_URL) -> None:
        self.services = context.services
        self.settings = context.services.settings.teams
        self.settings.require()
        self.service_url = service_url
        self.loop = SdkLoop()
        try:
            self._start(context)
        except BaseException:
            self.loop.close()
            raise

    def _start(self, context: PlatformContext) -> None:
        assert self.settings.app_id and self.settings.app_password
        keep_activities_out_of_logs()
        self.bridge = WsgiBridge(self.loop)
        self.token = token = ClientCredentials(login_url=self.settings.login_url, app_id=self.settings.app_id,
                                  app_password=self.settings.app_password, tenant_id=self.settings.tenant_id)
        self.app = App(client_id=self.settings.app_id, tenant_id=self.settings.tenant_id, token=token,
                       service_url=self.service_url, cloud=cloud_for(self.settings), http_server_adapter=self.bridge,
                       messaging_endpoint=MESSAGING_PATH, dangerously_allow_unauthenticated_requests=False)
        _check_credentials(self.app)
        self.sleep = context.sleep  # Graph's Retry-After waits too (simulated in the sandbox and benches)
        pacer = Pacer(SENDS_PER_SECOND, sleep=context.sleep, clock=context.monotonic)
        self.sender = TeamsSender(self.app, self.loop, self.services, pacer=pacer,
                                  timeout=self.services.settings.send_timeout_seconds)
        listeners = Listeners(self.services, self.sender, context.executor)
        listeners.graph = self.graph_client if self.settings.tenant_id else None
        listeners.register(self.app)
        self.group_reader = TeamsGroupReader(self.graph_client)  # audiences' Entra groups, Teams and channels
        self.downloads = Downloads(self.services, LinkSealer(self.settings.app_password))
        self.loop.run(self.app.initialize(), START_BUDGET_SECONDS)  # registers /api/messages on the bridge

    def routes(self) -> dict[str, WsgiApp]:
        return {MESSAGING_PATH: self.bridge.wsgi(MESSAGING_PATH), **self.downloads.routes()}

    def connect(self) -> bool:
        return False  # Teams reaches the bot over HTTP only

    def sync_directory(self, progress: Progress | None = None) -> int:
        """Managers, time zones and who left, from Microsoft Graph (`bot.teams.directory`); zones also arrive
        with every message a person sends. Graph answers per tenant: a multi-tenant bot (no TEAMS_TENANT_ID)
        has no directory to read, and says so."""
        say = progress or log.info
        if not self.settings.tenant_id:
            say("Teams: no directory sync: set TEAMS_TENANT_ID (Microsoft Graph answers per tenant)")
            return 0
        graph = self.graph_client()
        try:
            report = sync_teams_directory(self.services, graph, progress=say)
        finally:
            graph.close()
        say(report.describe())
        groups = self.sync_groups()
        if groups:
            say(f"Teams: {plural(len(groups), 'linked team')} re-read from Entra groups")
        return report.changed

    def graph_client(self) -> GraphClient:
        """A Microsoft Graph client for the bot's tenant (the directory sync's, and the audiences' group reader's).
        Needs TEAMS_TENANT_ID; close it after use."""
        if not self.settings.tenant_id:
            raise SettingsError("TEAMS_TENANT_ID is missing: Microsoft Graph answers per tenant")
        return GraphClient(self.token, tenant_id=self.settings.tenant_id, base_url=self.settings.graph_url,
                           timeout=self.services.settings.send_timeout_seconds, sleep=self.sleep)

    def sync_groups(self) -> list[str]:
        """Re-read every team linked to an Entra group (Graph sends no membership events without a webhook
        subscription, so the directory sync is what keeps them current)."""
        if not self.settings.tenant_id:
            return []
        graph = self.graph_client()
        try:
            with self.services.unit_of_work() as session:
                reports = sync_linked(session, graph)
        finally:
            graph.close()
        for report in reports:
            log.info("Entra group sync: %s", report)
        return reports

    def manifest(self, **options: Any) -> dict[str, Any]:
        """The Teams app manifest (`drumbeat manifest --teams` zips it with its icons)."""
        from bot.teams.manifest import build_manifest

        assert self.settings.app_id
        website = options.get("website_url") or self.settings.public_url or ""
        return build_manifest(app_id=self.settings.app_id, public_url=self.settings.public_url, website_url=website)

    def close(self) -> None:
        self.loop.close()


def _check_credentials(app: App) -> None:
    from microsoft_teams.api import TokenCredentials

    if not isinstance(app.credentials, TokenCredentials):
        raise SettingsError("the Teams SDK picked up credentials from the environment (CLIENT_SECRET or "
                            "MANAGED_IDENTITY_CLIENT_ID): unset them, Drumbeat passes TEAMS_* settings itself")
