"""Every rule a content pack must follow, each reported with file, line and key.

A leader who edits a pack wants the full list of what is wrong in one go,
not one error per attempt, so nothing here stops at the first problem: shape
(pydantic) and content rules both run on every item, and an item that fails
either is simply left out of the result. The caller rejects the whole set of
packs if any problem was found, so nothing is ever half-loaded.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from messages.pack_model import (
    BODY_RENDERED_MAX,
    EXPLANATION_MAX,
    KEY_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    OPTIONS_MIN,
    PILLAR_MAX,
    PROMPT_MAX,
    STATEMENT_MAX,
    TALKING_POINT_MAX,
    TITLE_MAX,
    CoachingTip,
    ContentPack,
    Expectation,
    Problem,
    Question,
    StrategyMessage,
    StrategyRule,
    TalkingPoints,
)
from messages.pack_strategy import check_one_rule_per_kind, check_rule
from messages.pack_yaml import LocatedDocument, PathKey, YamlSyntaxError, read_located
from messages.render import TemplateProblem, check_template, render_text

# Every body is trial-rendered with this, so ``{{ person.frist_name }}`` is
# caught when the pack loads rather than when it is sent to a hundred reps.
# Keep it in step with what the sender really passes to a body.
SAMPLE_CONTEXT: Final[Mapping[str, Any]] = {
    "person": {
        "name": "Alex Morgan",
        "first_name": "Alex",
        "team": "Enterprise East",
        "manager": "Sam Rivera",
    }
}

ITEM_MODELS: Final[Mapping[str, type[BaseModel]]] = {
    "expectations": Expectation,
    "messages": StrategyMessage,
    "questions": Question,
    "coaching_tips": CoachingTip,
    "strategy_rules": StrategyRule,
}
SECTIONS: Final = tuple(ITEM_MODELS)
TOP_LEVEL_FIELDS: Final = ("pack", "version", *SECTIONS)
# The field that identifies an item in its section (a tip is one per expectation).
IDENTITY_FIELD: Final[Mapping[str, str]] = {
    "expectations": "key",
    "messages": "key",
    "questions": "key",
    "coaching_tips": "expectation",
    "strategy_rules": "id",
}
NESTED_MODELS: Final[Mapping[str, type[BaseModel]]] = {"talking_points": TalkingPoints}
MISSING_HINTS: Final[Mapping[str, str]] = {
    "correct": " (the number of the right option, counting from 0)",
    "explanation": " (one paragraph saying why the right answer is right)",
}

SLUG: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_EXPECTED: Final[Mapping[str, str]] = {
    "string_type": "text",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "tuple_type": "a list",
    "model_type": "a set of fields",
    "dict_type": "a set of fields",
}


@dataclass
class Entry:
    """One item of a section, kept raw for cross-file checks, with its model if valid."""

    section: str
    index: int
    raw: Mapping[str, Any]
    model: BaseModel | None


@dataclass
class PackFile:
    """One pack file being checked: its located document, items and problems."""

    file: Path
    document: LocatedDocument | None = None
    problems: list[Problem] = field(default_factory=list)
    entries: dict[str, list[Entry]] = field(default_factory=lambda: {section: [] for section in SECTIONS})

    # -- reading ------------------------------------------------------------

    @classmethod
    def read(cls, file: Path) -> PackFile:
        pack_file = cls(file)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            pack_file.problems.append(Problem(file, None, "", "file not found"))
            return pack_file
        except UnicodeDecodeError as error:
            pack_file.problems.append(Problem(file, None, "", f"not UTF-8 text ({error.reason})"))
            return pack_file
        except OSError as error:
            pack_file.problems.append(Problem(file, None, "", f"cannot read the file: {error.strerror or error}"))
            return pack_file
        try:
            pack_file.document = read_located(text)
        except YamlSyntaxError as error:
            pack_file.problems.append(Problem(file, error.line, "", error.message))
            return pack_file
        for raw_problem in pack_file.document.problems:
            pack_file.report(raw_problem.path, raw_problem.message, line=raw_problem.line)
        pack_file._check_top_level()
        return pack_file

    def to_pack(self) -> ContentPack:
        """The loaded pack; only called once every check has passed."""
        assert self.document is not None and not self.problems
        top = self.document.value
        return ContentPack(
            pack=top["pack"],
            version=top["version"],
            expectations=tuple(entry.model for entry in self.entries["expectations"]),  # type: ignore[misc]
            messages=tuple(entry.model for entry in self.entries["messages"]),  # type: ignore[misc]
            questions=tuple(entry.model for entry in self.entries["questions"]),  # type: ignore[misc]
            coaching_tips=tuple(entry.model for entry in self.entries["coaching_tips"]),  # type: ignore[misc]
            strategy_rules=tuple(entry.model for entry in self.entries["strategy_rules"]),  # type: ignore[misc]
            source=self.file,
        )

    @property
    def pack_id(self) -> str | None:
        top = self.document.value if self.document else None
        value = top.get("pack") if isinstance(top, Mapping) else None
        return value if isinstance(value, str) else None

    # -- reporting ----------------------------------------------------------

    def line_of(self, path: PathKey, *, key: bool = False) -> int | None:
        return self.document.line_of(path, key=key) if self.document else None

    def report(self, path: PathKey, message: str, *, key: bool = False, line: int | None = None) -> None:
        """Record a problem at ``path``; ``key=True`` points at the field name, not its value."""
        where = line if line is not None else self.line_of(path, key=key)
        self.problems.append(Problem(self.file, where, self.key_path(path), message))

    def key_path(self, path: PathKey) -> str:
        """``("questions", 3, "options")`` -> ``questions[3] (q-icp-fit).options``."""
        text = ""
        for position, part in enumerate(path):
            if isinstance(part, int):
                text += f"[{part}]"
                if position == 1 and path[0] in SECTIONS:
                    label = self._label(str(path[0]), part)
                    text += f" ({label})" if label else ""
            else:
                text += f".{part}" if text else part
        return text

    def _label(self, section: str, index: int) -> str | None:
        top = self.document.value if self.document else None
        items = top.get(section) if isinstance(top, Mapping) else None
        if isinstance(items, Sequence) and index < len(items) and isinstance(items[index], Mapping):
            value = items[index].get(IDENTITY_FIELD[section])
            return value if isinstance(value, str) else None
        return None

    # -- top level ----------------------------------------------------------

    def _check_top_level(self) -> None:
        assert self.document is not None
        top = self.document.value
        if top is None:
            self.report((), "the file is empty; a pack needs at least 'pack' and 'version'", line=1)
            return
        if not isinstance(top, Mapping):
            self.report((), "a pack should be a set of fields: pack, version, expectations, messages, ...")
            return
        for name in top:
            if name not in TOP_LEVEL_FIELDS:
                self.report((name,), f"unknown field '{name}'{_did_you_mean(name, TOP_LEVEL_FIELDS)}", key=True)
        for name in ("pack", "version"):
            if name not in top:
                self.report((name,), "missing required field", line=1)
        if "pack" in top:
            if isinstance(top["pack"], str):
                self._slug(("pack",), top["pack"])
            else:
                self.report(("pack",), self._type_message(("pack",), "text", top["pack"]))
        if "version" in top:
            if isinstance(top["version"], int) and not isinstance(top["version"], bool):
                self._positive_int(("version",), top["version"])
            else:
                self.report(("version",), self._type_message(("version",), "a whole number", top["version"]))
        for section in SECTIONS:
            items = top.get(section)
            if items is None:
                continue
            if not isinstance(items, tuple):
                self.report((section,), f"should be a list of items, not {_describe(items)}")
                continue
            for index, raw in enumerate(items):
                self._check_item(section, index, raw)
            self._check_unique_in_file(section)

    # -- items --------------------------------------------------------------

    def _check_item(self, section: str, index: int, raw: Any) -> None:
        path: PathKey = (section, index)
        if not isinstance(raw, Mapping):
            self.report(path, f"each item should be a set of fields, not {_describe(raw)}")
            return
        before = len(self.problems)
        model: BaseModel | None = None
        try:
            model = ITEM_MODELS[section].model_validate(raw)
        except ValidationError as error:
            for detail in error.errors():
                self._shape_problem(section, path, detail)
        _ITEM_RULES[section](self, path, raw)
        self.entries[section].append(Entry(section, index, raw, model if len(self.problems) == before else None))

    def _shape_problem(self, section: str, path: PathKey, detail: Mapping[str, Any]) -> None:
        loc = tuple(detail["loc"])
        full = (*path, *loc)
        kind = detail["type"]
        name = str(loc[-1]) if loc else ""
        if kind == "missing":
            self.report(full, f"missing required field{MISSING_HINTS.get(name, '')}")
        elif kind == "extra_forbidden":
            model = NESTED_MODELS.get(str(loc[-2])) if len(loc) > 1 else ITEM_MODELS[section]
            choices = list(model.model_fields) if model else []
            self.report(full, f"unknown field '{name}'{_did_you_mean(name, choices)}", key=True)
        elif kind in _EXPECTED:
            self.report(full, self._type_message(full, _EXPECTED[kind], detail["input"]))
        else:
            self.report(full, str(detail["msg"]))

    def _type_message(self, path: PathKey, expected: str, value: Any) -> str:
        message = f"should be {expected}, not {_describe(value)}"
        spot = self.document.spots.get(path) if self.document else None
        if expected == "text" and isinstance(value, bool) and spot and spot.raw:
            message += f"; YAML reads {spot.raw} as {str(value).lower()}, so put it in quotes: \"{spot.raw}\""
        elif expected == "text" and isinstance(value, (int, float, date)) and spot and spot.raw:
            message += f"; put it in quotes: \"{spot.raw}\""
        elif expected == "a whole number" and isinstance(value, str) and value.strip().lstrip("-").isdigit():
            message += f"; remove the quotes: {value.strip()}"
        return message

    # -- content rules (run on raw values, so they report even beside shape errors)

    def _expectation_rules(self, path: PathKey, raw: Mapping[str, Any]) -> None:
        self._slug((*path, "key"), raw.get("key"))
        self._text((*path, "statement"), raw.get("statement"), STATEMENT_MAX, "an expectation statement")
        self._text((*path, "pillar"), raw.get("pillar"), PILLAR_MAX, "a pillar")

    def _message_rules(self, path: PathKey, raw: Mapping[str, Any]) -> None:
        self._slug((*path, "key"), raw.get("key"))
        self._text((*path, "title"), raw.get("title"), TITLE_MAX, "a title (it becomes a Slack header)")
        self._positive_int((*path, "version"), raw.get("version"))
        expectations = raw.get("expectations")
        if isinstance(expectations, tuple):
            if not expectations:
                self.report((*path, "expectations"), "list at least one expectation this message supports")
            self._no_repeats((*path, "expectations"), expectations)
        body = raw.get("body")
        if isinstance(body, str):
            self._body((*path, "body"), body)

    def _question_rules(self, path: PathKey, raw: Mapping[str, Any]) -> None:
        self._slug((*path, "key"), raw.get("key"))
        self._text((*path, "prompt"), raw.get("prompt"), PROMPT_MAX, "a question prompt")
        options = raw.get("options")
        if isinstance(options, tuple):
            if not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
                self.report(
                    (*path, "options"),
                    f"{len(options)} option{'s' if len(options) != 1 else ''} given; "
                    f"a question has {OPTIONS_MIN} to {OPTIONS_MAX}",
                )
            for index, option in enumerate(options):
                self._text((*path, "options", index), option, OPTION_MAX, "an option (Slack's limit)")
            self._no_repeats((*path, "options"), options)
        correct = raw.get("correct")
        if isinstance(options, tuple) and options and isinstance(correct, int) and not isinstance(correct, bool):
            if not 0 <= correct < len(options):
                self.report(
                    (*path, "correct"),
                    f"is {correct}, but the {len(options)} options are numbered 0 to {len(options) - 1}",
                )
        explanation = raw.get("explanation")
        self._text((*path, "explanation"), explanation, EXPLANATION_MAX, "an explanation")
        if isinstance(explanation, str) and re.search(r"\n\s*\n", explanation.strip()):
            self.report((*path, "explanation"), "should be one paragraph (no blank lines)")

    def _tip_rules(self, path: PathKey, raw: Mapping[str, Any]) -> None:
        points = raw.get("talking_points")
        if isinstance(points, Mapping):
            for name in TalkingPoints.model_fields:
                self._text((*path, "talking_points", name), points.get(name), TALKING_POINT_MAX, "a talking point")

    # -- rule helpers -------------------------------------------------------

    def _slug(self, path: PathKey, value: Any) -> None:
        if not isinstance(value, str):
            return  # missing or wrong type: already reported by the shape check
        if not SLUG.match(value):
            self.report(path, f"'{value}' should use only lowercase letters, digits and dashes, e.g. 'icp-fit'")
        elif len(value) > KEY_MAX:
            self.report(path, f"{len(value)} characters; a key has at most {KEY_MAX}")

    def _text(self, path: PathKey, value: Any, limit: int, what: str) -> None:
        if not isinstance(value, str):
            return
        if not value.strip():
            self.report(path, "should not be empty")
        elif len(value) > limit:
            self.report(path, f"{len(value)} characters; {what} has at most {limit}")

    def _positive_int(self, path: PathKey, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            return  # wrong type: reported by the shape check
        if value < 1:
            self.report(path, f"is {value}; versions start at 1")

    def _no_repeats(self, path: PathKey, values: tuple[Any, ...]) -> None:
        seen: dict[str, int] = {}
        for index, value in enumerate(values):
            if not isinstance(value, str):
                continue
            normal = " ".join(value.casefold().split())
            if normal in seen:
                self.report((*path, index), f"'{value}' repeats item {seen[normal]}")
            else:
                seen[normal] = index

    def _body(self, path: PathKey, body: str) -> None:
        if not body.strip():
            self.report(path, "should not be empty")
            return
        try:
            check_template(body)
        except TemplateProblem as problem:
            self._body_problem(path, "not a valid template", problem)
            return
        try:
            rendered = render_text(body, SAMPLE_CONTEXT)
        except TemplateProblem as problem:
            self._body_problem(path, "fails to render for a sample rep", problem)
            return
        if len(rendered) > BODY_RENDERED_MAX:
            self.report(
                path,
                f"renders to {len(rendered)} characters for a sample rep; "
                f"a message body has at most {BODY_RENDERED_MAX} (one Slack section)",
            )

    def _body_problem(self, path: PathKey, what: str, problem: TemplateProblem) -> None:
        where = f"line {problem.line} of the body: " if problem.line else ""
        self.report(path, f"{what}: {where}{problem.message}", line=self._body_line(path, problem.line))

    def _body_line(self, path: PathKey, template_line: int | None) -> int | None:
        """Map a line inside the body template to its line in the YAML file."""
        spot = self.document.spots.get(path) if self.document else None
        if spot is None:
            return None
        first = spot.line + (1 if spot.block_scalar else 0)
        return first + (template_line - 1 if template_line else 0)

    def _check_unique_in_file(self, section: str) -> None:
        field_name = IDENTITY_FIELD[section]
        first: dict[str, int] = {}
        top = self.document.value if self.document else {}
        for index, raw in enumerate(top.get(section) or ()):
            value = raw.get(field_name) if isinstance(raw, Mapping) else None
            if not isinstance(value, str):
                continue
            path: PathKey = (section, index, field_name)
            if value in first:
                self.report(path, _duplicate_message(section, value, f"line {first[value]}"))
            else:
                first[value] = self.line_of(path) or 0


_ITEM_RULES: Final[Mapping[str, Callable[[PackFile, PathKey, Mapping[str, Any]], None]]] = {
    "expectations": PackFile._expectation_rules,
    "messages": PackFile._message_rules,
    "questions": PackFile._question_rules,
    "coaching_tips": PackFile._tip_rules,
    "strategy_rules": check_rule,
}


def check_across(files: Sequence[PackFile]) -> None:
    """Rules that need every pack at once: unique keys and resolvable references."""
    _unique_pack_ids(files)
    for section in SECTIONS:
        _unique_across(files, section)
    check_one_rule_per_kind(files)
    known = _raw_expectation_keys(files)
    for pack_file in files:
        _check_references(pack_file, known)


def _unique_pack_ids(files: Sequence[PackFile]) -> None:
    first: dict[str, PackFile] = {}
    for pack_file in files:
        pack_id = pack_file.pack_id
        if pack_id is None:
            continue
        if pack_id in first:
            other = first[pack_id]
            pack_file.report(("pack",), f"pack '{pack_id}' is already loaded from {other.file.name}")
        else:
            first[pack_id] = pack_file


def _unique_across(files: Sequence[PackFile], section: str) -> None:
    field_name = IDENTITY_FIELD[section]
    first: dict[str, tuple[PackFile, int | None]] = {}
    for pack_file in files:
        mine: dict[str, int | None] = {}
        for entry in _raw_entries(pack_file, section):
            path: PathKey = (section, entry[0], field_name)
            value = entry[1]
            if value in first and first[value][0] is not pack_file:
                other, line = first[value]
                pack_file.report(path, _duplicate_message(section, value, f"{other.file.name}:{line}"))
            mine.setdefault(value, pack_file.line_of(path))
        for value, line in mine.items():
            first.setdefault(value, (pack_file, line))


def _raw_entries(pack_file: PackFile, section: str) -> Iterable[tuple[int, str]]:
    """(index, identity) of every item with a text identity, valid or not."""
    top = pack_file.document.value if pack_file.document else None
    items = top.get(section) if isinstance(top, Mapping) else None
    if not isinstance(items, tuple):
        return []
    field_name = IDENTITY_FIELD[section]
    return [
        (index, raw[field_name])
        for index, raw in enumerate(items)
        if isinstance(raw, Mapping) and isinstance(raw.get(field_name), str)
    ]


def _raw_expectation_keys(files: Sequence[PackFile]) -> set[str]:
    # An expectation with some other fault still counts as defined, so its
    # fault is reported once instead of again at every reference to it.
    return {key for pack_file in files for _, key in _raw_entries(pack_file, "expectations")}


def _check_references(pack_file: PackFile, known: set[str]) -> None:
    def check(path: PathKey, value: Any) -> None:
        if isinstance(value, str) and value not in known:
            pack_file.report(path, f"unknown expectation '{value}'{_did_you_mean(value, known)}")

    top = pack_file.document.value if pack_file.document else None
    if not isinstance(top, Mapping):
        return
    for section, field_name in (("messages", "expectations"), ("questions", "expectation"), ("coaching_tips", "expectation")):
        items = top.get(section)
        if not isinstance(items, tuple):
            continue
        for index, raw in enumerate(items):
            if not isinstance(raw, Mapping):
                continue
            value = raw.get(field_name)
            if isinstance(value, tuple):
                for position, item in enumerate(value):
                    check((section, index, field_name, position), item)
            else:
                check((section, index, field_name), value)


def _duplicate_message(section: str, value: str, where: str) -> str:
    if section == "coaching_tips":
        return f"a second coaching tip for '{value}' (the first is at {where})"
    if section == "strategy_rules":
        return f"duplicate rule id '{value}' (already used at {where})"
    return f"duplicate key '{value}' (already used at {where})"


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (the value is empty)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a set of fields"
    return type(value).__name__

