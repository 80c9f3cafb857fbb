"""On-strategy business, counted in SQL: which deals fit the strategy's rules, and what share of the pipeline.

A deal is on strategy *by profile* when it passes every profile rule (segment, industry, size, region,
minimum amount), *by offering* when it passes the offering rule, *both*, or *neither* (off strategy). The rules
are the content packs' (table `strategyrule`, a handful of rows); each becomes a boolean SQL expression over
the deal's key columns, so every figure is one GROUP BY however many deals there are. A rule kind a pack does
not define constrains nothing; with no profile rule at all no deal is on strategy by profile.

Figures are by count and by value (hundredths of the reporting currency): the *open pipeline* (open now) and
the business *won in the period* (closed won, close date in it). Deliberate off-strategy deals (a rep's
reason given) stay off strategy in every share, and are counted apart so a manager sees which were choices.
The weekly trend re-reads the open pipeline as it stood at each week's end: created by then and not yet closed
(open now, or closed after it), with each deal's attributes as imported last.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, case, false, func, literal, or_, select, true, union_all
from sqlmodel import Session

from storage.deals import PROFILE_KINDS, RULE_COLUMN, Deal, Outcome, RuleKind, StrategyRule
from storage.models import Person, Role

BAND = re.compile(r"^(\d+)\s*(?:-\s*(\d+)|\+)$")  # a size band as a head-count range: "1000-4999", "5000+"
CATEGORIES = ("both", "profile", "offering", "neither")


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    reason: str
    value_keys: tuple[str, ...]
    minimum_minor: int | None


def active_rules(session: Session) -> list[Rule]:
    rows = session.execute(select(StrategyRule).where(StrategyRule.active.is_(True)).order_by(StrategyRule.key))
    return [Rule(row.key, row.kind, row.reason, tuple(row.value_keys), row.minimum_minor) for row in rows.scalars()]


def passes(rule: Rule) -> Any:
    """True when a deal meets the rule (never NULL: a missing value misses it)."""
    if rule.kind == RuleKind.MINIMUM_AMOUNT:
        return and_(Deal.value_minor.is_not(None), Deal.value_minor >= (rule.minimum_minor or 0))
    column = getattr(Deal, f"{RULE_COLUMN[RuleKind(rule.kind)]}_key")
    named = and_(column.is_not(None), column.in_(rule.value_keys)) if rule.value_keys else false()
    if rule.kind != RuleKind.SIZE:
        return named
    bands = [BAND.match(value) for value in rule.value_keys]
    counted = [and_(Deal.employees >= int(m.group(1)), Deal.employees <= int(m.group(2)) if m.group(2) else true())
               for m in bands if m]
    return or_(named, and_(Deal.employees.is_not(None), or_(*counted))) if counted else named


def on_profile(rules: Sequence[Rule]) -> Any:
    profile = [rule for rule in rules if rule.kind in PROFILE_KINDS]
    return and_(*(passes(rule) for rule in profile)) if profile else false()


def on_offering(rules: Sequence[Rule]) -> Any:
    offering = [rule for rule in rules if rule.kind == RuleKind.OFFERING]
    return passes(offering[0]) if offering else false()


def category(rules: Sequence[Rule]) -> Any:
    profile, offering = on_profile(rules), on_offering(rules)
    return case((and_(profile, offering), "both"), (profile, "profile"), (offering, "offering"), else_="neither")


@dataclass(frozen=True)
class Slice:
    """One part of the pipeline (open now, or won in the period): deals and value, by category."""

    deals: int = 0
    value: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # category -> deals
    values: dict[str, int] = field(default_factory=dict)  # category -> value
    deliberate: int = 0  # off-strategy deals a rep marked deliberate (counted in "neither" too)
    deliberate_value: int = 0

    def __add__(self, other: Slice) -> Slice:
        """Two parts' subtotals together (a team's from its reps': no second pass over the deals)."""
        names = {*self.counts, *other.counts}
        return Slice(self.deals + other.deals, self.value + other.value,
                     {name: self.counts.get(name, 0) + other.counts.get(name, 0) for name in names},
                     {name: self.values.get(name, 0) + other.values.get(name, 0) for name in names},
                     self.deliberate + other.deliberate, self.deliberate_value + other.deliberate_value)

    @property
    def on_count(self) -> int:
        return self.deals - self.counts.get("neither", 0)

    @property
    def on_value(self) -> int:
        return self.value - self.values.get("neither", 0)

    @property
    def share_count(self) -> float | None:
        return self.on_count / self.deals if self.deals else None

    @property
    def share_value(self) -> float | None:
        return self.on_value / self.value if self.value else None

    @property
    def flag_share(self) -> float | None:
        """What the red flag is judged on: the share by value, or by count where no deal has an amount."""
        return self.share_value if self.value else self.share_count


@dataclass(frozen=True)
class PipelineFigures:
    open: Slice
    won: Slice

    @staticmethod
    def total(parts: Sequence[PipelineFigures]) -> PipelineFigures:
        return PipelineFigures(sum((part.open for part in parts), Slice()), sum((part.won for part in parts), Slice()))


def classified(rules: Sequence[Rule], *columns: Any, where: Any, join_owner: bool = False,
               materialized: bool = False) -> Any:
    """The deals in `where`, each with its category, value and deliberate mark beside `columns`. `materialized`:
    as a CTE both databases compute once (`AS MATERIALIZED`), for a query that joins each deal to several rows
    (open_shares_at's days), where a flattened subquery would classify each deal once per joined row."""
    query = select(*columns, category(rules).label("kind"), func.coalesce(Deal.value_minor, 0).label("value"),
                   Deal.deliberate_reason.is_not(None).label("marked")).select_from(Deal)
    if join_owner:
        query = query.join(Person, Person.id == Deal.owner_id)
    query = query.where(where)
    return query.cte("classified").prefix_with("MATERIALIZED") if materialized else query.subquery()


def _by_kind(deals: Any, *keys: Any) -> Any:
    """Counts and values per `keys` and category. The category is a GROUP BY key, so it is evaluated once per row:
    both SQLite and PostgreSQL flatten the subquery, and one conditional sum per category (as this was) made them
    evaluate every rule's CASE once per sum, ten times per deal (the 13-week trend: 168 -> 41 ms on PostgreSQL
    at 200,000 deals, in one A/B run; README, Benchmarks)."""
    return (select(*keys, deals.c.kind, func.count(), func.sum(deals.c.value),
                   func.sum(case((deals.c.marked, 1), else_=0)), func.sum(case((deals.c.marked, deals.c.value), else_=0)))
            .select_from(deals).group_by(*keys, deals.c.kind))


def _slices(rows: Any, keys: int) -> dict[tuple[Any, ...], Slice]:
    """The rows of `_by_kind` (each: its `keys` values, a category and four numbers) as one Slice per key."""
    parts: dict[tuple[Any, ...], list[tuple[str, int, int, int, int]]] = {}
    for row in rows:
        kind, deals, value, marked, marked_value = row[keys:]
        parts.setdefault(tuple(row[:keys]), []).append(
            (kind, int(deals or 0), int(value or 0), int(marked or 0), int(marked_value or 0)))
    return {key: _slice(found) for key, found in parts.items()}


def _slice(found: Sequence[tuple[str, int, int, int, int]]) -> Slice:
    counts = {name: 0 for name in CATEGORIES} | {kind: deals for kind, deals, *_ in found}
    values = {name: 0 for name in CATEGORIES} | {kind: value for kind, _, value, *_ in found}
    off = [(marked, marked_value) for kind, _, _, marked, marked_value in found if kind == "neither"]
    deliberate, deliberate_value = off[0] if off else (0, 0)
    return Slice(sum(counts.values()), sum(values.values()), counts, values, deliberate, deliberate_value)


def in_scope(since: date, until: date) -> Any:
    """Open now, or won with a close date in the period (both days included)."""
    return or_(Deal.outcome == Outcome.OPEN,
               and_(Deal.outcome == Outcome.WON, Deal.close_on >= since, Deal.close_on <= until))


def figures_by(session: Session, *, rules: Sequence[Rule], group: Any, where: Any, since: date, until: date,
               join_owner: bool = False) -> dict[Any, PipelineFigures]:
    """Open pipeline and won business per value of `group` (an owner id, a team id, or one literal)."""
    deals = classified(rules, group.label("grp"), Deal.outcome, where=and_(where, in_scope(since, until)),
                       join_owner=join_owner)
    parts: dict[Any, dict[str, Slice]] = {}
    for (key, outcome), part in _slices(session.execute(_by_kind(deals, deals.c.grp, deals.c.outcome)), 2).items():
        parts.setdefault(key, {})[outcome] = part
    return {key: PipelineFigures(part.get(Outcome.OPEN, Slice()), part.get(Outcome.WON, Slice()))
            for key, part in parts.items()}


def org_by_team(session: Session, *, rules: Sequence[Rule], since: date, until: date) -> dict[int, PipelineFigures]:
    """Every team's figures at once (its active reps' deals), for a leader's view of the organisation."""
    return figures_by(session, rules=rules, group=Person.team_id, join_owner=True, since=since, until=until,
                      where=and_(Person.role == Role.REP, Person.active.is_(True), Person.team_id.is_not(None)))


@dataclass(frozen=True)
class MissedRule:
    key: str
    reason: str
    deals: int
    value: int


def missed_rules(session: Session, *, rules: Sequence[Rule], where: Any, since: date, until: date) -> list[MissedRule]:
    """For the off-strategy deals in scope: how many miss each rule, most missed first (one row of sums)."""
    if not rules:
        return []
    value = func.coalesce(Deal.value_minor, 0)
    missing = [~passes(rule) for rule in rules]
    columns = [part for miss in missing for part in (func.sum(case((miss, 1), else_=0)),
                                                     func.sum(case((miss, value), else_=0)))]
    row = session.execute(select(*columns).where(where, in_scope(since, until), category(rules) == "neither")).one()
    found = [MissedRule(rule.key, rule.reason, int(row[2 * index] or 0), int(row[2 * index + 1] or 0))
             for index, rule in enumerate(rules)]
    return sorted((miss for miss in found if miss.deals), key=lambda miss: (-miss.deals, -miss.value, miss.key))


def open_shares_at(session: Session, *, rules: Sequence[Rule], where: Any, ends: Sequence[date],
                   group: Any = None) -> dict[tuple[Any, int], Slice]:
    """The open pipeline as it stood at the end of each day in `ends`: (group, index of the day) -> Slice."""
    days = union_all(*(select(literal(index).label("week"), literal(day, Date).label("ends"))
                       for index, day in enumerate(ends))).subquery()
    key = group if group is not None else literal(0)
    deals = classified(rules, key.label("grp"), Deal.created_on, Deal.close_on, Deal.outcome,
                       where=and_(where, Deal.created_on <= max(ends),  # and not closed before the first day:
                                  or_(Deal.outcome == Outcome.OPEN, Deal.close_on > min(ends))), materialized=True)
    was_open = and_(deals.c.created_on <= days.c.ends,
                    or_(deals.c.outcome == Outcome.OPEN,
                        and_(deals.c.close_on.is_not(None), deals.c.close_on > days.c.ends)))
    query = _by_kind(deals, deals.c.grp, days.c.week).join(days, was_open)
    return {(group_key, week): part for (group_key, week), part in _slices(session.execute(query), 2).items()}


@dataclass(frozen=True)
class OffDeal:
    deal_id: int
    record_id: str
    name: str | None
    account: str | None
    value: int
    deliberate_reason: str | None
    missed: tuple[str, ...]  # rule keys


def off_strategy_deals(session: Session, *, rules: Sequence[Rule], owner_id: int, limit: int = 5) -> list[OffDeal]:
    """A rep's largest open off-strategy deals, each with the rules it misses (computed in the query)."""
    return off_strategy_deals_of(session, rules=rules, owner_ids=[owner_id], limit=limit).get(owner_id, [])


def off_strategy_deals_of(session: Session, *, rules: Sequence[Rule], owner_ids: Sequence[int],
                          limit: int) -> dict[int, list[OffDeal]]:
    """Each rep's largest open off-strategy deals, each with the rules it misses: one ranked query for every rep
    at once (a query per rep was the coaching morning's cost at 200,000 deals)."""
    if not owner_ids:
        return {}
    misses = [(~passes(rule)).label(f"miss_{index}") for index, rule in enumerate(rules)]
    value = func.coalesce(Deal.value_minor, 0)
    ranked = (select(Deal.owner_id, Deal.id.label("deal_id"), Deal.record_id, Deal.name, Deal.account,
                     value.label("value"), Deal.deliberate_reason, *misses,
                     func.row_number().over(partition_by=Deal.owner_id,
                                            order_by=(value.desc(), Deal.record_id)).label("rank"))
              .where(Deal.owner_id.in_(list(owner_ids)), Deal.outcome == Outcome.OPEN, category(rules) == "neither")
              .subquery())
    found: dict[int, list[OffDeal]] = {}
    for owner, deal_id, record, name, account, amount, reason, *flags in session.execute(
            select(*[column for column in ranked.c if column.name != "rank"])
            .where(ranked.c.rank <= limit).order_by(ranked.c.owner_id, ranked.c.rank)):
        found.setdefault(owner, []).append(OffDeal(deal_id, record, name, account, int(amount), reason, tuple(
            rule.key for rule, missed in zip(rules, flags, strict=True) if missed)))
    return found
