"""The Momentum chart of a team summary, once for every platform: whether there is one, its title, its words
(alt text) and its PNG. Slack uploads it to the DM; Teams shows it as a card image fetched from the bot."""

from __future__ import annotations

from bot.core.summaries import Summary, TeamSummary
from bot.core.summary_export import export_filename
from bot.core.words.summary import trend_points
from messages.charts import alt_text, has_trend, trend_png


def wants_chart(result: Summary) -> bool:
    """A team summary with at least two weeks of data has a chart; a person's figures have none."""
    return isinstance(result, TeamSummary) and has_trend(trend_points(result))


def chart_title(result: TeamSummary) -> str:
    return f"Team {result.team}: understanding and acknowledgement, week by week"


def chart_alt_text(result: TeamSummary) -> str:
    """The chart in words, for screen readers and wherever the image does not show."""
    return alt_text(chart_title(result), trend_points(result))


def chart_png(result: TeamSummary) -> bytes:
    return trend_png(chart_title(result), trend_points(result))


def chart_filename(result: TeamSummary) -> str:
    return f"drumbeat-{export_filename(result).removeprefix('drumbeat-')[:-4]}.png"
