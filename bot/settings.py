"""Drumbeat's one settings object.

This is the only module that reads the environment (and `.env`, through python-dotenv). Everything else
receives a `Settings` instance, so tests and the sandbox can build one by hand and nothing hides a
dependency on a global.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from dotenv import dotenv_values

SLACK_DEFAULT_API_URL = "https://slack.com/api/"
TEAMS_DEFAULT_LOGIN_URL = "https://login.microsoftonline.com"
TEAMS_DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
DEFAULT_DATABASE_URL = "sqlite:///drumbeat.db"
DEFAULT_KEY_FILE = "drumbeat-feedback.key"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
# HTTP mode exists to be reached (by Slack, or a proxy in front of it), every request on it is signed, and in a
# container only 0.0.0.0 is reachable from outside; HOST=127.0.0.1 keeps it to a proxy on the same machine.
DEFAULT_HOST = "0.0.0.0"


class SettingsError(ValueError):
    """A setting is missing or invalid; the message is one line naming the setting."""


@dataclass(frozen=True)
class SlackSettings:
    """How Drumbeat reaches Slack (read only by the Slack adapter)."""

    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = SLACK_DEFAULT_API_URL
    posts_per_minute: int = 300

    @property
    def configured(self) -> bool:
        """True when a real Slack workspace is configured (otherwise Drumbeat runs its sandbox)."""
        return bool(self.bot_token or self.signing_secret or self.app_token)

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def require(self) -> None:
        """Fail early, naming the setting, when a Slack connection cannot work with what was given."""
        if not self.bot_token:
            raise SettingsError("SLACK_BOT_TOKEN is missing: set it to the app's Bot User OAuth Token (xoxb-...)")
        if not self.bot_token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'")
        if self.app_token and not self.app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-' (Socket Mode)")
        if not self.app_token and not self.signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is missing: HTTP mode needs it to verify Slack's requests "
                "(or set SLACK_APP_TOKEN for Socket Mode)"
            )


@dataclass(frozen=True)
class TeamsSettings:
    """How Drumbeat reaches Microsoft Teams (read only by the Teams adapter): the Entra app registration of the
    Azure bot. `login_url` and `openid_metadata_url` point elsewhere only for a sovereign cloud or the emulator."""

    app_id: str | None = None
    app_password: str | None = None
    tenant_id: str | None = None  # single-tenant bots; None: multi-tenant (tokens from botframework.com)
    login_url: str = TEAMS_DEFAULT_LOGIN_URL
    openid_metadata_url: str | None = None  # None: the Bot Framework's own
    graph_url: str = TEAMS_DEFAULT_GRAPH_URL  # Microsoft Graph's root (directory sync), a national cloud's elsewhere
    public_url: str | None = None  # TEAMS_PUBLIC_URL: the https origin Teams reaches Drumbeat at (chart, CSV links)

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.app_password)

    def require(self) -> None:
        if not self.app_id:
            raise SettingsError("TEAMS_APP_ID is missing: set it to the Azure bot's Microsoft App ID")
        if not self.app_password:
            raise SettingsError("TEAMS_APP_PASSWORD is missing: set it to a client secret of the bot's app registration")


@dataclass(frozen=True)
class Settings:
    """Everything Drumbeat can be configured with. See `.env.example` for what each one means.

    Core settings are fields here; each platform's connection settings are grouped apart (`slack`)."""

    slack: SlackSettings = field(default_factory=SlackSettings)
    teams: TeamsSettings = field(default_factory=TeamsSettings)
    database_url: str = DEFAULT_DATABASE_URL
    command: str = "/drumbeat"
    port: int = 3000
    sandbox_port: int = 8765  # DRUMBEAT_SANDBOX_PORT: `drumbeat sandbox --web` serves its page here, on 127.0.0.1
    host: str = DEFAULT_HOST  # HOST: the address the HTTP server binds
    log_level: str = "INFO"
    log_format: str = "text"  # LOG_FORMAT: text, or json (one object per line, for log shippers)
    content_packs: tuple[Path, ...] = field(default_factory=tuple)
    dispatch_interval_seconds: float = 2.0
    dispatch_batch_size: int = 200
    max_send_attempts: int = 8
    quiet_hours: str = "19:00-08:00 weekends"
    daily_cap: int = 3
    daily_questions: int = 2
    reminder_hours: float = 24.0
    materialise_interval_seconds: float = 30.0
    claim_lease_seconds: float = 120.0
    send_timeout_seconds: float = 15.0  # how long a platform client waits for the answer to a send
    send_settle_seconds: float = 60.0  # longer than any started send can take to land (above the timeout)
    shutdown_seconds: float = 20.0
    feedback_key: str | None = None  # DRUMBEAT_FEEDBACK_KEY: when set, used instead of the key file
    feedback_key_file: Path = Path(DEFAULT_KEY_FILE)
    org_timezone: str = "UTC"  # feedback days, months and the daily release of feedback are in this zone
    feedback_min_people: int = 5
    feedback_min_people_scores: int = 3
    coaching_hour: int = 9
    coaching_drop_points: int = 20
    coaching_unacknowledged_days: int = 3
    coaching_interval_seconds: float = 600.0
    nudge_after_days: int = 2
    nudge_every_days: int = 3
    work_process: bool = True  # DRUMBEAT_WORK_PROCESS: `drumbeat run` does the work after Slack's answers apart
    audience_fresh_minutes: int = 360  # a platform group's cached members older than this are re-read when due
    pipeline_currency: str = "USD"  # every pipeline figure is in this currency (imports convert with --rates)
    on_strategy_flag: int = 30  # percent: an on-strategy share below this is a red flag (and, for two weeks, coaching)
    hubspot_token: str | None = None  # HUBSPOT_ACCESS_TOKEN: a private app's token; set, deals are pulled on schedule
    hubspot_api_url: str = "https://api.hubapi.com"
    hubspot_properties: dict[str, str] = field(default_factory=dict)  # field -> the portal's own deal property
    crm_pull_minutes: int = 60  # DRUMBEAT_CRM_PULL_MINUTES: how often the CRM is asked what changed

    @property
    def has_platform_credentials(self) -> bool:
        """True when a real chat platform is configured (otherwise Drumbeat runs its sandbox)."""
        return self.slack.configured or self.teams.configured

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _text(values: Mapping[str, str | None], name: str) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _integer(values: Mapping[str, str | None], name: str, default: int, *, low: int, high: int) -> int:
    raw = _text(values, name)
    if raw is None:
        return default
    try:
        number = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {number}")
    return number


def _positive_float(values: Mapping[str, str | None], name: str, default: float, *, low: float = 0.0) -> float:
    raw = _text(values, name)
    if raw is None:
        return default
    try:
        number = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if number <= low:
        raise SettingsError(f"{name} must be greater than {low:g}, got {raw}")
    return number


def _api_url(values: Mapping[str, str | None]) -> str:
    raw = _text(values, "SLACK_API_URL") or SLACK_DEFAULT_API_URL
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL like {SLACK_DEFAULT_API_URL}, got {raw!r}")
    return raw if raw.endswith("/") else raw + "/"


def _http_url(values: Mapping[str, str | None], name: str, default: str | None) -> str | None:
    raw = _text(values, name) or default
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"{name} must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _teams(values: Mapping[str, str | None]) -> TeamsSettings:
    return TeamsSettings(
        app_id=_text(values, "TEAMS_APP_ID"),
        app_password=_text(values, "TEAMS_APP_PASSWORD"),
        tenant_id=_text(values, "TEAMS_TENANT_ID"),
        login_url=_http_url(values, "TEAMS_LOGIN_URL", TEAMS_DEFAULT_LOGIN_URL) or TEAMS_DEFAULT_LOGIN_URL,
        openid_metadata_url=_http_url(values, "TEAMS_OPENID_METADATA_URL", None),
        graph_url=_http_url(values, "TEAMS_GRAPH_URL", TEAMS_DEFAULT_GRAPH_URL) or TEAMS_DEFAULT_GRAPH_URL,
        public_url=_public_url(values, "TEAMS_PUBLIC_URL"),
    )


def _public_url(values: Mapping[str, str | None], name: str) -> str | None:
    """An origin people's Teams clients fetch from: https, or http only on this machine's loopback (tests)."""
    url = _http_url(values, name, None)
    if url is None:
        return None
    parsed = urlparse(url)
    if parsed.path or parsed.query:
        raise SettingsError(f"{name} is an origin only (like https://drumbeat.example.com), got {url!r}")
    if parsed.scheme != "https" and parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SettingsError(f"{name} must use https (Teams fetches images and files over https only), got {url!r}")
    return url


def _database_url(values: Mapping[str, str | None]) -> str:
    raw = _text(values, "DATABASE_URL") or DEFAULT_DATABASE_URL
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme.startswith("postgres"):
        # Accept the URLs hosting providers hand out and use the psycopg 3 driver we ship.
        rest = raw.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}"
    if scheme.startswith("sqlite"):
        return raw
    raise SettingsError(
        f"DATABASE_URL must start with sqlite:/// or postgresql://, got {raw.split('@')[-1]!r}"
    )


def _command(values: Mapping[str, str | None]) -> str:
    raw = _text(values, "DRUMBEAT_COMMAND") or "/drumbeat"
    if not raw.startswith("/") or len(raw) < 2 or " " in raw or len(raw) > 32:
        raise SettingsError(f"DRUMBEAT_COMMAND must be a slash command like /drumbeat, got {raw!r}")
    return raw.lower()


def _log_level(values: Mapping[str, str | None]) -> str:
    raw = (_text(values, "LOG_LEVEL") or "INFO").upper()
    if raw not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return raw


def _log_format(values: Mapping[str, str | None]) -> str:
    raw = (_text(values, "LOG_FORMAT") or "text").lower()
    if raw not in LOG_FORMATS:
        raise SettingsError(f"LOG_FORMAT must be text or json, got {raw!r}")
    return raw


def _switch(values: Mapping[str, str | None], name: str, default: bool) -> bool:
    raw = (_text(values, name) or "").lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be on or off, got {raw!r}")


def _host(values: Mapping[str, str | None]) -> str:
    import ipaddress

    raw = _text(values, "HOST") or DEFAULT_HOST
    try:
        ipaddress.ip_address(raw)  # one address, not a name (a name can resolve to several, each its own socket)
    except ValueError:
        raise SettingsError(f"HOST must be an IP address to listen on, like 0.0.0.0 or 127.0.0.1, got {raw!r}") from None
    return raw


def _content_packs(values: Mapping[str, str | None]) -> tuple[Path, ...]:
    raw = _text(values, "DRUMBEAT_CONTENT_PACKS")
    if raw is None:
        return ()
    paths = tuple(Path(part.strip()).expanduser() for part in raw.split(",") if part.strip())
    for path in paths:
        if not path.is_file():
            raise SettingsError(f"DRUMBEAT_CONTENT_PACKS names {str(path)!r}, which is not a file")
    return paths


def _quiet_hours(values: Mapping[str, str | None]) -> str:
    from schedules.quiet_hours import QuietHours

    raw = _text(values, "DRUMBEAT_QUIET_HOURS") or "19:00-08:00 weekends"
    try:
        QuietHours.parse(raw)
    except ValueError as error:
        raise SettingsError(f"DRUMBEAT_QUIET_HOURS is not valid ({error}); e.g. 19:00-08:00 weekends, or off") from None
    return raw


def _feedback_key(values: Mapping[str, str | None]) -> str | None:
    raw = _text(values, "DRUMBEAT_FEEDBACK_KEY")
    if raw is not None and len(raw) < 16:
        raise SettingsError("DRUMBEAT_FEEDBACK_KEY must be at least 16 characters (e.g. `openssl rand -hex 32`)")
    return raw


def _feedback_key_file(values: Mapping[str, str | None], database_url: str) -> Path:
    """DRUMBEAT_FEEDBACK_KEY_FILE, else beside the SQLite database file, else in the working directory."""
    raw = _text(values, "DRUMBEAT_FEEDBACK_KEY_FILE")
    if raw is not None:
        return Path(raw).expanduser()
    prefix = "sqlite:///"
    database = database_url[len(prefix):] if database_url.startswith(prefix) else ""
    if database and database != ":memory:" and not database.startswith("file:"):
        return Path(database.split("?", 1)[0]).expanduser().parent / DEFAULT_KEY_FILE
    return Path(DEFAULT_KEY_FILE)


def _org_timezone(values: Mapping[str, str | None]) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    raw = _text(values, "DRUMBEAT_ORG_TIMEZONE") or "UTC"
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"DRUMBEAT_ORG_TIMEZONE must be an IANA time zone like Europe/Berlin, got {raw!r}") from None
    return raw


def _field_map(values: Mapping[str, str | None], name: str) -> dict[str, str]:
    """`field=property,field=property`: which of the CRM's own properties holds each deal field."""
    from bot.core.pipeline_presets import FIELDS

    chosen: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in (values.get(name) or "").split(","))):
        key, sep, prop = (piece.strip() for piece in item.partition("="))
        if not sep or not prop or key not in FIELDS:
            raise SettingsError(f"{name}: {item!r} should be field=property, with a field among {', '.join(FIELDS)}")
        chosen[key] = prop
    return chosen


def _currency(values: Mapping[str, str | None]) -> str:
    raw = (_text(values, "DRUMBEAT_PIPELINE_CURRENCY") or "USD").upper()
    if not re.fullmatch(r"[A-Z]{3}", raw):
        raise SettingsError(f"DRUMBEAT_PIPELINE_CURRENCY must be a three-letter ISO currency code like EUR, got {raw!r}")
    return raw


def settings_from_mapping(values: Mapping[str, str | None]) -> Settings:
    """Build settings from a plain mapping of variable names (used by `load_settings` and tests)."""
    database_url = _database_url(values)
    return Settings(
        slack=SlackSettings(
            bot_token=_text(values, "SLACK_BOT_TOKEN"),
            signing_secret=_text(values, "SLACK_SIGNING_SECRET"),
            app_token=_text(values, "SLACK_APP_TOKEN"),
            api_url=_api_url(values),
            posts_per_minute=_integer(values, "DRUMBEAT_SLACK_POSTS_PER_MINUTE", 300, low=0, high=100_000),
        ),
        teams=_teams(values),
        database_url=database_url,
        command=_command(values),
        port=_integer(values, "PORT", 3000, low=1, high=65535),
        sandbox_port=_integer(values, "DRUMBEAT_SANDBOX_PORT", 8765, low=1, high=65535),
        host=_host(values),
        log_level=_log_level(values),
        log_format=_log_format(values),
        content_packs=_content_packs(values),
        dispatch_interval_seconds=_positive_float(values, "DRUMBEAT_DISPATCH_INTERVAL", 2.0),
        dispatch_batch_size=_integer(values, "DRUMBEAT_DISPATCH_BATCH", 200, low=1, high=10_000),
        max_send_attempts=_integer(values, "DRUMBEAT_MAX_SEND_ATTEMPTS", 8, low=1, high=100),
        quiet_hours=_quiet_hours(values),
        daily_cap=_integer(values, "DRUMBEAT_DAILY_CAP", 3, low=0, high=50),
        daily_questions=_integer(values, "DRUMBEAT_DAILY_QUESTIONS", 2, low=1, high=20),
        reminder_hours=_positive_float(values, "DRUMBEAT_REMINDER_HOURS", 24.0),
        materialise_interval_seconds=_positive_float(values, "DRUMBEAT_MATERIALISE_INTERVAL", 30.0),
        claim_lease_seconds=_positive_float(values, "DRUMBEAT_CLAIM_LEASE", 120.0),
        send_timeout_seconds=(timeout := _positive_float(values, "DRUMBEAT_SEND_TIMEOUT", 15.0)),
        send_settle_seconds=_positive_float(values, "DRUMBEAT_SEND_SETTLE", max(60.0, 2 * timeout), low=timeout),
        shutdown_seconds=_positive_float(values, "DRUMBEAT_SHUTDOWN_SECONDS", 20.0),
        feedback_key=_feedback_key(values),
        feedback_key_file=_feedback_key_file(values, database_url),
        org_timezone=_org_timezone(values),
        feedback_min_people=_integer(values, "DRUMBEAT_FEEDBACK_MIN_PEOPLE", 5, low=3, high=1000),
        feedback_min_people_scores=_integer(values, "DRUMBEAT_FEEDBACK_MIN_PEOPLE_SCORES", 3, low=3, high=1000),
        coaching_hour=_integer(values, "DRUMBEAT_COACHING_HOUR", 9, low=0, high=23),
        coaching_drop_points=_integer(values, "DRUMBEAT_COACHING_DROP_POINTS", 20, low=1, high=100),
        coaching_unacknowledged_days=_integer(values, "DRUMBEAT_COACHING_UNACKNOWLEDGED_DAYS", 3, low=1, high=60),
        coaching_interval_seconds=_positive_float(values, "DRUMBEAT_COACHING_INTERVAL", 600.0),
        nudge_after_days=_integer(values, "DRUMBEAT_NUDGE_AFTER_DAYS", 2, low=1, high=30),
        nudge_every_days=_integer(values, "DRUMBEAT_NUDGE_EVERY_DAYS", 3, low=1, high=30),
        work_process=_switch(values, "DRUMBEAT_WORK_PROCESS", True),
        audience_fresh_minutes=_integer(values, "DRUMBEAT_AUDIENCE_FRESH_MINUTES", 360, low=1, high=10_080),
        pipeline_currency=_currency(values),
        on_strategy_flag=_integer(values, "DRUMBEAT_ON_STRATEGY_FLAG", 30, low=1, high=100),
        hubspot_token=(values.get("HUBSPOT_ACCESS_TOKEN") or "").strip() or None,
        hubspot_api_url=(values.get("HUBSPOT_API_URL") or "").strip() or "https://api.hubapi.com",
        hubspot_properties=_field_map(values, "HUBSPOT_DEAL_PROPERTIES"),
        crm_pull_minutes=_integer(values, "DRUMBEAT_CRM_PULL_MINUTES", 60, low=5, high=1440),
    )


def load_settings(env_file: str | Path | None = ".env", environ: Mapping[str, str] | None = None) -> Settings:
    """Read `.env` (if present) and then the process environment, which wins."""
    merged: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update(dotenv_values(env_file))
    merged.update(os.environ if environ is None else environ)
    return settings_from_mapping(merged)


def configure_logging(settings: Settings) -> None:
    from bot.logs import quiet_library_loggers, root_handler

    logging.basicConfig(level=getattr(logging, settings.log_level), handlers=[root_handler(settings.log_format)])
    quiet_library_loggers(settings.log_level)
