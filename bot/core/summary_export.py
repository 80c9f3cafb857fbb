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

from bot.core.summaries import PersonSummary, Summary, TeamSummary

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
    for week in summary.trend:
        item = f"week of {week.starts:%Y-%m-%d}"
        yield "momentum", item, "answered", week.answered
        yield "momentum", item, "understanding", _rate(week.understanding)
        yield "momentum", item, "delivered", week.delivered
        yield "momentum", item, "acknowledgement", _rate(week.acknowledgement)


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


def summary_csv(summary: Summary) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["section", "item", "measure", "value", "period_days", "since"])
    rows = _team_rows(summary) if isinstance(summary, TeamSummary) else _person_rows(summary)
    since = summary.since.strftime("%Y-%m-%dT%H:%M:%SZ")
    for section, item, measure, value in rows:
        writer.writerow([section, safe_cell(item), safe_cell(measure), safe_cell(value), summary.days, since])
    return buffer.getvalue()


def export_filename(summary: Summary) -> str:
    subject = summary.team if isinstance(summary, TeamSummary) else summary.name
    slug = "".join(c if c.isalnum() else "-" for c in subject.lower()).strip("-") or "summary"
    return f"drumbeat-{slug}-{summary.days}d-{summary.now:%Y-%m-%d}.csv"
