"""On-strategy business in the summary: whose pipeline figures the caller may see, assembled from SQL aggregates.

A rep sees their own; a manager a team's, with each of their own reps named (a rep of another manager is
only counted, as in the Measure section); a leader or admin any team, and the organisation by team. A rep
asking for a team's pipeline is refused. The figures are `storage.queries.pipeline`'s: the open pipeline now,
business won in the summary's period, the rules the off-strategy deals miss, and the weekly trend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import literal, select
from sqlmodel import Session

from bot.core.roles import sees_everything
from storage.address import Address
from storage.deals import Deal
from storage.models import Person, Role, Team
from storage.queries import pipeline as queries
from storage.queries.accounts import primary_addresses
from storage.queries.pipeline import MissedRule, OffDeal, PipelineFigures, Slice
from storage.queries.summary_scope import WEEK, is_team_rep

MAX_MISSED = 5


@dataclass(frozen=True)
class PipelineRules:
    """The summary's pipeline settings: the red flag (percent) and the currency values are in."""

    flag: int = 30
    currency: str = "USD"

    def flagged(self, part: Slice) -> bool:
        share = part.flag_share
        return share is not None and share * 100 < self.flag


@dataclass(frozen=True)
class RepPipeline:
    person_id: int
    name: str
    address: Address | None
    figures: PipelineFigures


@dataclass(frozen=True)
class WeekShare:
    starts: datetime
    open: Slice  # the open pipeline at the week's end


@dataclass(frozen=True)
class TeamPipeline:
    team: str
    rules: PipelineRules
    defined: bool  # the content packs define a strategy (at least one active rule)
    figures: PipelineFigures
    reps: list[RepPipeline]  # the reps the caller may see by name, lowest on-strategy share first
    unnamed: int  # the team's other reps with deals (another manager's)
    missed: list[MissedRule]
    trend: list[WeekShare]


@dataclass(frozen=True)
class PersonPipeline:
    rules: PipelineRules
    defined: bool
    figures: PipelineFigures
    missed: list[MissedRule]
    off_deals: list[OffDeal]
    can_mark: bool = False  # the caller is the person or their manager: each deal gets a Mark deliberate button


@dataclass(frozen=True)
class OrgPipeline:
    """A leader's view: every team's figures (and the organisation's total) in one screen."""

    rules: PipelineRules
    defined: bool
    days: int
    since: datetime
    now: datetime
    total: PipelineFigures
    teams: list[tuple[str, PipelineFigures]]  # by team name


def _days(since: datetime, now: datetime) -> tuple[date, date]:
    return since.date(), now.date()


def week_ends(starts: list[datetime], now: datetime) -> list[date]:
    """The day each week of the trend ends on (the newest: today)."""
    return [min(start + WEEK, now).date() for start in starts]


def team_pipeline(session: Session, *, caller: Person, team: Team, since: datetime, now: datetime,
                  starts: list[datetime], rules: PipelineRules) -> TeamPipeline:
    assert team.id is not None
    strategy = queries.active_rules(session)
    first, last = _days(since, now)
    scope = is_team_rep(Deal.owner_id, team.id)
    per_rep = queries.figures_by(session, rules=strategy, group=Deal.owner_id, where=scope, since=first, until=last)
    people = {person.id: person for person in session.execute(
        select(Person).where(Person.id.in_(list(per_rep)))).scalars()}
    visible = [person for person in people.values() if sees_everything(caller) or person.manager_id == caller.id]
    addresses = primary_addresses(session, [person.id for person in visible if person.id is not None])
    reps = sorted((RepPipeline(person.id, person.name, addresses.get(person.id), per_rep[person.id])  # type: ignore[arg-type]
                   for person in visible), key=_rep_order)
    shares = queries.open_shares_at(session, rules=strategy, where=scope, ends=week_ends(starts, now))
    return TeamPipeline(
        team=team.name, rules=rules, defined=bool(strategy),
        figures=PipelineFigures.total(list(per_rep.values())), reps=reps,  # the reps' subtotals: one pass
        unnamed=len(per_rep) - len(reps),
        missed=queries.missed_rules(session, rules=strategy, where=scope, since=first, until=last)[:MAX_MISSED],
        trend=[WeekShare(start, shares.get((0, index), Slice())) for index, start in enumerate(starts)],
    )


def person_pipeline(session: Session, *, person: Person, since: datetime, now: datetime,
                    rules: PipelineRules, caller: Person | None = None) -> PersonPipeline:
    assert person.id is not None
    strategy = queries.active_rules(session)
    first, last = _days(since, now)
    scope = Deal.owner_id == person.id
    figures = queries.figures_by(session, rules=strategy, group=_one(), where=scope, since=first, until=last)
    return PersonPipeline(
        rules=rules, defined=bool(strategy), figures=figures.get(0, PipelineFigures(Slice(), Slice())),
        missed=queries.missed_rules(session, rules=strategy, where=scope, since=first, until=last)[:MAX_MISSED],
        off_deals=queries.off_strategy_deals(session, rules=strategy, owner_id=person.id) if strategy else [],
        can_mark=caller is not None and (caller.id == person.id or person.manager_id == caller.id),
    )


def org_pipeline(session: Session, *, days: int, now: datetime, rules: PipelineRules) -> OrgPipeline:
    strategy = queries.active_rules(session)
    since = now - timedelta(days=days)
    first, last = _days(since, now)
    by_team = queries.org_by_team(session, rules=strategy, since=first, until=last)
    names = {team_id: name for team_id, name in session.execute(select(Team.id, Team.name))}
    everyone = Deal.owner_id.in_(select(Person.id).where(Person.role == Role.REP, Person.active.is_(True),
                                                         Person.team_id.is_not(None)))
    total = queries.figures_by(session, rules=strategy, group=_one(), where=everyone, since=first, until=last)
    return OrgPipeline(rules=rules, defined=bool(strategy), days=days, since=since, now=now,
                       total=total.get(0, PipelineFigures(Slice(), Slice())),
                       teams=sorted(((names[team_id], figures) for team_id, figures in by_team.items()),
                                    key=lambda item: item[0].casefold()))


def _one() -> Any:
    """One group for a whole team's (or person's) figures."""
    return literal(0)


def _rep_order(rep: RepPipeline) -> tuple[float, str]:
    share = rep.figures.open.flag_share
    return (share if share is not None else 2.0, rep.name.casefold())

