"""Sending now, acknowledging and summarising, on a seeded organisation with hand-computed figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from messages.rich import Mention, PersonRef
from tests.people import slack_user_id
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.slack.people import slack_address as slack
from bot.core import broadcasts, summaries
from bot.core.broadcasts import AudienceSpec
from bot.core.errors import BadInput, NotFound, PermissionDenied
from bot.platforms import USER_ID_FORMATS
from bot.core.org import import_org_csv
from bot.core.roles import identify
from bot.demo import demo_org_csv
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus, Message

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def org(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
        session.add(Message(key="win-on-strategy", version=1, title="Win on-strategy business", body="Hi"))
        session.add(Message(key="win-on-strategy", version=2, title="Win on-strategy business", body="Hi again"))
        session.add(Message(key="icp-first", version=1, title="ICP first", body="Qualify"))
    return engine


def send(engine: Engine, who: str, key: str, audience: AudienceSpec, now: datetime = NOW) -> broadcasts.BroadcastQueued:
    with session_scope(engine) as session:
        return broadcasts.send_now(session, sender=identify(session, slack(who)), message_key=key, audience=audience, now=now)


def test_leader_sends_newest_version_to_a_teams_reps(org: Engine) -> None:
    queued = send(org, "U0LEADER1", "win-on-strategy", AudienceSpec(teams=("east",)))
    assert (queued.recipients, queued.message_version, queued.audience_label) == (3, 2, "team East")
    with session_scope(org) as session:
        rows = list(session.execute(select(Delivery)).scalars())
    assert len(rows) == 3 and {row.status for row in rows} == {DeliveryStatus.PENDING}


def test_people_and_teams_together_are_deduplicated(org: Engine) -> None:
    queued = send(org, "U0LEADER1", "icp-first", AudienceSpec(people=(slack("U0REPEA01"), slack("U0MGREAST")), teams=("East",)))
    assert queued.recipients == 4  # three East reps plus their manager, Aiko counted once


def test_rep_cannot_send(org: Engine) -> None:
    with pytest.raises(PermissionDenied, match="only leaders and admins can send broadcasts"):
        send(org, "U0REPEA01", "icp-first", AudienceSpec(teams=("East",)))


def test_unknown_message_suggests_close_keys(org: Engine) -> None:
    with pytest.raises(NotFound, match="Did you mean win-on-strategy"):
        send(org, "U0LEADER1", "win-on-stratgy", AudienceSpec(teams=("East",)))


def test_unknown_team_and_unknown_person_are_named(org: Engine) -> None:
    with pytest.raises(NotFound, match="no team called 'North'. Teams: East, West"):
        send(org, "U0LEADER1", "icp-first", AudienceSpec(teams=("North",)))
    with pytest.raises(NotFound, match="U0GHOST is not in Drumbeat's directory") as raised:
        send(org, "U0LEADER1", "icp-first", AudienceSpec(people=(slack("U0GHOST"),)))
    # The person is a reference (each platform renders the mention its own way), not Slack markup.
    assert Mention(PersonRef("U0GHOST", slack("U0GHOST"))) in raised.value.args[0].spans


def test_empty_audience_is_refused(org: Engine) -> None:
    with pytest.raises(BadInput, match="Say who should get it"):
        send(org, "U0LEADER1", "icp-first", AudienceSpec())


def test_acknowledging_twice_keeps_the_first_time_and_others_cannot(org: Engine) -> None:
    send(org, "U0LEADER1", "icp-first", AudienceSpec(people=(slack("U0REPEA01"),)))
    with session_scope(org) as session:
        delivery_id = session.execute(select(Delivery.id)).scalar_one()
        first = broadcasts.acknowledge(session, delivery_id=delivery_id, person=identify(session, slack("U0REPEA01")), now=NOW)
    with session_scope(org) as session:
        again = broadcasts.acknowledge(session, delivery_id=delivery_id, person=identify(session, slack("U0REPEA01")),
                                       now=NOW + timedelta(hours=1))
        with pytest.raises(PermissionDenied):
            broadcasts.acknowledge(session, delivery_id=delivery_id, person=identify(session, slack("U0REPEA02")), now=NOW)
    assert first.newly_acknowledged and not again.newly_acknowledged
    assert again.acknowledged_at == NOW


def mark(engine: Engine, *, sent: list[str], acknowledged: list[str], failed: list[str] = ()) -> None:
    with session_scope(engine) as session:
        for delivery in session.execute(select(Delivery)).scalars():
            slack_id = delivery_person(session, delivery)
            if slack_id in sent:
                delivery.status, delivery.sent_at = DeliveryStatus.SENT, NOW
            if slack_id in acknowledged:
                delivery.acknowledged_at = NOW
            if slack_id in failed:
                delivery.status = DeliveryStatus.FAILED


def delivery_person(session, delivery: Delivery) -> str:
    from storage.models import Person

    return slack_user_id(session, session.get(Person, delivery.person_id))


def summary_for(engine: Engine, who: str, *words: str, now: datetime = NOW) -> summaries.TeamSummary:
    with session_scope(engine) as session:
        request = summaries.parse_summary_args(list(words))
        return summaries.team_summary(session, caller=identify(session, slack(who)), request=request, now=now)


def test_manager_summary_counts_reach_and_acknowledgement_per_message(org: Engine) -> None:
    send(org, "U0LEADER1", "win-on-strategy", AudienceSpec(teams=("East", "West")))
    send(org, "U0LEADER1", "icp-first", AudienceSpec(teams=("East",)), now=NOW + timedelta(minutes=5))
    # East: Aiko and Jonas got both messages, Priya's failed; Aiko acknowledged both, Jonas one of them.
    mark(org, sent=["U0REPEA01", "U0REPEA02", "U0REPWE01"], acknowledged=["U0REPEA01"], failed=["U0REPEA03"])
    with session_scope(org) as session:
        jonas_first = session.execute(
            select(Delivery).join(Message, Message.id == Delivery.message_id)
            .where(Message.key == "icp-first", Delivery.person_id == identify(session, slack("U0REPEA02")).id)
        ).scalar_one()
        jonas_first.acknowledged_at = NOW
    east = summary_for(org, "U0MGREAST", now=NOW + timedelta(hours=1))
    assert east.team == "East"
    assert (east.reach.reps, east.reach.reached, east.reach.acknowledging) == (3, 2, 2)
    assert (east.reach.delivered, east.reach.acknowledged, east.reach.failed) == (4, 3, 2)
    by_key = {message.key: message for message in east.messages}
    assert [m.key for m in east.messages] == ["icp-first", "win-on-strategy"]  # newest first
    assert (by_key["icp-first"].recipients, by_key["icp-first"].delivered, by_key["icp-first"].acknowledged) == (3, 2, 2)
    assert (by_key["win-on-strategy"].delivered, by_key["win-on-strategy"].acknowledged) == (2, 1)


def test_summary_period_excludes_older_deliveries(org: Engine) -> None:
    send(org, "U0LEADER1", "icp-first", AudienceSpec(teams=("West",)), now=NOW - timedelta(days=10))
    mark(org, sent=["U0REPWE01"], acknowledged=[])
    assert summary_for(org, "U0MGRWEST", "7d").reach.delivered == 0
    assert summary_for(org, "U0MGRWEST", "30d").reach.delivered == 1


def test_manager_cannot_see_another_team_but_leader_can(org: Engine) -> None:
    with pytest.raises(PermissionDenied, match="West is not one of your teams"):
        summary_for(org, "U0MGREAST", "West")
    assert summary_for(org, "U0LEADER1", "west").team == "West"


def test_rep_cannot_see_summaries(org: Engine) -> None:
    with pytest.raises(PermissionDenied, match="only managers, leaders and admins"):
        summary_for(org, "U0REPEA01")


def test_leader_without_team_is_asked_which_team(org: Engine) -> None:
    with pytest.raises(BadInput, match="Which team"):
        summary_for(org, "U0LEADER1")


@pytest.mark.parametrize("period", ["13x", "400d", "0d"])
def test_bad_period_is_explained(org: Engine, period: str) -> None:
    with pytest.raises(BadInput, match="period"):
        summary_for(org, "U0MGREAST", period)


def test_a_reminder_is_not_counted_as_another_message_delivered(org: Engine) -> None:
    send(org, "U0LEADER1", "icp-first", AudienceSpec(people=(slack("U0REPEA01"),)))
    mark(org, sent=["U0REPEA01"], acknowledged=[])
    with session_scope(org) as session:
        original = session.execute(select(Delivery)).scalar_one()
        session.add(Delivery(broadcast_id=original.broadcast_id, occurrence=original.occurrence + ":reminder",
                             person_id=original.person_id, message_id=original.message_id, kind="reminder",
                             due_at=NOW, status=DeliveryStatus.SENT))
    east = summary_for(org, "U0MGREAST", now=NOW + timedelta(hours=1))
    assert east.reach.delivered == 1
    assert east.messages[0].delivered == 1
