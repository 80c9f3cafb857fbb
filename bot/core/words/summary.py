"""What a summary says: a team's four sections (Message, Measure, Feedback, Momentum) or a person's own figures.

The figures come from `bot.core.summaries`; this module only words them. Lists are capped so that any
platform can show the whole screen at once; the CSV export has everything.
"""

from __future__ import annotations

from bot.core.feedback import TeamFeedback
from bot.core.people import person_ref
from bot.core.pipeline import OrgPipeline
from bot.core.summaries import (
    COACHING_BELOW,
    PersonPipelineSummary,
    PersonSummary,
    Summary,
    TeamPipelineSummary,
    TeamSummary,
)
from bot.core.words.pipeline import org_pipeline_screen, person_pipeline_sections, team_pipeline_sections
from bot.core.words.figures import percent, share
from bot.core.words.screen import Field, Screen, Section
from messages.charts import TrendPoint, describe_change, describe_week
from messages.filters import truncate_chars
from messages.rich import Code, Emphasis, Icon, Mention, Rich, Strong
from storage.models import Feedback

MAX_LINES = 15  # per list in a team summary
MAX_PERSON_LINES = 20
MAX_MISSED = 5  # expectation keys named per rep who needs coaching
ITEM_CHARS = 280  # one feedback comment in a summary; the full text is in `feedback list`
MAX_FEEDBACK_ITEMS = 12
MAX_FEEDBACK_GROUPS = 6


def summary_screen(summary: Summary, *, command: str, chart_coming: bool = False) -> Screen:
    if isinstance(summary, TeamSummary):
        return team_summary_screen(summary, command=command, chart_coming=chart_coming)
    if isinstance(summary, TeamPipelineSummary | PersonPipelineSummary | OrgPipeline):
        return pipeline_screen(summary, command=command)
    return person_summary_screen(summary, command=command)


def pipeline_screen(summary: TeamPipelineSummary | PersonPipelineSummary | OrgPipeline, *, command: str) -> Screen:
    """`summary pipeline ...`: the Pipeline section alone (a leader's: the organisation by team)."""
    if isinstance(summary, OrgPipeline):
        return org_pipeline_screen(summary, command=command)
    if isinstance(summary, TeamPipelineSummary):
        sections, subject = team_pipeline_sections(summary.pipeline), f"Team {summary.team}"
    else:
        sections, subject = person_pipeline_sections(summary.pipeline), summary.name
    footer = Section(small=True, lines=(Rich(f"Since {summary.since:%Y-%m-%d %H:%M} UTC. ",
                                             Code(f"{command} summary export pipeline"), " sends these as a CSV."),))
    return Screen(title=f"Pipeline · {subject} · last {summary.days} days",
                  summary=f"Drumbeat pipeline for {subject}, last {summary.days} days", sections=(*sections, footer))


def trend_points(summary: TeamSummary) -> list[TrendPoint]:
    """The team's weeks as the chart and its description read them."""
    pipeline = summary.pipeline.trend if summary.pipeline and summary.pipeline.defined else []
    on_strategy = {week.starts: week.open for week in pipeline}
    return [TrendPoint(starts=week.starts, understanding=week.understanding, answers=week.answered,
                       acknowledgement=week.acknowledgement, delivered=week.delivered,
                       on_strategy=on_strategy[week.starts].flag_share if week.starts in on_strategy else None,
                       open_deals=on_strategy[week.starts].deals if week.starts in on_strategy else 0)
            for week in summary.trend]


def team_summary_screen(summary: TeamSummary, *, command: str, chart_coming: bool = False) -> Screen:
    since = f"Since {summary.since:%Y-%m-%d %H:%M} UTC." + (" The trend chart is on its way to our DM."
                                                             if chart_coming else "")
    footer = Section(small=True, lines=(Rich(f"{since} ", Code(f"{command} summary export"),
                                             " sends these figures as a CSV."),))
    return Screen(
        title=f"Team {summary.team} · last {summary.days} days",
        summary=f"Drumbeat summary for {summary.team}, last {summary.days} days",
        sections=(*_message_sections(summary), *_measure_sections(summary), *_feedback_sections(summary.feedback),
                  *(team_pipeline_sections(summary.pipeline) if summary.pipeline and summary.pipeline.defined else ()),
                  _momentum_section(summary), footer),
    )


def _message_sections(summary: TeamSummary) -> list[Section]:
    """Message: did they hear it, often enough, the same way?"""
    reach = summary.reach
    ack_rate = percent(reach.acknowledged, reach.delivered)
    messages = [Rich("• ", Strong(m.title), " (", Code(m.key), f"): delivered {m.delivered} to {m.recipients} people"
                     f" · {m.acknowledged} acknowledged" + (f" ({percent(m.acknowledged, m.delivered)})"
                                                           if m.delivered else ""))
                for m in summary.messages[:MAX_LINES]]
    if len(summary.messages) > MAX_LINES:
        more = len(summary.messages) - MAX_LINES
        messages.append(Rich(f"… and {more} more messages (all of them in the CSV export)"))
    sections = [
        Section(lines=(Rich(Icon("message"), " ", Strong("Message"),
                            ": did they hear it, often enough, the same way?"),)),
        Section(fields=(
            Field("Reach", f"{reach.reached} of {reach.reps} reps got a message"),
            Field("Acknowledged", f"{reach.acknowledged} of {reach.delivered} messages"
                  + (f" ({ack_rate})" if ack_rate else "")),
            Field("Reps who acknowledged", f"{reach.acknowledging} of {reach.reps}"),
            Field("Still on the way", f"{reach.pending} queued, {reach.failed} failed"),
        )),
        Section(lines=tuple(messages) or ("No messages were sent to this team in this period.",)),
    ]
    frequency = [Rich("• ", Strong(k.title), f": {_times(k.median_times)} ({k.reps_heard} of {k.reps} reps heard it)")
                 for k in summary.key_messages[:MAX_LINES]]
    if frequency:
        sections.append(Section(lines=(Rich(Strong("How often the median rep heard each key message")), *frequency)))
    versions = _version_lines(summary)
    if versions:
        sections.append(Section(lines=(Rich(Strong("Versions sent, and by whom")), *versions)))
    return sections


def _measure_sections(summary: TeamSummary) -> list[Section]:
    """Measure: do they understand what is expected, and who needs coaching?"""
    rate = summary.understanding
    understood = (f"{percent(rate.correct, rate.answered)} of expectations answered right on each rep's latest "
                  f"pulse check ({rate.answered} answers)" if rate.answered
                  else "No pulse-check answers in this period.")
    sections = [Section(rule=True, lines=(
        Rich(Icon("measure"), " ", Strong("Measure"), ": do they understand what is expected?"), understood))]
    if summary.expectations:
        rates = (Rich("• ", Code(r.key), f": {share(r)}") for r in summary.expectations[:MAX_LINES])
        sections.append(Section(lines=(Rich(Strong("Per expectation, least understood first")), *rates)))
    below = f"{round(100 * COACHING_BELOW)}%"
    coaching: list[str | Rich] = [
        Rich("• ", Mention(person_ref(need)), f": {need.correct} of {need.answered} right",
             Rich("; missed ", Rich.join(", ", (Code(key) for key in need.missed[:MAX_MISSED]))) if need.missed else "")
        for need in summary.coaching.named[:MAX_LINES]
    ]
    judged = summary.coaching.min_answers
    if summary.coaching.unnamed:
        coaching.append(f"• {summary.coaching.unnamed} more rep(s) reporting to other managers")
    if not coaching:
        coaching.append(f"Nobody: every rep with at least {judged} answers is at or above {below}.")
    if summary.coaching.not_judged:
        coaching.append(f"{_reps(summary.coaching.not_judged)} answered fewer than {judged} expectations in this "
                        "period: too few to judge yet, so not listed (their answers are in the figures above).")
    sections.append(Section(lines=(Rich(Strong("Reps who need coaching"),
                                        f" (under {below} right, judged from {judged} answers up)"), *coaching)))
    sections.append(Section(small=True, lines=(_coaching_activity(summary),)))
    return sections


def _feedback_sections(months: list[TeamFeedback]) -> list[Section]:
    """Feedback: the counts per month, then the most recent comments that may be shown, by what they are about."""
    heading = Rich(Icon("feedback"), " ", Strong("Feedback"), ": stop / start / continue")
    lines = [_feedback_month_line(month) for month in months] or [Rich("No feedback in this period.")]
    sections = [Section(rule=True, lines=(heading, *lines))]
    for about, entries in list(_feedback_groups(months).items())[:MAX_FEEDBACK_GROUPS]:
        sections.append(Section(lines=(Rich(Emphasis(f"About {about}")), *entries)))
    return sections


def _momentum_section(summary: TeamSummary) -> Section:
    trend = trend_points(summary)
    return Section(rule=True, lines=(Rich(Icon("momentum"), " ", Strong("Momentum"), ": week by week"),
                                     describe_change(trend), *(describe_week(point) for point in trend)))


def _reps(count: int) -> str:
    return "1 rep" if count == 1 else f"{count} reps"


def _times(median: float) -> str:
    shown = f"{median:g}"
    return f"{shown} time" if shown == "1" else f"{shown} times"


def _version_lines(summary: TeamSummary) -> list[Rich]:
    """Which versions of each message reached the team, from whom; a warning when the team heard two."""
    by_key: dict[str, list[tuple[int, str]]] = {}
    for sent in summary.versions:
        part = f"v{sent.version} from {sent.leader} ({sent.deliveries})"
        by_key.setdefault(sent.key, []).append((sent.version, part))
    lines = []
    for key, parts in list(by_key.items())[:MAX_LINES]:
        mixed = len({version for version, _ in parts}) > 1
        lines.append(Rich("• ", Code(key), ": " + ", ".join(part for _, part in parts),
                          Rich(" ", Icon("warning"), " more than one version reached the team") if mixed else ""))
    return lines


def _coaching_activity(summary: TeamSummary) -> Rich:
    activity = summary.coaching_activity
    if not (activity.nudges_sent or activity.coached or activity.snoozed or activity.refreshers):
        return Rich(Strong("Coaching"), ": no coaching nudges in this period.")
    after = (f" Understanding improved after coaching for {activity.improved} of {activity.measured} coached "
             "nudges answered since." if activity.measured else " No answers since the coaching yet.")
    return Rich(Strong("Coaching"), f": {activity.nudges_sent} nudges sent about {activity.reps_nudged} reps · "
                f"{activity.coached} coached · {activity.snoozed} snoozed · {activity.refreshers} refreshers "
                f"sent.{after}")


def _feedback_month_line(month: TeamFeedback) -> Rich:
    if month.counts is None:
        return Rich("• ", Strong(month.month), f": fewer than {month.thresholds.people_for_scores} people answered, "
                    "so counts stay hidden.")
    counts = month.counts
    about = ", ".join(f"{name} {count}" for name, count in sorted(counts.by_about.items()))
    hidden = ("" if month.anonymous is not None else
              f" Anonymous comments show from {month.thresholds.people_for_comments} people.")
    return Rich("• ", Strong(month.month), f": {counts.stop} stop · {counts.start} start · {counts.keep} continue, "
                f"from at least {counts.people} people (about: {about}).{hidden}")


def _feedback_groups(months: list[TeamFeedback]) -> dict[str, list[Rich]]:
    """The most recent comments that may be shown, newest first, grouped by what they are about."""
    entries: list[tuple[Feedback, str]] = []
    for month in months:
        entries += [(item, month.authors.get(item.author_id or 0, "someone")) for item in month.named]
        entries += [(item, "anonymous") for item in (month.anonymous or [])]
    entries.sort(key=lambda entry: entry[0].submitted_on, reverse=True)  # within a day, no order (ids are random)
    groups: dict[str, list[Rich]] = {}
    for item, who in entries[:MAX_FEEDBACK_ITEMS]:
        said = Rich.join("; ", (Rich(Strong(f"{label}:"), " ", truncate_chars(text, ITEM_CHARS))
                                for label, text in (("Stop", item.stop), ("Start", item.start), ("Continue", item.keep))
                                if text))
        groups.setdefault(item.about, []).append(Rich("• ", said, f" ({who}, {item.submitted_on:%b %d})"))
    return groups


def person_summary_screen(summary: PersonSummary, *, command: str) -> Screen:
    """A person's own figures: what reached them, what they acknowledged, what they understand."""
    rate = percent(summary.acknowledged, summary.delivered)
    messages: list[str | Rich] = [Rich("• ", Strong(m.title), f": {m.delivered} received, {m.acknowledged} acknowledged")
                for m in summary.messages[:MAX_PERSON_LINES]]
    understanding = summary.understanding
    expectations = [Rich("• ", Code(r.key), f": {'right' if r.correct else 'missed'} on the latest answer")
                    for r in summary.expectations[:MAX_PERSON_LINES]]
    understood: tuple[str | Rich, ...] = (
        (f"{percent(understanding.correct, understanding.answered)} of expectations answered right on the latest "
         f"pulse check ({understanding.answered} answers)", *expectations)
        if understanding.answered else ("No pulse-check answers in this period.",))
    return Screen(
        title=f"{summary.name} · last {summary.days} days",
        summary=f"Drumbeat figures for {summary.name}, last {summary.days} days",
        sections=(
            Section(fields=(
                Field("Messages received", str(summary.delivered)),
                Field("Acknowledged",
                      f"{summary.acknowledged} of {summary.delivered}" + (f" ({rate})" if rate else "")),
                Field("Waiting for a Got it", str(summary.waiting)),
                Field("Open pulse-check questions", str(summary.open_questions)),
            )),
            Section(lines=(Rich(Strong("Messages")), *(messages or ["None in this period."]))),
            Section(lines=(Rich(Strong("Understanding")), *understood)),
            *(person_pipeline_sections(summary.pipeline) if summary.pipeline and summary.pipeline.defined else ()),
            Section(small=True, lines=(Rich(f"Since {summary.since:%Y-%m-%d %H:%M} UTC. ", Code(f"{command} quiz me"),
                                            " practises a question now."),)),
        ),
    )
