"""A huge channel as an audience: read page by page within Slack's rate tier, resolved in SQL with a number of
statements that follows the pages, not the members (its time is bench/audience.py's figure); and the materialiser
re-reads only the groups of broadcasts that are due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time as clock_time, timedelta

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.core.audiences import AudienceSpec
from bot.core.broadcasts import BroadcastDraft, schedule
from bot.core.roles import identify
from bot.emulators.slack import SlackEmulator
from bot.slack.audience_groups import SlackGroupReader, channel_ref, usergroup_ref
from bot.slack.people import slack_address
from schedules.audience_refresh import GroupRefresher
from schedules.materialise import DeliveryRules, materialise_due
from schedules.quiet_hours import QuietHours
from schedules.recurrence import Recurrence
from storage.db import session_scope
from storage.models import Message
from storage.queries.audience import stored_audience_count
from storage.queries.audience_groups import ensure_groups
from tests.people import add_many_people, add_person
from tests.statements import statements_on

NOW = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
HUGE = 10_000
STATEMENTS_PER_PAGE = 4  # what a page of 1,000 members may cost in SQL (bench/audience.py times it)
NO_QUIET = DeliveryRules(quiet=QuietHours(start=clock_time(0), end=clock_time(0), weekends_off=False), daily_cap=0)


def test_a_10000_member_channel_is_read_in_pages_and_resolved_in_set_based_sql(engine: Engine) -> None:
    members = [f"U{n:08d}" for n in range(HUGE)]
    with SlackEmulator("secret") as slack:  # Slack's rate limits on: conversations.members is Tier 4
        slack.add_channel("C0EVERYONE", name="everyone", members=members)
        with session_scope(engine) as session:
            add_many_people(session, members)
        with statements_on(engine) as statements, session_scope(engine) as session:
            (group_id,) = ensure_groups(session, [channel_ref("C0EVERYONE")])
            reader = SlackGroupReader(WebClient(token=slack.bot_token, base_url=slack.api_url))
            assert GroupRefresher({"slack": reader}).refresh(session, [group_id], now=NOW) == 1
            reached = stored_audience_count(session, {"group_ids": [group_id]})
        pages = slack.calls_named("conversations.members")
    assert reached == HUGE
    assert len(pages) == HUGE // 1000 and all(call.ok for call in pages)
    assert len(statements) <= STATEMENTS_PER_PAGE * len(pages), "\n".join(statements)


class CountingReader:
    """A platform's GroupReader that says who is in each group and records what it was asked."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.groups = groups
        self.asked: list[str] = []

    def members(self, kind: str, group_id: str) -> list[str]:
        self.asked.append(group_id)
        return list(self.groups[group_id])


def test_materialise_reads_only_the_groups_of_due_broadcasts_and_only_when_stale(engine: Engine) -> None:
    reader = CountingReader({"S0DAILY": ["U0REP1"], "S0MONTHLY": ["U0REP2"]})
    groups = GroupRefresher({"slack": reader}, fresh_for=timedelta(hours=6))
    with session_scope(engine) as session:
        add_person(session, "U0LEADER", name="Lena Okafor", role="leader", tz="UTC")
        add_person(session, "U0REP1", name="Rep One", role="rep", tz="UTC")
        add_person(session, "U0REP2", name="Rep Two", role="rep", tz="UTC")
        session.add(Message(key="focus", title="Focus", body="Hi"))
        session.flush()
        leader = identify(session, slack_address("U0LEADER"))
        for group, recurrence in (("S0DAILY", Recurrence(kind="workdays", start=date(2026, 11, 24), at=clock_time(9))),
                                  ("S0MONTHLY", Recurrence(kind="monthly", start=date(2026, 11, 24), at=clock_time(9),
                                                           day_of_month=28))):
            schedule(session, sender=leader, now=NOW, rules=NO_QUIET, draft=BroadcastDraft(
                audience=AudienceSpec(groups=(usergroup_ref(group, group.lower()),)), message_key="focus",
                recurrence=recurrence, local_time=False))
    for hours in (2, 3, 26):  # 09:30 (due: read), 10:30 (nothing due), next day 09:30 (due, stale: read again)
        with session_scope(engine) as session:
            materialise_due(session, now=NOW + timedelta(hours=hours), rules=NO_QUIET, groups=groups)
    assert reader.asked == ["S0DAILY", "S0DAILY"]
