"""The summary's figures as CSV: one row per figure, so a spreadsheet can pivot them any way.

Columns: section, item, measure, value, period_days, since. Texts that leaders or reps wrote (message titles)
are neutralised against spreadsheet formula injection: a cell starting with = + - @ or a tab is prefixed
with an apostrophe, as OWASP recommends. Feedback comments are not exported: counts only, so a file that
travels cannot carry anonymous words outside the thresholds that protect them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from bot.core.pipeline import OrgPipeline, PersonPipeline, TeamPipeline, WeekShare
from bot.core.summaries import PersonPipelineSummary, PersonSummary, Summary, TeamPipelineSummary, TeamSummary
from storage.queries.pipeline import PipelineFigures, Slice

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Row = tuple[str, str, str, object]


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _team_rows(summary: TeamSummary) -> Iterator[Row]:
    reach = summary.reach
    for measure, value in (("reps", reach.reps), ("reps_reached", reach.reached),
                           ("reps_acknowledging", reach.acknowledging), ("delivered", reach.delivered),
                           ("acknowledged", reach.acknowledged), ("pending", reach.pending), ("failed", reach.failed)):
        yield "message", "team", measure, value
    for message in summary.messages:
        item = f"{message.key}: {message.title}"
        yield "message", item, "recipients", message.recipients
        yield "message", item, "delivered", message.delivered
        yield "message", item, "acknowledged", message.acknowledged
        yield "message", item, "versions", message.versions
    for key_message in summary.key_messages:
        item = f"{key_message.key}: {key_message.title}"
        yield "message", item, "median_times_heard", f"{key_message.median_times:g}"
        yield "message", item, "reps_heard", key_message.reps_heard
    for sent in summary.versions:
        yield "message", f"{sent.key} v{sent.version}", f"deliveries_from:{sent.leader}", sent.deliveries
    yield "measure", "team", "answered", summary.understanding.answered
    yield "measure", "team", "correct", summary.understanding.correct
    yield "measure", "team", "understanding", _rate(summary.understanding.rate)
    for rate in summary.expectations:
        yield "measure", rate.key, "answered", rate.answered
        yield "measure", rate.key, "correct", rate.correct
        yield "measure", rate.key, "understanding", _rate(rate.rate)
    for need in summary.coaching.named:
        yield "measure", f"needs coaching: {need.name}", "correct_of_answered", f"{need.correct}/{need.answered}"
    if summary.coaching.unnamed:
        yield "measure", "needs coaching: other managers' reps", "reps", summary.coaching.unnamed
    if summary.coaching.not_judged:
        yield "measure", f"too few answers to judge (under {summary.coaching.min_answers})", "reps", \
            summary.coaching.not_judged
    activity = summary.coaching_activity
    for measure, value in (("nudges_sent", activity.nudges_sent), ("reps_nudged", activity.reps_nudged),
                           ("coached", activity.coached), ("snoozed", activity.snoozed),
                           ("refreshers", activity.refreshers), ("improved_after_coaching", activity.improved),
                           ("coached_and_answered_since", activity.measured)):
        yield "coaching", "team", measure, value
    for month in summary.feedback:
        if month.counts is None:
            yield "feedback", month.month, "hidden_below_people", month.thresholds.people_for_scores
            continue
        for measure, value in (("people_at_least", month.counts.people), ("items", month.counts.items),
                               ("stop", month.counts.stop), ("start", month.counts.start),
                               ("continue", month.counts.keep)):
            yield "feedback", month.month, measure, value
        for about, count in sorted(month.counts.by_about.items()):
            yield "feedback", month.month, f"about:{about}", count
    if summary.pipeline and summary.pipeline.defined:
        yield from pipeline_rows(summary.pipeline)
    for week in summary.trend:
        item = f"week of {week.starts:%Y-%m-%d}"
        yield "momentum", item, "answered", week.answered
        yield "momentum", item, "understanding", _rate(week.understanding)
        yield "momentum", item, "delivered", week.delivered
        yield "momentum", item, "acknowledgement", _rate(week.acknowledgement)


def _slice_rows(item: str, name: str, part: Slice, currency: str) -> Iterator[Row]:
    unit = currency.lower()
    yield "pipeline", item, f"{name}_deals", part.deals
    yield "pipeline", item, f"{name}_value_{unit}", f"{part.value / 100:.2f}"
    yield "pipeline", item, f"{name}_on_strategy_deals", part.on_count
    yield "pipeline", item, f"{name}_on_strategy_value_{unit}", f"{part.on_value / 100:.2f}"
    yield "pipeline", item, f"{name}_on_strategy_share_value", _rate(part.share_value)
    yield "pipeline", item, f"{name}_on_strategy_share_count", _rate(part.share_count)
    for category, count in sorted(part.counts.items()):
        yield "pipeline", item, f"{name}_{category}_deals", count
    yield "pipeline", item, f"{name}_deliberate_off_strategy_deals", part.deliberate
    yield "pipeline", item, f"{name}_deliberate_off_strategy_value_{unit}", f"{part.deliberate_value / 100:.2f}"


def _figures_rows(item: str, figures: PipelineFigures, currency: str) -> Iterator[Row]:
    yield from _slice_rows(item, "open", figures.open, currency)
    yield from _slice_rows(item, "won", figures.won, currency)


def pipeline_rows(pipeline: TeamPipeline | PersonPipeline | OrgPipeline) -> Iterator[Row]:
    """The Pipeline section's figures: the whole, each rep (or team), the rules missed and the weekly trend."""
    currency = pipeline.rules.currency
    if isinstance(pipeline, OrgPipeline):
        yield from _figures_rows("organisation", pipeline.total, currency)
        for name, figures in pipeline.teams:
            yield from _figures_rows(f"team: {name}", figures, currency)
        return
    yield from _figures_rows("all", pipeline.figures, currency)
    for miss in pipeline.missed:
        yield "pipeline", f"missed rule: {miss.key}", "off_strategy_deals", miss.deals
        yield "pipeline", f"missed rule: {miss.key}", f"off_strategy_value_{currency.lower()}", f"{miss.value / 100:.2f}"
    if isinstance(pipeline, TeamPipeline):
        for rep in pipeline.reps:
            yield from _figures_rows(f"rep: {rep.name}", rep.figures, currency)
        yield from _trend_rows(pipeline.trend)


def _trend_rows(trend: list[WeekShare]) -> Iterator[Row]:
    for week in trend:
        item = f"week of {week.starts:%Y-%m-%d}"
        yield "momentum", item, "open_deals", week.open.deals
        yield "momentum", item, "on_strategy_share_value", _rate(week.open.share_value)


def _person_rows(summary: PersonSummary) -> Iterator[Row]:
    yield "message", "all", "delivered", summary.delivered
    yield "message", "all", "acknowledged", summary.acknowledged
    yield "message", "all", "waiting", summary.waiting
    for message in summary.messages:
        yield "message", f"{message.key}: {message.title}", "delivered", message.delivered
        yield "message", f"{message.key}: {message.title}", "acknowledged", message.acknowledged
    yield "measure", "all", "open_questions", summary.open_questions
    yield "measure", "all", "understanding", _rate(summary.understanding.rate)
    for rate in summary.expectations:
        yield "measure", rate.key, "latest_answer_right", rate.correct
    if summary.pipeline and summary.pipeline.defined:
        yield from pipeline_rows(summary.pipeline)


def summary_csv(summary: Summary) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["section", "item", "measure", "value", "period_days", "since"])
    if isinstance(summary, TeamSummary):
        rows = _team_rows(summary)
    elif isinstance(summary, PersonSummary):
        rows = _person_rows(summary)
    else:
        rows = pipeline_rows(summary.pipeline if isinstance(summary, TeamPipelineSummary | PersonPipelineSummary)
                             else summary)
    since = summary.since.strftime("%Y-%m-%dT%H:%M:%SZ")
    for section, item, measure, value in rows:
        writer.writerow([section, safe_cell(item), safe_cell(measure), safe_cell(value), summary.days, since])
    return buffer.getvalue()


def export_filename(summary: Summary) -> str:
    subject = (summary.team if isinstance(summary, TeamSummary | TeamPipelineSummary)
               else "organisation" if isinstance(summary, OrgPipeline) else summary.name)
    slug = "".join(c if c.isalnum() else "-" for c in subject.lower()).strip("-") or "summary"
    return f"drumbeat-{slug}-{summary.days}d-{summary.now:%Y-%m-%d}.csv"
