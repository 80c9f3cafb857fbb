"""Read a YAML document while remembering the line of every value.

``yaml.safe_load`` forgets where things came from, so "option 6 is too long"
could not say *which* line. Composing the node tree and building plain values
ourselves keeps a line for every path (``("questions", 3, "options")``), and
lets us catch what PyYAML silently accepts: a field written twice in one item
(PyYAML keeps the last one and drops the first without a word).

Sequences become tuples so the values can go straight into frozen models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

PathKey = tuple[str | int, ...]

MAX_NODES: Final = 50_000  # a real pack has a few thousand; this stops alias bombs


@dataclass(frozen=True)
class Spot:
    """Where a value sits: its own line, and the line of the key that names it."""

    line: int
    key_line: int | None = None
    block_scalar: bool = False  # ``|`` or ``>``: the text starts on the next line
    raw: str | None = None  # a scalar as written, to explain YAML's surprises (Yes -> true)


@dataclass(frozen=True)
class RawProblem:
    """A problem found while reading, before we know which file it belongs to."""

    path: PathKey
    line: int | None
    message: str


@dataclass
class LocatedDocument:
    value: Any
    spots: dict[PathKey, Spot] = field(default_factory=dict)
    problems: list[RawProblem] = field(default_factory=list)

    def line_of(self, path: PathKey, *, key: bool = False) -> int | None:
        """The line of ``path``, or of its nearest ancestor that exists (e.g. for a missing field)."""
        for end in range(len(path), -1, -1):
            spot = self.spots.get(path[:end])
            if spot is not None:
                if key and end == len(path) and spot.key_line is not None:
                    return spot.key_line
                return spot.line
        return None


class YamlSyntaxError(Exception):
    """The text is not YAML at all; nothing else can be checked."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)


def read_located(text: str) -> LocatedDocument:
    """Parse ``text`` as one YAML document and record a Spot for every path."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        raise YamlSyntaxError(_mark_line(error), _describe_syntax_error(error)) from error
    except yaml.YAMLError as error:
        raise YamlSyntaxError(None, f"YAML syntax error: {error}") from error
    document = LocatedDocument(value=None)
    if root is None:
        return document
    builder = _Builder(document)
    document.value = builder.build(root, (), key_line=None)
    return document


def _mark_line(error: yaml.MarkedYAMLError) -> int | None:
    mark = error.problem_mark or error.context_mark
    return mark.line + 1 if mark is not None else None


def _describe_syntax_error(error: yaml.MarkedYAMLError) -> str:
    problem = error.problem or "syntax error"
    message = f"YAML syntax error: {problem}"
    if error.context:
        message += f" ({error.context})"
    if "'\\t'" in problem:
        message += "; YAML indents with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        message += "; a value containing ': ' needs quotes"
    return message


class _Builder:
    """Turns composed nodes into plain values, recording spots and problems."""

    def __init__(self, document: LocatedDocument) -> None:
        self.document = document
        self.constructor = SafeConstructor()
        self.visited = 0
        self.open: set[int] = set()  # nodes being built right now: a repeat means a recursive alias

    def build(self, node: Node, path: PathKey, *, key_line: int | None) -> Any:
        line = node.start_mark.line + 1
        self.visited += 1
        if self.visited > MAX_NODES:
            if self.visited == MAX_NODES + 1:
                self._problem(path, line, f"the file has more than {MAX_NODES} values; is an alias repeating itself?")
            return None
        if id(node) in self.open:
            self._problem(path, line, "an alias refers to itself")
            return None
        if isinstance(node, ScalarNode):
            self.document.spots[path] = Spot(line, key_line, node.style in ("|", ">"), node.value)
            try:
                return self.constructor.construct_object(node, deep=True)
            except ConstructorError as error:
                self._problem(path, line, f"cannot read this value: {error.problem}")
                return None
        self.document.spots[path] = Spot(line, key_line)
        self.open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return tuple(
                    self.build(item, (*path, index), key_line=None) for index, item in enumerate(node.value)
                )
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self.open.discard(id(node))
        self._problem(path, line, "cannot read this value")
        return None

    def _mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                if isinstance(key_node, ScalarNode):
                    kind = key_node.tag.rsplit(":", 1)[-1]
                    message = f"'{key_node.value}' cannot be a field name: YAML reads it as {kind}"
                else:
                    message = "a field name must be a plain word, not a list or mapping"
                self._problem(path, key_line, message)
                continue
            name = key_node.value
            if name in first_line:
                self._problem((*path, name), key_line, f"field '{name}' appears twice (first on line {first_line[name]})")
                continue
            first_line[name] = key_line
            result[name] = self.build(value_node, (*path, name), key_line=key_line)
        return result

    def _problem(self, path: PathKey, line: int | None, message: str) -> None:
        self.document.problems.append(RawProblem(path, line, message))
