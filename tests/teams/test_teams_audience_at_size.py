"""A 10,000-member Entra group read page by page from Graph and resolved in set-based SQL (its time is
bench/audience.py's figure); a
channel post not counted toward its leader's daily cap; a mixed audience reaching each person once, on their own
platform."""

from __future__ import annotations

from datetime import UTC, datetime, time as clock_time

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.core.audiences import CHANNEL, AudienceSpec
from bot.core.broadcasts import BroadcastDraft, schedule
from bot.core.roles import identify
from bot.emulators.teams import TeamsEmulator
from bot.teams.audience_groups import TeamsGroupReader, channel_ref, entra_group_ref
from bot.teams.graph import GraphClient
from bot.teams.tokens import ClientCredentials
from schedules.audience_refresh import GroupRefresher
from schedules.materialise import DeliveryRules
from schedules.quiet_hours import QuietHours
from storage.address import Address
from storage.db import session_scope
from storage.models import Account, Delivery, DeliveryKind, Message
from storage.queries.accounts import primary_addresses
from storage.queries.audience import stored_audience_count
from storage.queries.audience_groups import GroupRef, ensure_groups
from tests.people import add_many_people, add_person
from tests.statements import statements_on

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
HUGE = 10_000
STATEMENTS_PER_PAGE = 4  # what a page of members may cost in SQL, whatever the page's size
GROUP = "5e5e5e5e-0000-4000-8000-0000000e0e0e"


def test_a_10000_member_entra_group_is_read_in_pages_and_resolved_in_set_based_sql(engine: Engine) -> None:
    members = [f"00000000-0000-4000-8000-{n:012d}" for n in range(HUGE)]
    with TeamsEmulator() as emu:
        for member in members:
            emu.add_user(member, name=f"Rep {member[-5:]}")
        emu.add_group(GROUP, members)
        with session_scope(engine) as session:
            add_many_people(session, members, platform="teams")
        token = ClientCredentials(login_url=emu.login_url, app_id=emu.app_id, app_password=emu.app_password,
                                  tenant_id=emu.tenant_id)
        reader = TeamsGroupReader(lambda: GraphClient(token, tenant_id=emu.tenant_id, base_url=emu.graph_url))
        with statements_on(engine) as statements, session_scope(engine) as session:
            (group_id,) = ensure_groups(session, [entra_group_ref(GROUP)])
            assert GroupRefresher({"teams": reader}).refresh(session, [group_id], now=NOW) == 1
            reached = stored_audience_count(session, {"group_ids": [group_id]})
        pages = emu.graph.calls["graph_group_transitive_members"]
    assert reached == HUGE
    assert pages == -(-HUGE // 999)  # 999 a page: Graph's largest
    assert len(statements) <= STATEMENTS_PER_PAGE * pages, "\n".join(statements)


class Members:
    """A platform's GroupReader with fixed members."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.groups = groups

    def members(self, kind: str, group_id: str) -> list[str]:
        return list(self.groups[group_id])


def test_a_channel_post_does_not_count_toward_its_leaders_daily_cap(engine: Engine) -> None:
    rules = DeliveryRules(quiet=QuietHours(start=clock_time(0), end=clock_time(0), weekends_off=False), daily_cap=1)
    channel = channel_ref(GROUP, "19:deals@thread.tacv2", "Deals")
    groups = GroupRefresher({"teams": Members({channel.group_id: ["rep-1"]})})
    with session_scope(engine) as session:
        add_person(session, "U0LEADER", name="Lena Okafor", role="leader", tz="UTC")
        add_many_people(session, ["rep-1"], platform="teams")
        session.add(Message(key="focus", title="Focus", body="Hi"))
        session.flush()
        leader = identify(session, Address("slack", "U0LEADER"))
        for audience in (AudienceSpec(groups=(channel,), post_to=(channel,)),
                         AudienceSpec(people=(Address("slack", "U0LEADER"),))):
            schedule(session, sender=leader, now=NOW, rules=rules, groups=groups,
                     draft=BroadcastDraft(audience=audience, message_key="focus"))
        rows = session.execute(select(Delivery.kind, Delivery.due_at).where(Delivery.person_id == leader.id)).all()
    assert sorted((str(kind), due) for kind, due in rows) == [
        (str(DeliveryKind.BROADCAST), NOW), (str(DeliveryKind.CHANNEL_POST), NOW)]  # not moved to tomorrow


def test_a_mixed_audience_reaches_each_person_once_on_their_own_platform(engine: Engine) -> None:
    slack_channel = GroupRef("slack", CHANNEL, "C0SALES", "sales")
    entra = entra_group_ref(GROUP, "Field sales")
    groups = GroupRefresher({"slack": Members({"C0SALES": ["U0BOTH", "U0SLACK"]}),
                             "teams": Members({GROUP: ["teams-both", "teams-only"]})})
    with session_scope(engine) as session:
        add_person(session, "U0LEADER", name="Lena Okafor", role="leader", tz="UTC")
        both = add_person(session, "U0BOTH", name="Bo Both", role="rep", tz="UTC")  # Slack first: reached there
        session.add(Account(person_id=both.id, platform="teams", workspace_id="", user_id="teams-both"))
        add_person(session, "U0SLACK", name="Sal Slack", role="rep", tz="UTC")
        add_many_people(session, ["teams-only"], platform="teams")
        session.add(Message(key="focus", title="Focus", body="Hi"))
        session.flush()
        leader = identify(session, Address("slack", "U0LEADER"))
        queued = schedule(session, sender=leader, now=NOW, rules=DeliveryRules(daily_cap=0), groups=groups,
                          draft=BroadcastDraft(audience=AudienceSpec(groups=(slack_channel, entra)),
                                               message_key="focus"))
        reached = session.execute(select(Delivery.person_id).where(Delivery.kind == DeliveryKind.BROADCAST)).all()
        where = primary_addresses(session, [row[0] for row in reached])
    assert queued.recipients == 3 and len(reached) == 3 and len({row[0] for row in reached}) == 3
    assert sorted(address.platform for address in where.values()) == ["slack", "slack", "teams"]
    assert where[both.id] == Address("slack", "U0BOTH")
