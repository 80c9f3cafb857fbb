"""What a manager sees when they ask whether their team is on the same page, and what a rep sees of themselves.

A team summary has four sections, each answering one question a sales leader asks: *Message* (did they hear
it, often enough, the same way?), *Measure* (do they understand it?), *Feedback* (what do they tell us?) and
*Momentum* (is it getting better, week by week?). Every figure is an SQL aggregate from storage.queries; this
module chooses whose figures the caller may see and assembles them. Every section is asked about the same
period, [now - days, now] (`storage.queries.summary_scope` says what falls in it), so no two sections of one
summary count different deliveries or answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.errors import BadInput, NotFound, PermissionDenied
from bot.core.feedback import TeamFeedback, Thresholds, month_of, team_feedback
from bot.core.pipeline import (
    OrgPipeline,
    PersonPipeline,
    PipelineRules,
    TeamPipeline,
    org_pipeline,
    person_pipeline,
    team_pipeline,
)
from bot.core.roles import find_team, managed_team_ids, sees_everything, visible_teams
from messages.rich import Code, Mention, PersonRef, Rich
from storage.address import Address
from storage.models import Person, Role, Team
from storage.queries.accounts import person_at, primary_address, primary_addresses
from storage.queries import understanding, waiting
from storage.queries.coaching import CoachingActivity, coaching_activity
from storage.queries.momentum import WeekPoint, team_weeks
from storage.queries.summary_scope import week_starts
from storage.queries.reach import (
    KeyMessageFrequency,
    MessageReach,
    TeamReach,
    VersionSent,
    key_message_frequency,
    message_reach,
    team_reach,
    versions_sent,
)
from storage.queries.understanding import MIN_ANSWERS_TO_JUDGE, Rate, RepNeed

SUMMARY_READERS = (Role.MANAGER, Role.LEADER, Role.ADMIN)
PERIOD = re.compile(r"^(\d{1,3})d$")
DEFAULT_DAYS = 30
QUARTER_DAYS = 91
MAX_DAYS = 366
MIN_TREND_WEEKS = 4  # fewer points than this is not a trend
COACHING_BELOW = 0.6  # reps under 60% right on their latest answers in the period are named for coaching
MAX_FEEDBACK_MONTHS = 4
OWN_FIGURES = Rich(Code("summary"), " on its own shows your own figures.")


@dataclass(frozen=True)
class SummaryRequest:
    team_name: str | None = None
    person: Address | str | None = None  # "me", or the account of the one person asked about
    days: int = DEFAULT_DAYS
    export: bool = False
    pipeline: bool = False  # `summary pipeline ...`: only the Pipeline section (a leader: the organisation by team)


@dataclass(frozen=True)
class Coaching:
    """Reps who need coaching: named only to their own manager and to leaders; the rest are only counted."""

    named: list[RepNeed]
    unnamed: int
    not_judged: int = 0  # reps who answered fewer than MIN_ANSWERS_TO_JUDGE expectations in the period
    min_answers: int = MIN_ANSWERS_TO_JUDGE


@dataclass(frozen=True)
class TeamSummary:
    team: str
    team_id: int
    days: int
    since: datetime
    now: datetime
    reach: TeamReach
    messages: list[MessageReach]
    key_messages: list[KeyMessageFrequency]
    versions: list[VersionSent]
    understanding: Rate
    expectations: list[Rate]  # least understood first
    coaching: Coaching
    feedback: list[TeamFeedback]  # newest month first
    trend: list[WeekPoint]  # oldest week first
    coaching_activity: CoachingActivity
    pipeline: TeamPipeline | None = None


@dataclass(frozen=True)
class PersonSummary:
    name: str
    address: Address | None  # where the person is reached (a mention where the platform has one)
    days: int
    since: datetime
    now: datetime
    messages: list[MessageReach]
    waiting: int  # messages delivered and not acknowledged yet
    open_questions: int  # pulse-check questions asked and not answered yet
    understanding: Rate
    expectations: list[Rate]  # least understood first
    pipeline: PersonPipeline | None = None

    @property
    def delivered(self) -> int:
        return sum(message.delivered for message in self.messages)

    @property
    def acknowledged(self) -> int:
        return sum(message.acknowledged for message in self.messages)


@dataclass(frozen=True)
class TeamPipelineSummary:
    """`summary pipeline [team]`: a team's Pipeline section on its own."""

    team: str
    days: int
    since: datetime
    now: datetime
    pipeline: TeamPipeline


@dataclass(frozen=True)
class PersonPipelineSummary:
    """`summary pipeline` (a rep) or `summary pipeline @rep`: one person's own pipeline."""

    name: str
    address: Address | None
    days: int
    since: datetime
    now: datetime
    pipeline: PersonPipeline


Summary = TeamSummary | PersonSummary | TeamPipelineSummary | PersonPipelineSummary | OrgPipeline


def parse_summary_args(words: list[str], *, person: Address | None = None) -> SummaryRequest:
    """`[export] [team name | me] [7d|30d|90d|quarter]`; the period is the last word if it looks like one.

    Mentions are the platform adapter's business: it passes the person it found as `person`.
    """
    export = bool(words) and words[0].lower() == "export"
    if export:
        words = words[1:]
    pipeline = bool(words) and words[0].lower() == "pipeline"
    if pipeline:
        words = words[1:]
    days = DEFAULT_DAYS
    if words:
        last = words[-1].lower()
        if last == "quarter":
            days, words = QUARTER_DAYS, words[:-1]
        elif PERIOD.match(last):
            days, words = int(PERIOD.match(last).group(1)), words[:-1]  # type: ignore[union-attr]
            if not 1 <= days <= MAX_DAYS:
                raise BadInput(f"A period is 1d to {MAX_DAYS}d (or 'quarter'); '{last}' is not.")
        elif re.fullmatch(r"\d+\w*", last):
            raise BadInput(f"'{last}' is not a period I know: use 7d, 30d, 90d or quarter.")
    team_name = " ".join(words).strip() or None
    if team_name is not None and team_name.lower() == "me":
        return SummaryRequest(person="me", days=days, export=export, pipeline=pipeline)
    if team_name is not None and person is not None:
        raise BadInput(Rich("Ask about a team or a person, not both: e.g. ", Code("summary East"), " or ",
                            Code("summary @maria"), "."))
    return SummaryRequest(team_name=team_name, person=person, days=days, export=export, pipeline=pipeline)


def summarise(session: Session, *, caller: Person, request: SummaryRequest, now: datetime,
              thresholds: Thresholds = Thresholds()) -> Summary:
    """The summary the caller asked for, or the one they may see: reps get their own figures."""
    if request.pipeline:
        return pipeline_summary(session, caller=caller, request=request, now=now, thresholds=thresholds)
    if request.person is not None:
        return person_summary(session, caller=caller, person=_choose_person(session, caller, request.person),
                              days=request.days, now=now, thresholds=thresholds)
    if caller.role == Role.REP:
        if request.team_name is not None:
            raise PermissionDenied(Rich("Sorry, team summaries are for managers and leaders. ", OWN_FIGURES))
        return person_summary(session, caller=caller, person=caller, days=request.days, now=now,
                              thresholds=thresholds)
    return team_summary(session, caller=caller, request=request, now=now, thresholds=thresholds)


def team_summary(session: Session, *, caller: Person, request: SummaryRequest, now: datetime,
                 thresholds: Thresholds = Thresholds()) -> TeamSummary:
    if caller.role not in SUMMARY_READERS:
        raise PermissionDenied(Rich("Sorry, only managers, leaders and admins can see team summaries. ", OWN_FIGURES))
    team = _choose_team(session, caller, request.team_name)
    assert team.id is not None
    since = now - timedelta(days=request.days)
    weeks = max(MIN_TREND_WEEKS, -(-request.days // 7))
    period = {"since": since, "until": now}  # the same period for every section
    return TeamSummary(
        team=team.name,
        team_id=team.id,
        days=request.days,
        since=since,
        now=now,
        reach=team_reach(session, team_id=team.id, **period),
        messages=message_reach(session, team_id=team.id, **period),
        key_messages=key_message_frequency(session, team_id=team.id, **period),
        versions=versions_sent(session, team_id=team.id, **period),
        understanding=understanding.for_team(session, team_id=team.id, **period),
        expectations=sorted(understanding.per_expectation(session, team_id=team.id, **period),
                            key=lambda rate: (rate.rate if rate.rate is not None else 2.0, rate.key)),
        coaching=_coaching(session, caller, team.id, since, now),
        feedback=_feedback(session, caller, team, since, now, thresholds),
        trend=team_weeks(session, team_id=team.id, starts=week_starts(now, weeks), end=now),
        coaching_activity=coaching_activity(session, team_id=team.id, **period),
        pipeline=team_pipeline(session, caller=caller, team=team, since=since, now=now,
                               starts=week_starts(now, weeks), rules=_pipeline_rules(thresholds)),
    )


def person_summary(session: Session, *, caller: Person, person: Person, days: int, now: datetime,
                   thresholds: Thresholds = Thresholds()) -> PersonSummary:
    assert person.id is not None
    since = now - timedelta(days=days)
    period = {"since": since, "until": now}
    return PersonSummary(
        name=person.name,
        address=primary_address(session, person.id),
        days=days,
        since=since,
        now=now,
        messages=message_reach(session, person_id=person.id, **period),
        waiting=waiting.unacknowledged_count(session, person_id=person.id, **period),
        open_questions=waiting.open_questions_count(session, person_id=person.id),
        understanding=understanding.for_person(session, person_id=person.id, **period),
        expectations=understanding.person_per_expectation(session, person_id=person.id, **period),
        pipeline=person_pipeline(session, person=person, since=since, now=now, rules=_pipeline_rules(thresholds),
                                 caller=caller),
    )


def _pipeline_rules(thresholds: Thresholds) -> PipelineRules:
    return PipelineRules(flag=thresholds.on_strategy_flag, currency=thresholds.pipeline_currency)


def pipeline_summary(session: Session, *, caller: Person, request: SummaryRequest, now: datetime,
                     thresholds: Thresholds = Thresholds()) -> Summary:
    """`summary pipeline [team | @person | me] [period]`: reps their own, managers a team, leaders the organisation
    by team (or one team); a rep asking for a team's pipeline is refused."""
    rules, since = _pipeline_rules(thresholds), now - timedelta(days=request.days)
    person = (_choose_person(session, caller, request.person) if request.person is not None
              else caller if caller.role == Role.REP and request.team_name is None else None)
    if person is not None:
        assert person.id is not None
        return PersonPipelineSummary(person.name, primary_address(session, person.id), request.days, since, now,
                                     person_pipeline(session, person=person, since=since, now=now, rules=rules,
                                                     caller=caller))
    if caller.role not in SUMMARY_READERS:
        raise PermissionDenied(Rich("Sorry, a team's pipeline is for its managers and leaders. ", Code("summary pipeline"),
                                    " on its own shows yours."))
    if request.team_name is None and sees_everything(caller):
        return org_pipeline(session, days=request.days, now=now, rules=rules)
    team = _choose_team(session, caller, request.team_name)
    weeks = max(MIN_TREND_WEEKS, -(-request.days // 7))
    return TeamPipelineSummary(team.name, request.days, since, now, team_pipeline(
        session, caller=caller, team=team, since=since, now=now, starts=week_starts(now, weeks), rules=rules))


def _coaching(session: Session, caller: Person, team_id: int, since: datetime, now: datetime) -> Coaching:
    needs = understanding.reps_needing_coaching(session, team_id=team_id, since=since, until=now,
                                                below=COACHING_BELOW)
    named = [need for need in needs if sees_everything(caller) or need.manager_id == caller.id]
    addresses = primary_addresses(session, [need.person_id for need in named])
    return Coaching(named=[replace(need, address=addresses.get(need.person_id)) for need in named],
                    unnamed=len(needs) - len(named),
                    not_judged=understanding.reps_too_few_answers(session, team_id=team_id, since=since, until=now))


def _feedback(session: Session, caller: Person, team: Team, since: datetime, now: datetime,
              thresholds: Thresholds) -> list[TeamFeedback]:
    """The months the period touches, newest first, each under the feedback work's anonymity rules."""
    first, last = month_of(since, thresholds.timezone)[0], month_of(now, thresholds.timezone)[0]
    year, month = int(last[:4]), int(last[5:])
    months: list[str] = []
    while len(months) < MAX_FEEDBACK_MONTHS and f"{year:04d}-{month:02d}" >= first:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return [team_feedback(session, caller=caller, team_name=team.name, month=month, thresholds=thresholds, now=now)
            for month in months]


def _choose_person(session: Session, caller: Person, named: Address | str) -> Person:
    """`named` is "me" or the account of the person mentioned."""
    person = caller if named == "me" else person_at(session, named)  # type: ignore[arg-type]
    if person is not None and person.id == caller.id:
        return caller
    shown = person.name if person is not None else named.user_id if isinstance(named, Address) else str(named)
    mention = Mention(PersonRef(shown, named if isinstance(named, Address) else None))  # a name where one is known
    if person is None or not person.active:
        raise NotFound(Rich(mention, " is not in Drumbeat's directory, so I have no figures for them."))
    if sees_everything(caller):
        return person
    if caller.role == Role.MANAGER and (person.manager_id == caller.id
                                        or (person.team_id is not None
                                            and person.team_id in managed_team_ids(session, caller))):
        return person
    raise PermissionDenied(Rich("Sorry, ", mention, " is not in your teams, so their figures are not yours to see. ",
                                Code("summary"), " on its own shows yours."))


def _choose_team(session: Session, caller: Person, team_name: str | None) -> Team:
    if team_name is None:
        teams = visible_teams(session, caller) if not sees_everything(caller) else []
        if caller.team_id is not None and (sees_everything(caller) or caller.team_id in {t.id for t in teams}):
            team = session.get(Team, caller.team_id)
            assert team is not None
            return team
        if len(teams) == 1:
            return teams[0]
        raise BadInput(Rich("Which team? Add its name, e.g. ", Code(f"summary {_example_team(session, caller)}"),
                            f". Your teams: {_team_names(session, caller)}."))
    team = find_team(session, team_name)
    if team is None:
        raise NotFound(f"There is no team called '{team_name}'. Teams you can see: {_team_names(session, caller)}.")
    if not sees_everything(caller) and team.id not in managed_team_ids(session, caller):
        raise PermissionDenied(f"Sorry, {team.name} is not one of your teams, so its summary is not yours to see.")
    return team


def _team_names(session: Session, caller: Person, limit: int = 12) -> str:
    names = [team.name for team in visible_teams(session, caller)]
    if not names:
        return "none"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _example_team(session: Session, caller: Person) -> str:
    teams = visible_teams(session, caller)
    return teams[0].name if teams else "East"
