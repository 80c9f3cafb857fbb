"""Content packs: the expectations, messages, quizzes and coaching tips a team runs on.

A pack is a YAML file a sales leader can edit. Loading is all or nothing: a
pack with any problem is rejected whole, with every problem listed by file,
line and key, so the bot never runs on half a strategy.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from messages.pack_model import (
    CoachingTip,
    ContentPack,
    ContentPackError,
    Expectation,
    Problem,
    Question,
    StrategyMessage,
    TalkingPoints,
)
from messages.pack_validate import SAMPLE_CONTEXT, PackFile, check_across

__all__ = [
    "SAMPLE_CONTEXT",
    "CoachingTip",
    "ContentPack",
    "ContentPackError",
    "Expectation",
    "Problem",
    "Question",
    "StrategyMessage",
    "TalkingPoints",
    "default_pack_path",
    "load_pack",
    "load_packs",
]


def default_pack_path() -> Path:
    """The pack shipped with Drumbeat (package data, so it exists wherever we are installed)."""
    return Path(__file__).resolve().parent / "content" / "default.yaml"


def load_pack(path: Path | str) -> ContentPack:
    """Load and validate one pack; raise ContentPackError listing every problem."""
    return load_packs([path])[0]


def load_packs(paths: Iterable[Path | str]) -> list[ContentPack]:
    """Load several packs as one set: keys unique across all, references may cross packs.

    A team pack can add questions or tips for the default pack's
    expectations, so references are resolved against every pack loaded
    together. If any file has a problem, none is returned.
    """
    files: list[PackFile] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for path in map(Path, paths):
        if path.resolve() in seen:
            problems.append(Problem(path, None, "", "this file is listed twice"))
            continue
        seen.add(path.resolve())
        files.append(PackFile.read(path))
    check_across(files)
    for pack_file in files:
        problems.extend(sorted(pack_file.problems, key=lambda problem: problem.line or 0))
    if problems:
        raise ContentPackError(problems)
    return [pack_file.to_pack() for pack_file in files]
