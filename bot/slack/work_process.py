"""Work after Slack's acknowledgements, in a process of its own, so the answers never wait for it.

Measured (bench/ack.py, issue 13): with the work after each answer on the answering process's own threads, a
"Got it" waited 109 ms at p99 and a summary 299 ms, against 13 and 9 ms for a plain Bolt app; with that work
held back, the same answers took a fraction of that. The difference is the GIL: Python runs one thread at a
time per process, so 50 summaries being rendered delay the 51st request's answer. A second process has its
own GIL and can use the machine's second core.

What crosses the process boundary is what Slack sent (the raw body, its headers, the mode) and the name of the
unit of work to run (`module:qualname`), never a Python object: the worker rebuilds Bolt's request from the
body, as Bolt itself does for lazy listeners on FaaS, and runs the same function with the same arguments. It
does not run the acknowledgement again, so what the person was told (the modal closed, "on its way") is what
the work does; the work re-checks the state, as it always has.

Exactly once holds as before: every side effect the work writes is keyed (a view id, a delivery, a receipt),
so a repeat does nothing. If the worker dies, the work it had not finished is lost, as it would be if the
answering process died, and is logged with its count; work then runs in the answering process again, so
nothing more is lost. `drumbeat run` starts the worker when `DRUMBEAT_WORK_PROCESS` is on (the default).
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest

from bot.settings import Settings

log = logging.getLogger(__name__)

#: Units of work that are closures (built per app, so not importable by name), by `module:qualname`.
WORKS: dict[str, Callable[..., None]] = {}

Item = tuple[str, str, Any, dict[str, Any]]  # work name, Bolt mode, body (raw text or dict), headers


def work_name(work: Callable[..., None]) -> str:
    return f"{work.__module__}:{work.__qualname__}"


def remember(work: Callable[..., None]) -> Callable[..., None]:
    """Make a closure reachable by name in the worker (which builds the same app, hence the same closure)."""
    WORKS[work_name(work)] = work
    return work


def resolve(name: str) -> Callable[..., None]:
    """The function a name stands for: a remembered closure, or a module-level function imported by name."""
    if name in WORKS:
        return WORKS[name]
    module_name, _, qualname = name.partition(":")
    if "<locals>" in qualname:
        raise LookupError(f"{name} is a closure nobody remembered (bot.slack.work_process.remember)")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


class WorkProcess:
    """The answering process's end: forwards work, counts what is still running, notices a worker that died."""

    def __init__(self, settings: Settings, *, database_url: str | None = None, start_timeout: float = 90.0,
                 target: Callable[[Settings, Any, Any], None] | None = None) -> None:
        context = multiprocessing.get_context("spawn")  # nothing inherited: no engine, socket or lock
        self._inbox: Any = context.Queue()
        self._outbox: Any = context.Queue()
        worker_settings = dataclasses.replace(settings, database_url=database_url or settings.database_url)
        self._process = context.Process(target=target or serve_work, args=(worker_settings, self._inbox, self._outbox),
                                        name="drumbeat-work", daemon=True)
        self._checked: set[str] = set()  # work names already found resolvable (once each, not per request)
        self._pending = 0
        self.completed = 0  # units of work the worker has finished (run or failed): what tests and logs count
        self._alive = False
        self._changed = threading.Condition()
        self._answered = threading.Event()  # the worker said it is ready, or why it is not, or never did
        self._process.start()
        # Not waited for here: the worker imports and builds the whole app (about as long as this process's own
        # start), and `drumbeat run` must answer /healthz without that wait; until the worker is ready, the work
        # after acknowledgements runs in this process, as when it is off.
        self._reader = threading.Thread(target=self._start_then_read, args=(start_timeout,),
                                        name="drumbeat-work-reader", daemon=True)
        self._reader.start()

    def wait_ready(self, timeout: float = 90.0) -> bool:
        """Wait until the worker has started or failed to; True when work now goes to it."""
        self._answered.wait(timeout)
        return self._alive

    def _start_then_read(self, timeout: float) -> None:
        try:
            started = self._await_ready(timeout)
        finally:
            self._answered.set()
        if started:
            self._read()

    def _await_ready(self, timeout: float) -> bool:
        try:
            word = self._outbox.get(timeout=timeout)
        except (queue.Empty, EOFError, OSError):
            self._process.terminate()
            log.warning("the work process did not start within %.0f s; work after acknowledgements stays in this "
                        "process", timeout)
            return False
        if word is None or word[0] != "ready":
            self._process.join(timeout=5)
            why = word[1] if word else "it stopped"
            log.warning("the work process could not start: %s; work after acknowledgements stays in this process",
                        why)
            return False
        with self._changed:
            self._alive = True
        log.info("work after acknowledgements runs in process %s", self._process.pid)
        return True

    @property
    def alive(self) -> bool:
        return self._alive

    def forward(self, work: Callable[..., None], request: BoltRequest) -> None:
        name = work_name(work)
        if name not in self._checked:  # a work the worker could not find is a programming error: raise it here
            resolve(name)
            self._checked.add(name)
        body = request.raw_body if request.mode == "http" else request.body
        with self._changed:
            self._pending += 1
        self._inbox.put((name, request.mode, body, dict(request.headers)))

    def _read(self) -> None:
        while True:
            try:
                word = self._outbox.get(timeout=0.5)
            except queue.Empty:
                if self._process.is_alive():
                    continue
                self._lost()
                return
            except (EOFError, OSError):
                self._lost()
                return
            if word is None:  # the worker's last word: it has finished everything and is stopping
                return
            with self._changed:
                self._pending -= 1
                self.completed += 1
                self._changed.notify_all()

    def _lost(self) -> None:
        with self._changed:
            lost, self._pending, self._alive = self._pending, 0, False
            self._changed.notify_all()
        log.error("the work process stopped (exit code %s); %s unit(s) of work after acknowledgements were lost; "
                  "work runs in the answering process from now on", self._process.exitcode, lost)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 20.0) -> None:
        """Let the worker finish what it was given, then stop it."""
        if self._process.is_alive():
            self._inbox.put(None)
            self._process.join(timeout)
        if self._process.is_alive():
            log.warning("the work process did not finish within %.0f s: stopping it", timeout)
            self._process.terminate()
            self._process.join(5)
        self._alive = False
        self._reader.join(timeout=2)
        self._inbox.close()
        self._outbox.close()


def serve_work(settings: Settings, inbox: Any, outbox: Any) -> None:
    """The worker's main: a Drumbeat with Slack only (no scheduler, no HTTP), running what it is sent."""
    from bot.settings import configure_logging

    configure_logging(settings)
    try:
        from bot.app import Drumbeat
        from bot.slack.platform import SlackPlatform

        drumbeat = Drumbeat(settings, platforms=[SlackPlatform])
    except Exception as error:  # noqa: BLE001 - told to the parent, which says it in one line
        outbox.put(("failed", f"{type(error).__name__}: {error}"))
        return
    platform = drumbeat.platforms[0]
    outbox.put(("ready",))
    try:
        while (item := inbox.get()) is not None:
            drumbeat.run_in_background(_run_item, platform, item, outbox)
    finally:
        drumbeat.close()
        outbox.put(None)


def _run_item(platform: Any, item: Item, outbox: Any) -> None:
    from bot.slack.after_ack import BACKGROUND, run_work

    name, mode, body, headers = item
    try:
        request = BoltRequest(body=body, headers=headers, mode=mode)
        context = request.context
        context["client"] = platform.client
        context["token"] = platform.client.token
        context["logger"] = log
        context["services"] = platform.services
        context[BACKGROUND] = platform.executor
        run_work(resolve(name), request)
    except Exception:  # noqa: BLE001 - a broken item must not stop the worker
        log.exception("work after an acknowledgement could not run in the work process (%s)", name)
    finally:
        outbox.put(("done",))
