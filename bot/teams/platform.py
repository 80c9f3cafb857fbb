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

from bot.platforms import PlatformContext, WsgiApp
from bot.settings import SettingsError, TeamsSettings
from bot.teams.bridge import MESSAGING_PATH, WsgiBridge
from bot.teams.identity import PLATFORM
from bot.teams.listeners import Listeners
from bot.teams.logs import keep_activities_out_of_logs
from bot.teams.loop import SdkLoop
from bot.teams.sender import SENDS_PER_SECOND, Pacer, TeamsSender
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
        token = ClientCredentials(login_url=self.settings.login_url, app_id=self.settings.app_id,
                                  app_password=self.settings.app_password, tenant_id=self.settings.tenant_id)
        self.app = App(client_id=self.settings.app_id, tenant_id=self.settings.tenant_id, token=token,
                       service_url=self.service_url, cloud=cloud_for(self.settings), http_server_adapter=self.bridge,
                       messaging_endpoint=MESSAGING_PATH, dangerously_allow_unauthenticated_requests=False)
        _check_credentials(self.app)
        pacer = Pacer(SENDS_PER_SECOND, sleep=context.sleep, clock=context.monotonic)
        self.sender = TeamsSender(self.app, self.loop, self.services, pacer=pacer,
                                  timeout=self.services.settings.send_timeout_seconds)
        Listeners(self.services, self.sender, context.executor).register(self.app)
        self.loop.run(self.app.initialize(), START_BUDGET_SECONDS)  # registers /api/messages on the bridge

    def routes(self) -> dict[str, WsgiApp]:
        return {MESSAGING_PATH: self.bridge.wsgi(MESSAGING_PATH)}

    def connect(self) -> bool:
        return False  # Teams reaches the bot over HTTP only

    def sync_directory(self) -> int:
        return 0  # time zones arrive with each installation and message; a Graph sync is not built yet

    def sync_groups(self) -> list[str]:
        return []

    def manifest(self, **options: Any) -> dict[str, Any]:
        raise NotImplementedError("the Teams app package (drumbeat manifest --teams) is not built yet")

    def close(self) -> None:
        self.loop.close()


def _check_credentials(app: App) -> None:
    from microsoft_teams.api import TokenCredentials

    if not isinstance(app.credentials, TokenCredentials):
        raise SettingsError("the Teams SDK picked up credentials from the environment (CLIENT_SECRET or "
                            "MANAGED_IDENTITY_CLIENT_ID): unset them, Drumbeat passes TEAMS_* settings itself")
