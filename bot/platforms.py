"""The chat platforms Drumbeat knows, and the seam each one implements.

The runtime (`bot.app`) starts whichever platforms are configured through the `Platform` protocol and never
imports a platform SDK; each adapter (`bot/slack/`, `bot/teams/`) implements it. What the core needs to know
about a platform without talking to it (what its user ids look like, for `drumbeat org import`) is collected
here from the adapters' light `identity` modules, which import no SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.org import UserIdFormat
from bot.services import Services
from bot.slack.identity import USER_ID_FORMAT as SLACK_IDS
from bot.teams.identity import USER_ID_FORMAT as TEAMS_IDS
from schedules.sending import Sender

USER_ID_FORMATS: dict[str, UserIdFormat] = {fmt.platform: fmt for fmt in (SLACK_IDS, TEAMS_IDS)}

WsgiApp = Callable[..., Iterable[bytes]]


class Platform(Protocol):
    """One chat platform, as the neutral runtime drives it."""

    name: str  # "slack": the `Address.platform` of the accounts it reaches
    sender: Sender  # what the outbox sends through

    def routes(self) -> dict[str, WsgiApp]:
        """HTTP paths this platform serves (its webhook), mounted on the runtime's one HTTP server."""
        ...

    def connect(self) -> bool:
        """Open a long-lived connection instead of HTTP (Slack's Socket Mode) without blocking; False if none.
        `close` closes it."""
        ...

    def sync_directory(self, progress: Callable[[str], None] | None = None) -> int:
        """Refresh people's time zones, deactivations (and managers, where the directory has them) from the
        platform's directory; how many changed. `progress` hears a line now and then and a closing count
        (`drumbeat org sync` prints them; the daily job logs them)."""
        ...

    def sync_groups(self) -> list[str]:
        """Re-read every team linked to one of this platform's groups; a line per team."""
        ...

    def manifest(self, **options: Any) -> dict[str, Any]:
        """The app manifest (or package) an admin installs the bot with."""
        ...

    def close(self) -> None:
        """Let work already started finish (uploads, replies), then release connections."""
        ...


@dataclass(frozen=True)
class PlatformContext:
    """What the runtime hands an adapter when it starts it."""

    services: Services
    executor: Executor  # for work after an acknowledgement (charts, files); the runtime waits for it on close
    sleep: Callable[[float], None]  # the pacer's sleep (a simulated clock's advance in the sandbox and benches)
    monotonic: Callable[[], float]


PlatformFactory = Callable[[PlatformContext], Platform]


def configured_platforms(services: Services) -> list[PlatformFactory]:
    """The adapters the settings configure, imported only when configured (so a Teams-only install never loads
    Slack's SDK, and the other way round)."""
    factories: list[PlatformFactory] = []
    if services.settings.slack.configured:
        from bot.slack.platform import SlackPlatform

        factories.append(SlackPlatform)
    if services.settings.teams.configured:
        from bot.teams.platform import TeamsPlatform

        factories.append(TeamsPlatform)
    return factories
