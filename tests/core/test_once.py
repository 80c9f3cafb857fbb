"""A leader's request is acted on once: the same modal submission or slash command, repeated by the platform
or by the leader, creates one broadcast and is answered with what the first one queued."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.core import broadcasts
from bot.core.broadcasts import AudienceSpec, BroadcastDraft
from bot.core.errors import BadInput
from bot.core.once import RequestKey
from bot.core.roles import identify
from bot.slack.people import slack_address as slack
from storage.db import session_scope
from storage.models import Broadcast, Delivery, RequestReceipt
from tests.core.test_broadcasts_and_summaries import NOW, org  # noqa: F401  (the seeded organisation fixture)

EAST = AudienceSpec(teams=("East",))


def schedule(engine: Engine, request: RequestKey | None) -> broadcasts.BroadcastQueued:
    with session_scope(engine) as session:
        return broadcasts.schedule(session, sender=identify(session, slack("U0LEADER1")),
                                   draft=BroadcastDraft(audience=EAST, message_key="win-on-strategy"), now=NOW,
                                   rules=broadcasts.DeliveryRules(), request=request)


def counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        return (session.execute(select(func.count()).select_from(Broadcast)).scalar_one(),
                session.execute(select(func.count()).select_from(Delivery)).scalar_one())


def test_the_same_submission_four_times_makes_one_broadcast(org: Engine) -> None:
    request = RequestKey("slack", "view:V0123")
    answers = [schedule(org, request) for _ in range(4)]
    assert counts(org) == (1, 3)
    assert {answer.broadcast_id for answer in answers} == {answers[0].broadcast_id}
    assert [answer.repeated for answer in answers] == [False, True, True, True]
    assert {(answer.recipients, answer.now_count + answer.later_count) for answer in answers} == {(3, 3)}


def test_different_requests_make_different_broadcasts(org: Engine) -> None:
    schedule(org, RequestKey("slack", "trigger:1"))
    schedule(org, RequestKey("slack", "trigger:2"))
    schedule(org, None)
    assert counts(org) == (3, 9)


def test_a_request_that_failed_can_be_made_again(org: Engine) -> None:
    request = RequestKey("slack", "view:V0999")
    with pytest.raises(BadInput), session_scope(org) as session:
        broadcasts.schedule(session, sender=identify(session, slack("U0LEADER1")),
                            draft=BroadcastDraft(audience=EAST, message_key=None), now=NOW,
                            rules=broadcasts.DeliveryRules(), request=request)
    with session_scope(org) as session:
        assert session.execute(select(func.count()).select_from(RequestReceipt)).scalar_one() == 0
    assert not schedule(org, request).repeated


def test_two_copies_arriving_at_the_same_instant_make_one_broadcast(org: Engine) -> None:
    """Two workers handle the same submission concurrently (the unique receipt decides, in the database)."""
    request = RequestKey("slack", "view:V0RACE")
    start = threading.Barrier(2)
    results: list[object] = []

    def submit() -> None:
        start.wait()
        try:
            results.append(schedule(org, request))
        except Exception as error:  # a loser may also see the winner's unique key at commit
            results.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts(org) == (1, 3)
    assert any(isinstance(result, broadcasts.BroadcastQueued) and not result.repeated for result in results)
