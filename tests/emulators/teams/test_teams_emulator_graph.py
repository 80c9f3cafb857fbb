"""The emulator as Microsoft Graph over plain HTTP: list users with $select / $top / $expand=manager and
@odata.nextLink, a manager, mailbox settings, a group's members; Graph's error bodies, tokens per tenant."""

from __future__ import annotations

from urllib.parse import quote

from bot.emulators.teams import TeamsEmulator

from .teams_emulator_kit import Reply, bot_token, http

GRAPH = "https://graph.microsoft.com/.default"


def graph_token(emu: TeamsEmulator, tenant: str | None = None) -> str:
    reply = bot_token(emu, scope=GRAPH, tenant=tenant or emu.tenant_id)
    assert reply.status == 200
    return str(reply.body["access_token"])


def get(emu: TeamsEmulator, path: str, token: str | None, **params: str) -> Reply:
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())
    return http("GET", f"{emu.graph_url}/v1.0{path}{'?' + query if query else ''}", token=token)


def people(emu: TeamsEmulator, count: int) -> list[str]:
    boss = emu.add_user("b0550000-0000-4000-8000-000000000000", name="Big Boss").aad_object_id
    return [boss] + [emu.add_user(f"{n:08d}-0000-4000-8000-000000000000", name=f"Rep {n}", manager_id=boss).aad_object_id
                     for n in range(count - 1)]


def test_users_are_paged_with_absolute_next_links_and_the_manager_expanded(emu: TeamsEmulator) -> None:
    ids = people(emu, 150)
    token = graph_token(emu)

    first = get(emu, "/users", token, **{"$select": "id,accountEnabled", "$expand": "manager($select=id)", "$top": "100"})
    assert first.status == 200 and len(first.body["value"]) == 100
    assert first.body["@odata.nextLink"].startswith(f"{emu.graph_url}/v1.0/users?$skiptoken=")
    second = http("GET", first.body["@odata.nextLink"], token=token)
    assert "@odata.nextLink" not in second.body
    listed = first.body["value"] + second.body["value"]
    assert sorted(item["id"] for item in listed) == sorted(ids)
    rep = next(item for item in listed if item["id"] == ids[1])
    assert rep == {"id": ids[1], "accountEnabled": True,
                   "manager": {"@odata.type": "#microsoft.graph.user", "id": ids[0]}}
    assert "manager" not in next(item for item in listed if item["id"] == ids[0])


def test_page_sizes_over_graphs_limits_are_refused(emu: TeamsEmulator) -> None:
    people(emu, 3)
    token = graph_token(emu)

    assert get(emu, "/users", token, **{"$top": "999"}).status == 200
    too_big = get(emu, "/users", token, **{"$top": "1000"})
    assert too_big.status == 400 and too_big.body["error"]["code"] == "BadRequest"
    assert get(emu, "/users", token, **{"$top": "101", "$expand": "manager"}).status == 400
    assert get(emu, "/users", token, **{"$skiptoken": "garbage!"}).status == 400


def test_manager_and_mailbox_settings_answer_as_graph_does(emu: TeamsEmulator) -> None:
    boss, rep = people(emu, 2)
    emu.set_user(rep, mailbox_time_zone="W. Europe Standard Time")
    token = graph_token(emu)

    assert get(emu, f"/users/{rep}/manager", token).body["id"] == boss
    no_manager = get(emu, f"/users/{boss}/manager", token)
    assert no_manager.status == 404 and no_manager.body["error"]["code"] == "Request_ResourceNotFound"
    settings = get(emu, f"/users/{rep}/mailboxSettings", token, **{"$select": "timeZone"})
    assert settings.status == 200 and settings.body["timeZone"] == "W. Europe Standard Time"
    assert "language" not in settings.body
    no_mailbox = get(emu, f"/users/{boss}/mailboxSettings", token)
    assert no_mailbox.status == 404 and no_mailbox.body["error"]["code"] == "MailboxNotEnabledForRESTAPI"
    assert get(emu, "/users/00000000-dead-4000-8000-000000000000/manager", token).status == 404


def test_group_members_are_users_paged_like_users(emu: TeamsEmulator) -> None:
    ids = people(emu, 5)
    emu.add_group("9a9a9a9a-0000-4000-8000-000000000000", ids[1:4])
    token = graph_token(emu)

    page = get(emu, "/groups/9a9a9a9a-0000-4000-8000-000000000000/members", token, **{"$select": "id", "$top": "2"})
    rest = http("GET", page.body["@odata.nextLink"], token=token)
    members = page.body["value"] + rest.body["value"]
    assert [m["id"] for m in members] == ids[1:4]
    assert all(m["@odata.type"] == "#microsoft.graph.user" for m in members)
    assert get(emu, "/groups/00000000-0000-4000-8000-00000000beef/members", token).status == 404


def test_graph_needs_a_graph_token_of_the_tenant(emu: TeamsEmulator) -> None:
    people(emu, 2)

    assert get(emu, "/users", None).status == 401
    connector_token = bot_token(emu).body["access_token"]
    refused = get(emu, "/users", connector_token)
    assert refused.status == 401 and refused.body["error"]["code"] == "InvalidAuthenticationToken"
    emu.add_tenant("11112222-3333-4444-8555-666677778888")
    other_tenant = get(emu, "/users", graph_token(emu, "11112222-3333-4444-8555-666677778888"))
    assert other_tenant.status == 200 and other_tenant.body["value"] == []


def test_injected_throttling_carries_retry_after_and_graphs_code(emu: TeamsEmulator) -> None:
    people(emu, 2)
    token = graph_token(emu)
    emu.inject_fault("graph_users", status=429, retry_after=9)

    throttled = get(emu, "/users", token)

    assert throttled.status == 429 and throttled.headers["Retry-After"] == "9"
    assert throttled.body["error"]["code"] == "TooManyRequests"
    assert get(emu, "/users", token).status == 200
