"""The Teams directory sync through the emulator's Microsoft Graph: time zones (Windows names mapped), managers,
who left, paging, throttling, and a second sync that costs nothing when nothing changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.teams.directory import iana_zone
from storage.address import Address
from storage.models import NO_KNOWN_ZONE, Person
from storage.queries.accounts import people_at

from .conftest import JO, LENA, RIA, World  # noqa: TID252

NEW_BOSS = "2c3d4e5f-6071-4c8d-8e9f-0a1b2c3d4e5f"


@pytest.fixture
def teams_extra_settings() -> dict[str, str]:
    return {"TEAMS_TENANT_ID": "{emu.tenant_id}", "TEAMS_GRAPH_URL": "{emu.graph_url}"}


def person(world: World, user_id: str) -> Person:
    with world.drumbeat.services.unit_of_work() as session:
        found = people_at(session, [Address("teams", user_id)], active_only=False)[Address("teams", user_id)]
        session.expunge(found)
        return found


def sync(world: World) -> tuple[int, list[str]]:
    lines: list[str] = []
    return world.drumbeat.sync_directory(wait=True, progress=lines.append), lines


def test_mailbox_windows_zones_become_iana_zones_for_people_without_one(world: World) -> None:
    world.emu.set_user(RIA, mailbox_time_zone="W. Europe Standard Time")
    world.emu.set_user(JO, mailbox_time_zone="Tokyo Standard Time")
    world.emu.set_user(LENA, mailbox_time_zone="America/Chicago")  # mailboxes may hold an IANA name too

    changed, lines = sync(world)

    assert changed == 3
    assert (person(world, RIA).tz, person(world, JO).tz, person(world, LENA).tz) == (
        "Europe/Berlin", "Asia/Tokyo", "America/Chicago")
    assert lines[-1].startswith("Teams: 3 people read from Microsoft Graph, 3 known to Drumbeat, 3 time zones read, "
                                "3 changed")


def test_a_second_sync_with_nothing_changed_reads_one_page_and_writes_nothing(world: World) -> None:
    for user_id in (RIA, JO, LENA):
        world.emu.set_user(user_id, mailbox_time_zone="GMT Standard Time")
    sync(world)
    before = dict(world.emu.graph.calls)
    updated = person(world, RIA).updated_at

    changed, lines = sync(world)

    assert changed == 0 and "0 time zones read, 0 changed" in lines[-1]
    calls = {op: n - before.get(op, 0) for op, n in world.emu.graph.calls.items()}
    assert calls == {"graph_users": 1, "graph_mailbox_settings": 0}
    assert person(world, RIA).updated_at == updated


def test_a_known_zone_is_not_read_again_and_a_person_without_a_mailbox_keeps_none(world: World) -> None:
    world.emu.set_user(RIA, mailbox_time_zone="Pacific Standard Time")  # JO and LENA: no Exchange mailbox (404)
    sync(world)
    world.emu.set_user(RIA, mailbox_time_zone="Tokyo Standard Time")

    sync(world)

    assert person(world, RIA).tz == "America/Los_Angeles"  # her messages' localTimezone keeps it current now
    assert person(world, JO).tz == NO_KNOWN_ZONE


def test_managers_come_from_entra_when_drumbeat_knows_them(world: World) -> None:
    world.emu.add_user(NEW_BOSS, name="Nia Boss")  # in Entra, not in Drumbeat
    world.emu.set_user(RIA, manager_id=JO)
    world.emu.set_user(JO, manager_id=NEW_BOSS)

    changed, _ = sync(world)

    assert changed == 1
    assert person(world, RIA).manager_id == person(world, JO).id
    assert person(world, JO).manager_id == person(world, LENA).id  # an unknown manager changes nothing


def test_a_disabled_account_is_deactivated_and_a_reenabled_one_comes_back(world: World) -> None:
    world.emu.set_user(JO, account_enabled=False)
    assert sync(world)[0] == 1
    assert person(world, JO).active is False

    world.emu.set_user(JO, account_enabled=True)
    assert sync(world)[0] == 1
    assert person(world, JO).active is True


def test_the_tenant_is_read_page_by_page_following_next_links(world: World) -> None:
    for n in range(230):
        world.emu.add_user(f"9{n:07d}-0000-4000-8000-000000000000", name=f"Other {n}")

    changed, lines = sync(world)

    assert world.emu.graph.calls["graph_users"] == 3  # 233 people, 100 a page with the manager expanded
    assert "233 people read from Microsoft Graph, 3 known to Drumbeat" in lines[-1]
    assert changed == 0


def test_throttling_is_waited_out_with_retry_after(world: World) -> None:
    world.emu.set_user(RIA, mailbox_time_zone="W. Europe Standard Time")
    world.emu.inject_fault("graph_users", status=429, retry_after=7)
    world.emu.inject_fault("graph_mailbox_settings", status=503, retry_after=3)

    changed, _ = sync(world)

    assert changed == 1 and person(world, RIA).tz == "Europe/Berlin"
    assert 7 in world.slept and 3 in world.slept


def test_graph_refusing_the_token_fails_the_sync_and_changes_nothing(world: World) -> None:
    from bot.teams.graph import GraphError

    world.emu.set_user(RIA, mailbox_time_zone="W. Europe Standard Time")
    world.emu.inject_fault("graph_mailbox_settings", status=401)

    with pytest.raises(GraphError, match="HTTP 401"):
        sync(world)
    with world.drumbeat.services.unit_of_work() as session:
        assert set(session.execute(select(Person.tz)).scalars()) == {NO_KNOWN_ZONE}


@pytest.mark.parametrize(("given", "expected"), [
    ("W. Europe Standard Time", "Europe/Berlin"), ("UTC", "UTC"), ("Europe/Paris", "Europe/Paris"),
    ("tzone://Microsoft/Custom", None), ("", None), (None, None), ("Nowhere/Atlantis", None), ("x" * 300, None),
])
def test_mailbox_zone_names_map_to_iana_or_to_nothing(given: str | None, expected: str | None) -> None:
    assert iana_zone(given) == expected


def test_a_person_deleted_in_entra_is_deactivated_once_and_comes_back_when_restored(world: World) -> None:
    world.emu.set_user(JO, deleted=True)  # gone from GET /users; GET /users/{id} answers 404

    changed, lines = sync(world)

    assert changed == 1 and person(world, JO).active is False and person(world, RIA).active is True
    assert "1 changed, 1 deleted in Entra" in lines[-1]
    assert world.emu.graph.calls["graph_user"] == 1  # only the one the walk did not list was asked for
    assert sync(world)[0] == 0 and world.emu.graph.calls["graph_user"] == 1  # inactive now: not asked again

    world.emu.set_user(JO, deleted=False)  # restored from Entra's deleted items within 30 days
    assert sync(world)[0] == 1 and person(world, JO).active is True


def test_a_deleted_person_gets_no_broadcast_after_the_sync(world: World) -> None:
    for user_id in (LENA, RIA, JO):
        world.emu.install_app(user_id)
    world.emu.set_user(RIA, deleted=True)
    sync(world)

    from bot.core.broadcasts import AudienceSpec, BroadcastDraft

    world.schedule(LENA, BroadcastDraft(audience=AudienceSpec(teams=("East",)), message_key="win-on-strategy"))
    world.drumbeat.dispatch_now()

    assert [len(world.emu.inbox(user_id)) for user_id in (RIA, JO)] == [0, 1]


def test_a_tenant_listing_nobody_drumbeat_knows_deactivates_nobody(world: World) -> None:
    for user_id in (LENA, RIA, JO):
        world.emu.set_user(user_id, deleted=True)  # as if TEAMS_TENANT_ID named another organisation

    changed, lines = sync(world)

    assert changed == 0 and "nobody was deactivated: check TEAMS_TENANT_ID" in lines[-1]
    assert all(person(world, user_id).active for user_id in (LENA, RIA, JO))
    assert world.emu.graph.calls["graph_user"] == 0


def test_graph_failing_while_confirming_a_deletion_changes_nothing(world: World) -> None:
    from bot.teams.graph import GraphError

    world.emu.set_user(JO, deleted=True)
    world.emu.inject_fault("graph_user", status=403)

    with pytest.raises(GraphError, match="HTTP 403"):
        sync(world)
    assert person(world, JO).active is True
