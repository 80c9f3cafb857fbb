"""Block Kit answers the Slack adapter gives, rendered from messages/templates/slack."""

from __future__ import annotations

from typing import Any

from bot.core.feedback import TeamFeedback
from bot.core.home import HomeView
from bot.core.summaries import COACHING_BELOW, PersonSummary, Summary, TeamSummary
from messages.charts import TrendPoint, describe_change, describe_week
from messages.filters import mrkdwn_escape, truncate_chars
from messages.render import render_blocks
from storage.models import Feedback
from storage.queries.understanding import Rate, RepNeed
from bot.slack.people import slack_user_id

COMMAND_HELP = (
    ("help", "this list"),
    ("send <message-key> to @person, Team name", "leaders: send a strategy message now, with a *Got it* button"),
    ("broadcast", "leaders: schedule a broadcast (once or recurring, at each rep's local time)"),
    ("schedules", "leaders: your broadcasts, with pause / resume / edit / send now / cancel"),
    ("summary [team | @person | me] [7d|30d|90d|quarter]",
     "managers and leaders: a team's message reach, understanding, feedback and momentum; reps: your own figures"),
    ("summary export [team | @person] [period]", "the same figures as a CSV file in our DM"),
    ("team link <team> @usergroup", "leaders: keep a team's members in sync with a Slack user group"),
    ("feedback [list [team] [YYYY-MM] | mine | request <team> | <question> | yousaid <team> | <note>]",
     "stop / start / continue feedback, anonymous if you like"),
    ("quiz me", "practise a pulse-check question now (missed ones come back first)"),
    ("quiz new", "leaders: add a pulse-check question for an expectation"),
    ("away until 2026-12-01 | away 2026-12-20 to 2027-01-04 | away off", "hold your messages while you are away"),
)


def _message(template: str, context: dict[str, Any]) -> dict[str, Any]:
    rendered = render_blocks(template, context, surface="message")
    assert isinstance(rendered, dict), f"{template} must render a message object"
    return rendered


def notice(text: str, icon: str = "", *, escape: bool = False) -> dict[str, Any]:
    """`escape` shows someone's words literally: `<@U123>` or `<!channel>` in them never pings anyone."""
    if escape:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _message("notice", {"text": text, "icon": icon})


def refusal(text: str) -> dict[str, Any]:
    return notice(text, ":no_entry_sign:")


def usage(command: str, problem: str | None = None) -> dict[str, Any]:
    lines = [f"`{command} {syntax}`: {what}" for syntax, what in COMMAND_HELP]
    return _message("usage", {"command": command, "problem": problem, "lines": lines})


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else ""


ITEM_CHARS = 280  # one feedback comment in a summary; the full text is in `feedback list`
MAX_FEEDBACK_ITEMS = 12


def _share(rate: Rate) -> str:
    return f"{percent(rate.correct, rate.answered)} ({rate.correct} of {rate.answered})"


def team_summary(summary: TeamSummary, *, command: str, chart_coming: bool = False) -> dict[str, Any]:
    """The four sections, as lines; the template lays them out within Block Kit's limits."""
    trend = trend_points(summary)
    groups = _feedback_groups(summary.feedback)
    return _message(
        "summary",
        {
            "team": summary.team,
            "days": summary.days,
            "since": summary.since.strftime("%Y-%m-%d %H:%M"),
            "command": command,
            "chart_coming": chart_coming,
            "reach": summary.reach,
            "ack_rate": percent(summary.reach.acknowledged, summary.reach.delivered),
            "message_lines": [
                f"• *{mrkdwn_escape(m.title)}* (`{m.key}`): delivered {m.delivered} to {m.recipients} people · "
                f"{m.acknowledged} acknowledged" + (f" ({percent(m.acknowledged, m.delivered)})" if m.delivered else "")
                for m in summary.messages[:15]
            ] + ([f"… and {len(summary.messages) - 15} more messages (all of them in the CSV export)"]
                 if len(summary.messages) > 15 else []),
            "frequency_lines": [
                f"• *{mrkdwn_escape(k.title)}*: {_times(k.median_times)} ({k.reps_heard} of {k.reps} reps heard it)"
                for k in summary.key_messages[:15]
            ],
            "version_lines": _version_lines(summary),
            "understanding": percent(summary.understanding.correct, summary.understanding.answered),
            "answered": summary.understanding.answered,
            "expectation_lines": [f"• `{rate.key}`: {_share(rate)}" for rate in summary.expectations[:15]],
            "coaching_below": f"{round(100 * COACHING_BELOW)}%",
            "coaching_lines": [
                f"• {_mention(need)}: {need.correct} of {need.answered} right"
                + (f"; missed {', '.join(f'`{key}`' for key in need.missed[:5])}" if need.missed else "")
                for need in summary.coaching.named[:15]
            ] + ([f"• {summary.coaching.unnamed} more rep(s) reporting to other managers"]
                 if summary.coaching.unnamed else []),
            "coaching_activity": _coaching_activity_line(summary),
            "feedback_lines": [_feedback_month_line(month) for month in summary.feedback],
            "feedback_groups": groups,
            "momentum_change": describe_change(trend),
            "momentum_lines": [describe_week(point) for point in trend],
        },
    )


def person_summary(summary: PersonSummary, *, command: str) -> dict[str, Any]:
    return _message(
        "person_summary",
        {
            "name": summary.name,
            "days": summary.days,
            "since": summary.since.strftime("%Y-%m-%d %H:%M"),
            "command": command,
            "delivered": summary.delivered,
            "acknowledged": summary.acknowledged,
            "ack_rate": percent(summary.acknowledged, summary.delivered),
            "waiting": summary.waiting,
            "open_questions": summary.open_questions,
            "message_lines": [
                f"• *{mrkdwn_escape(m.title)}*: {m.delivered} received, {m.acknowledged} acknowledged"
                for m in summary.messages[:20]
            ],
            "understanding": percent(summary.understanding.correct, summary.understanding.answered),
            "answered": summary.understanding.answered,
            "expectation_lines": [
                f"• `{rate.key}`: {'right' if rate.correct else 'missed'} on the latest answer"
                for rate in summary.expectations[:20]
            ],
        },
    )


def summary_reply(summary: Summary, *, command: str, chart_coming: bool = False) -> dict[str, Any]:
    if isinstance(summary, TeamSummary):
        return team_summary(summary, command=command, chart_coming=chart_coming)
    return person_summary(summary, command=command)


def trend_points(summary: TeamSummary) -> list[TrendPoint]:
    return [TrendPoint(starts=week.starts, understanding=week.understanding, answers=week.answered,
                       acknowledgement=week.acknowledgement, delivered=week.delivered) for week in summary.trend]


def _times(median: float) -> str:
    shown = f"{median:g}"
    return f"{shown} time" if shown == "1" else f"{shown} times"


def _version_lines(summary: TeamSummary) -> list[str]:
    by_key: dict[str, list[str]] = {}
    for sent in summary.versions:
        by_key.setdefault(sent.key, []).append(f"v{sent.version} from {mrkdwn_escape(sent.leader)} ({sent.deliveries})")
    lines = []
    for key, parts in list(by_key.items())[:15]:
        versions = {part.split(" ", 1)[0] for part in parts}
        warning = " :warning: more than one version reached the team" if len(versions) > 1 else ""
        lines.append(f"• `{key}`: {', '.join(parts)}{warning}")
    return lines


def _coaching_activity_line(summary: TeamSummary) -> str:
    activity = summary.coaching_activity
    if not (activity.nudges_sent or activity.coached or activity.snoozed or activity.refreshers):
        return "*Coaching*: no coaching nudges in this period."
    after = (f" Understanding improved after coaching for {activity.improved} of {activity.measured} coached "
             "nudges answered since." if activity.measured else " No answers since the coaching yet.")
    return (f"*Coaching*: {activity.nudges_sent} nudges sent about {activity.reps_nudged} reps · {activity.coached} "
            f"coached · {activity.snoozed} snoozed · {activity.refreshers} refreshers sent.{after}")


def _feedback_month_line(month: TeamFeedback) -> str:
    if month.counts is None:
        return (f"• *{month.month}*: fewer than {month.thresholds.people_for_scores} people answered, so counts "
                "stay hidden.")
    counts = month.counts
    about = ", ".join(f"{name} {count}" for name, count in sorted(counts.by_about.items()))
    hidden = ("" if month.anonymous is not None else
              f" Anonymous comments show from {month.thresholds.people_for_comments} people.")
    return (f"• *{month.month}*: {counts.stop} stop · {counts.start} start · {counts.keep} continue, from at least "
            f"{counts.people} people (about: {about}).{hidden}")


def _feedback_groups(months: list[TeamFeedback]) -> list[dict[str, Any]]:
    """The most recent comments that may be shown, grouped by what they are about."""
    entries: list[tuple[Feedback, str]] = []
    for month in months:
        entries += [(item, month.authors.get(item.author_id or 0, "someone")) for item in month.named]
        entries += [(item, "anonymous") for item in (month.anonymous or [])]
    entries.sort(key=lambda entry: (entry[0].submitted_on, entry[0].id or 0), reverse=True)
    groups: dict[str, list[str]] = {}
    for item, who in entries[:MAX_FEEDBACK_ITEMS]:
        said = "; ".join(f"*{label}:* {mrkdwn_escape(truncate_chars(text, ITEM_CHARS))}"
                         for label, text in (("Stop", item.stop), ("Start", item.start), ("Continue", item.keep))
                         if text)
        groups.setdefault(item.about, []).append(f"• {said} ({mrkdwn_escape(who)}, {item.submitted_on:%b %d})")
    return [{"about": about, "entries": entries} for about, entries in groups.items()]


MAX_ORG_TEAMS = 150  # a Home tab holds 100 blocks; teams go 20 to a section
ORG_TEAMS_PER_SECTION = 20


def home(view: HomeView) -> dict[str, Any]:
    """The Home tab for one person; `view.note` replaces the dashboard for people not in the directory."""
    if view.note:
        context: dict[str, Any] = {"name": view.name, "note": view.note}
        return render_blocks("home", context, surface="home")  # type: ignore[return-value]
    waiting = (f":inbox_tray: You have {view.unacknowledged} strategy message"
               f"{'' if view.unacknowledged == 1 else 's'} to acknowledge in your DMs:\n"
               + "\n".join(f"• {mrkdwn_escape(item.title)}" + (f" ({item.sent_at:%b %d})" if item.sent_at else "")
                           for item in view.waiting)
               if view.unacknowledged else
               ":white_check_mark: You're up to date: every strategy message is acknowledged.")
    questions = (f":bar_chart: {view.open_questions} pulse-check question{'' if view.open_questions == 1 else 's'}"
                 " waiting for your answer in our DM." if view.open_questions else
                 f":bar_chart: No open questions. `{view.command} quiz me` practises one now.")
    own = view.own
    own_text = ("*Your understanding*: no pulse-check answers in the last 30 days yet." if own is None or not own.answered
                else f"*Your understanding*: {_share(own)} of expectations right on your latest answers"
                     + ("\nTo look at again: " + ", ".join(f"`{rate.key}`" for rate in view.own_expectations
                                                              if not rate.correct)
                        if any(not rate.correct for rate in view.own_expectations) else ""))
    teams = [
        {
            "name": team.team,
            "fields": [
                ("Reach", f"{team.reach.reached} of {team.reach.reps} reps"),
                ("Acknowledged", f"{team.reach.acknowledged} of {team.reach.delivered}"
                                 + (f" ({percent(team.reach.acknowledged, team.reach.delivered)})"
                                    if team.reach.delivered else "")),
                ("Understanding", _share(team.understanding) if team.understanding.answered else "no answers yet"),
                ("Need coaching", str(len(team.coaching.named) + team.coaching.unnamed)),
            ],
            "detail": ("*Least understood*: " + (", ".join(f"`{r.key}` {percent(r.correct, r.answered)}"
                                                           for r in team.expectations[:3]) or "nothing measured yet")
                       + ("\n*Reps to coach*: " + ", ".join(_mention(need) for need in team.coaching.named[:10])
                          if team.coaching.named else "")
                       + "\n*Momentum*: " + describe_change(trend_points(team))),
        }
        for team in view.teams
    ]
    lines = [
        f"• *{mrkdwn_escape(line.team)}*: {line.reps} reps · acknowledged "
        + (f"{percent(line.acknowledged, line.delivered)} of {line.delivered}" if line.delivered else "nothing sent")
        + " · understanding " + (f"{percent(line.correct, line.answered)} ({line.answered} answers)"
                                 if line.answered else "no answers")
        for line in view.organisation[:MAX_ORG_TEAMS]
    ]
    if len(view.organisation) > MAX_ORG_TEAMS:
        lines.append(f"… and {len(view.organisation) - MAX_ORG_TEAMS} more teams: `{view.command} summary <team>`")
    chunks = ["\n".join(lines[start:start + ORG_TEAMS_PER_SECTION])
              for start in range(0, len(lines), ORG_TEAMS_PER_SECTION)]
    context = {
        "name": view.name, "note": None, "role": view.role, "command": view.command, "days": view.days,
        "waiting_text": waiting, "questions_text": questions, "own_text": own_text, "teams": teams,
        "other_teams": ", ".join(view.other_teams), "organisation": chunks,
    }
    return render_blocks("home", context, surface="home")  # type: ignore[return-value]


def _mention(need: RepNeed) -> str:
    user_id = slack_user_id(need.address)
    return f"<@{user_id}>" if user_id else f"*{mrkdwn_escape(need.name)}*"
