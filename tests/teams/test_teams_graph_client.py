"""The Graph client on its own against the emulator: group members (for Entra-group audiences later) page by
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
    assert emu.graph.calls["graph_group_members"] == 2  # 999 a page
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
