"""The audience condition in SQL: what each part means, including the corners (no team, no account, left)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from storage.db import session_scope
from storage.models import Team
from storage.queries.audience import audience_reach, stored_audience_members
from storage.queries.audience_groups import GroupRef, apply_member_changes, ensure_groups, replace_members
from tests.people import add_person

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CHANNEL = GroupRef("slack", "channel", "C001", "general")


def names(session, audience: dict) -> list[str]:  # noqa: ANN001
    return [person.name for person in stored_audience_members(session, audience)]


def test_excluding_a_team_keeps_people_with_no_team_and_drops_every_role_in_it(engine: Engine) -> None:
    with session_scope(engine) as session:
        west = Team(name="West")
        session.add(west)
        session.flush()
        add_person(session, "U1", name="Free Rep", role="rep", tz="UTC")
        add_person(session, "U2", name="West Rep", role="rep", tz="UTC", team_id=west.id)
        manager = add_person(session, "U3", name="West Manager", role="manager", tz="UTC", team_id=west.id)
        add_person(session, "U4", name="Gone Rep", role="rep", tz="UTC", active=False)
        everyone_but_west = {"all_reps": True, "person_ids": [manager.id], "exclude": {"team_ids": [west.id]}}
        assert names(session, everyone_but_west) == ["Free Rep"]
        assert names(session, {"all_reps": True}) == ["Free Rep", "West Rep"]  # an older row: no groups, no exclusions


def test_group_members_without_an_account_are_counted_as_left_out_and_changes_apply(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_person(session, "U1", name="Known", role="rep", tz="Europe/Berlin")
        add_person(session, "U2", name="No Zone", role="manager", tz="UTC")
        (group_id,) = ensure_groups(session, [CHANNEL])
        assert not apply_member_changes(session, CHANNEL, added=["U1"])  # never read: its first read will see it
        assert replace_members(session, group_id, ["U1", "U2", "U9"], now=NOW) == (3, 0)
        reach = audience_reach(session, {"group_ids": [group_id]})
        assert (reach.people, reach.without_zone, reach.outside_directory, reach.outside_sample) == (2, 1, 1, ("U9",))
        assert apply_member_changes(session, CHANNEL, removed=["U2"])
        assert names(session, {"group_ids": [group_id]}) == ["Known"]
        assert replace_members(session, group_id, ["U1"], now=NOW) == (0, 1)  # a re-read writes only the change


def test_a_member_new_to_drumbeat_is_reached_once_the_directory_knows_them(engine: Engine) -> None:
    from schedules.audience_refresh import GroupRefresher

    with session_scope(engine) as session:
        (group_id,) = ensure_groups(session, [CHANNEL])
        replace_members(session, group_id, ["U7"], now=NOW)
        assert audience_reach(session, {"group_ids": [group_id]}).outside_directory == 1
        add_person(session, "U7", name="New Hire", role="rep", tz="Europe/Oslo")  # an org import, a sync
        assert GroupRefresher().refresh(session, [group_id], now=NOW) == 0  # fresh: not read again, but linked
        assert names(session, {"group_ids": [group_id]}) == ["New Hire"]
