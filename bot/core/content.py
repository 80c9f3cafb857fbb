"""Keep the database's copy of the content library in step with the loaded packs.

Messages are versioned: a pack message whose (key, version) is already stored is left as it is, so
deliveries that went out keep pointing at the text they carried; a higher version is added as a new row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlmodel import Session

from messages.library import ContentPack
from storage.deals import StrategyRule, value_key
from storage.models import CoachingTip, Expectation, ExpectationProgress, Message, Question, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncReport:
    expectations: int
    messages_added: int
    questions: int


def unretire(session: Session, expectation_id: int) -> None:
    """An expectation whose content changed is no longer mastered by anyone: it comes back to be asked."""
    session.execute(
        update(ExpectationProgress)
        .where(ExpectationProgress.expectation_id == expectation_id, ExpectationProgress.mastered_at.is_not(None))
        .values(mastered_at=None, streak=0, box=0, next_ask_at=utcnow())
    )


def sync_pack(session: Session, pack: ContentPack) -> SyncReport:
    expectations = {row.key: row for row in session.execute(select(Expectation)).scalars()}
    for item in pack.expectations:
        row = expectations.get(item.key)
        if row is None:
            row = Expectation(key=item.key, statement=item.statement, pillar=item.pillar, pack=pack.pack)
            session.add(row)
            expectations[item.key] = row
        else:
            if row.statement != item.statement:
                unretire(session, row.id)
            row.statement, row.pillar, row.pack = item.statement, item.pillar, pack.pack
    session.flush()

    stored = {(key, version) for key, version in session.execute(select(Message.key, Message.version))}
    added = 0
    for item in pack.messages:
        if (item.key, item.version) in stored:
            continue
        session.add(
            Message(
                key=item.key,
                version=item.version,
                title=item.title,
                body=item.body,
                key_message=item.key_message,
                expectation_keys=list(item.expectations),
                source="pack",
            )
        )
        added += 1

    questions = {row.key: row for row in session.execute(select(Question)).scalars()}
    for item in pack.questions:
        expectation_id = expectations[item.expectation].id
        row = questions.get(item.key)
        if row is None:
            session.add(
                Question(
                    key=item.key, expectation_id=expectation_id, prompt=item.prompt, options=list(item.options),
                    correct=item.correct, explanation=item.explanation,
                )
            )
        else:
            row.expectation_id, row.prompt, row.options = expectation_id, item.prompt, list(item.options)
            row.correct, row.explanation, row.active = item.correct, item.explanation, True
    sync_coaching_tips(session, pack, expectations)
    sync_strategy_rules(session, pack)
    session.flush()
    return SyncReport(expectations=len(pack.expectations), messages_added=added, questions=len(pack.questions))


def sync_coaching_tips(session: Session, pack: ContentPack, expectations: dict[str, Expectation]) -> None:
    """Talking points are stored per expectation, so the outbox can compose a coaching DM from the database."""
    tips = {row.expectation_id: row for row in session.execute(select(CoachingTip)).scalars()}
    for item in pack.coaching_tips:
        points = item.talking_points
        values = {"goal": points.goal, "work_products": points.work_products, "process": points.process,
                  "tasks": points.tasks, "person": points.person, "pack": pack.pack}
        expectation_id = expectations[item.expectation].id
        row = tips.get(expectation_id)
        if row is None:
            session.add(CoachingTip(expectation_id=expectation_id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)


def sync_strategy_rules(session: Session, pack: ContentPack) -> None:
    """The pack's strategy rules, stored so SQL classifies deals by them; a rule the pack no longer has is
    retired (kept, so nothing that cited it loses its reason)."""
    rows = {row.key: row for row in session.execute(select(StrategyRule)).scalars()}
    for item in pack.strategy_rules:
        values = {"kind": item.kind, "reason": item.reason, "pack": pack.pack, "active": True,
                  "value_keys": sorted({key for key in map(value_key, item.values) if key}),
                  "minimum_minor": item.minimum * 100 if item.minimum is not None else None}
        row = rows.get(item.id)
        if row is None:
            session.add(StrategyRule(key=item.id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
    keep = {item.id for item in pack.strategy_rules}
    for row in rows.values():
        if row.pack == pack.pack and row.key not in keep:
            row.active = False


def retire_rules_of_unloaded_packs(session: Session, loaded: list[str]) -> int:
    """Rules of a pack that is no longer loaded stop counting: the strategy is what the loaded packs say."""
    result = session.execute(update(StrategyRule).where(StrategyRule.pack.not_in(loaded), StrategyRule.active.is_(True))
                             .values(active=False))
    return int(result.rowcount or 0)
