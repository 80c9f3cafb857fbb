"""`team link <team> <Entra group id>` in Teams, end to end through the emulator (signed activities, its Microsoft
Graph): a team kept in step with an Entra group, as Slack's user groups keep theirs (tests/slack/test_team_link.py):
members join, newcomers are added as reps, reps who left leave, managers stay; re-read by the directory sync.
Refusals and bad input change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.address import Address
from storage.models import Person, Role, Team
from tests.people import team_name_at
from storage.queries.accounts import person_at

from .conftest import JO, LENA, RIA, World, card_texts  # noqa: TID252
from .test_teams_slice import installed  # noqa: TID252
from .test_teams_summary import typed  # noqa: TID252

GROUP = "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09"
NEWCOMER = "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"


@pytest.fixture
def teams_extra_settings() -> dict[str, str]:
    return {"TEAMS_TENANT_ID": "{emu.tenant_id}", "TEAMS_GRAPH_URL": "{emu.graph_url}"}


def team_of(world: World, user_id: str) -> str | None:
    with world.drumbeat.services.unit_of_work() as session:
        return team_name_at(session, Address("teams", user_id))


def said(world: World, user_id: str, text: str) -> str:
    (card,) = typed(world, user_id, text, cards=1)
    return "\n".join(card_texts(card))


def test_a_leader_links_a_team_to_an_entra_group_and_members_follow(world: World) -> None:
    installed(world, LENA)
    world.emu.add_user(NEWCOMER, name="Nina Berg", email="nina@example.com")
    world.emu.add_group(GROUP, [RIA, NEWCOMER, LENA])  # Jo (East) is not in it; Lena is a leader: kept

    text = said(world, LENA, f"team link Pacific {GROUP.upper()}")

    assert text.startswith(f"🔗 Created team Pacific to Entra group `{GROUP}`. 3 members in the group: 1 joined team "
                           "Pacific, 1 new to Drumbeat added as reps, 0 left the team, 1 managers or leaders left")
    assert (team_of(world, RIA), team_of(world, NEWCOMER), team_of(world, JO)) == ("Pacific", "Pacific", "East")
    with world.drumbeat.services.unit_of_work() as session:
        nina = person_at(session, Address("teams", NEWCOMER))
        assert nina is not None and (nina.name, nina.email, nina.role) == ("Nina Berg", "nina@example.com", Role.REP)
    assert f"• Pacific: group `{GROUP}`" in said(world, LENA, "team")


def test_the_directory_sync_re_reads_linked_groups(world: World) -> None:
    installed(world, LENA)
    world.emu.add_group(GROUP, [RIA])
    said(world, LENA, f"team link East {GROUP}")
    assert team_of(world, JO) is None  # Jo was in East, not in the group: he left the team

    world.emu.add_group(GROUP, [JO])
    lines: list[str] = []
    world.drumbeat.sync_directory(wait=True, progress=lines.append)

    assert (team_of(world, JO), team_of(world, RIA)) == ("East", None)
    assert "Teams: 1 linked team re-read from Entra groups" in lines


def test_team_link_refusals_and_bad_input_change_nothing(world: World) -> None:
    installed(world, LENA, RIA)
    world.emu.add_group(GROUP, [RIA])

    assert "only leaders and admins can link teams" in said(world, RIA, f"team link Pacific {GROUP}")
    assert "by its object id" in said(world, LENA, "team link Pacific @east-sales")
    assert "Say the team and the user group" in said(world, LENA, "team link Pacific")
    assert "does not exist (or I can't read it)" in said(world, LENA,
                                                          "team link Pacific 00000000-0000-4000-8000-000000000000")
    assert "see linked teams" in said(world, RIA, "team")
    assert "No team is linked to an Entra group yet" in said(world, LENA, "team")
    with world.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(Team).where(Team.name == "Pacific")).first() is None
    assert team_of(world, RIA) == "East"

    said(world, LENA, f"team link East {GROUP}")
    assert "already linked to team East" in said(world, LENA, f"team link West {GROUP}")
    assert "no longer linked" in said(world, LENA, "team unlink East")


def test_graph_failing_during_a_link_links_nothing(world: World) -> None:
    installed(world, LENA)
    world.emu.add_group(GROUP, [RIA])
    world.emu.inject_fault("graph_group_transitive_members", status=403)  # team link reads transitive members

    assert "Microsoft Graph could not be read, so nothing was changed" in said(world, LENA, f"team link Pacific {GROUP}")
    assert team_of(world, RIA) == "East"
    with world.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(Team).where(Team.name == "Pacific")).first() is None
        assert len(session.execute(select(Person.id)).all()) == 3
