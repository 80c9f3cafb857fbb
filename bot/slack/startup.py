"""Slack's answers at start said in one line: a wrong token, or an API that cannot be reached.

Bolt checks the bot token with `auth.test` when the app is built; a wrong token raises a `BoltError` whose text
is the whole response, and an unreachable API raises urllib's error after slack_sdk's retry. Both become a
`StartupError` naming the setting to fix, which the CLI prints as one line (bot.startup).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.startup import StartupError, one_line

# auth.test's answers that mean "this token is not (or no longer) valid".
REFUSED_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                 "not_allowed_token_type"}
BOT_TOKEN_FIX = ("copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page at "
                 "api.slack.com/apps (reinstall the app if it was revoked)")
APP_TOKEN_FIX = ("make an app-level token with the connections:write scope (the app's Basic Information page, "
                 "App-Level Tokens) and turn Socket Mode on")
# slack_sdk logs each failed attempt (an ERROR, then its retry at INFO); at start the StartupError says it once.
WEB_CLIENT_LOGGER = "slack_sdk.web.base_client"
BOLT_LOGGER = "bot.slack.bolt"  # Bolt's logger, which its Socket Mode client logs to as well


def refused_line(setting: str, method: str, code: str, fix: str) -> str:
    if code in REFUSED_TOKEN:
        return f"Slack refused {setting} ({code}): {fix}"
    return f"Slack did not accept {setting} ({method} answered {code}): {fix}"


class WithoutAttemptLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.INFO


def _code(error: SlackApiError) -> str:
    return str(error.response.get("error") or "unknown error")


@contextmanager
def _quiet_attempts(*names: str) -> Iterator[None]:
    """At start nothing else calls Slack yet: only the check being explained is quietened."""
    quiet, loggers = WithoutAttemptLines(), [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


def _unreachable(what: str, error: OSError) -> StartupError:
    reason = getattr(error, "reason", None) or error  # urllib's URLError wraps the socket's error
    return StartupError(f"cannot reach {what} ({one_line(reason)}): check the network (and HTTPS_PROXY, if you "
                        "use one), or SLACK_API_URL")


@contextmanager
def explained_slack_start(api_url: str) -> Iterator[None]:
    """Around building the Bolt app (Bolt calls auth.test): a refused bot token or an unreachable API becomes
    a one-line StartupError."""
    try:
        with _quiet_attempts(WEB_CLIENT_LOGGER):
            yield
    except BoltError as error:
        cause = error.__context__  # Bolt raises it while handling auth.test's SlackApiError
        if not isinstance(cause, SlackApiError):
            raise
        raise StartupError(refused_line("SLACK_BOT_TOKEN", "auth.test", _code(cause), BOT_TOKEN_FIX)) from None
    except SlackApiError as error:
        raise StartupError(refused_line("SLACK_BOT_TOKEN", "auth.test", _code(error), BOT_TOKEN_FIX)) from None
    except OSError as error:  # a refused connection, a timeout, a name that does not resolve: all OSErrors
        raise _unreachable(f"the Slack API at {api_url}", error) from None


@contextmanager
def explained_socket_start() -> Iterator[None]:
    """Around opening Socket Mode (apps.connections.open, then the WebSocket): the same, for SLACK_APP_TOKEN."""
    try:
        with _quiet_attempts(WEB_CLIENT_LOGGER, BOLT_LOGGER, "slack_sdk.socket_mode"):
            yield
    except SlackApiError as error:
        raise StartupError(refused_line("SLACK_APP_TOKEN", "apps.connections.open", _code(error),
                                        APP_TOKEN_FIX)) from None
    except OSError as error:
        raise _unreachable("Slack's Socket Mode endpoint", error) from None
