"""What a content pack is once loaded: immutable, already validated values.

The models are strict (no "1" for 1, no "yes" for true) and refuse unknown
fields, because a content pack is written by hand and a typo such as
``explaination:`` must be reported, not silently ignored. Everything here is
frozen: a loaded pack is shared by every job that sends messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from pydantic import BaseModel, ConfigDict

# Sizes chosen so content fits Slack without truncation: a title becomes a
# header block (150), an option a radio button (75); the rest keeps a quiz
# or a coaching card readable on a phone.
KEY_MAX: Final = 64
STATEMENT_MAX: Final = 300
PILLAR_MAX: Final = 40
TITLE_MAX: Final = 150
BODY_RENDERED_MAX: Final = 3000  # one section block
PROMPT_MAX: Final = 300
OPTION_MAX: Final = 75
OPTIONS_MIN: Final = 2
OPTIONS_MAX: Final = 5
EXPLANATION_MAX: Final = 1200
TALKING_POINT_MAX: Final = 500
RULE_REASON_MAX: Final = 200  # shown beside every deal that misses the rule
RULE_VALUE_MAX: Final = 120  # a CRM picklist value (segment, industry, size band, region, offering)


_T = TypeVar("_T")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Expectation(_Frozen):
    """Something leaders expect reps to do; everything else hangs off one of these."""

    key: str
    statement: str
    pillar: str


class StrategyMessage(_Frozen):
    """A message about the strategy; ``body`` is a Jinja2 template rendered per rep."""

    key: str
    title: str
    version: int
    expectations: tuple[str, ...]
    body: str
    key_message: bool = False


class Question(_Frozen):
    """A pulse-check question: did the rep hear what leaders expect?"""

    key: str
    expectation: str
    prompt: str
    options: tuple[str, ...]
    correct: int
    explanation: str

    @property
    def correct_option(self) -> str:
        return self.options[self.correct]


class TalkingPoints(_Frozen):
    """The diagnostic walk from a result back to its cause, in a leader's order."""

    goal: str
    work_products: str
    process: str
    tasks: str
    person: str


class CoachingTip(_Frozen):
    """How a manager coaches a rep whose answers miss an expectation."""

    expectation: str
    talking_points: TalkingPoints


class StrategyRule(_Frozen):
    """One part of what "on strategy" means: the ideal customer profile or the offerings the strategy pushes.

    A deal is on strategy *by profile* when it passes every profile rule (segment, industry, size, region,
    minimum amount), *by offering* when its offering is one the offering rule lists; ``reason`` is what
    people are shown beside a deal that misses the rule. ``minimum`` (minimum-amount only) is in whole units
    of the reporting currency (``DRUMBEAT_PIPELINE_CURRENCY``)."""

    id: str
    kind: str
    reason: str
    values: tuple[str, ...] = ()
    minimum: int | None = None


class ContentPack(_Frozen):
    """One loaded pack file; keys are unique across every pack loaded with it."""

    pack: str
    version: int
    expectations: tuple[Expectation, ...] = ()
    messages: tuple[StrategyMessage, ...] = ()
    questions: tuple[Question, ...] = ()
    coaching_tips: tuple[CoachingTip, ...] = ()
    strategy_rules: tuple[StrategyRule, ...] = ()
    source: Path

    def expectation(self, key: str) -> Expectation:
        return _by(self.expectations, "key", key)

    def message(self, key: str) -> StrategyMessage:
        return _by(self.messages, "key", key)

    def question(self, key: str) -> Question:
        return _by(self.questions, "key", key)

    def questions_for(self, expectation: str) -> tuple[Question, ...]:
        return tuple(question for question in self.questions if question.expectation == expectation)

    def tip_for(self, expectation: str) -> CoachingTip | None:
        return next((tip for tip in self.coaching_tips if tip.expectation == expectation), None)


def _by(items: tuple[_T, ...], field: str, key: str) -> _T:
    for item in items:
        if getattr(item, field) == key:
            return item
    raise KeyError(key)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a pack, located precisely enough to fix without searching."""

    file: Path
    line: int | None
    key_path: str
    message: str

    def __str__(self) -> str:
        where = self.file.name if self.line is None else f"{self.file.name}:{self.line}"
        return f"{where} {self.key_path}: {self.message}" if self.key_path else f"{where}: {self.message}"


class ContentPackError(Exception):
    """A pack (or set of packs) was rejected; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        header = f"content pack rejected: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([header, *(str(problem) for problem in problems)]))
