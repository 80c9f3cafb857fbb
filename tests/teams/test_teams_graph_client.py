"""The Graph client on its own against the emulator: group, team and channel members (audiences) page by
page, throttling waited out within a budget, Graph's refusals as GraphError with status and code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.clock import SimulatedClock
from bot.emulators.teams import TeamsEmulator
from bot.teams.graph import GraphClient, GraphError
from bot.teams.tokens import ClientCredentials

GROUP = "7e7e7e7e-0000-4000-8000-000000000000"


@pytest.fixture
def emu() -> Iterator[TeamsEmulator]:
    with TeamsEmulator(clock=SimulatedClock()) as emulator:
        yield emulator


def client(emu: TeamsEmulator, slept: list[float], **options: int) -> GraphClient:
    token = ClientCredentials(login_url=emu.login_url, app_id=emu.app_id, app_password=emu.app_password,
                              tenant_id=emu.tenant_id)
    return GraphClient(token, tenant_id=emu.tenant_id, base_url=emu.graph_url, sleep=slept.append, **options)


def test_group_members_are_read_across_pages(emu: TeamsEmulator) -> None:
    ids = [emu.add_user(f"{n:08d}-0000-4000-8000-000000000000", name=f"Rep {n}").aad_object_id for n in range(1200)]
    emu.add_group(GROUP, ids[100:1150])
    graph = client(emu, [])

    assert list(graph.group_members(GROUP)) == ids[100:1150]
    assert emu.graph.calls["graph_group_transitive_members"] == 2  # 999 a page, nested groups included
    assert graph.calls == 2


def test_throttling_past_the_budget_is_an_error_not_a_loop(emu: TeamsEmulator) -> None:
    emu.add_user(name="Someone")
    emu.inject_fault("graph_users", status=429, retry_after=4, times=5)
    slept: list[float] = []

    with pytest.raises(GraphError, match="HTTP 429") as raised:
        list(client(emu, slept, max_waits=3).users())

    assert slept == [4, 4, 4] and raised.value.status == 429 and raised.value.code == "TooManyRequests"


def test_an_unknown_group_is_graphs_404(emu: TeamsEmulator) -> None:
    with pytest.raises(GraphError) as raised:
        list(client(emu, []).group_members(GROUP))

    assert raised.value.status == 404 and raised.value.code == "Request_ResourceNotFound"


def test_a_manager_is_read_one_user_at_a_time_too(emu: TeamsEmulator) -> None:
    boss = emu.add_user(name="Boss").aad_object_id
    rep = emu.add_user(name="Rep", manager_id=boss).aad_object_id
    graph = client(emu, [])

    assert graph.manager_id(rep) == boss
    assert graph.manager_id(boss) is None


def test_a_teams_and_a_private_channels_members_are_paged_and_throttling_is_waited_out(emu: TeamsEmulator) -> None:
    ids = [emu.add_user(f"{n:08d}-0000-4000-8000-000000000000", name=f"Rep {n}").aad_object_id for n in range(1500)]
    emu.add_team(GROUP, name="Sales", members=ids)
    private = emu.add_channel(GROUP, "Leads", members=ids[:3])
    emu.inject_fault("graph_team_members", status=429, retry_after=7)
    slept: list[float] = []
    graph = client(emu, slept)

    assert list(graph.team_members(GROUP)) == ids
    assert list(graph.channel_members(GROUP, private)) == ids[:3]
    assert slept == [7] and emu.graph.calls["graph_team_members"] == 3  # throttled once, then 2 pages of 999


def test_a_channel_or_group_graph_cannot_show_is_lookup_error_for_the_refresher(emu: TeamsEmulator) -> None:
    from bot.teams.audience_groups import CHANNEL, ENTRA_GROUP, TeamsGroupReader

    reader = TeamsGroupReader(lambda: client(emu, []))
    with pytest.raises(LookupError, match="HTTP 404"):
        reader.members(ENTRA_GROUP, GROUP)
    with pytest.raises(LookupError, match="HTTP 404"):
        reader.members(CHANNEL, f"{GROUP}/19:gone@thread.tacv2")
