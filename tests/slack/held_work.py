"""Holding the bot's work after the acknowledgement, so a test sees what the acknowledgement alone did, and can
change the world between the acknowledgement and the work (as another person or job would)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .conftest import Workspace, settled_after_each_answer  # noqa: TID252


@contextmanager
def work_held(workspace: Workspace) -> Iterator[None]:
    """Inside: every worker of the bot's background pool is busy, so work handed over after an acknowledgement
    waits; leaving, the work runs, and is waited for."""
    pool = workspace.drumbeat._background  # the pool bot.slack.after_ack hands work to
    workers = pool._max_workers
    release, started = threading.Event(), threading.Semaphore(0)

    def occupy() -> None:
        started.release()
        release.wait(30)

    workspace.slack.after_each_answer(lambda: None)  # the emulator must not wait for held work
    for _ in range(workers):
        pool.submit(occupy)
    try:
        for _ in range(workers):
            assert started.acquire(timeout=10), "the background pool did not start every worker"
        yield
    finally:
        release.set()
        workspace.slack.after_each_answer(settled_after_each_answer(workspace.drumbeat))
        settled_after_each_answer(workspace.drumbeat)()
