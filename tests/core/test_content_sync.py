from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.core.content import sync_pack
from messages.library import default_pack_path, load_pack
from tests.people import add_person
from storage.db import session_scope
from storage.models import Expectation, ExpectationProgress, Message


def test_syncing_the_same_pack_twice_adds_no_versions(engine: Engine) -> None:
    pack = load_pack(default_pack_path())
    with session_scope(engine) as session:
        first = sync_pack(session, pack)
    with session_scope(engine) as session:
        second = sync_pack(session, pack)
        messages = session.execute(select(func.count()).select_from(Message)).scalar_one()
    assert first.messages_added == messages == len(pack.messages)
    assert second.messages_added == 0


def test_changed_expectation_is_no_longer_mastered(engine: Engine) -> None:
    pack = load_pack(default_pack_path())
    with session_scope(engine) as session:
        sync_pack(session, pack)
        rep = add_person(session, "U0REP", name="Rep")
        session.add(rep)
        session.flush()
        expectation = session.execute(select(Expectation).where(Expectation.key == pack.expectations[0].key)).scalar_one()
        session.add(ExpectationProgress(person_id=rep.id, expectation_id=expectation.id, streak=2,
                                        mastered_at=datetime(2026, 11, 1, tzinfo=UTC)))
    changed = pack.expectations[0].model_copy(update={"statement": pack.expectations[0].statement + " Now sharper."})
    new_pack = pack.model_copy(update={"expectations": (changed, *pack.expectations[1:])})
    with session_scope(engine) as session:
        sync_pack(session, new_pack)
    with session_scope(engine) as session:
        progress = session.execute(select(ExpectationProgress)).scalar_one()
    assert progress.mastered_at is None and progress.next_ask_at is not None and progress.streak == 0


def test_every_coaching_tip_is_stored_once_for_its_expectation(engine: Engine) -> None:
    from storage.models import CoachingTip

    pack = load_pack(default_pack_path())
    for _ in range(2):
        with session_scope(engine) as session:
            sync_pack(session, pack)
    with session_scope(engine) as session:
        stored = {key: tip for tip, key in session.execute(
            select(CoachingTip, Expectation.key).join(Expectation, Expectation.id == CoachingTip.expectation_id))}
    assert sorted(stored) == sorted(tip.expectation for tip in pack.coaching_tips)
    first = pack.coaching_tips[0]
    assert stored[first.expectation].process == first.talking_points.process
