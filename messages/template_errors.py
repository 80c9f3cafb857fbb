"""Turn any Jinja failure in a leader's template into one readable sentence.

A leader editing a message in a Slack modal must see "line 2: 'person' has no
attribute 'nickname' (did you mean 'name'?)", never a traceback, and never
Jinja's "'dict object' has no attribute" which says nothing about where.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from jinja2 import TemplateSyntaxError, UndefinedError, nodes
from jinja2.environment import Environment
from jinja2.sandbox import SecurityError

TEMPLATE_FILENAME = "<template>"  # what Jinja names string templates in tracebacks

_NO_ATTRIBUTE = re.compile(r"^'(?P<owner>.+)' has no (?:attribute|element) '(?P<name>.+)'$")
_IS_UNDEFINED = re.compile(r"^'(?P<name>.+)' is undefined$")


class TemplateProblem(Exception):
    """A leader's template cannot be used; ``str()`` is safe to show them."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


def from_syntax_error(error: TemplateSyntaxError) -> TemplateProblem:
    return TemplateProblem(error.message or "syntax error", error.lineno)


def from_render_error(
    error: Exception,
    *,
    source: str,
    env: Environment,
    context: Mapping[str, Any],
    filename: str = TEMPLATE_FILENAME,
) -> TemplateProblem:
    """Describe an exception raised while rendering ``source`` with ``context``."""
    if isinstance(error, TemplateSyntaxError):  # e.g. a bad filter name found at render time
        return from_syntax_error(error)
    line = template_line(error.__traceback__, filename)
    if isinstance(error, UndefinedError):
        message = _describe_undefined(str(error), source, env, context, line)
    elif isinstance(error, SecurityError):
        message = f"not allowed in a message template: {error}".rstrip(".")
    else:
        message = str(error) or type(error).__name__
    return TemplateProblem(message, line)


def template_line(tb: TracebackType | None, filename: str) -> int | None:
    """Jinja rewrites tracebacks so template frames carry template line numbers."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _describe_undefined(
    message: str, source: str, env: Environment, context: Mapping[str, Any], line: int | None
) -> str:
    missing = _IS_UNDEFINED.match(message)
    if missing:
        return message + _did_you_mean(missing["name"], context.keys())
    no_attr = _NO_ATTRIBUTE.match(message)
    if not no_attr:
        return message
    name = no_attr["name"]
    owner_node = _find_lookup(source, env, name, line)
    if owner_node is None:
        return message
    owner = _dotted(owner_node)
    if owner is None:
        return message
    return f"{owner!r} has no attribute {name!r}" + _did_you_mean(name, _names_of(owner_node, context))


def _find_lookup(source: str, env: Environment, name: str, line: int | None) -> nodes.Expr | None:
    """Find the expression whose ``.name`` lookup failed, preferring the failing line."""
    try:
        tree = env.parse(source)
    except TemplateSyntaxError:
        return None
    candidates: list[nodes.Expr] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr) and node.attr == name:
            candidates.append(node)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and node.arg.value == name:
            candidates.append(node)
    on_line = [node for node in candidates if node.lineno == line]
    chosen = (on_line or candidates or [None])[0]
    return chosen.node if chosen is not None else None


def _dotted(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _dotted(node.node)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _dotted(node.node)
        return f"{base}[{node.arg.value!r}]" if base else None
    return None


def _names_of(node: nodes.Node, context: Mapping[str, Any]) -> list[str]:
    """The attribute names available on the object ``node`` points at, if we can tell."""
    value: Any = _resolve(node, context)
    if isinstance(value, Mapping):
        return [str(key) for key in value]
    if value is None:
        return []
    return [name for name in dir(value) if not name.startswith("_")]


def _resolve(node: nodes.Node, context: Mapping[str, Any]) -> Any:
    if isinstance(node, nodes.Name):
        return context.get(node.name)
    if isinstance(node, (nodes.Getattr, nodes.Getitem)):
        base = _resolve(node.node, context)
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(base, Mapping):
            return base.get(key)
        if base is not None and isinstance(key, str) and not key.startswith("_"):
            return getattr(base, key, None)
    return None


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
