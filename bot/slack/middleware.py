"""Drumbeat's one global Bolt middleware: repeated events, foreign response URLs, and the request's context.

One class rather than three decorated functions, on purpose: Bolt builds a function middleware's arguments by
inspection on every request (`build_required_kwargs`), and with three of them that was the largest single
cost of a `/drumbeat help` (about a fifth of its CPU, measured with cProfile against bench/ack.py's plain Bolt
peer). A `Middleware` subclass is called with the request as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.services import Services
from bot.slack.after_ack import BACKGROUND, WORK_PROCESS
from bot.slack.response_urls import allowed_origin, points_elsewhere
from bot.slack.retries import already_handled
from bot.slack.work_process import WorkProcess


class DrumbeatMiddleware(Middleware):
    """In order: a retried event costs one INSERT and nothing else (bot.slack.retries); answers go to Slack's
    webhooks only (bot.slack.response_urls); then every listener finds the services, the runtime's pool and
    the work process, if any, in its context."""

    def __init__(self, services: Services, *, listener_executor: Executor | None,
                 work_process: Callable[[], WorkProcess | None]) -> None:
        self.services = services
        self.origin = allowed_origin(services.settings.slack.api_url)
        self.listener_executor = listener_executor
        self.work_process = work_process

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:  # noqa: A002 - Bolt's name
        body = req.body
        if already_handled(self.services, body, req):
            return BoltResponse(status=200, body="")
        if points_elsewhere(body, self.origin):
            return BoltResponse(status=400, body="")
        context = req.context
        context["services"] = self.services
        context[BACKGROUND] = self.listener_executor
        context[WORK_PROCESS] = self.work_process()
        return next()
