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


def refused_token_line(code: str) -> str:
    if code in REFUSED_TOKEN:
        return (f"Slack refused SLACK_BOT_TOKEN ({code}): copy the Bot User OAuth Token (xoxb-...) from the app's "
                "OAuth & Permissions page at api.slack.com/apps (reinstall the app if it was revoked)")
    return f"Slack did not accept SLACK_BOT_TOKEN (auth.test answered {code}): check the token and the app's install"


# slack_sdk logs each failed attempt (an ERROR, then its retry at INFO); at start the StartupError says it once.
WEB_CLIENT_LOGGER = "slack_sdk.web.base_client"


class WithoutAttemptLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.INFO


@contextmanager
def explained_slack_start(api_url: str) -> Iterator[None]:
    """Around building the Bolt app: Slack's refusals and network failures become one-line StartupErrors."""
    quiet, logger = WithoutAttemptLines(), logging.getLogger(WEB_CLIENT_LOGGER)
    logger.addFilter(quiet)  # at start nothing else calls Slack yet: only the token check is quietened
    try:
        yield
    except BoltError as error:
        cause = error.__context__  # Bolt raises it while handling auth.test's SlackApiError
        if not isinstance(cause, SlackApiError):
            raise
        raise StartupError(refused_token_line(str(cause.response.get("error") or "unknown error"))) from None
    except SlackApiError as error:
        raise StartupError(refused_token_line(str(error.response.get("error") or "unknown error"))) from None
    except OSError as error:  # urllib's URLError, a refused connection, a timeout: all OSErrors
        reason = getattr(error, "reason", None) or error
        raise StartupError(f"cannot reach the Slack API at {api_url} ({one_line(reason)}): check the network "
                           "(and HTTPS_PROXY, if you use one), or SLACK_API_URL") from None
    finally:
        logger.removeFilter(quiet)
