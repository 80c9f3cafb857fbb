"""Build the Bolt app from settings: the only place that knows how Slack reaches Drumbeat."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from collections.abc import Callable
from typing import Any, get_args

from slack_bolt import App, BoltResponse, Respond
from slack_sdk import WebClient

from bot.core.commands import Command, Help
from bot.services import Services
from bot.slack.logs import keep_bodies_out_of_logs
from bot.slack.failures import answer_slack_refusal
from bot.slack.middleware import DrumbeatMiddleware
from bot.slack.retries import forget_failed_event
from bot.slack.startup import BOLT_LOGGER, explained_slack_start
from bot.slack.work_process import WorkProcess
from bot.slack.listeners import (
    actions,
    broadcast_modal,
    coaching,
    commands,
    deals,
    events,
    feedback,
    quiz,
    schedules_list,
    summary,
    team,
)

# Every listener module registers its own listeners; those that answer `/drumbeat` words say which in COMMANDS.
LISTENERS = (actions, quiz, coaching, feedback, schedules_list, broadcast_modal, events, team, deals)
COMMAND_MODULES = (commands, broadcast_modal, schedules_list, quiz, feedback, team, summary, deals)


def command_table() -> dict[type, Any]:
    """Which handler answers each of the core's commands; every command the grammar knows must have one."""
    table: dict[type, Any] = {}
    for module in COMMAND_MODULES:
        table.update(module.COMMANDS)
    missing = set(get_args(Command)) - set(table) - {Help}
    if missing:
        raise RuntimeError(f"no Slack handler for {sorted(kind.__name__ for kind in missing)}")
    return table

log = logging.getLogger(__name__)


class WithoutTokenUnusedWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and, since we hand it a client (which has the
    token), warns on every start that the token will be unused: true, expected, and noise to an operator."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.WARNING and "`token` will be unused" in str(record.msg))


def _quiet_bolt_logger() -> logging.Logger:
    logger = logging.getLogger(BOLT_LOGGER)
    if not any(isinstance(existing, WithoutTokenUnusedWarning) for existing in logger.filters):
        logger.addFilter(WithoutTokenUnusedWarning())
    return logger


def build_app(services: Services, *, client: WebClient | None = None, listener_executor: Executor | None = None,
              work_process: Callable[[], WorkProcess | None] = lambda: None) -> App:
    """`listener_executor` runs the work after acknowledgements (bot.slack.after_ack); the runtime owns it so
    that closing waits for work already started instead of cutting it off mid-upload. `work_process` says
    where that work goes instead, once a work process runs (bot.slack.work_process)."""
    settings = services.settings.slack
    keep_bodies_out_of_logs()
    client = client or WebClient(token=settings.bot_token, base_url=settings.api_url)
    with explained_slack_start(settings.api_url):  # Bolt calls auth.test here: a wrong token is one line
        app = App(
            client=client,
            signing_secret=settings.signing_secret or "",
            # Listeners finish their (short) unit of work before Slack gets the answer, so what a button
            # or command changed is committed by the time the person sees the reply.
            process_before_response=True,
            # Over HTTP the gate in front (bot.slack.guard) has verified the signature on the raw bytes, and only
            # what it let through reaches Bolt (bot.slack.bolt_entry); Socket Mode has no signature to check.
            request_verification_enabled=False,
            logger=_quiet_bolt_logger(),
            listener_executor=listener_executor,
        )

    app.use(DrumbeatMiddleware(services, listener_executor=listener_executor, work_process=work_process))

    @app.error
    def log_unexpected(error: Exception, body: dict[str, Any], client: WebClient,
                       respond: Respond | None = None) -> BoltResponse:
        refused = answer_slack_refusal(error, body, client, respond)  # e.g. an expired trigger: told, politely
        if refused is not None:
            return refused
        log.error("unhandled error for %s: %s", body.get("type") or body.get("command"), error, exc_info=error)
        forget_failed_event(services, body)
        return BoltResponse(status=500, body="")

    # Bolt tries listeners in the order they were registered: the slash command and the most frequent clicks
    # (Got it, answers) first, so matching costs one or two checks where it used to cost twenty-six.
    commands.register(app, services, command_table(), summary.FOLLOW_UPS)
    for listeners in LISTENERS:
        listeners.register(app, services)
    return app
