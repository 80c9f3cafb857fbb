"""The one Jinja environment every Drumbeat template renders in.

Leaders write message bodies, so templates are untrusted input. Jinja's
sandbox already stops attribute tricks (``''.__class__.__mro__``); the
immutable variant also stops a template from changing the data it was given
(``person.update(...)`` would otherwise leak into the next recipient's
message). On top of that this environment refuses the one-liners that
exhaust memory (``'x' * 10**9``, ``'x'.ljust(10**9)``, ``10**10**10``).

It does not bound CPU: a template can still loop 100,000 x 100,000 times
without output. Callers that render leaders' text in a request path should
apply a time limit of their own.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from jinja2 import FileSystemLoader, StrictUndefined, Undefined
from jinja2.filters import do_batch, do_center, do_format, do_indent, do_slice
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from messages.filters import truncate_chars

DEFAULT_TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates"

# Largest string or list a single template operation may build. Slack's
# longest field (message text) is 40,000 characters, so this leaves room.
MAX_VALUE_SIZE: Final = 100_000
MAX_EXPONENT: Final = 128
MAX_POWER_BITS: Final = 10_000  # about 3,000 decimal digits

# String methods whose size argument is unbounded, and str.format, whose
# width specifiers are ("{:>999999999}").
_UNSAFE_STR_METHODS: Final = frozenset(
    {"center", "ljust", "rjust", "zfill", "expandtabs", "format", "format_map"}
)
_PRINTF_WIDTH = re.compile(r"%[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")


class DrumbeatSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment that also bounds memory-hungry operators."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            if isinstance(right, int) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent {right} is too large (at most {MAX_EXPONENT})")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() * right > MAX_POWER_BITS:
                raise SecurityError("the result of ** would be too large a number")
            return operator.pow(left, right)
        if operator_ == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
            return operator.mul(left, right)
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


@lru_cache(maxsize=16)
def make_environment(templates_dir: Path | None = None, filters: Filters = ()) -> DrumbeatSandbox:
    """Build (once per directory and set of filters) the sandbox, with our filters and a loader.

    Leaders' strings and every platform's templates share this configuration
    so a filter behaves the same everywhere. ``filters`` are a platform
    dialect's own (its escaping, its rich text), added on top of the neutral
    ones; ``templates_dir`` exists so tests can render their own small templates.
    """
    env = DrumbeatSandbox(
        loader=FileSystemLoader(str(templates_dir or DEFAULT_TEMPLATES_DIR)),
        autoescape=False,
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
    # Built-in tojson already escapes quotes, backslashes, control characters
    # and <, >, &, ' (as \u003c ...); ensure_ascii keeps U+2028/2029 escaped too.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": True, "default": _json_default}
    env.filters.update(filters)
    return env
