"""Acknowledge first, work after: how a Slack listener is registered so Slack's spinner stops at once.

The app runs with `process_before_response=True`, so whatever the ack function does is what Slack waits for
(on HTTP and in Socket Mode alike). Every listener therefore acknowledges with nothing but what the answer
itself needs (a slash command's usage text, a modal's field errors from cheap reads) and hands its unit of
work to the runtime's background pool; its answers then reach the person through `response_url`,
`chat.update`, `views.open`/`views.update` or the outbox.

The work is handed over directly rather than as a Bolt lazy listener: Bolt deep-copies the whole request for
each lazy listener and starts one even when there is nothing to do (a `help`), which under 50 concurrent
requests cost more than the acknowledgement itself. The request is not touched again once answered, so the
work reads it as it is, with Bolt's own argument injection.

Events are the exception, on purpose: Slack retries an event whose acknowledgement failed, and Drumbeat relies
on that (bot.slack.retries) so a directory change or a Home render that failed runs again. Their handlers are
short (one directory write, one Home render), well inside Slack's 3 seconds.

Work that fails after the answer is told the way a failing listener is (bot.slack.failures): Slack's refusals
(an expired trigger) and Drumbeat's own (not in the directory) reach the person privately; anything else is
logged with its traceback.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import Ack, BoltContext, BoltRequest
from slack_bolt.kwargs_injection import build_required_kwargs

from bot.slack.failures import answer_slack_refusal
from bot.slack.work_process import remember

log = logging.getLogger(__name__)

#: Where the middleware puts the runtime's pool in each request's context.
BACKGROUND = "drumbeat_background"
#: ... and the work process, when the runtime started one.
WORK_PROCESS = "drumbeat_work_process"


@functools.cache
def _arg_names(work: Callable[..., None]) -> tuple[str, ...]:
    """What `work` asks Bolt for, read once per function rather than on every request."""
    return tuple(inspect.getfullargspec(work).args)


def run_work(work: Callable[..., None], request: BoltRequest) -> None:
    """Run `work` with the arguments Bolt would give a listener of that signature; a failure is told politely
    or logged, never raised (nobody is waiting for it)."""
    names = list(_arg_names(work))  # Bolt may edit the list it is given
    try:
        work(**build_required_kwargs(logger=log, required_arg_names=names, request=request, response=None,
                                     this_func=work, next_keys_required=False))
    except Exception as error:  # noqa: BLE001 - told politely, or logged with its traceback
        context = request.context
        if answer_slack_refusal(error, request.body, context.client, context.respond) is None:
            log.exception("work after the acknowledgement failed in %s", work.__name__)


def hand_over(context: BoltContext, request: BoltRequest, work: Callable[..., None]) -> None:
    """Run `work` after the answer: in the work process when there is one (bot.slack.work_process), else on the
    runtime's pool, else (a bare app in a script) at once, before the answer."""
    worker = context.get(WORK_PROCESS)
    if worker is not None and worker.alive:
        worker.forward(work, request)
        return
    executor: Executor | None = context.get(BACKGROUND)
    if executor is None:
        run_work(work, request)
    else:
        executor.submit(run_work, work, request)


def after_ack(work: Callable[..., None]) -> Callable[..., None]:
    """The listener to register: it acknowledges at once, then hands `work` over."""
    remember(work)

    def acknowledge(ack: Ack, context: BoltContext, request: BoltRequest) -> None:
        ack()
        hand_over(context, request, work)

    acknowledge.__name__ = f"acknowledge_{work.__name__}"
    return acknowledge
