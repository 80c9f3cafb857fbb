"""Which reps' pipelines need a coaching conversation: on-strategy share under the flag for two weeks, or falling.

For each rep of the managers asked about, the open pipeline is re-read as it stood two weeks ago, one week ago
and today (`open_shares_at`: one GROUP BY for every rep and day). A rep is a candidate when all three shares
are under the flag (`DRUMBEAT_ON_STRATEGY_FLAG`), or when today's is at least the drop threshold
(`DRUMBEAT_COACHING_DROP_POINTS`) below two weeks ago. The topic is the strategy expectation
(`on-strategy-first`, else the first expectation of the "strategy" pillar) with message key "pipeline", so the
manager's DM shows that expectation's talking points and the nudge is held back exactly like the others: while
open (two weeks at most), snoozed, or coached after its evidence, the rep's latest deal import.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from storage.deals import Deal
from storage.models import CoachingNudge, Expectation, NudgeReason, NudgeStatus, Person, Role
from storage.queries.coaching import Candidate, SelectionRules
from storage.queries.pipeline import Slice, active_rules, off_strategy_deals_of, open_shares_at

PIPELINE_TOPIC = "pipeline"
STRATEGY_EXPECTATION = "on-strategy-first"


def pipeline_expectation_id(session: Session) -> int | None:
    rows = session.execute(select(Expectation.id, Expectation.key).where(
        or_(Expectation.key == STRATEGY_EXPECTATION, Expectation.pillar == "strategy")).order_by(Expectation.id)).all()
    return next((row.id for row in rows if row.key == STRATEGY_EXPECTATION), rows[0].id if rows else None)


def _share(part: Slice) -> float | None:
    return part.flag_share if part.deals else None


def _blocked(session: Session, rep_ids: list[int], now: datetime, rules: SelectionRules) -> dict[int, list[CoachingNudge]]:
    rows = session.execute(select(CoachingNudge).where(
        CoachingNudge.rep_id.in_(rep_ids), CoachingNudge.message_key == PIPELINE_TOPIC,
        or_(and_(CoachingNudge.status == NudgeStatus.OPEN, CoachingNudge.created_at > now - rules.open_expires_after),
            and_(CoachingNudge.status == NudgeStatus.SNOOZED, CoachingNudge.snoozed_until > now),
            CoachingNudge.status == NudgeStatus.COACHED))).scalars()
    found: dict[int, list[CoachingNudge]] = {}
    for nudge in rows:
        found.setdefault(nudge.rep_id, []).append(nudge)
    return found


def _holds(nudge: CoachingNudge, evidence_at: datetime) -> bool:
    return nudge.status != NudgeStatus.COACHED or (nudge.coached_at is not None and nudge.coached_at >= evidence_at)


def off_strategy_candidates(session: Session, *, now: datetime, manager_ids: list[int], flag: int, currency: str,
                            rules: SelectionRules, limit_deals: int = 3) -> list[Candidate]:
    strategy = active_rules(session)
    expectation_id = pipeline_expectation_id(session)
    if not strategy or expectation_id is None or not manager_ids:
        return []
    reps: dict[int, int] = {rep_id: manager_id for rep_id, manager_id in session.execute(
        select(Person.id, Person.manager_id).where(Person.manager_id.in_(manager_ids), Person.role == Role.REP,
                                                   Person.active.is_(True)))}
    if not reps:
        return []
    ends = [(now - rules.drop_window).date(), (now - timedelta(days=7)).date(), now.date()]
    scope = Deal.owner_id.in_(list(reps))
    shares = open_shares_at(session, rules=strategy, where=scope, ends=ends, group=Deal.owner_id)
    evidence = {owner: at for owner, at in session.execute(
        select(Deal.owner_id, func.max(Deal.updated_at)).where(scope).group_by(Deal.owner_id))}
    blocked = _blocked(session, list(reps), now, rules)
    chosen: dict[int, tuple[list[float | None], bool]] = {}
    for rep_id in sorted(reps):
        points = [_share(shares.get((rep_id, index), Slice())) for index in range(3)]
        under = all(point is not None and point * 100 < flag for point in points)
        fell = points[0] is not None and points[2] is not None and (points[0] - points[2]) * 100 >= rules.drop_points
        at = evidence.get(rep_id)
        if (under or fell) and at is not None and not any(_holds(nudge, at) for nudge in blocked.get(rep_id, [])):
            chosen[rep_id] = (points, under)
    deals_of = off_strategy_deals_of(session, rules=strategy, owner_ids=list(chosen), limit=limit_deals)
    reasons = {rule.key: rule.reason for rule in strategy}
    found = []
    for rep_id, (points, under) in chosen.items():
        today, at = shares[(rep_id, 2)], evidence[rep_id]
        deals = deals_of.get(rep_id, [])
        detail = {"pipeline": {
            "why": "under" if under else "fell", "flag": flag, "shares": points, "currency": currency,
            "open_deals": today.deals, "on_deals": today.on_count, "open_value": today.value,
            "on_value": today.on_value, "off_deals": today.counts.get("neither", 0),
            "deals": [{"name": deal.name or deal.record_id, "account": deal.account or "", "value": deal.value,
                       "deliberate": deal.deliberate_reason or "",
                       "missed": [{"key": key, "reason": reasons[key]} for key in deal.missed]} for deal in deals],
        }}
        found.append(Candidate(reps[rep_id], rep_id, expectation_id, PIPELINE_TOPIC, NudgeReason.OFF_STRATEGY.value,
                               at, round(100 * points[2]) if points[2] is not None else None, detail))
    return found
