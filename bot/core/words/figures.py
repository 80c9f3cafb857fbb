"""How figures read, the same in every sentence and on every platform."""

from __future__ import annotations

from storage.queries.understanding import Rate


def percent(part: int, whole: int) -> str:
    """A whole percentage, or nothing when there is nothing to divide by (never a misleading 0%)."""
    return f"{round(100 * part / whole)}%" if whole else ""


def share(rate: Rate) -> str:
    """e.g. "67% (2 of 3)": the rate with the counts behind it, so a small sample reads as one."""
    return f"{percent(rate.correct, rate.answered)} ({rate.correct} of {rate.answered})"


def plural(count: int, word: str, many: str | None = None) -> str:
    """"1 message", "2 messages", "1,204 people" (`many` for a plural that is not `word` + s)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"
