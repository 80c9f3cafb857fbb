"""The one Jinja environment every Drumbeat template renders in.

Leaders write message bodies, so templates are untrusted input. Jinja's
sandbox already stops attribute tricks (``''.__class__.__mro__``); the
immutable variant also stops a template from changing the data it was given
(``person.update(...)`` would otherwise leak into the next recipient's
message). On top of that this environment refuses the one-liners that
exhaust memory (``'x' * 10**9``, ``'x'.ljust(10**9)``, ``10**10**10``).

CPU and the total work of a render are bounded by ``messages.budget``: the
hooks here (every call, ``+``, ``*``, ``range``, ``join``, ``replace``, and the
``_budget_*`` filters that ``messages.render`` wraps around every loop,
``~`` and output of a leader's template) tick and charge the render's budget.
What this module guarantees on its own is that no *single* operation builds
more than ``MAX_VALUE_SIZE`` items, which is what lets a deadline checked
between operations hold.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from jinja2 import FileSystemLoader, StrictUndefined, Undefined, pass_context
from jinja2.filters import do_batch, do_center, do_format, do_indent, do_slice, make_attrgetter, sync_do_sum
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import generate_lorem_ipsum
from markupsafe import Markup

from messages import budget, marks
from messages.budget import BudgetExceeded
from messages.filters import truncate_chars

DEFAULT_TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates"

# Largest string or list a single template operation may build. Slack's
# longest field (message text) is 40,000 characters, so this leaves room.
MAX_VALUE_SIZE: Final = 100_000
MAX_EXPONENT: Final = 128
MAX_POWER_BITS: Final = 10_000  # about 3,000 decimal digits

# String methods whose size argument is unbounded, and str.format, whose
# width specifiers are ("{:>999999999}").
# join, replace and translate build up to len x len: templates use the bounded |join and |replace filters.
_UNSAFE_STR_METHODS: Final = frozenset(
    {"center", "ljust", "rjust", "zfill", "expandtabs", "format", "format_map", "join", "replace", "translate"}
)
_PRINTF_WIDTH = re.compile(r"%[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")


class DrumbeatSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment that also bounds memory-hungry operators."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's
        """Every call a template makes (functions, methods, macros, ``loop()``) is one step of its budget."""
        budget.tick()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "+":
            return _bounded_add(left, right)
        if operator_ == "**":
            if isinstance(right, int) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent {right} is too large (at most {MAX_EXPONENT})")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() * right > MAX_POWER_BITS:
                raise SecurityError("the result of ** would be too large a number")
            return operator.pow(left, right)
        if operator_ == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
            _check_product(left, right)
            product = operator.mul(left, right)
            budget.charge(budget.size_of(product))
            return product
        if operator_ == "%" and isinstance(left, str):
            _check_printf(left)
        return super().call_binop(context, operator_, left, right)

    def wrap_str_format(self, value: Any) -> None:
        """Refuse str.format outright; Jinja would sandbox it but not bound its widths."""
        return None

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in _UNSAFE_STR_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)


def _check_repeat(sequence: Any, times: Any) -> None:
    if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
        if len(sequence) * times > MAX_VALUE_SIZE:
            raise SecurityError(f"repeating a value {times} times would exceed {MAX_VALUE_SIZE} items")


def _check_product(left: Any, right: Any) -> None:
    """int * int grows by bits, and squaring in a loop doubles them each time."""
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_POWER_BITS:
        raise SecurityError("the result of * would be too large a number")


def _bounded_add(left: Any, right: Any) -> Any:
    """``+`` on strings and lists may not build more than MAX_VALUE_SIZE, and is charged to the budget."""
    if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        size = len(left) + len(right)
        if size > MAX_VALUE_SIZE:
            raise BudgetExceeded(f"adding these would build {size:,} items (at most {MAX_VALUE_SIZE:,})")
        budget.charge(size)
    elif isinstance(left, int) and isinstance(right, int) and max(left.bit_length(), right.bit_length()) > MAX_POWER_BITS:
        raise SecurityError("the result of + would be too large a number")
    if isinstance(left, str) and isinstance(right, str) and hasattr(left, "__html__") != hasattr(right, "__html__"):
        return Markup(marks.safe_text(left) + marks.safe_text(right))  # a body's own text + a value: marked
    return operator.add(left, right)


def _check_size(size: int, what: str) -> None:
    if size > MAX_VALUE_SIZE:
        raise BudgetExceeded(f"{what} would build {size:,} characters (at most {MAX_VALUE_SIZE:,})")
    budget.charge(size)


def _bounded_range(*args: int) -> range:
    """range() of at most budget.MAX_RANGE items, charged to the budget (``range(10**9)`` fails at once)."""
    numbers = range(*args)
    if len(numbers) > budget.MAX_RANGE:
        raise BudgetExceeded(f"range() of {len(numbers):,} items (at most {budget.MAX_RANGE:,})")
    budget.charge(len(numbers))
    return numbers


def _bounded_lipsum(n: int = 5, html: bool = False, min: int = 20, max: int = 100) -> str:  # noqa: A002
    """Jinja's lorem ipsum, at most 10 paragraphs of at most 100 words (``lipsum(20000)`` took 6.9 s)."""
    if not all(isinstance(value, int) for value in (n, min, max)) or n > 10 or max > 100 or min > max:
        raise BudgetExceeded("lipsum() of more than 10 paragraphs of 100 words")
    text = generate_lorem_ipsum(n, html, min, max)
    budget.charge(len(text))
    return str(text)


@pass_context
def _safe_join(context: Context, value: Any, d: str = "", attribute: Any = None) -> str:
    """|join, refusing before it builds a string over MAX_VALUE_SIZE (``range(1000)|join('x'*99999)``)."""
    if attribute is not None:
        value = map(make_attrgetter(context.environment, attribute), value)
    items = [str(item) for item in budget.stepped(value)]
    separator = str(d)
    _check_size(sum(map(len, items)) + len(separator) * max(len(items) - 1, 0), "join")
    return separator.join(items)


def _safe_replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    _check_size(len(text) + hits * max(len(new) - len(old), 0), "replace")
    return text.replace(old, new, -1 if count is None else count)


@pass_context
def _safe_sum(context: Context, value: Any, attribute: Any = None, start: Any = 0) -> Any:
    """|sum: in a leader's template, of numbers only (summing lists is quadratic and builds without bound);
    our own templates sum lists of nudges, and keep Jinja's filter."""
    if not budget.active():
        return sync_do_sum(context.environment, value, attribute, start)
    if attribute is not None:
        value = map(make_attrgetter(context.environment, attribute), value)
    total = start
    for item in budget.stepped(value):
        if not isinstance(item, (int, float)):
            raise SecurityError("sum() adds numbers only in a message template")
        total = _bounded_add(total, item)
    return total


@pass_context
def _budget_iter(context: Context, value: Any) -> Any:
    """Wrapped around the iterable of every ``{% for %}`` of a leader's template: one step per item."""
    return budget.stepped(value)


@pass_context
def _budget_out(context: Context, value: Any) -> Any:
    """Wrapped around every ``{{ output }}`` of a leader's template: what is written is what is built."""
    budget.charge(budget.size_of(value) if isinstance(value, str) else len(str(value)))
    return value


@pass_context
def _budget_concat(context: Context, values: list[Any]) -> str:
    """``a ~ b``: bounded like ``+`` (the namespace doubling attack built 268 MB in 3.6 s through it).
    In a body, joining its own text (a macro's output) with a value keeps the value marked (`messages.marks`)."""
    mixed = any(hasattr(value, "__html__") for value in values)
    parts = [marks.safe_text(value) if mixed else str(value) for value in values]
    _check_size(sum(map(len, parts)), "~")
    return Markup("".join(parts)) if mixed else "".join(parts)


BUDGET_FILTERS: Final = {"_budget_iter": _budget_iter, "_budget_out": _budget_out, "_budget_concat": _budget_concat}


def _check_printf(fmt: str) -> None:
    for match in _PRINTF_WIDTH.finditer(fmt):
        for number in match.groups():
            if number == "*" or (number is not None and int(number) > 1000):
                raise SecurityError("format width or precision is too large (at most 1000)")


def _bounded_width(width: Any) -> None:
    """Filters whose numeric argument sizes their output get at most 1000."""
    if isinstance(width, int) and width > 1000:
        raise SecurityError(f"{width} is too large here (at most 1000)")


def _safe_center(value: str, width: int = 80) -> str:
    _bounded_width(width)
    return do_center(value, width)


def _safe_indent(value: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    _bounded_width(width)
    if isinstance(width, str) and len(width) > 1000:
        raise SecurityError("indent string is too long (at most 1000)")
    return do_indent(value, width, first, blank)


def _safe_format(value: str, *args: Any, **kwargs: Any) -> str:
    _check_printf(str(value))
    return do_format(value, *args, **kwargs)


def _safe_batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
    _bounded_width(linecount)
    return do_batch(value, linecount, fill_with)


def _safe_slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    _bounded_width(slices)
    return do_slice(value, slices, fill_with)


def _json_default(value: Any) -> Any:
    """Make ``{{ missing | tojson }}`` fail as undefined, not as "not JSON serializable"."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


Filters = tuple[tuple[str, Callable[..., Any]], ...]
# Filters that make Markup out of a value (`|safe`) or escape it for HTML: in a body they make a plain value.
_UNMARKING_FILTERS: Final = ("safe", "e", "escape", "forceescape", "urlize", "xmlattr")


@lru_cache(maxsize=16)
def make_environment(templates_dir: Path | None = None, filters: Filters = (), *, bodies: bool = False
                     ) -> DrumbeatSandbox:
    """Build (once per directory and set of filters) the sandbox, with our filters and a loader.

    Leaders' strings and every platform's templates share this configuration
    so a filter behaves the same everywhere. ``filters`` are a platform
    dialect's own (its escaping, its rich text), added on top of the neutral
    ones; ``templates_dir`` exists so tests can render their own small templates.
    ``bodies`` is the environment of leaders' message bodies: autoescaped, with every value they write out
    marked (``messages.marks``) so that each dialect can escape it, and no filter that would unmark one.
    """
    env = DrumbeatSandbox(
        loader=FileSystemLoader(str(templates_dir or DEFAULT_TEMPLATES_DIR)),
        autoescape=bodies,
        finalize=marks.finalize if bodies else None,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["truncate_chars"] = truncate_chars
    env.filters["center"] = _safe_center
    env.filters["indent"] = _safe_indent
    env.filters["format"] = _safe_format
    env.filters["batch"] = _safe_batch
    env.filters["slice"] = _safe_slice
    env.filters["join"] = _safe_join
    env.filters["replace"] = _safe_replace
    env.filters["sum"] = _safe_sum
    env.filters.update(BUDGET_FILTERS)
    env.globals["range"] = _bounded_range
    env.globals["lipsum"] = _bounded_lipsum
    # Built-in tojson already escapes quotes, backslashes, control characters
    # and <, >, &, ' (as \u003c ...); ensure_ascii keeps U+2028/2029 escaped too.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": True, "default": _json_default}
    env.filters.update(filters)
    if bodies:
        for name in _UNMARKING_FILTERS:
            env.filters[name] = marks.as_value
    return env
