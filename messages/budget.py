"""The hard budget of one render of a leader's template: time, loop steps and calls, characters built.

Why a budget and not only a sandbox: Jinja's sandbox stops attribute escapes, not work. A body such as
``{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}`` never touches an unsafe
attribute and would hold the dispatcher (and with it every delivery behind it) for hours.

How it is enforced, in process (measured cheaper and simpler than a render subprocess; see README "Templates"):
* every loop step and every call made by the template ``tick()``s: at most ``MAX_STEPS`` of them, and the
  wall-clock deadline is checked on each, so a template cannot run past ``SECONDS`` by more than one step;
* every value the template builds out of others (``~``, ``+``, ``*``, ``join``, ``replace``, ``range``, each
  ``{{ output }}``, wherever it goes: the page, a ``{% set %}`` block, a macro) is ``charge()``d by its size:
  at most ``MAX_BUILT`` characters or items in all, so memory stays bounded however the pieces are combined;
* a single step is itself bounded (no value over ``messages.sandbox.MAX_VALUE_SIZE``), which is what makes the
  deadline check between steps enough: no single step can run for long.

The budget lives in a context variable set by ``messages.render.render_text`` around one render, so the
sandbox's hooks find it without being handed it; outside a leader's render (our own platform templates) there
is no budget and the hooks cost one lookup.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final

from messages.template_errors import TemplateProblem

SECONDS: Final = 0.5  # a real body renders in well under a millisecond
MAX_STEPS: Final = 10_000  # loop iterations plus calls, in all
MAX_BUILT: Final = 1_000_000  # characters or items built, in all (25 times the longest message Slack takes)
MAX_RANGE: Final = 10_000  # items in one range()

BUDGET_WORDS: Final = "over the template budget"  # in every budget error, so a failed delivery says why


class BudgetExceeded(TemplateProblem):
    """A leader's template did more work than any message needs; ``str()`` is safe to show them."""

    def __init__(self, what: str, line: int | None = None) -> None:
        super().__init__(f"{BUDGET_WORDS}: {what}", line)


@dataclass
class Budget:
    """What one render may still spend."""

    seconds: float = SECONDS
    max_steps: int = MAX_STEPS
    max_built: int = MAX_BUILT
    steps: int = 0
    built: int = 0
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise BudgetExceeded(f"more than {self.max_steps:,} loop steps and calls")
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"it took longer than {self.seconds:g} s to render")

    def charge(self, size: int) -> None:
        self.built += size
        if self.built > self.max_built:
            raise BudgetExceeded(f"it built more than {self.max_built:,} characters")


_CURRENT: ContextVar[Budget | None] = ContextVar("drumbeat_template_budget", default=None)


@contextmanager
def spending(budget: Budget) -> Iterator[Budget]:
    """Make ``budget`` the one the sandbox's hooks charge, for the duration of one render."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def active() -> bool:
    """True inside a leader's render (our own platform templates render without a budget)."""
    return _CURRENT.get() is not None


def tick() -> None:
    budget = _CURRENT.get()
    if budget is not None:
        budget.tick()


def charge(size: int) -> None:
    budget = _CURRENT.get()
    if budget is not None:
        budget.charge(size)


def size_of(value: Any) -> int:
    """What a value costs: its length if it has one (str, list, dict ...), else 1."""
    try:
        return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) else 1
    except TypeError:
        return 1


def stepped(iterable: Iterable[Any]) -> Iterator[Any]:
    """Iterate, ticking once per item (what every ``{% for %}`` in a leader's template goes through)."""
    for item in iterable:
        tick()
        yield item
