"""What the Home screen says: what waits for the person, their own understanding, their teams, the organisation.

The figures come from `bot.core.home`; this module only words them, cut to the person's role.
"""

from __future__ import annotations

from bot.core.home import HomeView
from bot.core.people import person_ref
from bot.core.summaries import TeamSummary
from bot.core.words.figures import percent, plural, share
from bot.core.words.screen import GIVE_FEEDBACK, Button, Field, Screen, Section
from bot.core.words.summary import trend_points
from messages.charts import describe_change
from messages.rich import Code, Icon, Mention, Rich, Strong
from storage.queries.overview import TeamLine

MAX_ORG_TEAMS = 150  # one line per team; beyond this a leader asks for a team by name
ORG_TEAMS_PER_SECTION = 20  # short sections stay readable and within every platform's size limits
MAX_REPS_TO_COACH = 10
LEAST_UNDERSTOOD = 3


def home_screen(view: HomeView) -> Screen:
    """The Home screen for one person; `view.note` replaces the dashboard for people not in the directory."""
    title = f"Hi {view.name}!" if view.name else "Welcome to Drumbeat"
    if view.note:
        return Screen(title=title, sections=(Section(lines=(view.note,)),))
    sections = [
        Section(lines=_waiting(view)),
        Section(lines=(_questions(view),)),
        Section(lines=_own(view)),
        Section(name="home_actions", buttons=(Button("Give stop / start / continue feedback", GIVE_FEEDBACK, "home"),)),
    ]
    for team in view.teams:
        sections += _team(team, view.days)
    if view.other_teams:
        sections.append(Section(small=True, lines=(Rich(f"Your other teams: {', '.join(view.other_teams)}. ",
                                                        Code(f"{view.command} summary <team>"), " shows each."),)))
    sections += _organisation(view)
    sections.append(Section(small=True, lines=(Rich(
        f"You are registered as a {view.role}. ", Code(f"{view.command} summary"), " shows your figures in full; ",
        Code(f"{view.command} help"), " lists everything."),)))
    return Screen(title=title, sections=tuple(sections))


def _waiting(view: HomeView) -> tuple[str | Rich, ...]:
    if not view.unacknowledged:
        return (Rich(Icon("ok"), " You're up to date: every strategy message is acknowledged."),)
    return (Rich(Icon("waiting"), f" You have {plural(view.unacknowledged, 'strategy message')} to acknowledge in "
                                  "your DMs:"),
            *(f"• {item.title}" + (f" ({item.sent_at:%b %d})" if item.sent_at else "") for item in view.waiting))


def _questions(view: HomeView) -> Rich:
    if view.open_questions:
        return Rich(Icon("questions"), f" {plural(view.open_questions, 'pulse-check question')} waiting for your "
                                       "answer in our DM.")
    return Rich(Icon("questions"), " No open questions. ", Code(f"{view.command} quiz me"), " practises one now.")


def _own(view: HomeView) -> tuple[Rich, ...]:
    own = view.own
    if own is None or not own.answered:
        return (Rich(Strong("Your understanding"), ": no pulse-check answers in the last 30 days yet."),)
    lines = [Rich(Strong("Your understanding"), f": {share(own)} of expectations right on your latest answers")]
    missed = [Code(rate.key) for rate in view.own_expectations if not rate.correct]
    if missed:
        lines.append(Rich("To look at again: ", Rich.join(", ", missed)))
    return tuple(lines)


def _team(team: TeamSummary, days: int) -> list[Section]:
    """A team the person manages: its headline figures, then what to act on."""
    reach = team.reach
    acknowledged = f"{reach.acknowledged} of {reach.delivered}" + (
        f" ({percent(reach.acknowledged, reach.delivered)})" if reach.delivered else "")
    least = Rich.join(", ", (Rich(Code(r.key), f" {percent(r.correct, r.answered)}")
                             for r in team.expectations[:LEAST_UNDERSTOOD]))
    detail = [Rich(Strong("Least understood"), ": ", least or "nothing measured yet")]
    if team.coaching.named:
        detail.append(Rich(Strong("Reps to coach"), ": ", Rich.join(", ", (
            Mention(person_ref(need)) for need in team.coaching.named[:MAX_REPS_TO_COACH]))))
    detail.append(Rich(Strong("Momentum"), ": ", describe_change(trend_points(team))))
    return [
        Section(rule=True, title=f"Team {team.team} · last {days} days", fields=(
            Field("Reach", f"{reach.reached} of {reach.reps} reps"),
            Field("Acknowledged", acknowledged),
            Field("Understanding", share(team.understanding) if team.understanding.answered else "no answers yet"),
            Field("Need coaching", str(len(team.coaching.named) + team.coaching.unnamed)),
        )),
        Section(lines=tuple(detail)),
    ]


def _organisation(view: HomeView) -> list[Section]:
    """Leaders and admins: one line per team, in short sections."""
    if not view.organisation:
        return []
    lines: list[str | Rich] = [_org_line(line) for line in view.organisation[:MAX_ORG_TEAMS]]
    if len(view.organisation) > MAX_ORG_TEAMS:
        lines.append(Rich(f"… and {len(view.organisation) - MAX_ORG_TEAMS} more teams: ",
                          Code(f"{view.command} summary <team>")))
    per = ORG_TEAMS_PER_SECTION
    chunks = [tuple(lines[start:start + per]) for start in range(0, len(lines), per)]
    first = Section(rule=True, title=f"The organisation · last {view.days} days", lines=chunks[0])
    return [first, *(Section(lines=chunk) for chunk in chunks[1:])]


def _org_line(line: TeamLine) -> Rich:
    acknowledged = (f"{percent(line.acknowledged, line.delivered)} of {line.delivered}" if line.delivered
                    else "nothing sent")
    understanding = (f"{percent(line.correct, line.answered)} ({line.answered} answers)" if line.answered
                     else "no answers")
    return Rich("• ", Strong(line.team),
                f": {line.reps} reps · acknowledged {acknowledged} · understanding {understanding}")
