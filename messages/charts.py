"""The Momentum chart: understanding, acknowledgement and the on-strategy pipeline week by week, as a PNG and words.

Platform-neutral (bytes and text), so Slack uploads it today and Teams can attach it later. A bare
matplotlib Figure (no pyplot) draws with the Agg canvas, without a display and without pyplot's global state,
so charts can be drawn from several request threads at once and nothing stays in memory after saving. The same points are always described in text, for screen readers and for people who read
the summary in a notification.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

MAX_ALT_TEXT = 1000  # Slack's limit for a file's alt text


@dataclass(frozen=True)
class TrendPoint:
    starts: datetime
    understanding: float | None  # share of right answers that week, None without answers
    answers: int
    acknowledgement: float | None  # share of delivered messages acknowledged, None without deliveries
    delivered: int
    on_strategy: float | None = None  # on-strategy share of the open pipeline at the week's end (by value)
    open_deals: int = 0


def week_label(moment: datetime) -> str:
    return f"{moment:%b} {moment.day}"


def _percent(value: float | None) -> str:
    return "no data" if value is None else f"{round(100 * value)}%"


def describe_week(point: TrendPoint) -> str:
    answers = (f"understanding {_percent(point.understanding)} ({point.answers} answers)" if point.answers
               else "no answers")
    messages = (f"acknowledged {_percent(point.acknowledgement)} ({point.delivered} messages)" if point.delivered
                else "no messages delivered")
    pipeline = (f", open pipeline {_percent(point.on_strategy)} on strategy ({point.open_deals} deals)"
                if point.on_strategy is not None else "")
    return f"Week of {week_label(point.starts)}: {answers}, {messages}{pipeline}"


def describe_change(points: Sequence[TrendPoint]) -> str:
    """One sentence on the direction: first and last week with data, in percentage points."""
    parts = []
    series = [("Understanding", [p.understanding for p in points]),
              ("Acknowledgement", [p.acknowledgement for p in points])]
    if any(p.on_strategy is not None for p in points):
        series.append(("On-strategy share of the open pipeline", [p.on_strategy for p in points]))
    for name, values in series:
        known = [value for value in values if value is not None]
        if len(known) < 2:
            parts.append(f"{name}: not enough weeks with data for a trend yet.")
            continue
        change = round(100 * (known[-1] - known[0]))
        direction = "rose" if change > 0 else "fell" if change < 0 else "held steady"
        amount = f" by {abs(change)} points" if change else ""
        parts.append(f"{name} {direction}{amount}, from {_percent(known[0])} to {_percent(known[-1])}.")
    return " ".join(parts)


def alt_text(title: str, points: Sequence[TrendPoint]) -> str:
    """What the chart shows, in words, within Slack's alt text limit."""
    text = f"{title}. {describe_change(points)} " + "; ".join(describe_week(point) for point in points) + "."
    return text if len(text) <= MAX_ALT_TEXT else text[: MAX_ALT_TEXT - 1] + "…"


def has_trend(points: Sequence[TrendPoint]) -> bool:
    """A chart is worth drawing once two weeks have any data."""
    return sum(1 for p in points if p.understanding is not None or p.acknowledgement is not None
               or p.on_strategy is not None) >= 2


def trend_png(title: str, points: Sequence[TrendPoint]) -> bytes:
    """Two lines on a 0-100% scale; weeks without data are gaps, not zeros (no data is not 0% understood)."""
    labels = [week_label(point.starts) for point in points]
    understanding = [float("nan") if p.understanding is None else p.understanding for p in points]
    acknowledgement = [float("nan") if p.acknowledgement is None else p.acknowledgement for p in points]
    # matplotlib is imported here, on the first chart, not at start: it is half a second of every start-up.
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.subplots()
    axes.plot(labels, understanding, marker="o", linewidth=2, label="Understanding (right answers)")
    axes.plot(labels, acknowledgement, marker="s", linewidth=2, linestyle="--", label="Messages acknowledged")
    if any(p.on_strategy is not None for p in points):
        on_strategy = [float("nan") if p.on_strategy is None else p.on_strategy for p in points]
        axes.plot(labels, on_strategy, marker="^", linewidth=2, linestyle=":", label="On-strategy pipeline (value)")
    axes.set_ylim(0, 1.05)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_title(title)
    axes.set_xlabel("Week starting")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="lower left")
    if len(labels) > 8:
        axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
