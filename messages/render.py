"""Render leaders' message bodies and every platform's templates, safely.

Two kinds of template go through here and they fail differently:

* a leader's body (``render_body``) is untrusted input; every failure becomes
  a ``TemplateProblem`` whose ``str()`` can be shown to the leader as is; it
  renders autoescaped, to rich text whose values (a reader's name, team ...)
  each dialect escapes (``messages.marks``), so the leader's markup works and a
  name never becomes markup;
* our own ``templates/<platform>/*.json.j2`` files (``render_template``) are
  code; a failure there is our bug, raised as ``BlockTemplateError`` naming
  the template and line so it is fixed once, in CI, not per recipient.

Both render in the same sandboxed environment (see ``messages.sandbox``); a
leader's body also renders under a hard budget (``messages.budget``: time,
loop steps and calls, characters built), with every loop, ``~`` and output of
its tree wrapped at compile time in the budget's filters. A body that blew its
budget once is refused at once afterwards (``_over_budget``), so a hostile body
broadcast to a thousand reps costs one budget, not a thousand. A
platform's templates render in its ``Dialect``: its folder, its own filters
(escaping, rich text) and its own limits check, which the platform's adapter
defines (``bot/slack/render.py``), so nothing here knows any one platform.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from jinja2 import Template, TemplateNotFound, TemplateSyntaxError, nodes
from jinja2.visitor import NodeTransformer

from messages.budget import BUDGET_WORDS, Budget, BudgetExceeded, spending
from messages.marks import strip_marks, to_rich
from messages.rich import Rich
from messages.sandbox import DEFAULT_TEMPLATES_DIR, DrumbeatSandbox, make_environment
from messages.template_errors import TEMPLATE_FILENAME, TemplateProblem, from_render_error, from_syntax_error
from messages.template_errors import template_line

__all__ = [
    "MAX_TEXT_LENGTH",
    "BlockTemplateError",
    "Dialect",
    "Payload",
    "BUDGET_WORDS",
    "SAMPLE_CONTEXT",
    "BudgetExceeded",
    "TemplateProblem",
    "check_template",
    "render_body",
    "render_template",
    "render_text",
    "trial_render",
]

# Slack truncates message text beyond 40,000 characters; stopping the render
# there also stops a runaway loop from filling memory.
MAX_TEXT_LENGTH: Final = 40_000

# What a body is trial-rendered with when it is written (the modal, /drumbeat send, a content pack), so
# ``{{ person.frist_name }}`` and a body over its budget are caught before it goes to a hundred reps.
# Keep it in step with what the sender really passes to a body (schedules.compose.person_context).
SAMPLE_CONTEXT: Final[Mapping[str, Any]] = {
    "person": {"name": "Alex Morgan", "first_name": "Alex", "team": "Enterprise East", "manager": "Sam Rivera"}
}
_OVER_BUDGET_KEPT: Final = 256

Payload = list[dict[str, Any]] | dict[str, Any]
LimitsCheck = Callable[[Payload, str], None]  # (what a template rendered, the surface it is for)


@dataclass(frozen=True)
class Dialect:
    """How one platform's templates render: where they live, the filters they may use, the limits they obey.

    ``folder`` names the subfolder of ``templates_dir`` (``slack``); ``filters`` are added to the sandbox's
    neutral ones (the environment is built once per folder and filter set); ``check`` raises when a payload
    would not fit the platform on a surface (a message, a modal, ...). ``templates_dir`` is injectable so a
    test can render a fake platform's templates from its own folder.
    """

    folder: str
    filters: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    check: LimitsCheck | None = None
    templates_dir: Path = DEFAULT_TEMPLATES_DIR


_NAME = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*$")
_FORBIDDEN_TAGS: Final = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


class _Metered(NodeTransformer):
    """Route every loop, ``~`` and output of a leader's template through the budget's filters."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, "_budget_iter")
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _filter(nodes.List(node.nodes, lineno=node.lineno), "_budget_concat")

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        # The body's own text is safe (autoescaping leaves it as written); every other value is marked.
        node.nodes = [_filter(nodes.MarkSafe(nodes.Const(child.data, lineno=child.lineno), lineno=child.lineno)
                              if isinstance(child, nodes.TemplateData) else child, "_budget_out")
                      for child in node.nodes]
        return node


def _filter(node: nodes.Expr, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class BlockTemplateError(RuntimeError):
    """One of our platform templates is broken; a bug in Drumbeat, not user error.

    ``line`` is the template's own line when Jinja knows it; ``output_line``
    is the line of rendered JSON that failed to parse.
    """

    def __init__(
        self, template: str, message: str, *, line: int | None = None, output_line: int | None = None
    ) -> None:
        self.template = template
        self.line = line
        self.output_line = output_line
        where = f"{template}:{line}" if line is not None else template
        super().__init__(f"{where}: {message}")


def check_template(source: str) -> None:
    """Raise TemplateProblem if ``source`` is not a usable message template.

    Used before saving a leader's edit, so a typo is refused in the modal
    rather than discovered at send time.
    """
    _compile(source)


def trial_render(source: str) -> str:
    """Render a body for a sample reader, as it is written: a broken or over-budget body is refused there,
    with its line, rather than failing at send time for every recipient."""
    return render_text(source, SAMPLE_CONTEXT)


def render_body(source: str, context: Mapping[str, Any], *, limits: Budget | None = None) -> Rich:
    """A leader's body for one reader, as neutral rich text: the leader's own markup as `Written` spans, each
    value the body wrote out (the reader's name, team, manager) as a plain string, which the platform's dialect
    escapes: a rep called `<!channel>` greeted by `Hi {{ person.first_name }}` pings nobody."""
    return to_rich(_render_marked(source, context, limits))


def render_text(source: str, context: Mapping[str, Any], *, limits: Budget | None = None) -> str:
    """Render a leader's template string within its budget, as plain text (values as they are); any failure
    is a TemplateProblem (a BudgetExceeded, whose text says "over the template budget", when it did too much
    work)."""
    return strip_marks(_render_marked(source, context, limits))


def _render_marked(source: str, context: Mapping[str, Any], limits: Budget | None) -> str:
    refused = _over_budget.get(source)
    if refused is not None:
        raise refused
    template = _compile(source)
    try:
        with spending(limits or Budget()):
            return _generate(template, context)
    except BudgetExceeded as error:
        problem = BudgetExceeded(error.message.removeprefix(f"{BUDGET_WORDS}: "),
                                 error.line or template_line(error.__traceback__, TEMPLATE_FILENAME))
        _remember_over_budget(source, problem)
        raise problem from None
    except TemplateProblem:
        raise
    except Exception as error:  # noqa: BLE001 - untrusted code: every failure is the leader's to fix
        raise from_render_error(error, source=source, env=make_environment(bodies=True), context=context) from error


def _generate(template: Template, context: Mapping[str, Any]) -> str:
    parts: list[str] = []
    size = 0
    for chunk in template.generate(dict(context)):
        size += len(chunk)
        if size > MAX_TEXT_LENGTH:
            raise TemplateProblem(f"the text would be longer than {MAX_TEXT_LENGTH} characters")
        parts.append(chunk)
    return "".join(parts)


_over_budget: OrderedDict[str, BudgetExceeded] = OrderedDict()


def _remember_over_budget(source: str, problem: BudgetExceeded) -> None:
    """Bodies that blew their budget, newest last; at most _OVER_BUDGET_KEPT (a dict op: thread-safe enough)."""
    _over_budget[source] = problem
    while len(_over_budget) > _OVER_BUDGET_KEPT:
        _over_budget.popitem(last=False)


def render_template(
    dialect: Dialect,
    template_name: str,
    context: Mapping[str, Any],
    *,
    surface: str = "message",
    templates_dir: Path | str | None = None,
) -> Payload:
    """Render ``<dialect.folder>/<template_name>.json.j2`` to JSON and run the dialect's limits check.

    Returns what the template produced: a list or an object (a message, a view, a card).
    ``templates_dir`` overrides the dialect's folder root for one call. Raises BlockTemplateError
    for a broken template, and whatever the dialect's check raises when the content does not fit.
    """
    if not _NAME.match(template_name) or not _NAME.match(dialect.folder):
        raise ValueError(f"bad template name {dialect.folder!r}/{template_name!r}")
    root = Path(templates_dir).resolve() if templates_dir is not None else dialect.templates_dir
    env = make_environment(root, tuple(dialect.filters.items()))
    name = f"{dialect.folder}/{template_name}.json.j2"
    payload = _parse(name, _render(env, name, context))
    if dialect.check is not None:
        dialect.check(payload, surface)
    return payload


def _render(env: DrumbeatSandbox, name: str, context: Mapping[str, Any]) -> str:
    template = _load(env, name)
    try:
        return template.render(dict(context))
    except Exception as error:
        problem = from_render_error(
            error, source=_source(env, name), env=env, context=context, filename=template.filename or name
        )
        raise BlockTemplateError(name, problem.message, line=problem.line) from error


def _parse(name: str, output: str) -> Payload:
    try:
        payload = json.loads(output)
    except json.JSONDecodeError as error:
        raise BlockTemplateError(
            name,
            f"rendered invalid JSON at output line {error.lineno}, column {error.colno}: {error.msg}"
            f"\n    {_output_line(output, error.lineno)}",
            output_line=error.lineno,
        ) from error
    if not isinstance(payload, (list, dict)):
        raise BlockTemplateError(name, f"rendered a JSON {type(payload).__name__}, not blocks or an object")
    return payload


@lru_cache(maxsize=512)
def _compile(source: str) -> Template:
    """Parse and compile once per distinct body; bodies render once per recipient."""
    if not isinstance(source, str):
        raise TypeError(f"a template must be a string, not {type(source).__name__}")
    env = make_environment(bodies=True)
    try:
        tree = env.parse(strip_marks(source))  # marks are ours alone (messages.marks)
        for node in tree.find_all(_FORBIDDEN_TAGS):
            tag = type(node).__name__.lower().replace("fromimport", "from ... import")
            raise TemplateProblem(f"a message template cannot use {{% {tag} %}}", node.lineno)
        for loop in tree.find_all(nodes.For):
            if loop.recursive:
                raise TemplateProblem("a message template cannot use a recursive loop", loop.lineno)
        metered = _Metered().visit(tree)
        metered.set_environment(env)
        return env.from_string(metered)
    except TemplateSyntaxError as error:
        raise from_syntax_error(error) from error


def _load(env: DrumbeatSandbox, name: str) -> Template:
    try:
        return env.get_template(name)
    except TemplateNotFound as error:
        raise BlockTemplateError(name, "template not found") from error
    except TemplateSyntaxError as error:
        raise BlockTemplateError(name, error.message or "syntax error", line=error.lineno) from error


def _source(env: DrumbeatSandbox, name: str) -> str:
    assert env.loader is not None
    return env.loader.get_source(env, name)[0]


def _output_line(output: str, lineno: int) -> str:
    lines = output.splitlines()
    return lines[lineno - 1].strip()[:200] if 0 < lineno <= len(lines) else ""
