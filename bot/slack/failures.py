"""What a person hears when a listener fails for a reason outside Drumbeat: Slack refused a call it made.

The commonest is real: `views.open` answers `expired_trigger_id` when Slack delivered the click or command late
(a trigger is good for 3 s). That is not a bug to log with a traceback and answer with a 500 (Slack then shows
the person a bare "didn't respond" error); the person is told privately, in words, to try again. A refusal of
ours (a `DrumbeatError`: not in the directory, not allowed) that escaped a listener is told the same way, in its
own words. Any other exception is a bug in Drumbeat: logged with its traceback and answered 500 (for an event,
so Slack retries it).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt import BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.errors import DrumbeatError
from bot.slack import replies
from bot.slack.respond import tell_privately

log = logging.getLogger(__name__)

TRIGGER_ERRORS: Final = frozenset(
    {"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id", "invalid_trigger", "trigger_expired"}
)
TRY_AGAIN: Final = "Slack took too long to pass that on, so the form could not open. Please try again."
SLACK_REFUSED: Final = "Slack did not accept that just now ({code}). Please try again in a moment."


def slack_error_code(error: BaseException) -> str | None:
    """Slack's error code for a refused Web API call ("expired_trigger_id"), None for anything else."""
    if isinstance(error, SlackApiError):
        response = error.response
        code = response.get("error") if hasattr(response, "get") else None
        return str(code or "error")
    return None


def answer_slack_refusal(error: BaseException, body: dict[str, Any], client: WebClient,
                         respond: Respond | None) -> BoltResponse | None:
    """Tell the person why nothing happened, when Slack refused a call or when a refusal of ours (a
    DrumbeatError: not in the directory, not allowed, not found) escaped a listener; None for anything else."""
    if isinstance(error, DrumbeatError):
        log.info("%s for %s: %s", type(error).__name__, body.get("type") or body.get("command"), error)
        if body.get("type") != "event_callback":
            _tell(body, respond, client, error.text)
        return BoltResponse(status=200, body="")
    code = slack_error_code(error)
    if code is None or body.get("type") == "event_callback":
        return None  # an event's handler failing is answered 500 so that Slack retries it
    log.info("Slack refused a call for %s: %s", body.get("type") or body.get("command"), code)
    text = TRY_AGAIN if code in TRIGGER_ERRORS else SLACK_REFUSED.format(code=code)
    _tell(body, respond, client, text)
    return BoltResponse(status=200, body="")


def _tell(body: dict[str, Any], respond: Respond | None, client: WebClient, text: Any) -> None:
    """Privately (respond.tell_privately: response_url, else a DM); a failure to tell is only logged."""
    try:
        tell_privately(body, respond, client, replies.notice(text, "warning"))
    except (SlackClientError, OSError, KeyError, TypeError) as problem:
        log.info("could not tell the person why nothing happened: %s", problem)
